// Converting a table file from one format or layout to another: CSV / JSON lines / Parquet
// in, Parquet / CSV / JSON lines out, with every Parquet writer option (parquet_write.h).
//
// Without sorting, conversion streams: memory is a few batches plus one row group. With
// sort_by the whole input is sorted in memory first (stable, ascending, nulls first), and
// the sort order is declared in the Parquet footer. The output appears atomically
// (table_io.h): a failure leaves no file.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "marketlake/parquet_write.h"
#include "marketlake/status.h"
#include "marketlake/table_io.h"

namespace marketlake {

struct ConvertOptions {
  ReadFileOptions read;
  FileFormat output_format = FileFormat::kAuto;
  WriteOptions write;
  std::vector<std::string> sort_by;
};

struct ConvertResult {
  int64_t rows = 0;
  int64_t bytes_in = 0;
  int64_t bytes_out = -1;  // when the output's size can be read back
};

// `progress(rows, bytes_read)` is called after each batch when given.
Result<ConvertResult> ConvertFile(const std::string& input, const std::string& output,
                                  const ConvertOptions& options,
                                  const std::function<void(int64_t, int64_t)>& progress = {});

// Sorts a table by `columns` ascending (nulls first), stably. kMissingColumn for unknown
// columns. Dictionary columns sort by their values.
Result<std::shared_ptr<arrow::Table>> SortTable(const std::shared_ptr<arrow::Table>& table,
                                                const std::vector<std::string>& columns);

}  // namespace marketlake
