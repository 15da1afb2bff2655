// Reading a lake dataset by symbol and time range, in (symbol, ts) order.
//
// A LakeReader reads one snapshot of a dataset (lake.h). It narrows the work in the same
// steps a ParquetScanner does, one level up, and counts each in LakeReadStats:
//   1. files are pruned by partition values and by the min/max ts and symbols recorded in
//      the log (PrunePartitions): partitions that cannot match are never listed or opened;
//   2. each remaining file is scanned by a ParquetScanner with the symbol/time filter and
//      the user's predicate combined, so row groups, bloom filters and pages prune too;
//   3. the files' streams, each sorted by (symbol, ts), are merged into one stream in
//      (symbol, ts) order (ties: the file committed first, then file order within a
//      commit). Runs of rows that do not interleave are passed on as slices, not row by row.
//
// Files written by older versions of the dataset's schema are read into the newest schema
// (the schema of the newest file): columns a file lacks are null; widened types are cast
// (schema.h CheckCompatibility says which changes are accepted).
//
// Memory: at most one scanner batch per open file plus one output batch; files are opened
// lazily, when the merge first needs them (a file whose recorded (min symbol, min ts) is
// greater than what is being emitted is not yet open).
//
// Thread safety: a reader is used by one thread at a time (with `prefetch`, its own worker
// thread reads ahead; stats() then count what Next() has returned so far; with
// `decode_threads`, files are decoded on a pool the reader owns and joins).
#pragma once

#include <arrow/record_batch.h>
#include <arrow/type_fwd.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "marketlake/lake.h"
#include "marketlake/scan.h"
#include "marketlake/sessions.h"
#include "marketlake/status.h"

namespace marketlake {

struct LakeReadOptions {
  std::vector<std::string> symbols;  // empty: every symbol
  std::optional<int64_t> from_ns;    // inclusive, ns since the epoch, UTC
  std::optional<int64_t> to_ns;      // exclusive
  std::vector<std::string> columns;  // empty: every column, in schema order
  std::string where;                 // predicate.h text; empty: none
  std::optional<int64_t> version;    // snapshot to read; latest when absent
  // Keep only rows whose ts falls in one of `sessions` of `calendar` (nullptr: no session
  // filter; the calendar must outlive the reader).
  const TradingCalendar* calendar = nullptr;
  SessionMask sessions = kAllSessions;
  int64_t batch_size = 64 * 1024;  // rows per output batch, at most
  int64_t limit = -1;              // -1: no limit
  // Read ahead on a background thread (up to two batches), so decoding files and merging
  // overlap with whatever the caller does with the previous batch. Same batches, same order.
  bool prefetch = false;
  // false: hand out each run of the merge (the rows of one file that precede every other
  // file's) as its own batch, a slice of the file's batch, instead of copying runs together
  // into batches of batch_size rows. Same rows in the same order; batches may be smaller.
  bool coalesce = true;
  // > 0: decode on this many background threads: each open file's next batch is loaded
  // while the merge works on its current one, and when the merge opens a file the next
  // `decode_threads` files it will need are opened too (so files decode in parallel). Same
  // batches, same order, same errors (a file's error is reported when the merge reaches it,
  // as without). Memory: one more batch per open file and up to `decode_threads` files opened
  // early. 0: every file is read on the thread that merges.
  int decode_threads = 0;
};

struct LakeReadStats {
  int64_t files_total = 0;   // live files in the snapshot
  int64_t files_pruned = 0;  // pruned by partition values and log statistics
  int64_t files_read = 0;    // opened
  int64_t rows_returned = 0;
  ScanStats scan;  // summed over the files read
};

class LakeReader {
 public:
  virtual ~LakeReader() = default;

  // Errors: kNotFound for an unknown column or a version not committed; kInvalidArgument /
  // kMissingColumn / kDataType for a predicate that does not bind to the dataset's schema;
  // kInvalidArgument when from_ns >= to_ns; kSchemaMismatch when the files' schemas cannot
  // be unified. `dataset` must outlive the reader.
  static Result<std::unique_ptr<LakeReader>> Open(Dataset* dataset, LakeReadOptions options);

  // The schema of the batches returned (the projection, in the order asked).
  virtual std::shared_ptr<arrow::Schema> schema() const = 0;
  // The next batch in (symbol, ts) order, or nullptr at the end. Batches are never empty.
  virtual Result<std::shared_ptr<arrow::RecordBatch>> Next() = 0;
  virtual const LakeReadStats& stats() const = 0;
  // The snapshot being read.
  virtual const Snapshot& snapshot() const = 0;
};

// `batch` read as `schema`, by column name: columns it lacks are null, others are cast (a
// file written by an older version of a dataset's schema, read as the newest). Columns not
// in `schema` are dropped. kSchemaMismatch naming `name` and the column when a cast fails.
Result<std::shared_ptr<arrow::RecordBatch>> ConformToSchema(
    const std::shared_ptr<arrow::RecordBatch>& batch, const std::shared_ptr<arrow::Schema>& schema,
    std::string_view name);

// Everything a reader returns, as one table (for small results and tests).
Result<std::shared_ptr<arrow::Table>> ReadLakeTable(Dataset* dataset, LakeReadOptions options);

}  // namespace marketlake
