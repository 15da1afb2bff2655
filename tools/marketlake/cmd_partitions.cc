// marketlake partitions DATASET --lake LAKE: partition directories with files, rows, bytes and
// time range, from the log (no data is read).
#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "command.h"
#include "lake_flags.h"
#include "marketlake/lake.h"
#include "marketlake/timestamp.h"

namespace marketlake::cli {
namespace {

struct Options {
  std::string dataset;
  std::string lake;
  int64_t version = -1;
  bool json = false;
};

struct Partition {
  int64_t files = 0;
  int64_t rows = 0;
  int64_t bytes = 0;
  int64_t min_ts = 1;  // min > max: unknown
  int64_t max_ts = 0;
};

Status Run(const Options& o) {
  ML_ASSIGN_OR_RETURN(auto lake, OpenLakeFlag(o.lake));
  ML_ASSIGN_OR_RETURN(auto ds, OpenExistingDataset(*lake, o.dataset));
  std::optional<int64_t> version;
  if (o.version >= 0) version = o.version;
  ML_ASSIGN_OR_RETURN(Snapshot snap, ds->GetSnapshot(version));
  std::map<PartitionValues, Partition> parts;
  for (const auto& f : snap.files) {
    Partition& p = parts[f.partition];
    ++p.files;
    p.rows += f.rows;
    p.bytes += f.bytes;
    if (f.min_ts <= f.max_ts) {
      const bool known = p.min_ts <= p.max_ts;
      p.min_ts = known ? std::min(p.min_ts, f.min_ts) : f.min_ts;
      p.max_ts = known ? std::max(p.max_ts, f.max_ts) : f.max_ts;
    }
  }
  auto ts = [](const Partition& p, bool min) {
    return p.min_ts <= p.max_ts ? FormatTimestampNanos(min ? p.min_ts : p.max_ts) : "";
  };
  if (o.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [values, p] : parts) {
      ML_ASSIGN_OR_RETURN(std::string dir, PartitionDir(values));
      nlohmann::json j = {
          {"partition", dir}, {"files", p.files}, {"rows", p.rows}, {"bytes", p.bytes}};
      j["min_ts"] = p.min_ts <= p.max_ts ? nlohmann::json(ts(p, true)) : nlohmann::json();
      j["max_ts"] = p.min_ts <= p.max_ts ? nlohmann::json(ts(p, false)) : nlohmann::json();
      list.push_back(j);
    }
    nlohmann::json j = {{"dataset", o.dataset},
                        {"version", snap.version},
                        {"partition_spec", snap.partition_spec.ToString()},
                        {"partitions", list}};
    fmt::print("{}\n", j.dump());
    return Status::OK();
  }
  std::vector<std::string> dirs;
  size_t width = 9;
  for (const auto& [values, p] : parts) {
    ML_ASSIGN_OR_RETURN(std::string dir, PartitionDir(values));
    if (dir.empty()) dir = "(root)";
    width = std::max(width, dir.size());
    dirs.push_back(dir);
  }
  fmt::print("{:<{}}  {:>6}  {:>12}  {:>14}  {:<30}  {}\n", "partition", width, "files", "rows",
             "bytes", "min_ts", "max_ts");
  size_t i = 0;
  for (const auto& [values, p] : parts) {
    fmt::print("{:<{}}  {:>6}  {:>12}  {:>14}  {:<30}  {}\n", dirs[i++], width, p.files, p.rows,
               p.bytes, ts(p, true), ts(p, false));
  }
  return Status::OK();
}

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "partitions", "List a lake dataset's partitions: files, rows, bytes, first and last ts");
  cmd->add_option("DATASET", o->dataset, "Dataset name")->required();
  AddLakeFlag(cmd, &o->lake);
  cmd->add_option("--version", o->version, "At this version (default: the latest)");
  cmd->add_flag("--json", o->json,
                "One JSON object: dataset, version, partition_spec, partitions [{partition, "
                "files, rows, bytes, min_ts, max_ts}]");
  cmd->footer(
      "From the log: no data file is opened.\n"
      "Examples:\n"
      "  marketlake partitions trades --lake ./lake\n"
      "  marketlake partitions bars_1m --lake prod:lake --json");
  run = [o] { return Run(*o); };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
