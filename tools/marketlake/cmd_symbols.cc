// marketlake symbols DATASET --lake LAKE: the distinct symbols of a dataset.
#include <fmt/core.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include <arrow/api.h>

#include "command.h"
#include "lake_flags.h"
#include "marketlake/lake_read.h"

namespace marketlake::cli {
namespace {

struct Options {
  std::string dataset;
  std::string lake;
  int64_t version = -1;
  bool json = false;
};

Status Run(const Options& o) {
  ML_ASSIGN_OR_RETURN(auto lake, OpenLakeFlag(o.lake));
  ML_ASSIGN_OR_RETURN(auto ds, OpenExistingDataset(*lake, o.dataset));
  std::optional<int64_t> version;
  if (o.version >= 0) version = o.version;
  ML_ASSIGN_OR_RETURN(Snapshot snap, ds->GetSnapshot(version));
  // The log records each file's symbols when it has at most kMaxRecordedSymbols of them.
  bool complete = true;
  std::set<std::string> symbols;
  for (const auto& f : snap.files) {
    if (f.symbols.empty() && !f.min_symbol.empty()) complete = false;
    symbols.insert(f.symbols.begin(), f.symbols.end());
  }
  std::string source = "log";
  if (!complete) {
    source = "data";
    symbols.clear();
    LakeReadOptions options;
    options.version = snap.version;
    options.columns = {"symbol"};
    ML_ASSIGN_OR_RETURN(auto reader, LakeReader::Open(ds.get(), options));
    std::string last;
    bool any = false;
    while (true) {
      ML_ASSIGN_OR_RETURN(auto batch, reader->Next());
      if (!batch) break;
      const auto& col = static_cast<const arrow::StringArray&>(*batch->column(0));
      for (int64_t i = 0; i < col.length(); ++i) {
        if (col.IsNull(i)) continue;
        std::string_view s = col.GetView(i);
        if (any && s == last) continue;  // sorted by symbol
        last = std::string(s);
        any = true;
        symbols.insert(last);
      }
    }
  }
  if (o.json) {
    nlohmann::json j = {{"dataset", o.dataset},
                        {"version", snap.version},
                        {"count", symbols.size()},
                        {"source", source},
                        {"symbols", symbols}};
    fmt::print("{}\n", j.dump());
    return Status::OK();
  }
  for (const auto& s : symbols) fmt::print("{}\n", s);
  return Status::OK();
}

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("symbols", "List the distinct symbols of a lake dataset");
  cmd->add_option("DATASET", o->dataset, "Dataset name")->required();
  AddLakeFlag(cmd, &o->lake);
  cmd->add_option("--version", o->version, "At this version (default: the latest)");
  cmd->add_flag("--json", o->json, "One JSON object: dataset, version, count, source, symbols");
  cmd->footer(
      "From the symbols the log records per file; when a file has too many to record, the "
      "symbol column is read.\n"
      "Examples:\n"
      "  marketlake symbols trades --lake ./lake\n"
      "  marketlake symbols quotes --lake prod:lake --json");
  run = [o] { return Run(*o); };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
