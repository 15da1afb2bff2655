// marketlake sample-quotes: one quote per symbol and interval (the tightest spread or the
// last quote) with time-weighted spread and mid, streamed from a lake's quotes with bounded
// memory (QuoteSampler over a (symbol, ts)-ordered LakeReader), printed or written back.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "command.h"
#include "lake_flags.h"
#include "marketlake/lake.h"
#include "marketlake/lake_read.h"
#include "marketlake/quotes.h"
#include "marketlake/schema.h"
#include "ordered_output.h"
#include "progress.h"
#include "time_verbs.h"

namespace marketlake::cli {
namespace {

struct Options {
  SelectionFlags sel;
  OutputFlags out;
  std::string from_dataset = "quotes";
  std::string interval = "1s";
  std::string keep = "tightest";
  bool write = false;
  std::string dataset;  // default quotes_<interval>
  bool json = false;
  std::string columns;  // output projection
};

// Streams the quotes `read` selects through a sampler; `sink` gets rows in (symbol, ts)
// order. Returns the quotes read.
template <typename Sink>
Result<int64_t> Sample(Dataset* source, LakeReadOptions read, const QuoteOptions& q, Sink sink,
                       Progress* progress, int64_t rows_before) {
  read.prefetch = true;                   // decode the next batches while this one is sampled
  read.decode_threads = DecodeThreads();  // files decode in parallel
  read.coalesce = false;                  // the merge's runs as they are, not copied together
  ML_ASSIGN_OR_RETURN(auto reader, LakeReader::Open(source, read));
  ML_ASSIGN_OR_RETURN(auto sampler, QuoteSampler::Make(q, /*ordered_by_symbol=*/true));
  int64_t rows = 0;
  while (true) {
    ML_ASSIGN_OR_RETURN(auto batch, reader->Next());
    if (batch == nullptr) break;
    rows += batch->num_rows();
    ML_RETURN_NOT_OK(sampler->Consume(*batch));
    ML_ASSIGN_OR_RETURN(auto done, sampler->TakeCompleted());
    if (done->num_rows() > 0) ML_RETURN_NOT_OK(sink(done));
    if (progress) progress->Update(rows_before + rows, -1);
  }
  ML_ASSIGN_OR_RETURN(auto rest, sampler->Finish());
  ML_RETURN_NOT_OK(sink(rest));
  return rows;
}

Status Run(const Options& o) {
  ML_ASSIGN_OR_RETURN(Selection sel, ParseSelection(o.sel));
  ML_ASSIGN_OR_RETURN(auto lake, OpenLakeFlag(o.sel.lake));
  ML_ASSIGN_OR_RETURN(auto source, OpenExistingDataset(*lake, o.from_dataset));
  QuoteOptions q;
  q.interval = o.interval;
  if (o.keep == "tightest") {
    q.pick = QuoteOptions::Pick::kTightest;
  } else if (o.keep == "last") {
    q.pick = QuoteOptions::Pick::kLast;
  } else {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("--keep: '{}' (expected tightest or last)", o.keep));
  }
  ML_ASSIGN_OR_RETURN(int64_t interval_ns, ParseBarInterval(o.interval));
  if (interval_ns <= 0) return Error(ErrorCode::kInvalidArgument, "--interval: must be positive");
  if (!o.columns.empty()) {
    if (o.write) {
      return Error(ErrorCode::kInvalidArgument,
                   "--columns: not with --write (a derived dataset keeps every column)");
    }
    ML_ASSIGN_OR_RETURN(auto all, QuoteSampler::Make(q));
    ML_ASSIGN_OR_RETURN(auto keep, OutputProjection(o.columns, *all->schema()));
    for (int i : keep) q.columns.push_back(all->schema()->field(i)->name());
  }
  // Sizes are read only when they are output.
  auto wanted = [&](const char* c) {
    return q.columns.empty() || std::find(q.columns.begin(), q.columns.end(), c) != q.columns.end();
  };
  LakeReadOptions read;
  ApplySelection(sel, &read);
  {
    ML_ASSIGN_OR_RETURN(auto probe, LakeReader::Open(source.get(), LakeReadOptions{}));
    for (const char* c : {"symbol", "ts", "bid", "ask", "bid_size", "ask_size"}) {
      const bool size = std::string_view(c).ends_with("_size");
      if (probe->schema()->GetFieldIndex(c) >= 0 && (!size || wanted(c))) {
        read.columns.emplace_back(c);
      }
    }
  }
  Progress progress("sample-quotes", -1);
  if (!o.write) {
    OutputFlags out_flags = o.out;
    if (o.json && out_flags.format.empty()) out_flags.format = "jsonl";
    std::unique_ptr<BatchWriter> writer;
    auto sink = [&](const std::shared_ptr<arrow::RecordBatch>& b) -> Status {
      if (!writer) {
        ML_ASSIGN_OR_RETURN(writer, OpenOrderedOutput(out_flags, b->schema(), sel.tz));
      }
      return b->num_rows() > 0 ? writer->Write(*b) : Status::OK();
    };
    ML_RETURN_NOT_OK(Sample(source.get(), read, q, sink, &progress, 0).status());
    progress.Finish();
    return writer->Close();
  }

  // --write: whole partitions, each from exactly the quotes of its intervals.
  const std::string name = o.dataset.empty() ? "quotes_" + o.interval : o.dataset;
  ML_ASSIGN_OR_RETURN(
      DerivedWrite w,
      PrepareDerivedWrite(*lake, *source, o.from_dataset, name, sel,
                          {{"interval", o.interval},
                           {"keep", o.keep},
                           {"session", o.sel.session.empty() ? "all" : o.sel.session}},
                          {"interval", "keep", "session", "from_dataset"}));
  const Snapshot& src = w.source;
  auto& target = w.target;
  const AppendOptions& append = w.append;
  nlohmann::json report = nlohmann::json::array();
  int64_t total_rows = 0, total_out = 0;
  for (const auto& part : w.partitions) {
    LakeReadOptions r = read;
    r.version = src.version;
    r.from_ns = CeilTo(part.start, interval_ns);
    r.to_ns = CeilTo(part.end, interval_ns);
    std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
    int64_t out_rows = 0;
    auto sink = [&](const std::shared_ptr<arrow::RecordBatch>& b) -> Status {
      if (b->num_rows() > 0) {
        out_rows += b->num_rows();
        batches.push_back(b);
      }
      return Status::OK();
    };
    int64_t rows = 0;
    if (*r.from_ns < *r.to_ns) {
      ML_ASSIGN_OR_RETURN(rows, Sample(source.get(), r, q, sink, &progress, total_rows));
    }
    total_rows += rows;
    total_out += out_rows;
    ML_ASSIGN_OR_RETURN(auto result, target->ReplacePartitions({part.values}, batches, append));
    ML_ASSIGN_OR_RETURN(std::string dir, PartitionDir(part.values));
    report.push_back({{"partition", dir},
                      {"source_rows", rows},
                      {"rows", out_rows},
                      {"version", result.version},
                      {"files_removed", result.removed.size()}});
  }
  progress.Finish();
  if (o.json) {
    nlohmann::json out = {{"dataset", name},
                          {"from_dataset", o.from_dataset},
                          {"source_version", src.version},
                          {"interval", o.interval},
                          {"keep", o.keep},
                          {"source_rows", total_rows},
                          {"rows", total_out},
                          {"partitions", report}};
    fmt::print("{}\n", out.dump());
  } else {
    for (const auto& p : report) {
      fmt::print("{} {}: {} rows from {} quotes (version {}, {} files replaced)\n", name,
                 p["partition"].get<std::string>(), p["rows"].get<int64_t>(),
                 p["source_rows"].get<int64_t>(), p["version"].get<int64_t>(),
                 p["files_removed"].get<size_t>());
    }
  }
  return Status::OK();
}

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "sample-quotes",
      "One quote per symbol and interval (tightest spread or last), with time-weighted "
      "spread and mid");
  AddSelectionFlags(cmd, &o->sel);
  AddOutputFlags(cmd, &o->out);
  cmd->add_option("--from-dataset", o->from_dataset, "Source dataset (default quotes)");
  cmd->add_option("--interval", o->interval, "Interval, aligned to the epoch (default 1s)");
  cmd->add_option("--keep", o->keep,
                  "tightest: smallest ask - bid, ties to the earliest (default); last: the last "
                  "quote of the interval");
  cmd->add_flag("--write", o->write,
                "Write to the lake (quotes_<interval>), replacing every partition the range "
                "touches");
  cmd->add_option("--dataset", o->dataset, "Dataset --write writes (default quotes_<interval>)");
  cmd->add_flag("--json", o->json,
                "With --write: a JSON summary; otherwise JSON lines (as --format jsonl)");
  cmd->add_option("--columns", o->columns,
                  "Output columns, in this order (default all; columns left out are not "
                  "computed, and bid_size/ask_size not read)");
  cmd->footer(
      "Columns: symbol, ts (interval start), quote_ts, bid, ask, bid_size, ask_size, spread,\n"
      "quote_count, twa_spread, twa_mid (docs/time.md says how time weights are taken).\n"
      "Examples:\n"
      "  marketlake sample-quotes --lake ./lake --interval 1s --keep tightest --symbol AAPL\n"
      "  marketlake sample-quotes --lake ./lake --interval 1m --keep last --session regular "
      "--out q1m.parquet\n"
      "  marketlake sample-quotes --lake ./lake --interval 1s --write --json\n"
      "  marketlake sample-quotes --lake ./lake --columns symbol,ts,bid,ask,quote_count "
      "--out q1s.parquet");
  run = [o] { return Run(*o); };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
