// Reading only what is needed from one Parquet file.
//
// A ParquetScanner projects columns and applies a predicate in four steps, each counted in
// ScanStats:
//   1. row groups whose statistics cannot match are skipped;
//   2. row groups whose bloom filters rule out every value of an = or IN are skipped;
//   3. within a row group, the page index (column index + offset index) narrows the rows
//      that may match; only the pages of every projected column that overlap those rows are
//      fetched (by byte range) and decoded;
//   4. the remaining rows are filtered exactly.
// Files without statistics, page index or bloom filters are read correctly, just with less
// skipped. Nested columns are read whole per row group.
//
// Memory is bounded by one row group's selected pages of the projected columns plus one
// output batch. Errors name the file and what Arrow or the file reported (kCorruption for
// malformed files), never crash.
//
// Thread safety: a scanner is used by one thread at a time.
#pragma once

#include <arrow/io/interfaces.h>
#include <arrow/record_batch.h>
#include <arrow/type_fwd.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "marketlake/predicate.h"
#include "marketlake/status.h"

namespace marketlake {

struct ScanOptions {
  std::vector<std::string> columns;  // empty: all, in file order
  std::optional<PredicateNode> where;
  int64_t batch_size = 64 * 1024;  // rows per output batch, at most
  int64_t limit = -1;              // stop after this many matching rows; -1: no limit
  bool use_statistics = true;
  bool use_page_index = true;
  bool use_bloom_filter = true;
};

struct ScanStats {
  int64_t row_groups_total = 0;
  int64_t row_groups_read = 0;
  int64_t row_groups_skipped_by_statistics = 0;
  int64_t row_groups_skipped_by_bloom_filter = 0;
  int64_t pages_total = 0;    // data pages of the columns read, in the row groups considered
  int64_t pages_read = 0;     // fetched and decoded
  int64_t pages_skipped = 0;  // pages_total - pages_read
  int64_t bytes_total = 0;    // compressed bytes of the column chunks considered
  int64_t bytes_read = 0;     // compressed bytes fetched for data pages and dictionaries
  int64_t bytes_skipped = 0;
  int64_t rows_total = 0;    // rows in the file
  int64_t rows_decoded = 0;  // rows decoded before the exact filter
  int64_t rows_matched = 0;  // rows returned
};

class ParquetScanner {
 public:
  virtual ~ParquetScanner() = default;

  // Opens `file` (its footer is read once). `name` is used in error messages.
  // Fails with kNotFound for unknown projected columns, kInvalidArgument/kMissingColumn/
  // kDataType for a predicate that does not bind, kCorruption for a bad footer.
  static Result<std::unique_ptr<ParquetScanner>> Open(
      std::shared_ptr<arrow::io::RandomAccessFile> file, std::string name, ScanOptions options);

  // The schema of the batches returned (the projection, in the order asked).
  virtual std::shared_ptr<arrow::Schema> schema() const = 0;

  // The next batch of matching rows, or nullptr at the end. Batches are never empty.
  virtual Result<std::shared_ptr<arrow::RecordBatch>> Next() = 0;

  virtual const ScanStats& stats() const = 0;
};

}  // namespace marketlake
