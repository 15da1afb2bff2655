// As-of join (kdb+ `aj`, DuckDB ASOF JOIN with `>=`): every left row gets the right row in
// force at its time: same key, right.time <= left.time, the latest such (among right rows
// with equal times, the last in right's order). With a tolerance, a match older than
// left.time - tolerance counts as none. Left rows without a match (no key in right, all
// right rows later, too old, null key or time) get nulls.
//
// Output: all left columns in left's row order, then every right column except the key
// columns (right's time column included, so the matched time is visible); a right column
// whose name clashes with an output name is prefixed with `right_prefix`.
// Keys: zero or more columns of utf8/large_utf8/dictionary(utf8)/integer types, compared by
// value (dictionary vs plain strings is fine). Times: timestamp (both sides the same unit
// after a cast to ns) or int64.
//
// Cost: O((L + R) log) for sorting both sides by (key, time), then one merge per key.
#pragma once

#include <arrow/record_batch.h>
#include <arrow/table.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "marketlake/status.h"

namespace marketlake {

struct AsofOptions {
  std::string time_column = "ts";            // in both tables
  std::vector<std::string> by = {"symbol"};  // in both tables
  std::optional<int64_t> tolerance_nanos;    // none: any older row matches
  std::string right_prefix = "right_";
};

Result<std::shared_ptr<arrow::Table>> AsofJoin(const arrow::Table& left, const arrow::Table& right,
                                               const AsofOptions& options);

// Streaming as-of join of two inputs both ordered by (key, time), e.g. two LakeReaders
// (ordered by (symbol, ts)): AsofJoin's result for each left batch, holding only the right
// batches that the current left batch can match. Exactly one key column (utf8, large_utf8
// or dictionary of them; order: byte-wise) and a timestamp or int64 time column on both
// sides. Out-of-order rows on either side are kInvalidArgument (naming key and time); rows
// with a null key or time never match and are not checked.
//
// Memory: the right batches that hold a current match, plus the one being read.
class AsofStream {
 public:
  // Pulls the next right batch; nullptr at the end.
  using Source = std::function<Result<std::shared_ptr<arrow::RecordBatch>>()>;

  // kInvalidArgument unless options.by has exactly one column; kMissingColumn when a side
  // lacks the key or time column.
  static Result<std::unique_ptr<AsofStream>> Make(std::shared_ptr<arrow::Schema> left_schema,
                                                  std::shared_ptr<arrow::Schema> right_schema,
                                                  Source right, const AsofOptions& options);
  ~AsofStream();

  // Left's columns, then right's except the key (AsofJoin's names).
  std::shared_ptr<arrow::Schema> schema() const;
  // The next left batch joined; it must continue the left stream's (key, time) order.
  Result<std::shared_ptr<arrow::RecordBatch>> Join(const arrow::RecordBatch& left);

 private:
  struct Impl;
  explicit AsofStream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace marketlake
