// The lake: partitioned, versioned Parquet datasets on a local disk or an S3-compatible
// store (docs/format/lake.md).
//
// A dataset's state is a log of JSON commit entries, version 1, 2, ... (lake_layout.h says
// where). Data files are immutable and uniquely named; a commit writes its data files first
// and then publishes the next log entry with one put-if-absent (local: link() of a fully
// written temporary file, which fails with EEXIST when the version exists; S3: PutObject
// with If-None-Match: *). Readers reconstruct a snapshot from the log only: a data file no
// log entry adds is invisible, so a crash mid-commit leaves nothing visible (orphans are
// removed by CleanOrphans).
//
// Concurrency: when two writers race for version N exactly one wins; the other re-reads the
// log and retries at the next version unless the commits conflict (see CommitConflict in
// docs/format/lake.md): appends never conflict with anything; a commit that removes files
// conflicts with an intervening commit that removed any of the same files; a partition
// removal also conflicts with an intervening commit that added files to that partition.
// Conflicts fail with kPreconditionFailed and nothing is published.
//
// Thread safety: Lake and Dataset objects are internally synchronised and may be shared
// between threads; any number of Lake objects and processes may write the same lake.
#pragma once

#include <arrow/record_batch.h>
#include <arrow/type_fwd.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "marketlake/filesystem.h"
#include "marketlake/lake_layout.h"
#include "marketlake/parquet_write.h"
#include "marketlake/status.h"

namespace marketlake {

// ---------------------------------------------------------------------------------------------
// Partitioning

enum class TimeGranularity { kYear, kMonth, kDay, kHour };

struct SymbolRange {
  std::string name;   // the partition value, e.g. "A-F"
  std::string lower;  // inclusive lower bound (byte-wise); the first range's must be ""
};

// One level of a partitioning. Keys written (in this order):
//   kTime:   year=YYYY[/month=MM[/day=DD[/hour=HH]]] from the `ts` column, read in UTC or,
//            when `time_zone` is set, as wall-clock time in that IANA zone (so with
//            America/New_York, day=DD is the New York trading date: a trade at 21:00 EST
//            is filed under that day, not the next UTC day)
//   kSymbol: symbol=<encoded symbol>
//   kBucket: bucket=NNNN, FNV-1a 64 of the symbol's UTF-8 bytes modulo `buckets`,
//            zero-padded to 4 digits
//   kRange:  symbol_range=<name> of the last range whose lower bound <= symbol
struct PartitionField {
  enum class Kind { kTime, kSymbol, kBucket, kRange };
  Kind kind = Kind::kTime;
  TimeGranularity granularity = TimeGranularity::kDay;
  std::string time_zone;  // kTime only: "" for UTC, else an IANA zone
  int buckets = 0;
  std::vector<SymbolRange> ranges;
};

struct PartitionSpec {
  std::vector<PartitionField> fields;  // empty: one unpartitioned directory

  // The textual form, also stored in the log: comma-separated fields, each one of
  //   year | month | day (or date) | hour, each optionally with a zone: day(ZONE)
  //   | symbol | bucket(N) | ranges(NAME:LOWER;...)
  // e.g. "day(America/New_York),symbol", "month,bucket(16)", "ranges(A-F:;G-M:G;N-Z:N)".
  std::string ToString() const;
};

// Parses PartitionSpec::ToString's form; kInvalidArgument naming the problem ("" is no
// partitioning; bucket N in 1..65536; ranges sorted, first lower bound ""; a zone not in
// the zone database). "UTC" and "Etc/UTC" are the same as no zone.
Result<PartitionSpec> ParsePartitionSpec(std::string_view text);

// The default per dataset name: trades, quotes -> day(America/New_York), the trading date;
// bars_1m and other intraday bars -> month(America/New_York), so a trading day's bars share
// a partition; bars_1d, ohlcv and coarser bars -> year (UTC: daily rows may be stamped at
// UTC midnight); news and anything else -> month (UTC).
PartitionSpec DefaultPartitionSpec(std::string_view dataset);

// One partition of a time field: the UTC range [start, end) it covers and its values as
// the lake writes them (year=YYYY/month=MM/...). In a zone, a day is 23, 24 or 25 hours.
struct TimeSlot {
  int64_t start = 0;
  int64_t end = 0;
  PartitionValues values;
};
// The partitions of the kTime field `field` that overlap [from, to) (ns, UTC), in time
// order; kNotFound when the field's zone is not in the zone database.
Result<std::vector<TimeSlot>> TimeSlots(const PartitionField& field, int64_t from, int64_t to);

// FNV-1a 64 over the bytes of `symbol` (offset basis 0xcbf29ce484222325, prime
// 0x100000001b3). Stable across platforms and versions.
uint64_t SymbolHash(std::string_view symbol);

// Stable sort by (symbol, ts), using whichever of the two columns exist (nulls last).
// Linear time for input that is in time order or nearly so.
Result<std::shared_ptr<arrow::RecordBatch>> SortBySymbolTs(
    const std::shared_ptr<arrow::RecordBatch>& batch);
// The same over the rows of `chunks` (each of `schema`) taken in order, as one batch: the
// chunks are not concatenated first, each row is copied once, and each input column is let
// go once it has been gathered (so a caller that moves its chunks in holds the input plus
// one column at the peak, not twice the input).
Result<std::shared_ptr<arrow::RecordBatch>> SortBySymbolTs(
    const std::shared_ptr<arrow::Schema>& schema,
    std::vector<std::shared_ptr<arrow::RecordBatch>> chunks);

struct PartitionedBatch {
  PartitionValues values;                     // decoded values, in the spec's key order
  std::shared_ptr<arrow::RecordBatch> batch;  // sorted by (symbol, ts) when sorting
};

// Splits record batches by partition. Requires a timestamp column `ts` (any unit, read as
// UTC) when a time field is used and a string column `symbol` when a symbol field is used
// (kMissingColumn otherwise); nulls in them are kInvalidArgument naming the row. Keys are
// computed column-at-a-time; rows are gathered with arrow::compute::Take.
class Partitioner {
 public:
  explicit Partitioner(PartitionSpec spec) : spec_(std::move(spec)) {}
  // Partitions are returned in order of their values; rows within a partition keep the
  // input order unless `sort` is true, when they are sorted by (symbol, ts) (stable).
  Result<std::vector<PartitionedBatch>> Split(const std::shared_ptr<arrow::RecordBatch>& batch,
                                              bool sort = true) const;
  const PartitionSpec& spec() const { return spec_; }

 private:
  PartitionSpec spec_;
};

// ---------------------------------------------------------------------------------------------
// Log, snapshots

struct DataFile {
  std::string path;           // relative to the lake root (lake_layout.h)
  PartitionValues partition;  // decoded
  int64_t rows = 0;
  int64_t bytes = 0;
  // Timestamps as nanoseconds since the epoch (UTC); min_ts > max_ts when unknown (no ts
  // column or no non-null value).
  int64_t min_ts = 1;
  int64_t max_ts = 0;
  std::string min_symbol;  // empty when the file has no symbol column
  std::string max_symbol;
  // The distinct symbols when at most kMaxRecordedSymbols, else empty (use min/max).
  std::vector<std::string> symbols;
  int64_t added_in_version = 0;
};
inline constexpr size_t kMaxRecordedSymbols = 256;

struct CommitInfo {
  int64_t version = 0;
  int64_t read_version = 0;  // the snapshot the writer started from
  std::string operation;     // "import", "compact", "rm-partition"
  int64_t timestamp_ms = 0;  // writer's clock
  std::map<std::string, std::string> parameters;
  std::vector<std::string> lineage;  // sources (files, objects) the data came from
  std::string quality_json;          // caller's JSON object ("{}" when none)
  std::vector<DataFile> added;
  std::vector<std::string> removed;  // paths
};

struct Snapshot {
  std::string dataset;
  Layer layer = Layer::kRaw;
  PartitionSpec partition_spec;
  int64_t version = 0;          // 0: the empty dataset before any commit
  std::vector<DataFile> files;  // live files, sorted by path

  int64_t TotalRows() const;
};

struct PruneFilter {
  std::vector<std::string> symbols;  // empty: any symbol
  std::optional<int64_t> ts_min;     // inclusive, ns UTC
  std::optional<int64_t> ts_max;     // inclusive, ns UTC
};

// The files of `snapshot` that may hold rows matching `filter`, judged by their partition
// values (time, symbol, bucket, range) and recorded min/max ts and symbols. Never drops a
// file that could match.
std::vector<DataFile> PrunePartitions(const Snapshot& snapshot, const PruneFilter& filter);

// ---------------------------------------------------------------------------------------------
// Operations

struct CommitOptions {
  std::map<std::string, std::string> parameters;
  std::vector<std::string> lineage;
  std::string quality_json = "{}";  // must be a JSON object (kInvalidArgument otherwise)
  int max_attempts = 1000;          // commit attempts before giving up (kUnavailable)
};

struct AppendOptions : CommitOptions {
  WriteOptions write;  // bloom filter on symbol and sorting columns are added
  bool sort = true;    // sort each file by (symbol, ts)
  int64_t max_rows_per_file = 8 * 1024 * 1024;
};

struct CompactOptions : CommitOptions {
  WriteOptions write;
  int64_t target_file_bytes = 128 << 20;  // files below this are compacted
  int64_t max_rows_per_file = 8 * 1024 * 1024;
};

struct CommitResult {
  int64_t version = 0;  // 0 when there was nothing to commit
  int attempts = 0;
  std::vector<DataFile> added;
  std::vector<std::string> removed;
};

struct CleanResult {
  std::vector<std::string> deleted;       // relative paths
  std::vector<std::string> unrecognised;  // files under the dataset that are not lake paths
};

struct DatasetOptions {
  // Both are used for a dataset's first commit (defaults: raw, DefaultPartitionSpec(name)).
  // For an existing dataset the recorded ones are used and a different explicit one is
  // kInvalidArgument.
  std::optional<Layer> layer;
  std::optional<PartitionSpec> partition_spec;
};

class LakeStore;   // internal
class DatasetOps;  // internal

class Dataset {
 public:
  ~Dataset();
  const std::string& name() const { return name_; }
  Layer layer() const { return layer_; }
  const PartitionSpec& partition_spec() const { return spec_; }

  // The latest committed version (0 when none). Reads new log entries.
  Result<int64_t> LatestVersion();
  // The live files at `version` (latest when absent). kNotFound for a version not yet
  // committed; kCorruption naming the entry for a malformed log.
  Result<Snapshot> GetSnapshot(std::optional<int64_t> version = std::nullopt);
  // All commits, oldest first.
  Result<std::vector<CommitInfo>> History();

  // Partitions, sorts and writes `batches` (all of one schema) and commits them in one
  // version with operation "import". Empty input commits nothing (version 0).
  Result<CommitResult> Append(const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches,
                              const AppendOptions& options = {});
  // Streaming writers (ingest) write data files one partition at a time and publish them
  // together, so memory holds one partition's rows, not the whole input:
  //   base = BeginWrite(); files += WriteFiles(...)...; CommitFiles(files, base, ...)
  // Files written but not committed are invisible; DeleteFiles removes them (CleanOrphans
  // would, later). WriteFiles may be called from several threads at once.
  //
  // The version the writer starts from (reads new log entries; checks the store can commit).
  Result<int64_t> BeginWrite();
  // Writes `batch` (rows of the partition `values`, already sorted by (symbol, ts) when
  // options.sort) as one or more files of at most options.max_rows_per_file rows.
  Result<std::vector<DataFile>> WriteFiles(const PartitionValues& values,
                                           const std::shared_ptr<arrow::RecordBatch>& batch,
                                           const AppendOptions& options, int64_t base_version);
  // Publishes `files` in one commit with `operation`. With `exclusive_partitions`, an
  // intervening commit (after `base_version`) that added files to a partition this commit
  // adds to is a conflict (kPreconditionFailed): the caller deduplicated against the
  // snapshot at `base_version` and must redo that against the newer one. On failure the
  // files are left for the caller to delete or retry.
  Result<CommitResult> CommitFiles(std::vector<DataFile> files, int64_t base_version,
                                   std::string operation, const CommitOptions& options,
                                   bool exclusive_partitions);
  void DeleteFiles(const std::vector<DataFile>& files);

  // Replaces partitions atomically (re-aggregation, late data): in ONE commit with operation
  // "replace", removes every live file whose partition values start with one of `partitions`
  // (full values or prefixes) and adds `batches`, partitioned, sorted and written as Append
  // writes them. Every row must fall in one of `partitions` (kInvalidArgument otherwise),
  // so readers see either the old rows or the new, never both. Conflicts like
  // RemovePartition: with an intervening commit that removed any of the same files or added
  // a file to one of `partitions` (kPreconditionFailed; nothing published, new files
  // deleted). Nothing to remove and no rows: version 0.
  Result<CommitResult> ReplacePartitions(
      const std::vector<PartitionValues>& partitions,
      const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches,
      const AppendOptions& options = {});
  // Removes every live file whose partition values start with `values` (a prefix, e.g.
  // {{"year","2024"}}) in one commit. kNotFound when no file matches.
  Result<CommitResult> RemovePartition(const PartitionValues& values,
                                       const CommitOptions& options = {});
  // In every partition whose values start with `filter`, merges the files smaller than
  // target_file_bytes (when there are at least two) into files sorted by (symbol, ts), in
  // one commit that adds the new files and removes the old. Nothing to do: version 0.
  Result<CommitResult> Compact(const PartitionValues& filter, const CompactOptions& options = {});
  // Deletes data files under the dataset's directory that no log entry adds and whose
  // modification time is older than `older_than` ago (and stray temporary files).
  Result<CleanResult> CleanOrphans(std::chrono::seconds older_than);
  // Deletes files removed by commits made more than `older_than` ago; time travel to the
  // versions before those commits then fails to read the deleted files.
  Result<CleanResult> VacuumRemoved(std::chrono::seconds older_than);

 private:
  friend class Lake;
  friend class DatasetOps;
  friend const Location& DatasetRoot(const Dataset& dataset);  // lake_internal.h
  Dataset() = default;
  struct State;
  std::string name_;
  Layer layer_ = Layer::kRaw;
  PartitionSpec spec_;
  std::shared_ptr<LakeStore> store_;
  std::unique_ptr<State> state_;
};

// Import statistics, kept per dataset as a log of JSON entries (lake_layout.h StatsDir).
struct ImportRecord {
  int64_t timestamp_ms = 0;  // 0: now
  std::string source;
  bool ok = true;
  std::string error;    // when !ok
  int64_t version = 0;  // the commit it produced, 0 if none
  int64_t rows = 0;     // rows committed
  int64_t rejects = 0;
  int64_t duplicates_skipped = 0;
  int64_t bytes = 0;  // bytes written
};

struct ImportSummary {
  int64_t imports = 0;
  int64_t failures = 0;
  int64_t rows = 0;
  int64_t rejects = 0;
  int64_t duplicates_skipped = 0;
  int64_t bytes = 0;
  std::vector<ImportRecord> records;  // oldest first
};

class Lake {
 public:
  // Opens the lake at `uri` (filesystem.h names places; nothing is created until a commit).
  // Writing to S3-compatible stores needs static credentials for the REST client and a
  // store that honours If-None-Match: * (probed on the first commit: kNotImplemented
  // otherwise). Other stores than local disks and S3 are read-only (kNotImplemented).
  static Result<std::unique_ptr<Lake>> Open(std::string_view uri);
  static Result<std::unique_ptr<Lake>> Open(Location root);
  ~Lake();

  const Location& root() const;

  // Opens (without creating) a dataset. kInvalidArgument for a bad name or a partition
  // spec/layer that differs from the recorded one; kCorruption for a malformed log.
  Result<std::unique_ptr<Dataset>> OpenDataset(std::string_view name,
                                               const DatasetOptions& options = {});
  // Names of datasets with at least one commit, sorted.
  Result<std::vector<std::string>> ListDatasets();

  // Names of datasets with at least one import statistics record (a dataset whose imports
  // all failed has records but no commit), sorted.
  Result<std::vector<std::string>> ListImportedDatasets();

  // Appends one record to `dataset`'s import statistics (put-if-absent of the next entry).
  Status RecordImport(std::string_view dataset, const ImportRecord& record);
  Result<ImportSummary> ReadImports(std::string_view dataset);

 private:
  Lake() = default;
  std::shared_ptr<LakeStore> store_;
};

}  // namespace marketlake
