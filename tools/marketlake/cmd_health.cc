// marketlake health: can this place (or every configured source) be used?
//
// Checks, in order, stopping at the first that makes the rest meaningless:
//   resolve   the place resolves (config, endpoint, region, where credentials come from)
//   reach     the store answers for the bucket/directory (network, auth, existence)
//   list      one level can be listed
//   write     a small probe object is written, read back, compared and deleted
//             (skipped with --no-write, or when the source's write options are refused)
//   cas       S3: whether conditional writes (put-if-absent, replace-if-unchanged) are
//             honoured rather than silently ignored (skipped with --no-write)
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <arrow/buffer.h>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "command.h"
#include "marketlake/config.h"
#include "marketlake/filesystem.h"
#include "marketlake/object_client.h"
#include "marketlake/s3_output_stream.h"

namespace marketlake::cli {
namespace {

struct HealthOptions {
  std::string target;
  bool no_write = false;
  bool json = false;
};

struct Check {
  std::string name;
  std::string state;  // "ok", "fail", "skip", "warn"
  std::string detail;
};

struct Report {
  std::string target;
  std::vector<Check> checks;
  Status first_failure;
  bool ok() const { return first_failure.ok(); }
  void Add(std::string name, std::string state, std::string detail) {
    checks.push_back({std::move(name), std::move(state), std::move(detail)});
  }
  void Fail(std::string name, const Status& st) {
    Add(std::move(name), "fail", std::string(CodeName(CodeOf(st))) + ": " + st.message());
    if (first_failure.ok()) first_failure = st;
  }
};

std::string Classify(const Status& st) {
  const std::string& m = st.message();
  auto has = [&](const char* s) { return m.find(s) != std::string::npos; };
  if (has("ACCESS_DENIED") || has("AccessDenied") || has("InvalidAccessKeyId") ||
      has("SignatureDoesNotMatch") || has("403") || has("401") || has("Forbidden")) {
    return "authentication or permission problem: ";
  }
  if (has("NETWORK_CONNECTION") || has("curlCode") || has("Couldn't connect") ||
      has("Could not resolve") || has("timed out") || has("Timeout")) {
    return "store unreachable: ";
  }
  return "";
}

std::string RandomToken() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

Status ProbeWrite(const Location& root) {
  Location probe = root.Child(".marketlake-health-" + RandomToken());
  const std::string payload = "marketlake health probe " + probe.display + "\n";
  {
    ML_ASSIGN_OR_RETURN(auto out, OpenOutputStream(probe));
    ML_RETURN_NOT_OK(WithContext(out->Write(payload.data(), payload.size()), probe.display));
    ML_RETURN_NOT_OK(WithContext(out->Close(), probe.display));
  }
  Status read_status;
  {
    auto in = OpenInputFile(probe);
    if (!in.ok()) {
      read_status = in.status();
    } else {
      auto buf = (*in)->ReadAt(0, static_cast<int64_t>(payload.size()) + 16);
      if (!buf.ok()) {
        read_status = WithContext(buf.status(), probe.display);
      } else if ((*buf)->ToString() != payload) {
        read_status = Error(ErrorCode::kCorruption,
                            probe.display + ": read back different bytes than were written");
      }
    }
  }
  Status del = DeletePlace(probe, false);
  ML_RETURN_NOT_OK(read_status);
  ML_RETURN_NOT_OK(del);
  ML_ASSIGN_OR_RETURN(auto after, Stat(probe));
  if (after.type() != arrow::fs::FileType::NotFound) {
    return Error(ErrorCode::kIOError, probe.display + ": still present after delete");
  }
  return Status::OK();
}

Status ProbeCas(const Location& root, Report* report) {
  ML_ASSIGN_OR_RETURN(S3Access access, S3AccessFor(root));
  if (access.access_key.empty()) {
    report->Add("cas", "skip", "no static credentials for the REST client (anonymous access)");
    return Status::OK();
  }
  ML_ASSIGN_OR_RETURN(std::shared_ptr<ObjectClient> client, ObjectClientFor(root));
  std::string prefix = access.key;
  if (!prefix.empty() && !prefix.ends_with('/')) prefix += '/';
  ML_ASSIGN_OR_RETURN(auto support, ProbeConditionalWrites(*client, access.bucket, prefix));
  bool all = support.if_absent_honoured && support.if_unchanged_honoured;
  std::string detail = support.detail;
  if (detail.empty()) {
    detail = fmt::format("put-if-absent {}, replace-if-unchanged {}",
                         support.if_absent_honoured ? "honoured" : "NOT honoured",
                         support.if_unchanged_honoured ? "honoured" : "NOT honoured");
  }
  report->Add("cas", all ? "ok" : "warn", detail);
  return Status::OK();
}

Report CheckPlace(const std::string& place, const HealthOptions& opts) {
  Report report;
  report.target = place;
  auto resolved = ResolveLocation(place);
  if (!resolved.ok()) {
    report.Fail("resolve", resolved.status());
    return report;
  }
  const Location& loc = *resolved;
  report.target = loc.display;
  {
    std::string detail = loc.kind;
    if (!loc.source.empty()) detail += ", source '" + loc.source + "'";
    if (loc.kind == "s3") {
      detail += ", endpoint " + (loc.endpoint.empty() ? std::string("AWS") : loc.endpoint) +
                ", region " + loc.region;
    }
    if (!loc.credentials.empty()) detail += ", credentials: " + loc.credentials;
    report.Add("resolve", "ok", detail);
  }
  auto info = Stat(loc);
  if (!info.ok()) {
    Status st = info.status();
    report.Fail("reach", Error(CodeOf(st), Classify(st) + st.message()));
    return report;
  }
  if (info->type() == arrow::fs::FileType::NotFound) {
    if (loc.IsBucketRoot()) {
      report.Fail("reach", Error(ErrorCode::kNotFound, loc.display + ": bucket not found"));
      return report;
    }
    report.Add("reach", "ok", "store answered; the prefix is empty");
  } else if (info->type() == arrow::fs::FileType::File) {
    report.Add("reach", "ok", "store answered; the place is a single object");
  } else {
    report.Add("reach", "ok", "store answered");
  }
  if (info->type() == arrow::fs::FileType::Directory) {
    int64_t n = 0;
    Status st = ListEntries(loc, false, [&](const arrow::fs::FileInfo&, std::string_view) {
      return Result<bool>(++n < 1000);
    });
    if (!st.ok()) {
      report.Fail("list", Error(CodeOf(st), Classify(st) + st.message()));
      return report;
    }
    report.Add("list", "ok",
               fmt::format("{}{} entries at the top level", n >= 1000 ? ">=" : "", n));
  } else if (info->type() == arrow::fs::FileType::NotFound) {
    arrow::fs::FileSelector selector;
    selector.base_dir = loc.path;
    selector.allow_not_found = true;
    auto listed = loc.fs->GetFileInfo(selector);
    if (!listed.ok()) {
      Status st = WithContext(listed.status(), loc.display);
      report.Fail("list", Error(CodeOf(st), Classify(st) + st.message()));
      return report;
    }
    report.Add("list", "ok", "listing allowed; nothing below the prefix yet");
  } else {
    report.Add("list", "skip", "a single object");
  }
  if (info->type() == arrow::fs::FileType::File) {
    report.Add("write", "skip", "the place is an object, not a prefix");
    return report;
  }
  if (opts.no_write) {
    report.Add("write", "skip", "--no-write");
  } else if (!loc.write_refusal.empty()) {
    report.Add("write", "warn", "writes refused: " + loc.write_refusal);
  } else {
    Status st = ProbeWrite(loc);
    if (!st.ok()) {
      report.Fail("write", Error(CodeOf(st), Classify(st) + st.message()));
      return report;
    }
    report.Add("write", "ok", "probe object written, read back and deleted");
  }
  if (loc.kind == "s3") {
    if (opts.no_write || !loc.write_refusal.empty()) {
      report.Add("cas", "skip", "needs writes");
    } else {
      Status st = ProbeCas(loc, &report);
      if (!st.ok()) report.Fail("cas", st);
    }
  }
  return report;
}

void Print(const Report& r, bool json) {
  if (json) {
    nlohmann::json j;
    j["target"] = r.target;
    j["ok"] = r.ok();
    j["checks"] = nlohmann::json::array();
    for (const auto& c : r.checks) {
      j["checks"].push_back({{"name", c.name}, {"state", c.state}, {"detail", c.detail}});
    }
    fmt::print("{}\n", j.dump());
    return;
  }
  fmt::print("{}  ({})\n", r.target, r.ok() ? "healthy" : "UNHEALTHY");
  for (const auto& c : r.checks) fmt::print("  {:<5} {:<8} {}\n", c.state, c.name, c.detail);
}

Status RunHealth(const HealthOptions& opts) {
  std::vector<std::string> places;
  if (!opts.target.empty()) {
    std::string t = opts.target;
    // A bare source name means its root.
    if (t.find(':') == std::string::npos && t.find('/') == std::string::npos) {
      ML_ASSIGN_OR_RETURN(auto config, CurrentConfig());
      if (config->FindSource(t) != nullptr) t += ":";
    }
    places.push_back(t);
  } else {
    ML_ASSIGN_OR_RETURN(auto config, CurrentConfig());
    if (config->sources.empty()) {
      return Error(ErrorCode::kInvalidArgument,
                   "no place given and no sources configured in " +
                       (config->file.empty() ? ConfigPath() : config->file));
    }
    for (const auto& [name, source] : config->sources) places.push_back(name + ":");
  }
  int failed = 0;
  Status first;
  std::string first_target;
  for (const auto& place : places) {
    Report r = CheckPlace(place, opts);
    Print(r, opts.json);
    if (!r.ok()) {
      if (failed++ == 0) {
        first = r.first_failure;
        first_target = r.target;
      }
    }
  }
  std::fflush(stdout);
  if (failed == 0) return Status::OK();
  return Error(CodeOf(first), fmt::format("{} of {} places unhealthy; first: {}", failed,
                                          places.size(), first.message()));
}

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto opts = std::make_shared<HealthOptions>();
  auto* cmd = app.add_subcommand(
      "health", "Check that a place (or every configured source) is reachable and usable");
  cmd->add_option("PLACE", opts->target,
                  "A place or a source name (default: every source in the configuration)");
  cmd->add_flag("--no-write", opts->no_write,
                "Skip the write/read/delete probe and the conditional-write check");
  cmd->add_flag("--json", opts->json,
                "One JSON object per place: {\"target\", \"ok\", \"checks\": [{\"name\", "
                "\"state\" (ok|fail|skip|warn), \"detail\"}]}");
  cmd->footer(
      "Checks: resolve, reach (network and credentials), list, write (probe object written,\n"
      "read back and deleted), cas (S3: are conditional writes honoured?). Exits non-zero\n"
      "when a check fails.\n"
      "Examples:\n"
      "  marketlake health\n"
      "  marketlake health prod --no-write\n"
      "  marketlake health s3://my-bucket/lake/ --json");
  run = [opts] { return RunHealth(*opts); };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
