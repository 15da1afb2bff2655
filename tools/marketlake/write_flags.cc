#include "write_flags.h"

#include <fmt/core.h>

namespace marketlake::cli {

void AddWriteFlags(CLI::App* cmd, WriteFlags* f) {
  cmd->add_option("--compression", f->compression,
                  "uncompressed|snappy|gzip|zstd|lz4_raw|brotli (default zstd)");
  cmd->add_option("--level", f->level, "Compression level (codec default when omitted)");
  cmd->add_option("--page-version", f->page_version, "Data page version: 1 or 2")
      ->check(CLI::IsMember({1, 2}));
  cmd->add_option("--row-group-size", f->row_group_size, "Rows per row group (default 131072)");
  cmd->add_option("--page-size", f->page_size, "Target bytes per data page (default 1 MiB)");
  cmd->add_option("--max-rows-per-page", f->max_rows_per_page,
                  "Rows per data page at most (default 20000)");
  cmd->add_option("--encoding", f->encodings,
                  "COLUMN=ENCODING (PLAIN, RLE_DICTIONARY, DELTA_BINARY_PACKED, "
                  "DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT); repeatable");
  cmd->add_flag("--no-dictionary", f->no_dictionary, "No dictionary encoding by default");
  cmd->add_flag("--no-statistics", f->no_statistics, "Write no column statistics");
  cmd->add_flag("--no-page-index", f->no_page_index, "Write no page index");
  cmd->add_flag("--no-page-checksums", f->no_page_checksums,
                "Write no CRC32 page checksums (they are written and verified by default)");
  cmd->add_flag("--no-market-defaults", f->no_market_defaults,
                "Use Arrow's default encodings instead of marketlake's measured ones");
  cmd->add_option("--bloom-filter", f->bloom_filters,
                  "Write a bloom filter for COLUMN; repeatable");
  cmd->add_option("--bloom-fpp", f->bloom_fpp, "Bloom filter false-positive rate (default 0.01)");
  cmd->add_option("--timestamp-unit", f->timestamp_unit,
                  "ns (default) or us/ms for engines that need them")
      ->check(CLI::IsMember({"ns", "us", "ms"}));
  cmd->add_option("--metadata", f->metadata, "KEY=VALUE key-value metadata; repeatable");
}

Result<WriteOptions> ToWriteOptions(const WriteFlags& f) {
  WriteOptions o;
  o.compression = f.compression;
  if (f.level != 0) o.compression_level = f.level;
  o.page_version = f.page_version;
  o.row_group_size = f.row_group_size;
  o.page_size = f.page_size;
  o.max_rows_per_page = f.max_rows_per_page;
  o.dictionary = !f.no_dictionary;
  o.statistics = !f.no_statistics;
  o.page_index = !f.no_page_index;
  o.page_checksums = !f.no_page_checksums;
  o.market_defaults = !f.no_market_defaults;
  o.bloom_filter_columns = f.bloom_filters;
  o.bloom_filter_fpp = f.bloom_fpp;
  o.timestamp_unit = f.timestamp_unit;
  for (const auto& e : f.encodings) ML_RETURN_NOT_OK(ParseEncodingAssignment(e, &o));
  for (const auto& kv : f.metadata) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("--metadata '{}': expected KEY=VALUE", kv));
    }
    o.key_value_metadata[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return o;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(pos, comma - pos);
    auto b = item.find_first_not_of(" \t");
    auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    pos = comma + 1;
  }
  return out;
}

}  // namespace marketlake::cli
