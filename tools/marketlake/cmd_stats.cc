// marketlake stats --lake LAKE [--dataset D]: import statistics and size per dataset.
#include <fmt/core.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "command.h"
#include "lake_flags.h"
#include "marketlake/lake.h"

namespace marketlake::cli {
namespace {

struct Options {
  std::string lake;
  std::string dataset;
  bool json = false;
};

Status Run(const Options& o) {
  ML_ASSIGN_OR_RETURN(auto lake, OpenLakeFlag(o.lake));
  std::vector<std::string> names;
  // Datasets with commits, and those whose imports all failed (records, no commit).
  ML_ASSIGN_OR_RETURN(names, lake->ListDatasets());
  ML_ASSIGN_OR_RETURN(auto imported, lake->ListImportedDatasets());
  names.insert(names.end(), imported.begin(), imported.end());
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (!o.dataset.empty()) {
    if (std::find(names.begin(), names.end(), o.dataset) == names.end()) {
      ML_RETURN_NOT_OK(OpenExistingDataset(*lake, o.dataset).status());
    }
    names = {o.dataset};
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& name : names) {
    ML_ASSIGN_OR_RETURN(auto ds, lake->OpenDataset(name));
    ML_ASSIGN_OR_RETURN(Snapshot snap, ds->GetSnapshot());
    ML_ASSIGN_OR_RETURN(ImportSummary imports, lake->ReadImports(name));
    int64_t bytes = 0;
    for (const auto& f : snap.files) bytes += f.bytes;
    nlohmann::json j = {{"dataset", name},
                        {"layer", std::string(LayerName(snap.layer))},
                        {"partition_spec", snap.partition_spec.ToString()},
                        {"version", snap.version},
                        {"files", snap.files.size()},
                        {"rows", snap.TotalRows()},
                        {"bytes", bytes},
                        {"imports",
                         {{"imports", imports.imports},
                          {"failures", imports.failures},
                          {"rows", imports.rows},
                          {"rejects", imports.rejects},
                          {"duplicates_skipped", imports.duplicates_skipped},
                          {"bytes", imports.bytes}}}};
    list.push_back(j);
  }
  if (o.json) {
    fmt::print("{}\n", nlohmann::json{{"lake", lake->root().display}, {"datasets", list}}.dump());
    return Status::OK();
  }
  for (const auto& j : list) {
    const auto& i = j["imports"];
    fmt::print(
        "{} ({}, partitioned by {}):\n"
        "  version {}: {} file(s), {} rows, {} bytes\n"
        "  imports: {} ({} failed), {} rows committed, {} rejected, {} duplicates skipped, {} "
        "bytes written\n",
        j["dataset"].get<std::string>(), j["layer"].get<std::string>(),
        j["partition_spec"].get<std::string>().empty() ? "nothing"
                                                       : j["partition_spec"].get<std::string>(),
        j["version"].get<int64_t>(), j["files"].get<int64_t>(), j["rows"].get<int64_t>(),
        j["bytes"].get<int64_t>(), i["imports"].get<int64_t>(), i["failures"].get<int64_t>(),
        i["rows"].get<int64_t>(), i["rejects"].get<int64_t>(),
        i["duplicates_skipped"].get<int64_t>(), i["bytes"].get<int64_t>());
  }
  if (list.empty()) fmt::print("{}: no datasets\n", lake->root().display);
  return Status::OK();
}

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "stats", "Per dataset: version, files, rows and bytes, and what imports did");
  AddLakeFlag(cmd, &o->lake);
  cmd->add_option("--dataset", o->dataset, "Only this dataset");
  cmd->add_flag("--json", o->json,
                "One JSON object: lake, datasets [{dataset, layer, partition_spec, version, "
                "files, rows, bytes, imports {imports, failures, rows, rejects, "
                "duplicates_skipped, bytes}}]");
  cmd->footer(
      "Examples:\n"
      "  marketlake stats --lake ./lake\n"
      "  marketlake stats --lake prod:lake --dataset trades --json");
  run = [o] { return Run(*o); };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
