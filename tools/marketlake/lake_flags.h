// Flags shared by the verbs that work on a lake (import, read, symbols, range, partitions,
// rm-partition, stats, compact, bars, sample-quotes, asof): one spelling and one meaning
// everywhere.
//
//   --lake LAKE          the lake root (any place filesystem.h names); default: the config
//                        file's default_lake; neither: kInvalidArgument saying so
//   --symbol S           repeatable; also "--symbol AAPL,MSFT"
//   --from T / --to T    from inclusive, to exclusive: ISO-8601 with an offset or Z, or a
//                        naive date/time read in --tz (default UTC), or a date (midnight)
//   --session S          regular | extended (04:00-20:00) | pre | after | all, US equities
//                        calendar (or --calendar FILE)
//   --format F           table (aligned text, default on a terminal) | csv | jsonl | parquet
//   --out FILE           write there instead of standard output (atomic)
//   --tz ZONE            input zone for naive --from/--to and output zone for timestamps in
//                        text formats (storage stays UTC)
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "marketlake/lake.h"
#include "marketlake/lake_read.h"
#include "marketlake/sessions.h"
#include "marketlake/status.h"
#include "marketlake/table_io.h"

namespace marketlake::cli {

struct SelectionFlags {
  std::string lake;
  std::vector<std::string> symbols;
  std::string from;
  std::string to;
  std::string session;   // empty: no session filter
  std::string calendar;  // calendar file; empty: the built-in US equities calendar
  std::string tz = "UTC";
};

struct OutputFlags {
  std::string format;  // empty: table on a terminal, csv otherwise
  std::string out;     // empty or "-": standard output
};

void AddLakeFlag(CLI::App* cmd, std::string* lake);
// --lake, --symbol, --from, --to, --session, --calendar, --tz.
void AddSelectionFlags(CLI::App* cmd, SelectionFlags* flags);
// --format, --out.
void AddOutputFlags(CLI::App* cmd, OutputFlags* flags);

// Opens the lake named by --lake or the config's default_lake.
Result<std::unique_ptr<Lake>> OpenLakeFlag(const std::string& lake);

// Opens a dataset that has at least one commit: kNotFound naming the lake and the datasets
// it has otherwise (Lake::OpenDataset alone opens an empty dataset for any valid name).
Result<std::unique_ptr<Dataset>> OpenExistingDataset(Lake& lake, const std::string& name);

// Partition values from "key=value" items, each of which may hold several separated by '/'
// ("year=2024/month=03"), in the order given; kInvalidArgument for a malformed item.
Result<PartitionValues> ParsePartitionValues(const std::vector<std::string>& items);
// "year=2024/month=03", or "(all)" for none.
std::string PartitionText(const PartitionValues& values);

// A parsed selection. `calendar` is owned here so LakeReadOptions can point to it.
struct Selection {
  std::vector<std::string> symbols;
  std::optional<int64_t> from_ns;
  std::optional<int64_t> to_ns;
  std::optional<TradingCalendar> calendar;  // set when --session is given
  SessionMask sessions = kAllSessions;
  std::string tz;
};
Result<Selection> ParseSelection(const SelectionFlags& flags);
// Fills symbols, from/to and the session filter of `options` from `selection`.
void ApplySelection(const Selection& selection, LakeReadOptions* options);

// A writer for the output flags; text formats show timestamps in `tz`.
Result<std::unique_ptr<BatchWriter>> OpenOutput(const OutputFlags& flags,
                                                std::shared_ptr<arrow::Schema> schema,
                                                const std::string& tz = "UTC");

// A size flag's value: "128MiB", "64MB" (10^6), "1GiB", "512k" (KiB), or bytes.
// kInvalidArgument naming `flag` otherwise.
Result<int64_t> ParseByteSize(const std::string& text, std::string_view flag);

}  // namespace marketlake::cli
