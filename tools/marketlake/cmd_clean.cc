// marketlake clean DATASET --lake LAKE: removes what crashed writers left and, with
// --vacuum, files that commits removed.
#include <fmt/core.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "command.h"
#include "lake_flags.h"
#include "marketlake/lake.h"

namespace marketlake::cli {
namespace {

struct Options {
  std::string dataset;
  std::string lake;
  int64_t older_than_hours = 24;
  bool vacuum = false;
  bool json = false;
};

Status Run(const Options& o) {
  if (o.older_than_hours < 0) {
    return Error(ErrorCode::kInvalidArgument, "--older-than-hours: must be >= 0");
  }
  ML_ASSIGN_OR_RETURN(auto lake, OpenLakeFlag(o.lake));
  ML_ASSIGN_OR_RETURN(auto ds, lake->OpenDataset(o.dataset));
  const auto age = std::chrono::hours(o.older_than_hours);
  ML_ASSIGN_OR_RETURN(int64_t version, ds->LatestVersion());
  CleanResult orphans;
  if (version > 0) {
    ML_ASSIGN_OR_RETURN(orphans, ds->CleanOrphans(age));
  } else {
    // No commit records the dataset's layer yet (e.g. its first import crashed): look in
    // every layer.
    for (Layer layer : {Layer::kRaw, Layer::kCleaned, Layer::kFeatures}) {
      ML_ASSIGN_OR_RETURN(auto in_layer, lake->OpenDataset(o.dataset, DatasetOptions{layer, {}}));
      ML_ASSIGN_OR_RETURN(CleanResult r, in_layer->CleanOrphans(age));
      orphans.deleted.insert(orphans.deleted.end(), r.deleted.begin(), r.deleted.end());
      orphans.unrecognised.insert(orphans.unrecognised.end(), r.unrecognised.begin(),
                                  r.unrecognised.end());
    }
  }
  CleanResult removed;
  if (o.vacuum) {
    ML_ASSIGN_OR_RETURN(removed, ds->VacuumRemoved(age));
  }
  if (o.json) {
    fmt::print("{}\n", nlohmann::json{{"dataset", o.dataset},
                                      {"orphans_deleted", orphans.deleted},
                                      {"removed_deleted", removed.deleted},
                                      {"unrecognised", orphans.unrecognised}}
                           .dump());
    return Status::OK();
  }
  for (const auto& p : orphans.deleted) fmt::print("deleted orphan {}\n", p);
  for (const auto& p : removed.deleted) fmt::print("deleted removed {}\n", p);
  for (const auto& p : orphans.unrecognised) fmt::print("left alone (not a lake file) {}\n", p);
  fmt::print("{}: {} orphan(s) and {} removed file(s) deleted\n", o.dataset, orphans.deleted.size(),
             removed.deleted.size());
  return Status::OK();
}

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "clean", "Delete data files no commit references (left by crashed writers)");
  cmd->add_option("DATASET", o->dataset, "Dataset name")->required();
  AddLakeFlag(cmd, &o->lake);
  cmd->add_option("--older-than-hours", o->older_than_hours,
                  "Only files older than this (keep it above the longest import: an import in "
                  "flight has unreferenced files too)")
      ->capture_default_str();
  cmd->add_flag("--vacuum", o->vacuum,
                "Also delete files removed by commits older than that (time travel to earlier "
                "versions then fails)");
  cmd->add_flag("--json", o->json, "One JSON object");
  cmd->footer(
      "Examples:\n"
      "  marketlake clean trades --lake ./lake\n"
      "  marketlake clean quotes --lake s3://bucket/lake --older-than-hours 72 --vacuum --json");
  run = [o] { return Run(*o); };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
