// Writing Parquet that is small and fast to read.
//
// WriteOptions exposes every writer setting Arrow C++ 26 offers. With market_defaults on
// (the default) columns no option names get the encodings measured best for market data
// (docs/parquet-defaults.md): DELTA_BINARY_PACKED for timestamps and integer ids,
// dictionary (with Arrow's fall-back to PLAIN) for everything else: symbols, sizes and
// prices, except that prices are PLAIN in files sorted by a string key such as symbol;
// explicit per-column options always win.
//
// Thread safety: ParquetWriter is used by one thread at a time (it may encode columns on
// Arrow's CPU pool internally).
#pragma once

#include <arrow/io/interfaces.h>
#include <arrow/record_batch.h>
#include <arrow/type_fwd.h>
#include <parquet/properties.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "marketlake/status.h"

namespace parquet::arrow {
class FileWriter;
}

namespace marketlake {

struct WriteOptions {
  // uncompressed | snappy | gzip | zstd | lz4_raw | brotli (lz4 is accepted for lz4_raw).
  std::string compression = "zstd";
  std::optional<int> compression_level;  // codec-specific; zstd 1..22, gzip 1..9 ...
  int page_version = 1;                  // data page v1 or v2
  // Rows per row group. 128 Ki rows: a reader decodes a row group at a time, so with a
  // merge over many files this bounds its memory (time verbs: 600 MB -> 170 MB on the bench
  // lake), and readers such as DuckDB work on row groups in parallel
  // (docs/parquet-defaults.md).
  int64_t row_group_size = 128 * 1024;
  int64_t page_size = 1024 * 1024;    // target bytes per data page
  int64_t max_rows_per_page = 20000;  // fine pages make the page index useful
  bool dictionary = true;             // default for columns not named elsewhere
  bool statistics = true;
  bool page_index = true;
  bool page_checksums = true;  // CRC32 per page, verified by marketlake's readers
  // column -> PLAIN | RLE_DICTIONARY (or DICTIONARY) | DELTA_BINARY_PACKED |
  // DELTA_LENGTH_BYTE_ARRAY | DELTA_BYTE_ARRAY | BYTE_STREAM_SPLIT
  std::map<std::string, std::string> encodings;
  std::vector<std::string> bloom_filter_columns;
  double bloom_filter_fpp = 0.01;
  // Declared sort order, recorded in the footer's sorting_columns (ascending, nulls first).
  // Writing does not sort; ConvertFile sorts first when asked.
  std::vector<std::string> sorting_columns;
  std::map<std::string, std::string> key_value_metadata;
  // Timestamps are written as nanoseconds (isAdjustedToUTC when the Arrow type has a time
  // zone); "us" coerces to microseconds for engines that need them (Spark, Athena).
  std::string timestamp_unit = "ns";
  bool market_defaults = true;
  bool use_threads = true;  // encode columns in parallel
};

// Parses "zstd" ... into Parquet's enum; kInvalidArgument naming the accepted values.
Result<arrow::Compression::type> ParseCompression(std::string_view name);
// Parses an encoding name (case-insensitive, as listed in WriteOptions::encodings).
Result<parquet::Encoding::type> ParseEncoding(std::string_view name);
// "COLUMN=ENCODING" from the command line into options.encodings.
Status ParseEncodingAssignment(std::string_view text, WriteOptions* options);

// Builds Parquet's writer properties for `schema`. Validates that every named column
// exists (kMissingColumn) and every encoding suits its column's type (kInvalidArgument,
// naming both).
Result<std::shared_ptr<parquet::WriterProperties>> BuildWriterProperties(
    const WriteOptions& options, const arrow::Schema& schema);
Result<std::shared_ptr<parquet::ArrowWriterProperties>> BuildArrowWriterProperties(
    const WriteOptions& options);

// Streams record batches into one Parquet file. Rows are buffered up to row_group_size and
// written as full row groups. Close() writes the footer; a writer destroyed without Close()
// leaves an incomplete file, so callers that publish use a temporary name (see table_io.h).
class ParquetWriter {
 public:
  static Result<std::unique_ptr<ParquetWriter>> Open(std::shared_ptr<arrow::Schema> schema,
                                                     std::shared_ptr<arrow::io::OutputStream> out,
                                                     const WriteOptions& options, std::string name);
  ~ParquetWriter();
  Status Write(const arrow::RecordBatch& batch);
  Status Close();

 private:
  ParquetWriter() = default;
  std::unique_ptr<parquet::arrow::FileWriter> writer_;
  std::shared_ptr<arrow::io::OutputStream> out_;
  std::string name_;
  bool closed_ = false;
};

}  // namespace marketlake
