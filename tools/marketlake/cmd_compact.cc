// marketlake compact DATASET --lake LAKE [key=value...]: merge small files per partition.
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
  std::string target = "128MiB";
  bool json = false;
};

Status Run(const Options& o) {
  ML_ASSIGN_OR_RETURN(int64_t target, ParseByteSize(o.target, "--target-file-size"));
  ML_ASSIGN_OR_RETURN(PartitionValues filter, ParsePartitionValues(o.partition));
  ML_ASSIGN_OR_RETURN(auto lake, OpenLakeFlag(o.lake));
  ML_ASSIGN_OR_RETURN(auto ds, OpenExistingDataset(*lake, o.dataset));
  CompactOptions options;
  options.target_file_bytes = target;
  ML_ASSIGN_OR_RETURN(CommitResult result, ds->Compact(filter, options));
  int64_t rows = 0;
  for (const auto& f : result.added) rows += f.rows;
  if (o.json) {
    nlohmann::json added = nlohmann::json::array();
    for (const auto& f : result.added) added.push_back(f.path);
    nlohmann::json j = {{"dataset", o.dataset},
                        {"partition", PartitionText(filter)},
                        {"target_file_bytes", target},
                        {"version", result.version},
                        {"files_removed", result.removed.size()},
                        {"files_added", result.added.size()},
                        {"rows", rows},
                        {"removed", result.removed},
                        {"added", added}};
    fmt::print("{}\n", j.dump());
    return Status::OK();
  }
  if (result.version == 0) {
    fmt::print("{}: nothing to compact in {} (no partition has two files below {} bytes)\n",
               o.dataset, PartitionText(filter), target);
    return Status::OK();
  }
  fmt::print("{}: compacted {} file(s) into {} ({} rows) in version {}\n", o.dataset,
             result.removed.size(), result.added.size(), rows, result.version);
  return Status::OK();
}

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "compact", "Merge a lake dataset's small files per partition into sorted larger ones");
  cmd->add_option("DATASET", o->dataset, "Dataset name")->required();
  cmd->add_option("PARTITION", o->partition,
                  "Only partitions under these key=value prefixes (year=2024 month=03, or "
                  "year=2024/month=03)");
  AddLakeFlag(cmd, &o->lake);
  cmd->add_option("--target-file-size", o->target,
                  "Files below this size are merged (default 128MiB)");
  cmd->add_flag("--json", o->json,
                "One JSON object: dataset, partition, target_file_bytes, version (0: nothing "
                "done), files_removed, files_added, rows, removed, added");
  cmd->footer(
      "One commit; readers see either the old files or the new ones.\n"
      "Examples:\n"
      "  marketlake compact trades --lake ./lake\n"
      "  marketlake compact trades --lake prod:lake year=2024 month=03 --target-file-size 256MiB "
      "--json");
  run = [o] { return Run(*o); };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
