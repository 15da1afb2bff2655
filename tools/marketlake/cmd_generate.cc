// marketlake generate trades|quotes: realistic sample data.
#include <memory>
#include <string>

#include <fmt/core.h>

#include "command.h"
#include "marketlake/generate.h"
#include "marketlake/table_io.h"
#include "progress.h"
#include "write_flags.h"

namespace marketlake::cli {
namespace {

struct Options {
  std::string kind;
  GenerateOptions gen;
  std::string out;
  std::string to;
  WriteFlags write;
};

Status Run(const Options& o) {
  GenerateOptions gen = o.gen;
  gen.kind = o.kind == "quotes" ? GenerateOptions::Kind::kQuotes : GenerateOptions::Kind::kTrades;
  ML_ASSIGN_OR_RETURN(auto reader, MakeSampleReader(gen));
  FileFormat format = FileFormat::kAuto;
  if (!o.to.empty()) {
    ML_ASSIGN_OR_RETURN(format, ParseFileFormat(o.to));
  }
  ML_ASSIGN_OR_RETURN(auto write, ToWriteOptions(o.write));
  write.sorting_columns = {"ts"};  // generated rows are in time order
  ML_ASSIGN_OR_RETURN(auto out, OpenBatchWriter(o.out, reader->schema(), format, write));
  Progress progress("generate", -1);
  int64_t rows = 0;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    ML_RETURN_NOT_OK(reader->ReadNext(&batch));
    if (!batch) break;
    ML_RETURN_NOT_OK(out->Write(*batch));
    rows += batch->num_rows();
    progress.Update(rows, -1);
  }
  ML_RETURN_NOT_OK(out->Close());
  progress.Finish();
  if (!Globals().quiet && o.out != "-") {
    fmt::print(stderr, "wrote {} {} rows to {}\n", rows, o.kind, o.out);
  }
  return Status::OK();
}

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("generate", "Generate realistic sample trades or quotes");
  cmd->add_option("kind", o->kind, "trades or quotes")
      ->required()
      ->check(CLI::IsMember({"trades", "quotes"}));
  cmd->add_option("--symbols", o->gen.symbols, "Number of symbols (default 20)");
  cmd->add_option("--days", o->gen.days, "Number of weekdays (default 5)");
  cmd->add_option("--rows", o->gen.rows, "Total rows (default 1000000)");
  cmd->add_option("--seed", o->gen.seed, "Random seed (default 42): same seed, same rows");
  cmd->add_option("--start", o->gen.start_date, "First day, YYYY-MM-DD (default 2024-03-04)");
  cmd->add_option("--out", o->out, "Output file: .parquet, .csv, .jsonl (optionally .gz), or -")
      ->required();
  cmd->add_option("--to", o->to, "Output format when the extension does not say");
  AddWriteFlags(cmd, &o->write);
  cmd->footer(
      "Rows are in time order with symbols interleaved; prices are random walks in cents;\n"
      "timestamps fall in New York trading hours (pre-market, regular, after-hours), in UTC ns.\n\n"
      "Examples:\n"
      "  marketlake generate trades --symbols 100 --days 5 --rows 10000000 --out trades.parquet\n"
      "  marketlake generate quotes --symbols 5 --days 1 --rows 100000 --out quotes.csv.gz\n"
      "  marketlake generate trades --rows 1000 --out - --to jsonl | head");
  run = [o] { return Run(*o); };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
