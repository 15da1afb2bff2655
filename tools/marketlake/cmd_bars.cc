// marketlake bars: OHLCV bars from a lake's trades (or finer bars), streamed out or written
// back to the lake as bars_<interval>, replacing the partitions they cover.
//
// Reading is one LakeReader in (symbol, ts) order feeding a BarAggregator; after each batch
// the bars of the symbols the stream has left are handed out (TakeSymbolsBefore), so memory
// is about one symbol's bars whatever the range. --write recomputes whole partitions of the
// target dataset, each from exactly the source rows its bars cover, and publishes each with
// Dataset::ReplacePartitions: re-running after late ticks replaces the bars, never adds to
// them.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "command.h"
#include "lake_flags.h"
#include "marketlake/bars.h"
#include "marketlake/lake.h"
#include "marketlake/lake_read.h"
#include "marketlake/schema.h"
#include "marketlake/sessions.h"
#include "marketlake/timestamp.h"
#include "ordered_output.h"
#include "progress.h"
#include "time_verbs.h"

namespace marketlake::cli {
namespace {

struct Options {
  SelectionFlags sel;
  OutputFlags out;
  std::string from_dataset = "trades";
  std::string interval = "1m";
  bool fill = false;
  bool write = false;
  std::string dataset;  // --write target; default bars_<interval>
  bool json = false;
  std::string columns;  // output projection
};

// What the aggregation needs, resolved from the flags.
struct Plan {
  BarOptions bars;
  BarAggregator::Input input = BarAggregator::Input::kTrades;
  std::vector<std::string> columns;  // projection of the source
  std::optional<TradingCalendar> calendar;
  std::string session_name;  // as recorded: regular | extended | pre | after | all | none
  bool daily = false;
  int64_t interval_ns = 0;
};

Result<Plan> MakePlan(const Options& o, const arrow::Schema& source) {
  Plan p;
  p.bars.interval = o.interval;
  p.bars.fill = o.fill;
  ML_ASSIGN_OR_RETURN(p.interval_ns, ParseBarInterval(o.interval));
  if (p.interval_ns <= 0) {
    return Error(ErrorCode::kInvalidArgument, "--interval: must be positive");
  }
  p.daily = p.interval_ns >= kNsPerDay;
  std::string session = o.sel.session;
  if (session.empty()) session = p.daily ? "regular" : "all";
  SessionMask mask = kAllSessions;
  if (session == "regular") {
    mask = kRegularOnly;
  } else if (session == "extended") {
    mask = kExtendedHours;
  } else if (session == "pre") {
    mask = SessionBit(Session::kPreMarket);
  } else if (session == "after") {
    mask = SessionBit(Session::kAfterHours);
  } else if (session != "all") {
    return Error(
        ErrorCode::kInvalidArgument,
        fmt::format("--session: '{}' (expected regular, extended, pre, after or all)", session));
  }
  p.session_name = session;
  if (!o.sel.calendar.empty()) {
    ML_ASSIGN_OR_RETURN(auto cal, LoadCalendarFile(o.sel.calendar));
    p.calendar = std::move(cal);
  } else if (p.daily || session != "all") {
    p.calendar = UsEquitiesCalendar();
  }
  if (p.daily || session != "all") {
    p.bars.calendar = &*p.calendar;
    p.bars.sessions = mask;
  }
  const bool has_price = source.GetFieldIndex("price") >= 0;
  const bool has_open = source.GetFieldIndex("open") >= 0;
  if (!has_price && has_open) {
    p.input = BarAggregator::Input::kBars;
    for (const char* c :
         {"symbol", "ts", "open", "high", "low", "close", "volume", "trade_count", "notional"}) {
      if (source.GetFieldIndex(c) >= 0) p.columns.emplace_back(c);
    }
    if (source.GetFieldIndex("notional") < 0) p.columns.emplace_back("vwap");
  } else {
    p.columns = {"symbol", "ts", "price", "size"};
  }
  for (const auto& c : p.columns) {
    if (source.GetFieldIndex(c) < 0) {
      return Error(
          ErrorCode::kMissingColumn,
          fmt::format("--from-dataset {}: no column '{}' (bars need {})", o.from_dataset, c,
                      p.input == BarAggregator::Input::kBars
                          ? "symbol, ts, open, high, low, close, volume, vwap"
                          : "symbol, ts, price, size"));
    }
  }
  return p;
}

// Streams the source rows selected by `read` through an aggregator; `sink` gets the bars in
// (symbol, ts) order. Returns the rows read.
template <typename Sink>
Result<int64_t> Aggregate(Dataset* source, LakeReadOptions read, const Plan& plan, Sink sink,
                          Progress* progress, int64_t rows_before) {
  read.columns = plan.columns;
  read.prefetch = true;                   // decode the next batches while this one is aggregated
  read.coalesce = false;                  // the merge's runs as they are, not copied together
  read.decode_threads = DecodeThreads();  // files decode in parallel
  ML_ASSIGN_OR_RETURN(auto reader, LakeReader::Open(source, read));
  ML_ASSIGN_OR_RETURN(auto agg, BarAggregator::Make(plan.bars, plan.input));
  int64_t rows = 0;
  while (true) {
    ML_ASSIGN_OR_RETURN(auto batch, reader->Next());
    if (batch == nullptr) break;
    rows += batch->num_rows();
    ML_RETURN_NOT_OK(agg->Consume(*batch));
    ML_ASSIGN_OR_RETURN(auto done, agg->TakeSymbolsBefore(LastSymbol(*batch)));
    if (done->num_rows() > 0) ML_RETURN_NOT_OK(sink(done));
    if (progress) progress->Update(rows_before + rows, -1);
  }
  ML_ASSIGN_OR_RETURN(auto rest, agg->Finish());
  ML_RETURN_NOT_OK(sink(rest));
  return rows;
}

// ---------------------------------------------------------------------------------------------
// --write

// The source rows whose bars start in [start, end): exactly, so a partition's bars depend
// on nothing outside it (fills included).
std::pair<int64_t, int64_t> SourceSpan(const Plan& plan, int64_t start, int64_t end) {
  if (!plan.daily) return {CeilTo(start, plan.interval_ns), CeilTo(end, plan.interval_ns)};
  // Daily bars start at local midnight: the first local midnight at or after each bound.
  auto midnight_at_or_after = [&](int64_t t) {
    const auto d = static_cast<int32_t>(FloorDiv(t, kNsPerDay));
    for (int32_t k = d - 1; k <= d + 2; ++k) {
      int64_t m = plan.calendar->LocalToUtcNanos(k, 0);
      if (m >= t) return m;
    }
    return t;
  };
  return {midnight_at_or_after(start), midnight_at_or_after(end)};
}

Status Write(const Options& o, Lake& lake, Dataset* source, const Selection& sel,
             const Plan& plan) {
  const std::string name = o.dataset.empty() ? "bars_" + o.interval : o.dataset;
  std::map<std::string, std::string> params = {{"interval", o.interval},
                                               {"session", plan.session_name},
                                               {"fill", o.fill ? "true" : "false"}};
  if (!o.sel.calendar.empty()) params["calendar"] = o.sel.calendar;
  ML_ASSIGN_OR_RETURN(DerivedWrite w,
                      PrepareDerivedWrite(lake, *source, o.from_dataset, name, sel, params,
                                          {"interval", "session", "fill", "from_dataset"}));
  const Snapshot& src = w.source;
  auto& target = w.target;
  const AppendOptions& append = w.append;
  // Bars start at bar boundaries: a partition holding `lo` may start before it.
  Progress progress("bars", -1);
  nlohmann::json report = nlohmann::json::array();
  int64_t rows_read = 0, bars_written = 0;
  for (const auto& part : w.partitions) {
    auto [from, to] = SourceSpan(plan, part.start, part.end);
    std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
    int64_t bars = 0;
    LakeReadOptions read;
    read.version = src.version;
    read.from_ns = from;
    read.to_ns = to;
    auto sink = [&](const std::shared_ptr<arrow::Table>& t) -> Status {
      if (t->num_rows() == 0) return Status::OK();
      ML_ASSIGN_OR_RETURN(auto b, t->CombineChunksToBatch());
      bars += b->num_rows();
      batches.push_back(std::move(b));
      return Status::OK();
    };
    int64_t rows = 0;
    if (from < to) {
      ML_ASSIGN_OR_RETURN(rows, Aggregate(source, read, plan, sink, &progress, rows_read));
    }
    rows_read += rows;
    ML_ASSIGN_OR_RETURN(auto r, target->ReplacePartitions({part.values}, batches, append));
    bars_written += bars;
    ML_ASSIGN_OR_RETURN(std::string dir, PartitionDir(part.values));
    report.push_back({{"partition", dir},
                      {"source_rows", rows},
                      {"bars", bars},
                      {"version", r.version},
                      {"files_added", r.added.size()},
                      {"files_removed", r.removed.size()}});
  }
  progress.Finish();
  if (o.json) {
    nlohmann::json out = {{"dataset", name},
                          {"from_dataset", o.from_dataset},
                          {"source_version", src.version},
                          {"interval", o.interval},
                          {"session", plan.session_name},
                          {"fill", o.fill},
                          {"source_rows", rows_read},
                          {"bars", bars_written},
                          {"partitions", report}};
    fmt::print("{}\n", out.dump());
  } else {
    for (const auto& p : report) {
      fmt::print("{} {}: {} bars from {} rows (version {}, {} files replaced)\n", name,
                 p["partition"].get<std::string>(), p["bars"].get<int64_t>(),
                 p["source_rows"].get<int64_t>(), p["version"].get<int64_t>(),
                 p["files_removed"].get<size_t>());
    }
  }
  return Status::OK();
}

Status Run(const Options& o) {
  SelectionFlags sel_flags = o.sel;
  sel_flags.session.clear();  // bars apply sessions themselves (daily bars need the days)
  sel_flags.calendar.clear();
  ML_ASSIGN_OR_RETURN(Selection sel, ParseSelection(sel_flags));
  ML_ASSIGN_OR_RETURN(auto lake, OpenLakeFlag(o.sel.lake));
  ML_ASSIGN_OR_RETURN(auto source, OpenExistingDataset(*lake, o.from_dataset));
  LakeReadOptions probe;
  ML_ASSIGN_OR_RETURN(auto probe_reader, LakeReader::Open(source.get(), probe));
  ML_ASSIGN_OR_RETURN(Plan plan, MakePlan(o, *probe_reader->schema()));
  probe_reader.reset();
  if (o.write) {
    if (!o.columns.empty()) {
      return Error(ErrorCode::kInvalidArgument,
                   "--columns: not with --write (a derived dataset keeps every column)");
    }
    return Write(o, *lake, source.get(), sel, plan);
  }

  OutputFlags out_flags = o.out;
  if (o.json && out_flags.format.empty()) out_flags.format = "jsonl";
  LakeReadOptions read;
  ApplySelection(sel, &read);
  std::unique_ptr<BatchWriter> writer;
  std::vector<int> keep;
  {
    // --columns is checked against the output's columns (an empty aggregation's) up front.
    ML_ASSIGN_OR_RETURN(auto empty, BarAggregator::Make(plan.bars, plan.input));
    ML_ASSIGN_OR_RETURN(auto none, empty->Finish());
    ML_ASSIGN_OR_RETURN(keep, OutputProjection(o.columns, *none->schema()));
  }
  Progress progress("bars", -1);
  auto sink = [&](const std::shared_ptr<arrow::Table>& all) -> Status {
    ML_ASSIGN_OR_RETURN(auto t, all->SelectColumns(keep));
    if (!writer) {
      ML_ASSIGN_OR_RETURN(writer, OpenOrderedOutput(out_flags, t->schema(), sel.tz));
    }
    arrow::TableBatchReader batches(*t);
    std::shared_ptr<arrow::RecordBatch> b;
    while (true) {
      ML_RETURN_NOT_OK(batches.ReadNext(&b));
      if (!b) break;
      ML_RETURN_NOT_OK(writer->Write(*b));
    }
    return Status::OK();
  };
  ML_RETURN_NOT_OK(Aggregate(source.get(), read, plan, sink, &progress, 0).status());
  progress.Finish();
  return writer->Close();
}

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "bars", "OHLCV bars (open, high, low, close, volume, trade_count, vwap) from a lake");
  AddSelectionFlags(cmd, &o->sel);
  AddOutputFlags(cmd, &o->out);
  cmd->add_option("--from-dataset", o->from_dataset,
                  "Source dataset: trades (default), or bars of a finer interval (bars_1s ...)");
  cmd->add_option("--interval", o->interval,
                  "Bar width: <n>s, <n>m, <n>h (aligned to the epoch, UTC) or 1d (trading days "
                  "of the calendar, local midnight)")
      ->required();
  cmd->add_flag("--fill", o->fill,
                "Emit empty intervals (previous close, volume 0) between a symbol's first and "
                "last bar (with --write: within each partition)");
  cmd->add_flag("--write", o->write,
                "Write to the lake instead of printing: replaces the bars of every partition "
                "the range touches, recomputed from all their source rows");
  cmd->add_option("--dataset", o->dataset, "Dataset --write writes (default: bars_<interval>)");
  cmd->add_flag("--json", o->json,
                "With --write: a JSON summary; otherwise JSON lines (as --format jsonl)");
  cmd->add_option("--columns", o->columns,
                  "Output columns, in this order (default all: symbol, ts, open, high, low, "
                  "close, volume, trade_count, vwap, notional)");
  cmd->footer(
      "Sessions: intraday bars count every row unless --session is given; daily bars count\n"
      "the regular session by default (--session extended: 04:00-20:00; all: the whole day).\n"
      "Examples:\n"
      "  marketlake bars --lake ./lake --interval 1m --symbol AAPL --from 2024-03-11 --to "
      "2024-03-12 --tz America/New_York\n"
      "  marketlake bars --lake ./lake --interval 1d --session extended --format csv\n"
      "  marketlake bars --lake ./lake --interval 1s --write              # -> bars_1s\n"
      "  marketlake bars --lake ./lake --from-dataset bars_1s --interval 1m --write --json\n"
      "  marketlake bars --lake ./lake --interval 5m --session regular --fill --out bars.parquet\n"
      "  marketlake bars --lake ./lake --interval 1m --columns symbol,ts,close,volume --format "
      "csv");
  run = [o] { return Run(*o); };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
