// marketlake cat FILE: rows out, reading only what the projection and predicate need.
#include <memory>
#include <string>

#include <arrow/compute/api.h>
#include <fmt/core.h>

#include "command.h"
#include "marketlake/filesystem.h"
#include "marketlake/predicate.h"
#include "marketlake/scan.h"
#include "marketlake/table_io.h"
#include "write_flags.h"

namespace marketlake::cli {
namespace {

struct Options {
  std::string file;
  std::string columns;
  std::string where;
  int64_t limit = -1;
  std::string format = "csv";
  bool stats = false;
  bool stats_json = false;
  bool no_page_index = false;
  bool no_bloom_filter = false;
  bool no_statistics = false;
};

void PrintStats(const ScanStats& s, bool json) {
  if (json) {
    fmt::print(
        stderr,
        "{{\"row_groups_total\":{},\"row_groups_read\":{},\"row_groups_skipped_by_statistics\":{},"
        "\"row_groups_skipped_by_bloom_filter\":{},\"pages_total\":{},\"pages_read\":{},"
        "\"pages_skipped\":{},\"bytes_total\":{},\"bytes_read\":{},\"bytes_skipped\":{},"
        "\"rows_total\":{},\"rows_decoded\":{},\"rows_matched\":{}}}\n",
        s.row_groups_total, s.row_groups_read, s.row_groups_skipped_by_statistics,
        s.row_groups_skipped_by_bloom_filter, s.pages_total, s.pages_read, s.pages_skipped,
        s.bytes_total, s.bytes_read, s.bytes_skipped, s.rows_total, s.rows_decoded, s.rows_matched);
    return;
  }
  fmt::print(stderr,
             "row groups: {} read of {} ({} skipped by statistics, {} by bloom filter)\n"
             "pages:      {} read of {} ({} skipped)\n"
             "bytes:      {} read of {} ({} skipped)\n"
             "rows:       {} decoded of {}, {} matched\n",
             s.row_groups_read, s.row_groups_total, s.row_groups_skipped_by_statistics,
             s.row_groups_skipped_by_bloom_filter, s.pages_read, s.pages_total, s.pages_skipped,
             s.bytes_read, s.bytes_total, s.bytes_skipped, s.rows_decoded, s.rows_total,
             s.rows_matched);
}

// CSV and JSON lines have no statistics: stream, filter exactly, project.
Status CatText(const Options& o, const std::optional<PredicateNode>& where) {
  ML_ASSIGN_OR_RETURN(auto in, OpenBatchReader(o.file, ReadFileOptions{}));
  auto schema = in.reader->schema();
  std::optional<arrow::compute::Expression> filter;
  if (where) {
    ML_ASSIGN_OR_RETURN(auto bound, BindPredicate(*where, *schema));
    ML_ASSIGN_OR_RETURN(auto expr, ToArrowExpression(bound).Bind(*schema));
    filter = expr;
  }
  std::vector<int> indices;
  for (const auto& c : SplitList(o.columns)) {
    int i = schema->GetFieldIndex(c);
    if (i < 0) return Error(ErrorCode::kNotFound, fmt::format("{}: no column '{}'", o.file, c));
    indices.push_back(i);
  }
  int64_t remaining = o.limit;
  std::unique_ptr<BatchWriter> out;
  ML_ASSIGN_OR_RETURN(auto format, ParseFileFormat(o.format));
  while (remaining != 0) {
    std::shared_ptr<arrow::RecordBatch> batch;
    ML_RETURN_NOT_OK(in.reader->ReadNext(&batch));
    if (!batch) break;
    if (filter) {
      ML_ASSIGN_OR_RETURN(auto mask,
                          arrow::compute::ExecuteScalarExpression(*filter, *schema, batch));
      if (mask.is_scalar()) {
        // A predicate that folds to a constant (e.g. "x = NULL") yields one value, not a column.
        const auto& keep = static_cast<const arrow::BooleanScalar&>(*mask.scalar());
        if (!(keep.is_valid && keep.value)) batch = batch->Slice(0, 0);
      } else {
        ML_ASSIGN_OR_RETURN(auto filtered, arrow::compute::Filter(batch, mask));
        batch = filtered.record_batch();
      }
    }
    if (!indices.empty()) {
      ML_ASSIGN_OR_RETURN(batch, batch->SelectColumns(indices));
    }
    if (remaining > 0 && batch->num_rows() > remaining) batch = batch->Slice(0, remaining);
    if (remaining > 0) remaining -= batch->num_rows();
    if (!out) {
      ML_ASSIGN_OR_RETURN(out, OpenBatchWriter("-", batch->schema(), format, {}));
    }
    ML_RETURN_NOT_OK(out->Write(*batch));
  }
  if (out) ML_RETURN_NOT_OK(out->Close());
  return Status::OK();
}

Status Run(const Options& o) {
  std::optional<PredicateNode> where;
  if (!o.where.empty()) {
    ML_ASSIGN_OR_RETURN(where, ParsePredicate(o.where));
  }
  ML_ASSIGN_OR_RETURN(auto format, ParseFileFormat(o.format));
  if (format == FileFormat::kParquet) {
    return Error(ErrorCode::kInvalidArgument, "--format: cat prints csv or jsonl");
  }
  if (FormatFromPath(o.file) != FileFormat::kParquet) {
    if (o.stats || o.stats_json) {
      return Error(ErrorCode::kInvalidArgument, "--stats: only Parquet files have statistics");
    }
    return CatText(o, where);
  }
  ScanOptions scan;
  scan.columns = SplitList(o.columns);
  scan.where = where;
  scan.limit = o.limit;
  scan.use_page_index = !o.no_page_index;
  scan.use_bloom_filter = !o.no_bloom_filter;
  scan.use_statistics = !o.no_statistics;
  ML_ASSIGN_OR_RETURN(auto file, OpenInputFile(o.file));
  ML_ASSIGN_OR_RETURN(auto scanner, ParquetScanner::Open(file, o.file, scan));
  ML_ASSIGN_OR_RETURN(auto out, OpenBatchWriter("-", scanner->schema(), format, {}));
  while (true) {
    ML_ASSIGN_OR_RETURN(auto batch, scanner->Next());
    if (!batch) break;
    ML_RETURN_NOT_OK(out->Write(*batch));
  }
  ML_RETURN_NOT_OK(out->Close());
  if (o.stats || o.stats_json) PrintStats(scanner->stats(), o.stats_json);
  return Status::OK();
}

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("cat", "Print rows, reading only the row groups and pages needed");
  cmd->add_option("FILE", o->file, "Parquet (pruned), CSV or JSON lines file")->required();
  cmd->add_option("--columns", o->columns, "Columns to print, in this order (a,b)");
  cmd->add_option("--where", o->where,
                  "Predicate: = != < <= > >= IN, IS [NOT] NULL, AND OR NOT; timestamps as "
                  "ISO-8601 strings");
  cmd->add_option("--limit", o->limit, "Print at most N rows");
  cmd->add_option("--format", o->format, "csv (default) or jsonl")
      ->check(CLI::IsMember({"csv", "jsonl"}));
  cmd->add_flag("--stats", o->stats,
                "After the rows, print row groups, pages and bytes read and skipped on stderr");
  cmd->add_flag("--stats-json", o->stats_json, "Like --stats, as one JSON object");
  cmd->add_flag("--no-page-index", o->no_page_index, "Do not prune pages by the page index");
  cmd->add_flag("--no-bloom-filter", o->no_bloom_filter, "Do not use bloom filters");
  cmd->add_flag("--no-statistics", o->no_statistics, "Do not prune row groups by statistics");
  cmd->footer(
      "Examples:\n"
      "  marketlake cat trades.parquet --limit 5\n"
      "  marketlake cat trades.parquet --where \"symbol = 'AAPL' AND ts >= "
      "'2024-03-04T14:30:00Z' AND ts < '2024-03-04T15:30:00Z'\" --stats\n"
      "  marketlake cat trades.parquet --columns ts,price --where \"symbol IN ('MSFT','NVDA') "
      "AND NOT price < 100\" --format jsonl\n"
      "  marketlake cat trades.parquet --where \"ts >= '2024-03-04T09:30:00-05:00'\"");
  run = [o] { return Run(*o); };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
