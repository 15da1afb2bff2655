// marketlake validate SRC...: what an import would accept, reject and skip, without writing.
#include <fmt/core.h>

#include <memory>
#include <string>

#include "command.h"
#include "import_flags.h"
#include "lake_flags.h"
#include "marketlake/ingest.h"

namespace marketlake::cli {
namespace {

struct Options {
  ImportFlags flags;
  std::string lake;
};

Status Run(const Options& o) {
  DatasetRegistry registry;
  ML_ASSIGN_OR_RETURN(ImportOptions options, MakeImportOptions(o.flags, &registry));
  options.dry_run = true;
  std::unique_ptr<Lake> lake;
  if (!o.lake.empty()) {
    ML_ASSIGN_OR_RETURN(lake, OpenLakeFlag(o.lake));
  }
  ML_ASSIGN_OR_RETURN(auto report, RunImport(lake.get(), o.flags, std::move(options)));
  PrintImportReport(report, o.flags.json, true);
  return Status::OK();
}

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "validate",
      "Check sources as import would (types, quality rules, duplicates); write nothing");
  AddImportFlags(cmd, &o->flags);
  cmd->add_option("--lake", o->lake,
                  "Also count rows the lake already holds (as import would skip them)");
  cmd->footer(
      "Examples:\n"
      "  marketlake validate trades.csv\n"
      "  marketlake validate 'vendor/*.csv.gz' --mode coerce --rejects /tmp/rejects --json\n"
      "  marketlake validate quotes.jsonl --type quotes --tz America/New_York --lake ./lake\n"
      "Exit status: 0 when the sources would import; 4 when strict validation fails (the "
      "message names the file, column, row and value).");
  run = [o] { return Run(*o); };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
