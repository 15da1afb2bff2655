// Import: market data from files and objects into a lake (or, for `validate`, nowhere).
//
// Pipeline, per import:
//   1. sources are expanded (ExpandSources): files, directories and prefixes (recursively,
//      data files only), globs (* ? [..] within a segment, ** across segments);
//   2. each source is read as a stream of batches (table_io.h: CSV with every column read as
//      text so that a bad value is a row-level problem, JSON lines, Parquet; gzip), its
//      dataset detected from columns and path unless given, and normalised and validated
//      (schema.h) in the chosen mode; rejected rows go to a rejects file beside the source's
//      import (see ImportOptions::rejects_dir);
//   3. normalised rows are split by the dataset's partitioning and buffered per partition;
//      when the buffers exceed the memory budget the largest partitions are flushed early;
//   4. a flush sorts a partition's rows by (symbol, ts), drops rows whose key (the dataset's
//      key columns) equals an earlier row's, or a row already in the lake's partition, or a
//      row this import already flushed, and writes the rest as data files (invisible);
//   5. when every source is read, all files are published in one commit per dataset. When a
//      concurrent import committed to one of the same partitions in between, the
//      deduplication is redone against its files before publishing, so two importers of the
//      same data add it once.
// Sources are read in parallel (ImportOptions::parallelism); memory is bounded by the budget
// plus one batch per reader.
//
// Errors: a source that fails (unreadable, corrupt, STRICT violation, unknown dataset) fails
// the whole import and nothing is committed (the error names the source, and where known the
// column, row and value); its failure is recorded in the lake's import statistics.
//
// Thread safety: Import and Validate may be called concurrently (on any lakes).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "marketlake/lake.h"
#include "marketlake/schema.h"
#include "marketlake/status.h"
#include "marketlake/table_io.h"

namespace marketlake {

// A data file found by ExpandSources.
struct SourceFile {
  std::string uri;    // as given, or the given prefix joined with the found key
  int64_t size = -1;  // bytes, when the listing said
};

// Expands each of `specs` (places filesystem.h names, optionally with glob patterns) into
// files, sorted and without duplicates. A directory or prefix yields the data files below it
// (.csv .jsonl .ndjson .json .parquet .pq, each optionally .gz), skipping names that start
// with '.' or '_'. kNotFound when a spec names nothing (a glob with no match included).
Result<std::vector<SourceFile>> ExpandSources(const std::vector<std::string>& specs);

struct ImportProgress {
  std::atomic<int64_t> files_done{0};
  std::atomic<int64_t> files_total{0};
  std::atomic<int64_t> bytes_read{0};  // bytes of the stored sources consumed
  std::atomic<int64_t> bytes_total{0};
  std::atomic<int64_t> rows_read{0};
};

struct ImportOptions {
  // "auto" (detect per source), "trades", "quotes", "bars", "news", or any dataset the
  // registry knows (custom schema files included).
  std::string type = "auto";
  std::string interval;  // bars: "1m", "1d", ...; empty: from the path, else an error
  ValidationMode mode = ValidationMode::kStrict;
  std::string tz = "UTC";  // zone of naive times
  EpochUnit epoch_unit = EpochUnit::kAuto;
  bool dedup = true;
  Layer layer = Layer::kCleaned;
  std::optional<PartitionSpec> partition_spec;  // for a new dataset; default per dataset
  WriteOptions write;                           // Parquet settings of the data files
  const DatasetRegistry* registry = nullptr;    // nullptr: the built-ins only
  ReadFileOptions read;                         // format, delimiter (CSV), block size
  int parallelism = 0;                          // sources read at once; 0: hardware threads
  int64_t memory_budget_bytes = 1LL << 30;      // buffered rows before early flushes
  // A partition that has had no rows for `idle_flush_batches` input batches of its dataset
  // and buffers at least `idle_flush_bytes` is written in the background while the import
  // reads on (time-ordered input: a day is done once the input has moved past it). Rows
  // that come later still go to another file of the partition, deduplicated against the
  // first. 0 batches: only the memory budget and the end of the import flush.
  int64_t idle_flush_batches = 8;
  int64_t idle_flush_bytes = 16LL << 20;
  // Rejected rows are written as CSV to <rejects_dir>/<source file name>.rejects.csv (the
  // source's own directory when empty; a local temporary directory for remote sources
  // when empty). No file when nothing is rejected.
  std::string rejects_dir;
  bool dry_run = false;                           // validate: do everything but write and commit
  std::map<std::string, std::string> parameters;  // recorded in the commit
  ImportProgress* progress = nullptr;             // updated while running, may be null
};

struct SourceReport {
  std::string source;
  std::string dataset;      // lake dataset name (trades, quotes, bars_1m, news, ...)
  std::string detected_by;  // why this dataset ("--type", or DetectDataset's reason)
  int64_t bytes = 0;        // stored size read
  int64_t rows_read = 0;
  int64_t rows_rejected = 0;
  std::string rejects_file;  // empty when nothing was rejected
  NormalizeStats stats;      // summed over the source's batches
};

struct DatasetReport {
  std::string dataset;
  int64_t version = 0;  // the commit made (0: none, e.g. nothing new or dry run)
  int64_t rows_in = 0;  // valid rows offered
  int64_t rows_written = 0;
  int64_t duplicates_in_input = 0;  // rows equal to an earlier row of this import
  int64_t duplicates_in_lake = 0;   // rows the lake already held
  int64_t files = 0;
  int64_t bytes_written = 0;
  int commit_attempts = 0;
};

struct ImportReport {
  std::vector<SourceReport> sources;
  std::vector<DatasetReport> datasets;  // sorted by name
  int64_t rows_read = 0;
  int64_t rows_rejected = 0;
  int64_t rows_written = 0;
  int64_t duplicates_skipped = 0;
};

// Imports `sources` (already expanded) into `lake` (may be null only with dry_run).
Result<ImportReport> Import(Lake* lake, const std::vector<SourceFile>& sources,
                            const ImportOptions& options);

// `marketlake schema check`: how a source maps onto its dataset (read from its first batch)
// and whether the lake's files of that dataset can take the canonical schema.
struct SchemaCheck {
  std::string source;
  std::string dataset;
  std::string detected_by;
  NormalizeStats mapping;    // renamed, dropped and missing optional columns
  std::string source_error;  // non-empty: the source cannot be imported as the dataset
  ErrorCode source_code = ErrorCode::kOk;
  int64_t lake_files = 0;
  CompatibilityReport lake;  // when a lake was given and lake_error is empty
  std::string lake_error;    // non-empty: the lake's files are incompatible (why)
  bool ok() const { return source_error.empty() && lake_error.empty(); }
};

// `lake` may be null (no lake check). Fails only when the source cannot be read or its
// dataset not determined.
Result<SchemaCheck> CheckSourceSchema(Lake* lake, const SourceFile& source,
                                      const ImportOptions& options);

}  // namespace marketlake
