// marketlake import SRC... --lake LAKE: validated, normalised, deduplicated data into the lake.
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
  std::string layer = "cleaned";
  std::string partition;
  bool no_dedup = false;
};

Status Run(const Options& o) {
  DatasetRegistry registry;
  ML_ASSIGN_OR_RETURN(ImportOptions options, MakeImportOptions(o.flags, &registry));
  options.dedup = !o.no_dedup;
  ML_ASSIGN_OR_RETURN(options.layer, ParseLayer(o.layer));
  if (!o.partition.empty()) {
    ML_ASSIGN_OR_RETURN(options.partition_spec, ParsePartitionSpec(o.partition));
  }
  ML_ASSIGN_OR_RETURN(auto lake, OpenLakeFlag(o.lake));
  ML_ASSIGN_OR_RETURN(auto report, RunImport(lake.get(), o.flags, std::move(options)));
  if (!Globals().quiet || o.flags.json) PrintImportReport(report, o.flags.json, false);
  return Status::OK();
}

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "import", "Validate, normalise, deduplicate and partition market data into a lake");
  AddImportFlags(cmd, &o->flags);
  AddLakeFlag(cmd, &o->lake);
  cmd->add_option("--layer", o->layer, "raw, cleaned or features (for a new dataset)")
      ->capture_default_str();
  cmd->add_option("--partition", o->partition,
                  "Partitioning of a new dataset: day, month, year, hour (UTC, or in a zone: "
                  "day(America/New_York)), symbol, bucket(N), ranges(NAME:LOWER;...), "
                  "comma-separated (default: per dataset; trades and quotes "
                  "day(America/New_York), the trading date)");
  cmd->add_flag("--no-dedup", o->no_dedup,
                "Keep rows whose key (symbol, ts, ...) is already in the input or the lake");
  cmd->footer(
      "Examples:\n"
      "  marketlake import trades.csv --lake ./lake\n"
      "  marketlake import 'vendor/quotes/*.csv.gz' --lake ./lake --mode coerce --tz "
      "America/New_York\n"
      "  marketlake import ohlcv/daily/ --lake s3://bucket/lake --type bars --interval 1d\n"
      "  marketlake import prod:raw/2024-03/ --lake prod:lake --json\n"
      "  marketlake import fx.csv --lake ./lake --schema fx_rates.yaml --type fx_rates\n"
      "Running the same import twice adds nothing: rows whose key the lake holds are skipped.\n"
      "Rejected rows (coerce, ignore) are written to the lake under "
      "_marketlake/rejects/DATASET/<import>/ or to --rejects DIR.");
  run = [o] { return Run(*o); };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
