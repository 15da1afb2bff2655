// marketlake describe FILE: decode everything, summarise each column.
#include <memory>
#include <string>

#include <fmt/core.h>

#include "command.h"
#include "marketlake/inspect.h"
#include "progress.h"

namespace marketlake::cli {
namespace {

struct Options {
  std::string file;
  bool json = false;
};

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "describe", "Decode every column and print rows, and per column count, nulls, min, max");
  cmd->add_option("FILE", o->file, "Parquet, CSV or JSON lines file")->required();
  cmd->add_flag("--json", o->json, "Machine-readable output");
  cmd->footer(
      "Examples:\n"
      "  marketlake describe trades.parquet\n"
      "  marketlake describe quotes.csv.gz --json");
  run = [o]() -> Status {
    Progress progress("describe", -1);
    ML_ASSIGN_OR_RETURN(auto report, DescribeFile(o->file, [&progress](int64_t rows) {
                          progress.Update(rows, -1);
                        }));
    progress.Finish();
    fmt::print("{}", o->json ? DescribeReportToJson(report) : DescribeReportToText(report));
    return Status::OK();
  };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
