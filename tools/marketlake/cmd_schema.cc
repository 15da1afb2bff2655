// marketlake schema check SRC --dataset D [--lake LAKE]: would the source import, and can the
// lake's files of that dataset take it?
#include <fmt/core.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "command.h"
#include "lake_flags.h"
#include "marketlake/ingest.h"

namespace marketlake::cli {
namespace {

struct Options {
  std::string source;
  std::string dataset = "auto";
  std::string interval;
  std::string lake;
  std::string tz = "UTC";
  std::vector<std::string> schema_files;
  std::string delimiter = ",";
  std::string format;
  bool json = false;
};

Status Check(const Options& o) {
  DatasetRegistry registry;
  for (const auto& f : o.schema_files) ML_RETURN_NOT_OK(registry.RegisterFile(f));
  ImportOptions options;
  options.registry = &registry;
  options.type = o.dataset;
  options.interval = o.interval;
  options.tz = o.tz;
  std::string delim = o.delimiter == "\\t" ? "\t" : o.delimiter;
  if (delim.size() != 1) {
    return Error(ErrorCode::kInvalidArgument, "--delimiter: expected one character");
  }
  options.read.delimiter = delim[0];
  if (!o.format.empty()) {
    ML_ASSIGN_OR_RETURN(options.read.format, ParseFileFormat(o.format));
  }
  std::unique_ptr<Lake> lake;
  if (!o.lake.empty()) {
    ML_ASSIGN_OR_RETURN(lake, OpenLakeFlag(o.lake));
  }
  ML_ASSIGN_OR_RETURN(auto sources, ExpandSources({o.source}));
  if (sources.size() != 1) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("{}: names {} files; check one at a time", o.source, sources.size()));
  }
  ML_ASSIGN_OR_RETURN(SchemaCheck c, CheckSourceSchema(lake.get(), sources[0], options));
  if (o.json) {
    nlohmann::json j{{"source", c.source},
                     {"dataset", c.dataset},
                     {"detected_by", c.detected_by},
                     {"compatible", c.ok()},
                     {"source_error", c.source_error},
                     {"dropped_columns", c.mapping.dropped_columns},
                     {"missing_optional", c.mapping.missing_optional}};
    j["renamed"] = nlohmann::json::object();
    for (const auto& [from, to] : c.mapping.renamed) j["renamed"][from] = to;
    if (lake) {
      j["lake"] = {{"files", c.lake_files},
                   {"error", c.lake_error},
                   {"added", c.lake.added},
                   {"dropped", c.lake.dropped},
                   {"widened", c.lake.widened}};
    }
    fmt::print("{}\n", j.dump());
  } else {
    fmt::print("{}: dataset {} ({})\n", c.source, c.dataset, c.detected_by);
    for (const auto& [from, to] : c.mapping.renamed) fmt::print("  {} -> {}\n", from, to);
    for (const auto& d : c.mapping.dropped_columns)
      fmt::print("  {}: not in the dataset, dropped\n", d);
    for (const auto& m : c.mapping.missing_optional) fmt::print("  {}: absent, null\n", m);
    if (lake) {
      fmt::print("lake: {} files of {}", c.lake_files, c.dataset);
      if (!c.lake_error.empty()) {
        fmt::print("; incompatible\n");
      } else {
        fmt::print("; compatible{}\n", c.lake.identical() ? " (identical)" : "");
        for (const auto& a : c.lake.added) fmt::print("  added column {}\n", a);
        for (const auto& w : c.lake.widened) fmt::print("  widened {}\n", w);
        for (const auto& d : c.lake.dropped) fmt::print("  no longer written: {}\n", d);
      }
    }
  }
  if (!c.source_error.empty()) return Error(c.source_code, c.source_error);
  if (!c.lake_error.empty()) return Error(ErrorCode::kSchemaMismatch, c.lake_error);
  return Status::OK();
}

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto o = std::make_shared<Options>();
  auto* schema = app.add_subcommand("schema", "Schema tools");
  schema->require_subcommand(1);
  auto* cmd = schema->add_subcommand(
      "check", "Whether a source maps onto a dataset and the lake's files can take it");
  cmd->add_option("SRC", o->source, "A file or object (CSV, JSON lines, Parquet)")->required();
  cmd->add_option("--dataset,--type", o->dataset,
                  "trades, quotes, bars, news, a --schema dataset, or auto")
      ->capture_default_str();
  cmd->add_option("--interval", o->interval, "Bar interval for bars");
  cmd->add_option("--lake", o->lake, "Also check the lake's files of the dataset");
  cmd->add_option("--tz", o->tz, "Zone of naive times")->capture_default_str();
  cmd->add_option("--schema", o->schema_files, "Custom dataset schema file(s)");
  cmd->add_option("--delimiter", o->delimiter, "CSV field delimiter (\\t for tab)")
      ->capture_default_str();
  cmd->add_option("--from", o->format, "Input format when the name does not say");
  cmd->add_flag("--json", o->json, "One JSON object");
  cmd->footer(
      "Examples:\n"
      "  marketlake schema check vendor/quotes.csv --dataset quotes\n"
      "  marketlake schema check new_feed.parquet --dataset trades --lake ./lake --json\n"
      "Exit status 0 when compatible; 4 (schema mismatch, missing column or data type) "
      "naming the column and why otherwise.");
  run = [o] { return Check(*o); };
  return schema;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
