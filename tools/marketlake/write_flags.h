// The Parquet writer flags shared by every command that writes Parquet (convert, generate,
// and later import): one definition, so the flags mean the same everywhere.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "marketlake/parquet_write.h"
#include "marketlake/status.h"

namespace marketlake::cli {

struct WriteFlags {
  std::string compression = "zstd";
  int level = 0;  // 0: codec default
  int page_version = 1;
  int64_t row_group_size = WriteOptions{}.row_group_size;
  int64_t page_size = WriteOptions{}.page_size;
  int64_t max_rows_per_page = 20000;
  std::vector<std::string> encodings;
  bool no_dictionary = false;
  bool no_statistics = false;
  bool no_page_index = false;
  bool no_page_checksums = false;
  bool no_market_defaults = false;
  std::vector<std::string> bloom_filters;
  double bloom_fpp = 0.01;
  std::string timestamp_unit = "ns";
  std::vector<std::string> metadata;  // KEY=VALUE
};

void AddWriteFlags(CLI::App* cmd, WriteFlags* flags);
Result<WriteOptions> ToWriteOptions(const WriteFlags& flags);

// "a,b,c" -> {"a","b","c"}, trimming blanks and dropping empties.
std::vector<std::string> SplitList(const std::string& text);

}  // namespace marketlake::cli
