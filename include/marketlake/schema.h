// marketlake's data model: the canonical schema of every dataset, the normalisation of
// vendor files into it, validation (STRICT / COERCE / IGNORE) with quality rules, custom
// dataset schema files, schema evolution checks and dataset detection.
//
// Canonical conventions (docs/schemas.md says why):
//   - every dataset has a time column `ts`: timestamp[ns, tz=UTC] (bars: bar start);
//   - `symbol` is utf8 (Parquet dictionary-encodes it on disk either way);
//   - prices are float64 dollars, sizes and counts int64;
//   - optional columns are always present in normalised output, null when the input lacks them.
//
// Thread safety: DatasetSpec values are immutable after construction and may be shared.
// Normalize, CheckCompatibility and DetectDataset are pure functions, safe to call
// concurrently. DatasetRegistry is internally synchronised.
#pragma once

#include <arrow/record_batch.h>
#include <arrow/type_fwd.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "marketlake/status.h"

namespace marketlake {

// ---------------------------------------------------------------------------------------------
// Dataset specifications

// The logical type of a column. Each maps to exactly one Arrow type (ArrowTypeOf).
enum class ColumnType {
  kString,      // utf8
  kInt32,       // int32
  kInt64,       // int64
  kFloat32,     // float
  kFloat64,     // double
  kBool,        // bool
  kTimestamp,   // timestamp[ns, tz=UTC]
  kStringList,  // list<item: utf8>
};

std::shared_ptr<arrow::DataType> ArrowTypeOf(ColumnType type);
// "string", "int64", ... as written in schema files and docs.
std::string_view ColumnTypeName(ColumnType type);

struct ColumnSpec {
  std::string name;  // canonical name
  ColumnType type = ColumnType::kString;
  bool nullable = true;              // false: a null value violates rule not_null
  bool required = false;             // true: the column must be present in the input
  std::vector<std::string> aliases;  // other accepted names (matching ignores case and _ - space)
};

// Quality rules. Per-row rules name one column; the cross-column rules use fixed columns.
enum class RuleKind {
  kPositive,         // column > 0
  kNonNegative,      // column >= 0
  kRange,            // min <= column <= max
  kNotNull,          // column is not null
  kHighGeOpenClose,  // high >= max(open, close)
  kLowLeOpenClose,   // low <= min(open, close)
  kBidLeAsk,         // bid <= ask
};

struct RuleSpec {
  RuleKind kind = RuleKind::kPositive;
  std::string column;  // the column the violation is reported against
  double min = 0;      // kRange only
  double max = 0;      // kRange only
};

// The name used in counts, rejects (`_reject_rule`) and messages: "positive", "non_negative",
// "range", "not_null", "high_ge_open_close", "low_le_open_close", "bid_le_ask".
std::string_view RuleName(RuleKind kind);

// Rules that are not RuleSpecs but are counted and reported the same way.
inline constexpr std::string_view kRuleType = "type";  // value not convertible to the type
inline constexpr std::string_view kRuleTimestamp = "timestamp";   // unparseable time value
inline constexpr std::string_view kRuleEpochUnit = "epoch_unit";  // epoch magnitude mismatch
inline constexpr std::string_view kRuleNonexistentTime = "nonexistent_time";  // DST gap
inline constexpr std::string_view kRuleAmbiguousTime = "ambiguous_time";  // DST overlap, kReject
inline constexpr std::string_view kRuleUniqueKey = "unique_key";          // duplicate key in batch

struct DatasetSpec {
  std::string name;      // "trades", "quotes", "bars", "news", ... or a custom name
  std::string interval;  // bars only: "1s", "1m", "5m", "1h", "1d", ...; else empty
  std::vector<ColumnSpec> columns;
  std::vector<std::string> key;  // key columns; optional ones compare null == null
  std::string time_column = "ts";
  std::vector<RuleSpec> rules;
  // Groups of columns of which at least one must be present (quotes: price or bid/ask).
  std::vector<std::vector<std::string>> require_any;

  // The canonical Arrow schema, in column order. Bars carry metadata
  // marketlake.interval=<interval>; every schema carries marketlake.dataset=<name>.
  std::shared_ptr<arrow::Schema> ArrowSchema() const;
  // The column with this canonical name, or nullptr.
  const ColumnSpec* FindColumn(std::string_view name) const;
  // Checks internal consistency (unique names and aliases, key/time/rule columns exist, time
  // column is a timestamp). kInvalidArgument naming the problem.
  Status Validate() const;
};

// Built-in datasets. Bars take an interval: <n><unit> with unit s, m, h, d or w
// ("1s", "1m", "5m", "1h", "1d"); anything else is kInvalidArgument.
const DatasetSpec& TradesSpec();
const DatasetSpec& QuotesSpec();
Result<DatasetSpec> BarsSpec(std::string_view interval);
const DatasetSpec& NewsSpec();
const DatasetSpec& PriceVolatilitySpec();
const DatasetSpec& MomentumIndicatorsSpec();
const DatasetSpec& VolumeProfileSpec();

// Parses a bar interval into nanoseconds ("5m" -> 300e9). kInvalidArgument otherwise.
Result<int64_t> ParseBarInterval(std::string_view interval);

// Name -> spec. Knows the built-ins ("trades", "quotes", "bars" (1m), "bars_<interval>" and
// "ohlcv" (1d), "news", "price_volatility", "momentum_indicators", "volume_profile") and
// custom datasets registered from schema files. Thread-safe.
class DatasetRegistry {
 public:
  DatasetRegistry();  // with the built-ins

  // Registers a custom dataset. kAlreadyExists if the name is taken (built-ins included),
  // kInvalidArgument if the spec is inconsistent.
  Status Register(DatasetSpec spec);
  // Parses a schema file (see ParseDatasetSpec) and registers it.
  Status RegisterFile(const std::string& path);
  // kNotFound naming the known datasets when the name is unknown.
  Result<DatasetSpec> Find(std::string_view name) const;
  std::vector<std::string> Names() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, DatasetSpec, std::less<>> custom_;
};

// Custom dataset schema files (YAML; JSON is accepted as YAML's flow syntax):
//
//   name: fx_rates            # [a-z][a-z0-9_]*, at most 64 chars
//   time_column: ts           # default "ts"
//   key: [pair, ts]
//   columns:
//     - {name: pair, type: string, nullable: false, aliases: [ccy_pair]}
//     - {name: ts, type: timestamp, nullable: false}
//     - {name: rate, type: float64}
//   rules:
//     - {rule: positive, column: rate}
//     - {rule: range, column: rate, min: 0, max: 1000}
//
// Column types: string, int32, int64, float32, float64, bool, timestamp, list<string>.
// Columns are required in input when nullable is false (override with `required`).
// Rules: positive, non_negative, range (min, max), not_null. Unknown keys are errors.
// Bounded: at most 1 MiB of text, 512 columns, 64 aliases per column, 256 rules.
// Errors are kInvalidArgument: "<source>:<line>: <key path>: <problem>".
Result<DatasetSpec> ParseDatasetSpec(std::string_view text, std::string_view source_name);
// Reads and parses a file; kNotFound / kIOError when unreadable.
Result<DatasetSpec> LoadDatasetSpecFile(const std::string& path);

// ---------------------------------------------------------------------------------------------
// Normalisation and validation

enum class ValidationMode {
  // Fails on the first violation (lowest row; within a row, the first check in the order
  // documented in docs/schemas.md) with kDataType naming source, column, row and value.
  kStrict,
  // Converts what it can; rows that cannot be converted or violate a rule go to rejects.
  kCoerce,
  // Keeps rows that violate quality rules (counted); rows that cannot be represented in the
  // canonical schema (unconvertible or null required values) still go to rejects.
  kIgnore,
};

// Unit of integer / floating epoch time values.
enum class EpochUnit {
  // By magnitude of the first non-null, non-zero value: |v| < 1e11 s, < 1e14 ms, < 1e17 us,
  // else ns. Every other value must fall in the same band, else it violates epoch_unit.
  kAuto,
  kSeconds,
  kMillis,
  kMicros,
  kNanos,
};

// What a local time that occurs twice (DST fall-back) resolves to.
enum class AmbiguousTime {
  kEarliest,  // the first occurrence (the pre-transition, daylight-time offset)
  kLatest,    // the second occurrence
  kReject,    // violation ambiguous_time
};

struct NormalizeOptions {
  ValidationMode mode = ValidationMode::kStrict;
  std::string source_name;  // file or object name for messages; "<input>" when empty
  int64_t row_offset = 0;   // row number of the batch's first row within the source
  // IANA zone that naive times (no offset, no tz) and dates are read in. Never guessed.
  std::string tz = "UTC";
  EpochUnit epoch_unit = EpochUnit::kAuto;
  AmbiguousTime ambiguous = AmbiguousTime::kEarliest;
  arrow::MemoryPool* pool = nullptr;  // nullptr: the default pool
  // Check rule unique_key within the batch. Import turns it off: it skips duplicate keys
  // across all its input and the lake instead (ingest.h), counting them, not rejecting.
  bool check_unique_key = true;
};

struct RuleCount {
  std::string rule;    // RuleName or one of the kRule* constants
  std::string column;  // canonical column (unique_key: the key columns joined by ',')
  int64_t rows = 0;    // rows violating it
};

struct NormalizeStats {
  int64_t rows_in = 0;
  int64_t rows_out = 0;
  int64_t rows_rejected = 0;
  int64_t ambiguous_times = 0;        // resolved by AmbiguousTime::kEarliest / kLatest
  std::vector<RuleCount> violations;  // only rules with rows > 0, in check order
  std::vector<std::pair<std::string, std::string>> renamed;  // input name -> canonical
  std::vector<std::string> dropped_columns;                  // input columns not in the dataset
  std::vector<std::string> missing_optional;                 // canonical columns filled with nulls
  std::map<std::string, EpochUnit> epoch_units;              // time columns read as epoch numbers

  // Rows violating `rule` (on `column`, or summed over all columns when empty).
  int64_t Count(std::string_view rule, std::string_view column = {}) const;
};

struct NormalizedBatch {
  std::shared_ptr<arrow::RecordBatch> batch;  // canonical schema (spec.ArrowSchema())
  // One row per rejected input row: every input column (original name) as utf8 holding the
  // original value (null stays null), then _reject_rule (utf8), _reject_column (utf8, the
  // input column name), _reject_row (int64, row_offset + index). Never null; may be empty.
  std::shared_ptr<arrow::RecordBatch> rejects;
  NormalizeStats stats;
};

// Maps input columns to the dataset's canonical columns by name and alias, converts types and
// time values, checks quality rules and applies the validation mode.
//
// Failure (any mode): kMissingColumn when a required column is absent (message names the
// column, its aliases and the columns found); kSchemaMismatch when two input columns map to
// one canonical column; kDataType when a column's type cannot be converted at all;
// kInvalidArgument for a bad option (unknown tz). STRICT: kDataType for the first violation.
// `in` is not modified; output arrays may share its buffers.
Result<NormalizedBatch> Normalize(const DatasetSpec& spec,
                                  const std::shared_ptr<arrow::RecordBatch>& in,
                                  const NormalizeOptions& options);

// ---------------------------------------------------------------------------------------------
// Schema evolution

struct CompatibilityReport {
  std::vector<std::string> added;    // new nullable columns in incoming
  std::vector<std::string> dropped;  // nullable columns of existing absent from incoming
  std::vector<std::string> widened;  // "col: int32 -> int64"
  bool identical() const { return added.empty() && dropped.empty() && widened.empty(); }
};

// Whether files written with `incoming` can join a dataset whose files have `existing`, i.e.
// every existing value is readable, losslessly, as the incoming type. Accepted: equal types,
// new nullable columns, dropped nullable columns, integer widening (int8 -> int16 -> int32 ->
// int64, unsigned into a wider signed), int8/16/32 -> float64, float32 -> float64, timestamp
// to a finer unit with the same zone (s -> ms -> us -> ns), utf8 <-> large_utf8 <->
// dictionary<utf8>, nullable becoming more permissive. Anything else: kSchemaMismatch naming
// each offending column and why.
Result<CompatibilityReport> CheckCompatibility(const arrow::Schema& existing,
                                               const arrow::Schema& incoming);

// ---------------------------------------------------------------------------------------------
// Dataset detection

struct DetectedDataset {
  std::string dataset;   // "trades", "quotes", "bars", "news"
  std::string interval;  // bars: from a path segment ("1m", "daily" -> "1d"), else empty
  std::string reason;    // human-readable: which columns or path segment decided
};

// Detects the dataset of a file from its column names and path. Strong column evidence wins
// (headline -> news; open/high/low/close -> bars; bid or ask -> quotes); price + size/volume
// alone is trades unless the path says quotes. Path segments: trades, ticks -> trades;
// quotes -> quotes; ohlcv, bars, candles -> bars; news -> news. kSchemaMismatch when
// neither decides.
Result<DetectedDataset> DetectDataset(const std::vector<std::string>& column_names,
                                      std::string_view path);

}  // namespace marketlake
