// Reading and writing tables as files: CSV, JSON lines and Parquet, plain or gzip, on any
// place filesystem.h can name. Everything streams in record batches with bounded memory.
//
// Outputs are published atomically: a local file is written under a temporary name in the
// destination directory and renamed on Close(); an object store upload is aborted unless
// Close() succeeds. A writer destroyed without Close() leaves nothing behind.
//
// Thread safety: readers and writers are used by one thread at a time.
#pragma once

#include <arrow/record_batch.h>
#include <arrow/type_fwd.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "marketlake/parquet_write.h"
#include "marketlake/status.h"

namespace marketlake {

enum class FileFormat { kAuto, kCsv, kJsonLines, kParquet };

// "csv", "jsonl" (also "json", "ndjson"), "parquet"; kInvalidArgument otherwise.
Result<FileFormat> ParseFileFormat(std::string_view name);
// From the name: .csv, .jsonl/.ndjson/.json, .parquet/.pq, each optionally followed by .gz.
// kAuto when the extension says nothing.
FileFormat FormatFromPath(std::string_view path);
std::string_view FormatName(FileFormat format);

struct ReadFileOptions {
  FileFormat format = FileFormat::kAuto;
  // CSV and JSON: column types to use instead of inference (columns not named are inferred).
  std::shared_ptr<arrow::Schema> schema;
  char delimiter = ',';
  int64_t batch_rows = 64 * 1024;  // Parquet batch size
  int32_t block_bytes = 4 << 20;   // CSV/JSON block size: bounds a single line's length too
  // CSV: blocks are parsed on several threads (batches, values and errors as the serial
  // reader gives them); Parquet: columns decoded in parallel.
  bool use_threads = true;
  // CSV: read every column as text (no type inference), so that a malformed value is a
  // row-level problem for the caller (schema.h Normalize) and not a failed read. Only empty
  // fields are null. The header (first line, at most block_bytes) is read ahead to name
  // the columns.
  bool text_columns = false;
};

struct OpenedInput {
  std::shared_ptr<arrow::RecordBatchReader> reader;
  int64_t size = -1;  // bytes of the file as stored, when known
  // Bytes consumed so far from the stored file (compressed bytes for gzip), for progress.
  std::shared_ptr<std::atomic<int64_t>> bytes_read;
};

// Opens `uri` for streaming. Errors name the file; malformed input surfaces from the reader's
// ReadNext() as kCorruption / kInvalidArgument with the file name and what the parser found.
Result<OpenedInput> OpenBatchReader(std::string_view uri, const ReadFileOptions& options);

class BatchWriter {
 public:
  virtual ~BatchWriter() = default;
  virtual Status Write(const arrow::RecordBatch& batch) = 0;
  // Finishes and publishes the file. After a failed Close nothing is published.
  virtual Status Close() = 0;
};

// Opens a writer for `uri` ("-" is standard output, not atomic). The format comes from
// `format`, else from the extension; kInvalidArgument when neither says.
Result<std::unique_ptr<BatchWriter>> OpenBatchWriter(std::string_view uri,
                                                     std::shared_ptr<arrow::Schema> schema,
                                                     FileFormat format,
                                                     const WriteOptions& parquet_options);

// Writes batches as JSON lines: one object per row, keys in schema order; timestamps and
// dates as ISO-8601 strings, non-finite floats as null.
Status WriteJsonLines(const arrow::RecordBatch& batch, std::string* out);

// Replaces dictionary columns by their decoded values (for text outputs).
Result<std::shared_ptr<arrow::RecordBatch>> DecodeDictionaries(
    const std::shared_ptr<arrow::RecordBatch>& batch);

}  // namespace marketlake
