// marketlake range DATASET --lake LAKE: first and last timestamp and row count per symbol.
#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <fmt/core.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "command.h"
#include "lake_flags.h"
#include "marketlake/lake_read.h"
#include "marketlake/timestamp.h"
#include "write_flags.h"

namespace marketlake::cli {
namespace {

struct Options {
  std::string dataset;
  std::string lake;
  std::vector<std::string> symbols;
  int64_t version = -1;
  bool json = false;
};

struct Span {
  std::string symbol;
  int64_t first = 0;
  int64_t last = 0;
  int64_t rows = 0;
};

nlohmann::json SpanJson(const Span& s, bool with_symbol) {
  nlohmann::json j;
  if (with_symbol) j["symbol"] = s.symbol;
  j["first"] = s.rows ? nlohmann::json(FormatTimestampNanos(s.first)) : nlohmann::json();
  j["last"] = s.rows ? nlohmann::json(FormatTimestampNanos(s.last)) : nlohmann::json();
  j["rows"] = s.rows;
  return j;
}

Status Run(const Options& o) {
  ML_ASSIGN_OR_RETURN(auto lake, OpenLakeFlag(o.lake));
  ML_ASSIGN_OR_RETURN(auto ds, OpenExistingDataset(*lake, o.dataset));
  LakeReadOptions options;
  for (const auto& item : o.symbols) {
    for (auto& s : SplitList(item)) options.symbols.push_back(std::move(s));
  }
  if (o.version >= 0) options.version = o.version;
  options.columns = {"symbol", "ts"};
  ML_ASSIGN_OR_RETURN(auto reader, LakeReader::Open(ds.get(), options));
  // Rows come sorted by (symbol, ts): the first and last of a symbol's run are its range.
  std::vector<Span> spans;
  Span total;
  while (true) {
    ML_ASSIGN_OR_RETURN(auto batch, reader->Next());
    if (!batch) break;
    const auto& sym = static_cast<const arrow::StringArray&>(*batch->column(0));
    ML_ASSIGN_OR_RETURN(
        auto ts_any,
        arrow::compute::Cast(*batch->column(1), arrow::timestamp(arrow::TimeUnit::NANO, "UTC")));
    const auto& ts = static_cast<const arrow::TimestampArray&>(*ts_any);
    for (int64_t i = 0; i < batch->num_rows(); ++i) {
      if (sym.IsNull(i) || ts.IsNull(i)) continue;
      std::string_view s = sym.GetView(i);
      const int64_t t = ts.Value(i);
      if (spans.empty() || spans.back().symbol != s) {
        spans.push_back(Span{std::string(s), t, t, 0});
      }
      Span& cur = spans.back();
      cur.last = t;
      ++cur.rows;
      total.first = total.rows ? std::min(total.first, t) : t;
      total.last = total.rows ? std::max(total.last, t) : t;
      ++total.rows;
    }
  }
  const int64_t version = reader->snapshot().version;
  if (o.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& s : spans) list.push_back(SpanJson(s, true));
    nlohmann::json j = {{"dataset", o.dataset},
                        {"version", version},
                        {"symbols", list},
                        {"total", SpanJson(total, false)}};
    fmt::print("{}\n", j.dump());
    return Status::OK();
  }
  size_t width = 7;  // "(total)"
  for (const auto& s : spans) width = std::max(width, s.symbol.size());
  auto line = [&](const std::string& name, const Span& s) {
    fmt::print("{:<{}}  {:<30}  {:<30}  {:>12}\n", name, width,
               s.rows ? FormatTimestampNanos(s.first) : "-",
               s.rows ? FormatTimestampNanos(s.last) : "-", s.rows);
  };
  fmt::print("{:<{}}  {:<30}  {:<30}  {:>12}\n", "symbol", width, "first", "last", "rows");
  for (const auto& s : spans) line(s.symbol, s);
  line("(total)", total);
  return Status::OK();
}

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "range", "First and last timestamp and rows of a lake dataset, per symbol and in total");
  cmd->add_option("DATASET", o->dataset, "Dataset name")->required();
  AddLakeFlag(cmd, &o->lake);
  cmd->add_option("--symbol", o->symbols, "Only these symbols (repeatable; also AAPL,MSFT)");
  cmd->add_option("--version", o->version, "At this version (default: the latest)");
  cmd->add_flag("--json", o->json,
                "One JSON object: dataset, version, symbols [{symbol, first, last, rows}], total");
  cmd->footer(
      "Exact values: the symbol and ts columns are read (timestamps in UTC).\n"
      "Examples:\n"
      "  marketlake range trades --lake ./lake\n"
      "  marketlake range trades --lake prod:lake --symbol AAPL --json");
  run = [o] { return Run(*o); };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
