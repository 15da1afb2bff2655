#include "import_flags.h"

#include <fmt/core.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "command.h"
#include "lake_flags.h"
#include "progress.h"

namespace marketlake::cli {

void AddImportFlags(CLI::App* cmd, ImportFlags* f) {
  cmd->add_option("SRC", f->sources,
                  "Files, directories, globs (quote them: 'data/*.csv', 'raw/**/*.jsonl.gz'), "
                  "s3://bucket/prefix/, gs://..., SOURCE:prefix")
      ->required();
  cmd->add_option("--type", f->type,
                  "auto (from columns and path), trades, quotes, bars, news, or a dataset from "
                  "--schema")
      ->capture_default_str();
  cmd->add_option("--interval", f->interval, "Bar interval for --type bars: 1s, 1m, 5m, 1h, 1d");
  cmd->add_option("--mode", f->mode,
                  "strict: fail on the first bad row; coerce: bad rows go to the rejects file; "
                  "ignore: keep rows that break quality rules (unconvertible rows are rejected)")
      ->check(CLI::IsMember({"strict", "coerce", "ignore"}))
      ->capture_default_str();
  cmd->add_option("--tz", f->tz, "Zone of naive times and dates (IANA name)")
      ->capture_default_str();
  cmd->add_option("--epoch-unit", f->epoch_unit, "Unit of numeric times: auto, s, ms, us, ns")
      ->check(CLI::IsMember({"auto", "s", "ms", "us", "ns"}))
      ->capture_default_str();
  cmd->add_option("--schema", f->schema_files, "Custom dataset schema file(s) (YAML or JSON)");
  cmd->add_option("--from", f->format,
                  "Input format when the name does not say: csv, jsonl, parquet");
  cmd->add_option("--delimiter", f->delimiter, "CSV field delimiter (one character; \\t for tab)")
      ->capture_default_str();
  cmd->add_option("--rejects", f->rejects,
                  "Directory for rejected rows (<source>.rejects.csv); default: in the lake under "
                  "_marketlake/rejects/");
  cmd->add_option("--parallel", f->parallel, "Sources read at once (default: one per core)");
  cmd->add_option("--memory-limit", f->memory_limit,
                  "Rows buffered before partitions are written early")
      ->capture_default_str();
  cmd->add_flag("--json", f->json, "Print the report as one JSON object");
}

Result<ImportOptions> MakeImportOptions(const ImportFlags& f, DatasetRegistry* registry) {
  ImportOptions o;
  for (const auto& file : f.schema_files) ML_RETURN_NOT_OK(registry->RegisterFile(file));
  o.registry = registry;
  o.type = f.type;
  o.interval = f.interval;
  o.mode = f.mode == "coerce"   ? ValidationMode::kCoerce
           : f.mode == "ignore" ? ValidationMode::kIgnore
                                : ValidationMode::kStrict;
  o.tz = f.tz;
  o.epoch_unit = f.epoch_unit == "s"    ? EpochUnit::kSeconds
                 : f.epoch_unit == "ms" ? EpochUnit::kMillis
                 : f.epoch_unit == "us" ? EpochUnit::kMicros
                 : f.epoch_unit == "ns" ? EpochUnit::kNanos
                                        : EpochUnit::kAuto;
  if (!f.format.empty()) {
    ML_ASSIGN_OR_RETURN(o.read.format, ParseFileFormat(f.format));
  }
  std::string delim = f.delimiter == "\\t" ? "\t" : f.delimiter;
  if (delim.size() != 1) {
    return Error(ErrorCode::kInvalidArgument, "--delimiter: expected one character");
  }
  o.read.delimiter = delim[0];
  o.rejects_dir = f.rejects;
  o.parallelism = f.parallel;
  ML_ASSIGN_OR_RETURN(o.memory_budget_bytes, ParseByteSize(f.memory_limit, "--memory-limit"));
  if (o.memory_budget_bytes <= 0) {
    return Error(ErrorCode::kInvalidArgument, "--memory-limit: must be more than 0 bytes");
  }
  o.parameters["mode"] = f.mode;
  o.parameters["tz"] = f.tz;
  o.parameters["type"] = f.type;
  return o;
}

Result<ImportReport> RunImport(Lake* lake, const ImportFlags& flags, ImportOptions options) {
  ML_ASSIGN_OR_RETURN(auto sources, ExpandSources(flags.sources));
  ImportProgress progress;
  options.progress = &progress;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::thread ticker;
  if (ShowProgress()) {
    ticker = std::thread([&] {
      int64_t total = 0;
      for (const auto& s : sources) total += std::max<int64_t>(0, s.size);
      Progress bar(fmt::format("importing {} file(s)", sources.size()), total > 0 ? total : -1);
      std::unique_lock<std::mutex> lock(mu);
      while (!cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return done; })) {
        bar.Update(progress.rows_read.load(), progress.bytes_read.load());
      }
      bar.Update(progress.rows_read.load(), progress.bytes_read.load());
      bar.Finish();
    });
  }
  auto report = Import(lake, sources, options);
  if (ticker.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu);
      done = true;
    }
    cv.notify_all();
    ticker.join();
  }
  return report;
}

void PrintImportReport(const ImportReport& r, bool json, bool dry_run) {
  if (json) {
    nlohmann::json j;
    j["dry_run"] = dry_run;
    j["rows_read"] = r.rows_read;
    j["rows_rejected"] = r.rows_rejected;
    j["rows_written"] = r.rows_written;
    j["duplicates_skipped"] = r.duplicates_skipped;
    j["sources"] = nlohmann::json::array();
    for (const auto& s : r.sources) {
      nlohmann::json sj{{"source", s.source},
                        {"dataset", s.dataset},
                        {"detected_by", s.detected_by},
                        {"bytes", s.bytes},
                        {"rows_read", s.rows_read},
                        {"rows_rejected", s.rows_rejected},
                        {"rejects_file", s.rejects_file},
                        {"ambiguous_times", s.stats.ambiguous_times}};
      sj["violations"] = nlohmann::json::array();
      for (const auto& v : s.stats.violations) {
        sj["violations"].push_back({{"rule", v.rule}, {"column", v.column}, {"rows", v.rows}});
      }
      sj["renamed"] = nlohmann::json::object();
      for (const auto& [from, to] : s.stats.renamed) sj["renamed"][from] = to;
      sj["dropped_columns"] = s.stats.dropped_columns;
      sj["missing_optional"] = s.stats.missing_optional;
      j["sources"].push_back(std::move(sj));
    }
    j["datasets"] = nlohmann::json::array();
    for (const auto& d : r.datasets) {
      j["datasets"].push_back({{"dataset", d.dataset},
                               {"version", d.version},
                               {"rows_in", d.rows_in},
                               {"rows_written", d.rows_written},
                               {"duplicates_in_input", d.duplicates_in_input},
                               {"duplicates_in_lake", d.duplicates_in_lake},
                               {"files", d.files},
                               {"bytes_written", d.bytes_written},
                               {"commit_attempts", d.commit_attempts}});
    }
    fmt::print("{}\n", j.dump());
    return;
  }
  for (const auto& s : r.sources) {
    fmt::print("{}: {} ({}), {} rows read, {} rejected{}\n", s.source, s.dataset, s.detected_by,
               s.rows_read, s.rows_rejected, s.rejects_file.empty() ? "" : " -> " + s.rejects_file);
    for (const auto& v : s.stats.violations) {
      fmt::print("  {} on {}: {} rows\n", v.rule, v.column, v.rows);
    }
  }
  for (const auto& d : r.datasets) {
    if (dry_run) {
      fmt::print("{}: {} rows valid, {} would be written, {} duplicates ({} already in the lake)\n",
                 d.dataset, d.rows_in, d.rows_written, d.duplicates_in_input + d.duplicates_in_lake,
                 d.duplicates_in_lake);
    } else {
      fmt::print(
          "{}: {} rows written in {} files ({} bytes) as version {}, {} duplicates skipped "
          "({} already in the lake)\n",
          d.dataset, d.rows_written, d.files, d.bytes_written, d.version,
          d.duplicates_in_input + d.duplicates_in_lake, d.duplicates_in_lake);
    }
  }
}

}  // namespace marketlake::cli
