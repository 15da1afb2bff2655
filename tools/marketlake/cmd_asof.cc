// marketlake asof LEFT RIGHT: each LEFT row with the latest RIGHT row at or before it (same
// key), within a tolerance: kdb+'s aj, DuckDB's ASOF LEFT JOIN. With the lake's own order
// (--by symbol --on ts) both datasets are streamed through AsofStream with bounded memory;
// other keys read both sides whole and use AsofJoin.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <string>
#include <vector>

#include "command.h"
#include "lake_flags.h"
#include "marketlake/asof.h"
#include "marketlake/lake.h"
#include "marketlake/lake_read.h"
#include "marketlake/schema.h"
#include "ordered_output.h"
#include "progress.h"
#include "time_verbs.h"
#include "write_flags.h"

namespace marketlake::cli {
namespace {

struct Options {
  std::string left, right;
  SelectionFlags sel;
  OutputFlags out;
  std::string on = "ts";
  std::string by = "symbol";
  std::string tolerance;
  std::string right_prefix = "right_";
  std::string columns;  // output projection
  bool json = false;
};

// "5s", "1m", "250ms", "100us", "0s": a duration in nanoseconds.
Result<int64_t> ParseTolerance(const std::string& text) {
  for (auto [suffix, unit] :
       {std::pair<const char*, int64_t>{"ms", 1'000'000},
        std::pair<const char*, int64_t>{"us", 1'000}, std::pair<const char*, int64_t>{"ns", 1}}) {
    if (text.size() > 2 && text.ends_with(suffix)) {
      int64_t n = 0;
      auto digits = std::string_view(text).substr(0, text.size() - 2);
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
      if (ec == std::errc() && end == digits.data() + digits.size() && n >= 0) return n * unit;
    }
  }
  if (text == "0" || text == "0s") return int64_t{0};
  auto r = ParseBarInterval(text);
  if (!r.ok()) {
    return Error(
        ErrorCode::kInvalidArgument,
        fmt::format("--tolerance '{}': expected <n><unit>, unit ns, us, ms, s, m, h or d", text));
  }
  return *r;
}

Status Run(const Options& o) {
  ML_ASSIGN_OR_RETURN(Selection sel, ParseSelection(o.sel));
  ML_ASSIGN_OR_RETURN(auto lake, OpenLakeFlag(o.sel.lake));
  ML_ASSIGN_OR_RETURN(auto left, OpenExistingDataset(*lake, o.left));
  ML_ASSIGN_OR_RETURN(auto right, OpenExistingDataset(*lake, o.right));
  AsofOptions a;
  a.time_column = o.on;
  a.by = SplitList(o.by);
  a.right_prefix = o.right_prefix;
  if (!o.tolerance.empty()) {
    ML_ASSIGN_OR_RETURN(int64_t tol, ParseTolerance(o.tolerance));
    a.tolerance_nanos = tol;
  }
  OutputFlags out_flags = o.out;
  if (o.json && out_flags.format.empty()) out_flags.format = "jsonl";

  LakeReadOptions lread;
  ApplySelection(sel, &lread);
  // The right row in force at --from may be older than --from: read back by the tolerance,
  // or (without one) from the start. Sessions filter the left side only.
  LakeReadOptions rread;
  rread.symbols = sel.symbols;
  rread.to_ns = sel.to_ns;
  if (sel.from_ns && a.tolerance_nanos) rread.from_ns = *sel.from_ns - *a.tolerance_nanos;

  Progress progress("asof", -1);
  const bool streaming = a.by.size() == 1 && a.by[0] == "symbol" && a.time_column == "ts";
  if (!streaming) {
    ML_ASSIGN_OR_RETURN(auto lt, ReadLakeTable(left.get(), lread));
    ML_ASSIGN_OR_RETURN(auto rt, ReadLakeTable(right.get(), rread));
    ML_ASSIGN_OR_RETURN(auto full, AsofJoin(*lt, *rt, a));
    ML_ASSIGN_OR_RETURN(auto keep, OutputProjection(o.columns, *full->schema()));
    ML_ASSIGN_OR_RETURN(auto joined, full->SelectColumns(keep));
    ML_ASSIGN_OR_RETURN(auto writer, OpenOutput(out_flags, joined->schema(), sel.tz));
    arrow::TableBatchReader batches(*joined);
    std::shared_ptr<arrow::RecordBatch> b;
    while (true) {
      ML_RETURN_NOT_OK(batches.ReadNext(&b));
      if (!b) break;
      ML_RETURN_NOT_OK(writer->Write(*b));
    }
    return writer->Close();
  }
  // Read only the columns the output needs (plus key and time). Output names are those of
  // the join of the whole datasets (a right column is prefixed when a LEFT column of the
  // whole dataset has its name), so they are worked out on the full schemas first.
  std::shared_ptr<arrow::Schema> lfull, rfull;
  {
    ML_ASSIGN_OR_RETURN(auto lprobe, LakeReader::Open(left.get(), LakeReadOptions{}));
    ML_ASSIGN_OR_RETURN(auto rprobe, LakeReader::Open(right.get(), LakeReadOptions{}));
    lfull = lprobe->schema();
    rfull = rprobe->schema();
  }
  ML_ASSIGN_OR_RETURN(auto full, AsofStream::Make(
                                     lfull, rfull,
                                     []() -> Result<std::shared_ptr<arrow::RecordBatch>> {
                                       return std::shared_ptr<arrow::RecordBatch>();
                                     },
                                     a));
  ML_ASSIGN_OR_RETURN(auto keep, OutputProjection(o.columns, *full->schema()));
  // Output column i of `full` is left column i, or the i - nl'th right column but the key.
  const int nl = lfull->num_fields();
  std::vector<int> right_nonkey;
  for (int c = 0; c < rfull->num_fields(); ++c) {
    if (rfull->field(c)->name() != a.by[0]) right_nonkey.push_back(c);
  }
  auto needed = [](const arrow::Schema& s, const std::vector<std::string>& want) {
    std::vector<std::string> cols;  // schema order
    for (const auto& f : s.fields()) {
      if (std::find(want.begin(), want.end(), f->name()) != want.end()) cols.push_back(f->name());
    }
    return cols;
  };
  std::vector<std::string> lwant = {a.by[0], a.time_column};
  std::vector<std::string> rwant = {a.by[0], a.time_column};
  for (int i : keep) {
    if (i < nl) {
      lwant.push_back(lfull->field(i)->name());
    } else {
      rwant.push_back(rfull->field(right_nonkey[i - nl])->name());
    }
  }
  lread.columns = needed(*lfull, lwant);
  rread.columns = needed(*rfull, rwant);
  lread.prefetch = true;  // both sides decode ahead while the join runs
  rread.prefetch = true;
  lread.decode_threads = DecodeThreads();  // files decode in parallel
  rread.decode_threads = DecodeThreads();
  lread.coalesce = false;  // the merges' runs as they are, not copied together
  rread.coalesce = false;
  ML_ASSIGN_OR_RETURN(auto lreader, LakeReader::Open(left.get(), lread));
  ML_ASSIGN_OR_RETURN(auto rreader, LakeReader::Open(right.get(), rread));
  LakeReader* rr = rreader.get();
  ML_ASSIGN_OR_RETURN(auto stream,
                      AsofStream::Make(
                          lreader->schema(), rreader->schema(), [rr] { return rr->Next(); }, a));
  // Positions of the kept columns in the projected join, named as in the full one.
  const auto& lproj = *lreader->schema();
  const auto& rproj = *rreader->schema();
  std::vector<int> rproj_pos(static_cast<size_t>(rproj.num_fields()), -1);
  for (int c = 0, k = lproj.num_fields(); c < rproj.num_fields(); ++c) {
    if (rproj.field(c)->name() != a.by[0]) rproj_pos[c] = k++;
  }
  std::vector<int> select;
  std::vector<std::shared_ptr<arrow::Field>> out_fields;
  for (int i : keep) {
    if (i < nl) {
      select.push_back(lproj.GetFieldIndex(lfull->field(i)->name()));
    } else {
      select.push_back(rproj_pos[rproj.GetFieldIndex(rfull->field(right_nonkey[i - nl])->name())]);
    }
    out_fields.push_back(full->schema()->field(i));
  }
  auto out_schema = arrow::schema(out_fields);
  ML_ASSIGN_OR_RETURN(auto writer, OpenOrderedOutput(out_flags, out_schema, sel.tz));
  int64_t rows = 0;
  while (true) {
    ML_ASSIGN_OR_RETURN(auto batch, lreader->Next());
    if (batch == nullptr) break;
    ML_ASSIGN_OR_RETURN(auto joined, stream->Join(*batch));
    std::vector<std::shared_ptr<arrow::Array>> cols;
    cols.reserve(select.size());
    for (int c : select) cols.push_back(joined->column(c));
    ML_RETURN_NOT_OK(
        writer->Write(*arrow::RecordBatch::Make(out_schema, joined->num_rows(), cols)));
    rows += batch->num_rows();
    progress.Update(rows, -1);
  }
  progress.Finish();
  return writer->Close();
}

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "asof",
      "As-of join: each LEFT row with the latest RIGHT row at or before it (same key), like "
      "kdb+ aj");
  cmd->add_option("LEFT", o->left, "Left dataset (e.g. trades): every row is kept")->required();
  cmd->add_option("RIGHT", o->right, "Right dataset (e.g. quotes): the row in force")->required();
  AddSelectionFlags(cmd, &o->sel);
  AddOutputFlags(cmd, &o->out);
  cmd->add_option("--on", o->on, "Time column of both datasets (default ts)");
  cmd->add_option("--by", o->by, "Key column(s) of both, comma-separated (default symbol)");
  cmd->add_option("--tolerance", o->tolerance,
                  "Match only RIGHT rows at most this old (5s, 250ms, 1m ...)");
  cmd->add_option("--right-prefix", o->right_prefix,
                  "Prefix for RIGHT columns whose names clash (default right_)");
  cmd->add_option("--columns", o->columns,
                  "Output columns, in this order (e.g. symbol,ts,price,bid,ask,right_ts)");
  cmd->add_flag("--json", o->json, "JSON lines (as --format jsonl)");
  cmd->footer(
      "--symbol/--from/--to select LEFT rows (and the RIGHT rows that can match them);\n"
      "--session filters LEFT only. Columns: LEFT's, then RIGHT's except the key (ts as\n"
      "right_ts: the matched time).\n"
      "Examples:\n"
      "  marketlake asof trades quotes --lake ./lake --symbol AAPL --from 2024-03-11T14:30Z "
      "--to 2024-03-11T15:30Z\n"
      "  marketlake asof trades quotes --lake ./lake --tolerance 5s --session regular --out "
      "tq.parquet\n"
      "  marketlake asof trades quotes --lake ./lake --format jsonl --tz America/New_York");
  run = [o] { return Run(*o); };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
