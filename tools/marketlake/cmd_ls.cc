// marketlake ls: list files and objects with sizes and modification times.
#include <ctime>
#include <memory>
#include <string>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "command.h"
#include "marketlake/filesystem.h"

namespace marketlake::cli {
namespace {

struct LsOptions {
  std::string uri;
  bool recursive = false;
  int64_t limit = -1;
  bool json = false;
};

std::string FormatTime(arrow::fs::TimePoint t) {
  if (t == arrow::fs::kNoTime) return "";
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Status RunLs(const LsOptions& opts) {
  if (opts.limit == 0) return Status::OK();
  ML_ASSIGN_OR_RETURN(Location loc, ResolveLocation(opts.uri));
  int64_t shown = 0;
  auto visit = [&](const arrow::fs::FileInfo& info, std::string_view rel) -> Result<bool> {
    const bool is_dir = info.type() == arrow::fs::FileType::Directory;
    // A listed file shows as given; entries below a directory as place + relative key.
    std::string name = info.path() == loc.path ? loc.display : loc.Child(rel).display;
    if (is_dir && !name.ends_with('/')) name += '/';
    std::string mtime = FormatTime(info.mtime());
    if (opts.json) {
      nlohmann::json j;
      j["path"] = name;
      j["type"] = is_dir ? "directory" : "file";
      j["size"] = is_dir ? nlohmann::json(nullptr) : nlohmann::json(info.size());
      j["mtime"] = mtime.empty() ? nlohmann::json(nullptr) : nlohmann::json(mtime);
      fmt::print("{}\n", j.dump());
    } else if (is_dir) {
      fmt::print("{:>14}  {:<20}  {}\n", "DIR", mtime, name);
    } else {
      fmt::print("{:>14}  {:<20}  {}\n", info.size(), mtime, name);
    }
    ++shown;
    return opts.limit < 0 || shown < opts.limit;
  };
  ML_RETURN_NOT_OK(ListEntries(loc, opts.recursive, visit));
  std::fflush(stdout);
  return Status::OK();
}

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto opts = std::make_shared<LsOptions>();
  auto* cmd = app.add_subcommand("ls", "List files or objects with sizes and modification times");
  cmd->add_option("URI", opts->uri,
                  "A place: local path, file://, s3://bucket/prefix, gs://bucket/prefix or "
                  "SOURCE:prefix")
      ->required();
  cmd->add_flag("-r,--recursive", opts->recursive, "List everything below, not just one level");
  cmd->add_option("--limit", opts->limit, "Stop after N entries")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", opts->json,
                "One JSON object per line: {\"path\", \"type\" (file|directory), \"size\" "
                "(bytes, null for directories), \"mtime\" (UTC ISO-8601 or null)}");
  cmd->footer(
      "Output: SIZE (bytes, or DIR)  MODIFIED (UTC)  PLACE, one entry per line.\n"
      "Examples:\n"
      "  marketlake ls data/\n"
      "  marketlake ls s3://my-bucket/lake/ --recursive --limit 20\n"
      "  marketlake --config ml.yaml ls prod:trades/ --json");
  run = [opts] { return RunLs(*opts); };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
