// Every path of a lake is built and parsed here, and nowhere else (leveldb filename.h).
//
//   LAKE/{raw,cleaned,features}/DATASET/KEY=VALUE/.../<version>-<uuid>.parquet   data files
//   LAKE/_marketlake/DATASET/_log/<version>.json                                  commit log
//   LAKE/_marketlake/stats/DATASET/<sequence>.json                                import stats
//   LAKE/_marketlake/rejects/DATASET/<import id>/<source>.rejects.csv             rejected rows
//
// <version> and <sequence> are 20 decimal digits, zero-padded (so names sort by number);
// <uuid> is 32 lowercase hex digits. All paths are '/'-separated and relative to the lake
// root. docs/format/lake.md describes the format.
//
// Names: datasets and partition keys are [a-z][a-z0-9_]* of at most 64 characters; "stats"
// and "rejects" are reserved (they name metadata directories).
// Partition values are percent-encoded so that no value can name another place:
//   - empty values, values containing NUL and values that are not valid UTF-8 are rejected
//     (kInvalidArgument), as are values longer than 256 bytes;
//   - bytes outside [A-Za-z0-9_.-] are written as %XX (uppercase hex), and so is a '.' in
//     the first position (so "." and ".." can never appear as a path segment);
//   - decoding accepts only the canonical encoding (what EncodePartitionValue produces);
//     anything else is kCorruption.
// So '/', '\\', '=', '%', spaces, control characters and every non-ASCII byte are encoded,
// and "BRK.B" stays "BRK.B". Arrow, DuckDB and Spark decode %XX in Hive segments.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "marketlake/status.h"

namespace marketlake {

enum class Layer { kRaw, kCleaned, kFeatures };

// "raw", "cleaned", "features".
std::string_view LayerName(Layer layer);
// Accepts the names above ("processed" for cleaned, "analytics" for features);
// kInvalidArgument otherwise.
Result<Layer> ParseLayer(std::string_view name);

// Decoded partition values in partitioning order, e.g. {{"year","2024"},{"month","03"}}.
using PartitionValues = std::vector<std::pair<std::string, std::string>>;

// kInvalidArgument unless `name` is a valid dataset name.
Status ValidateDatasetName(std::string_view name);
// kInvalidArgument unless `key` is a valid partition key.
Status ValidatePartitionKey(std::string_view key);

// kInvalidArgument for the rejected values listed above.
Result<std::string> EncodePartitionValue(std::string_view value);
// kCorruption (naming the segment) unless `encoded` is a canonical encoding.
Result<std::string> DecodePartitionValue(std::string_view encoded);

// "year=2024/month=03" (no leading or trailing '/'; "" for no partition values).
Result<std::string> PartitionDir(const PartitionValues& values);

// A fresh data file name for a commit intending `version`: "<version>-<uuid>.parquet".
std::string NewDataFileName(int64_t version);

// LAYER/DATASET/PARTITIONS/NAME.
Result<std::string> DataFilePath(Layer layer, std::string_view dataset,
                                 const PartitionValues& values, std::string_view file_name);
// LAYER/DATASET (the directory holding a dataset's data files).
Result<std::string> DatasetDataDir(Layer layer, std::string_view dataset);

struct ParsedDataPath {
  Layer layer = Layer::kRaw;
  std::string dataset;
  PartitionValues partition;
  int64_t version = 0;  // the version the writer intended (the log is authoritative)
  std::string file_name;
};
// kCorruption naming `path` when it is not a data file path of this layout.
Result<ParsedDataPath> ParseDataFilePath(std::string_view path);

// _marketlake/DATASET/_log and _marketlake/DATASET/_log/<version>.json.
Result<std::string> LogDir(std::string_view dataset);
Result<std::string> LogEntryPath(std::string_view dataset, int64_t version);
// _marketlake/stats/DATASET and _marketlake/stats/DATASET/<sequence>.json.
Result<std::string> StatsDir(std::string_view dataset);
Result<std::string> StatsEntryPath(std::string_view dataset, int64_t sequence);
// _marketlake/rejects/DATASET/<import id>/<encoded source name>.rejects.csv: the rows an
// import rejected from one source (import id and source name are percent-encoded).
Result<std::string> RejectsFilePath(std::string_view dataset, std::string_view import_id,
                                    std::string_view source_name);
// The version in a log (or stats) entry's file name "<20 digits>.json"; kCorruption
// naming it otherwise.
Result<int64_t> ParseLogEntryName(std::string_view file_name);
// The directory holding every dataset's metadata: "_marketlake".
std::string_view MetadataDir();

}  // namespace marketlake
