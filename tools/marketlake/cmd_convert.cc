// marketlake convert IN OUT: between CSV, JSON lines and Parquet with every writer option.
#include <memory>
#include <string>

#include <fmt/core.h>

#include "command.h"
#include "marketlake/convert.h"
#include "marketlake/type_spec.h"
#include "progress.h"
#include "write_flags.h"

namespace marketlake::cli {
namespace {

struct Options {
  std::string input;
  std::string output;
  std::string from;
  std::string to;
  std::string schema;
  std::string delimiter = ",";
  std::string sort_by;
  bool json = false;
  WriteFlags write;
};

Status Run(const Options& o) {
  ConvertOptions c;
  if (!o.from.empty()) {
    ML_ASSIGN_OR_RETURN(c.read.format, ParseFileFormat(o.from));
  }
  if (!o.to.empty()) {
    ML_ASSIGN_OR_RETURN(c.output_format, ParseFileFormat(o.to));
  }
  if (!o.schema.empty()) {
    ML_ASSIGN_OR_RETURN(c.read.schema, ParseSchemaSpec(o.schema));
  }
  if (o.delimiter.size() != 1) {
    return Error(ErrorCode::kInvalidArgument, "--delimiter must be one character");
  }
  c.read.delimiter = o.delimiter[0];
  ML_ASSIGN_OR_RETURN(c.write, ToWriteOptions(o.write));
  c.sort_by = SplitList(o.sort_by);
  Progress progress("convert", -1);
  ML_ASSIGN_OR_RETURN(auto result,
                      ConvertFile(o.input, o.output, c, [&progress](int64_t rows, int64_t bytes) {
                        progress.Update(rows, bytes);
                      }));
  progress.Finish();
  if (o.json) {
    fmt::print(
        "{{\"input\":\"{}\",\"output\":\"{}\",\"rows\":{},\"bytes_in\":{},\"bytes_out\":{}}}\n",
        o.input, o.output, result.rows, result.bytes_in, result.bytes_out);
  } else if (!Globals().quiet && o.output != "-") {
    fmt::print(stderr, "converted {} rows: {} ({} bytes) -> {} ({} bytes)\n", result.rows, o.input,
               result.bytes_in, o.output, result.bytes_out);
  }
  return Status::OK();
}

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("convert", "Convert between CSV, JSON lines and Parquet");
  cmd->add_option("IN", o->input, "Input file (CSV with header, JSON lines, Parquet; .gz ok)")
      ->required();
  cmd->add_option("OUT", o->output, "Output file (.parquet, .csv, .jsonl; .gz ok), or -")
      ->required();
  cmd->add_option("--from", o->from, "Input format when the extension does not say");
  cmd->add_option("--to", o->to, "Output format when the extension does not say");
  cmd->add_option("--schema", o->schema,
                  "Column types for CSV/JSON, e.g. \"ts:timestamp[ns,UTC],price:double\"");
  cmd->add_option("--delimiter", o->delimiter, "CSV delimiter (default ,)");
  cmd->add_option("--sort-by", o->sort_by, "Sort rows by these columns (a,b) and declare it");
  cmd->add_flag("--json", o->json, "Print a JSON summary on stdout");
  AddWriteFlags(cmd, &o->write);
  cmd->footer(
      "Examples:\n"
      "  marketlake convert trades.csv trades.parquet --compression zstd --level 3\n"
      "  marketlake convert trades.parquet sorted.parquet --sort-by symbol,ts --bloom-filter "
      "symbol\n"
      "  marketlake convert in.parquet out.parquet --page-version 2 --encoding price=PLAIN\n"
      "  marketlake convert ticks.jsonl.gz ticks.parquet --schema \"ts:timestamp[ns,UTC]\"\n"
      "  marketlake convert trades.parquet trades.csv");
  run = [o] { return Run(*o); };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
