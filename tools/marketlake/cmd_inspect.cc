// marketlake inspect FILE: what a Parquet footer says.
#include <memory>
#include <string>

#include <fmt/core.h>

#include "command.h"
#include "marketlake/inspect.h"

namespace marketlake::cli {
namespace {

struct Options {
  std::string file;
  bool json = false;
};

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "inspect", "Show a Parquet file's schema, row groups, column chunks and metadata");
  cmd->add_option("FILE", o->file, "Parquet file (local path, s3://, gs://)")->required();
  cmd->add_flag("--json", o->json, "Machine-readable output");
  cmd->footer(
      "Shows per column chunk: encodings, codec, sizes, statistics, page index and bloom "
      "filter.\n\n"
      "Examples:\n"
      "  marketlake inspect trades.parquet\n"
      "  marketlake inspect s3://bucket/trades.parquet --json | jq '.row_groups[0]'");
  run = [o]() -> Status {
    ML_ASSIGN_OR_RETURN(auto report, InspectParquet(o->file));
    fmt::print("{}", o->json ? FileReportToJson(report) : FileReportToText(report));
    return Status::OK();
  };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
