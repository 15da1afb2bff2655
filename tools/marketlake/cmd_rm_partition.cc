// marketlake rm-partition DATASET --lake LAKE key=value[/key=value...]: removes a partition's
// files in one commit (time travel to earlier versions still sees them until vacuumed).
#include <fmt/core.h>

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
  std::string dataset;
  std::string lake;
  std::vector<std::string> partition;
  bool json = false;
};

Status Run(const Options& o) {
  ML_ASSIGN_OR_RETURN(PartitionValues values, ParsePartitionValues(o.partition));
  if (values.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "rm-partition: name the partition as key=value[/key=value...]");
  }
  ML_ASSIGN_OR_RETURN(auto lake, OpenLakeFlag(o.lake));
  ML_ASSIGN_OR_RETURN(auto ds, OpenExistingDataset(*lake, o.dataset));
  ML_ASSIGN_OR_RETURN(Snapshot before, ds->GetSnapshot());
  auto result = ds->RemovePartition(values);
  if (!result.ok()) {
    if (CodeOf(result.status()) == ErrorCode::kNotFound) {
      std::string keys;
      if (!before.files.empty()) {
        for (const auto& [k, v] : before.files[0].partition) keys += (keys.empty() ? "" : "/") + k;
      }
      return Error(ErrorCode::kNotFound,
                   fmt::format("{}: no files in partition {} at version {} (partition keys, in "
                               "order: {}; see 'marketlake partitions')",
                               o.dataset, PartitionText(values), before.version,
                               keys.empty() ? "none" : keys));
    }
    return result.status();
  }
  int64_t rows = 0;
  for (const auto& f : before.files) {
    for (const auto& r : result->removed) {
      if (f.path == r) rows += f.rows;
    }
  }
  if (o.json) {
    nlohmann::json j = {{"dataset", o.dataset},       {"partition", PartitionText(values)},
                        {"version", result->version}, {"files_removed", result->removed.size()},
                        {"rows_removed", rows},       {"removed", result->removed}};
    fmt::print("{}\n", j.dump());
    return Status::OK();
  }
  fmt::print("{}: removed partition {} ({} file(s), {} rows) in version {}\n", o.dataset,
             PartitionText(values), result->removed.size(), rows, result->version);
  return Status::OK();
}

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("rm-partition",
                                 "Remove a partition of a lake dataset in one atomic commit");
  cmd->add_option("DATASET", o->dataset, "Dataset name")->required();
  cmd->add_option("PARTITION", o->partition,
                  "key=value[/key=value...], a prefix of the partition keys (year=2024/month=03)")
      ->required();
  AddLakeFlag(cmd, &o->lake);
  cmd->add_flag("--json", o->json,
                "One JSON object: dataset, partition, version, files_removed, rows_removed, "
                "removed");
  cmd->footer(
      "The files stay on storage for time travel until 'marketlake clean --vacuum'.\n"
      "Examples:\n"
      "  marketlake rm-partition trades --lake ./lake year=2024/month=03/day=15\n"
      "  marketlake rm-partition bars_1m --lake prod:lake year=2023 --json");
  run = [o] { return Run(*o); };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
