// marketlake read DATASET --lake LAKE: rows of a lake dataset in (symbol, ts) order, reading
// only the partitions, files, row groups and pages the selection needs.
#include <fmt/core.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "command.h"
#include "lake_flags.h"
#include "marketlake/lake_read.h"
#include "ordered_output.h"
#include "write_flags.h"

namespace marketlake::cli {
namespace {

struct Options {
  std::string dataset;
  SelectionFlags selection;
  OutputFlags output;
  std::string columns;
  std::string where;
  int64_t limit = -1;
  int64_t version = -1;
  bool stats = false;
  bool stats_json = false;
};

void PrintStats(const LakeReadStats& s, int64_t version, bool json) {
  const ScanStats& c = s.scan;
  if (json) {
    nlohmann::json j = {
        {"version", version},
        {"files_total", s.files_total},
        {"files_pruned", s.files_pruned},
        {"files_read", s.files_read},
        {"row_groups_total", c.row_groups_total},
        {"row_groups_read", c.row_groups_read},
        {"row_groups_skipped_by_statistics", c.row_groups_skipped_by_statistics},
        {"row_groups_skipped_by_bloom_filter", c.row_groups_skipped_by_bloom_filter},
        {"pages_total", c.pages_total},
        {"pages_read", c.pages_read},
        {"pages_skipped", c.pages_skipped},
        {"bytes_total", c.bytes_total},
        {"bytes_read", c.bytes_read},
        {"bytes_skipped", c.bytes_skipped},
        {"rows_total", c.rows_total},
        {"rows_decoded", c.rows_decoded},
        {"rows_returned", s.rows_returned}};
    fmt::print(stderr, "{}\n", j.dump());
    return;
  }
  fmt::print(stderr,
             "version:    {}\n"
             "files:      {} read of {} ({} pruned by partition values and log statistics)\n"
             "row groups: {} read of {} ({} skipped by statistics, {} by bloom filter)\n"
             "pages:      {} read of {} ({} skipped)\n"
             "bytes:      {} read of {} ({} skipped)\n"
             "rows:       {} decoded of {} in the files read, {} returned\n",
             version, s.files_read, s.files_total, s.files_pruned, c.row_groups_read,
             c.row_groups_total, c.row_groups_skipped_by_statistics,
             c.row_groups_skipped_by_bloom_filter, c.pages_read, c.pages_total, c.pages_skipped,
             c.bytes_read, c.bytes_total, c.bytes_skipped, c.rows_decoded, c.rows_total,
             s.rows_returned);
}

Status Run(const Options& o) {
  ML_ASSIGN_OR_RETURN(Selection selection, ParseSelection(o.selection));
  if (o.limit < -1) return Error(ErrorCode::kInvalidArgument, "--limit: must be >= 0");
  ML_ASSIGN_OR_RETURN(auto lake, OpenLakeFlag(o.selection.lake));
  ML_ASSIGN_OR_RETURN(auto ds, OpenExistingDataset(*lake, o.dataset));
  LakeReadOptions options;
  ApplySelection(selection, &options);
  options.columns = SplitList(o.columns);
  options.where = o.where;
  options.limit = o.limit;
  if (o.version >= 0) options.version = o.version;
  ML_ASSIGN_OR_RETURN(auto reader, LakeReader::Open(ds.get(), options));
  // Rows come in (symbol, ts) order, as from the time verbs: the same output (written on its
  // own thread; Parquet doubles PLAIN, as in the lake's own files).
  ML_ASSIGN_OR_RETURN(auto out, OpenOrderedOutput(o.output, reader->schema(), selection.tz));
  while (true) {
    ML_ASSIGN_OR_RETURN(auto batch, reader->Next());
    if (!batch) break;
    ML_RETURN_NOT_OK(out->Write(*batch));
  }
  ML_RETURN_NOT_OK(out->Close());
  if (o.stats || o.stats_json) {
    PrintStats(reader->stats(), reader->snapshot().version, o.stats_json);
  }
  return Status::OK();
}

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "read",
      "Read a lake dataset by symbol and time, in (symbol, ts) order, pruning partitions, "
      "files, row groups and pages");
  cmd->add_option("DATASET", o->dataset, "Dataset name (trades, quotes, bars_1m, ...)")->required();
  AddSelectionFlags(cmd, &o->selection);
  cmd->add_option("--columns", o->columns, "Columns to output, in this order (a,b)");
  cmd->add_option("--where", o->where,
                  "Predicate over the dataset's columns: = != < <= > >= IN, IS [NOT] NULL, AND "
                  "OR NOT; timestamps as ISO-8601 strings");
  cmd->add_option("--limit", o->limit, "Output at most N rows");
  cmd->add_option("--version", o->version, "Read this version of the dataset (time travel)");
  AddOutputFlags(cmd, &o->output);
  cmd->add_flag("--stats", o->stats,
                "Afterwards, print files, row groups, pages and bytes read and skipped on stderr");
  cmd->add_flag("--stats-json", o->stats_json, "Like --stats, as one JSON object");
  cmd->footer(
      "Examples:\n"
      "  marketlake read trades --lake ./lake --symbol AAPL --from 2024-03-15T09:30 --to "
      "2024-03-15T10:30 --tz America/New_York\n"
      "  marketlake read trades --lake prod:lake --symbol AAPL,MSFT --from 2024-03-11 --to "
      "2024-03-16 --session regular --format parquet --out week.parquet\n"
      "  marketlake read quotes --lake ./lake --symbol IBM --where \"bid_size >= 100\" --columns "
      "ts,bid,ask --limit 20 --stats\n"
      "  marketlake read trades --lake ./lake --version 3 --format jsonl");
  run = [o] { return Run(*o); };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
