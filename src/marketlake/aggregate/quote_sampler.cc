// QuoteSampler: SampleQuotes' arithmetic, one open interval per symbol. Every sum is
// accumulated in the order SampleQuotes uses (rows of a symbol by (ts, arrival)), so the
// results are bit-identical, not merely close.
#include <arrow/builder.h>
#include <arrow/compute/api.h>
#include <arrow/util/key_value_metadata.h>
#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include "marketlake/aggregate/internal.h"
#include "marketlake/quotes.h"
#include "marketlake/schema.h"
#include "marketlake/timestamp.h"

namespace marketlake {
namespace {

using aggregate_internal::FloorDiv;
using aggregate_internal::KeyIds;
using aggregate_internal::ReadTimeColumn;
using aggregate_internal::TimeColumn;

struct SymbolInterval {
  bool open = false;
  int64_t bucket = 0, bucket_end = 0;
  // The chosen quote.
  int64_t chosen_ts = 0;
  double bid = 0, ask = 0, best = 0;
  int64_t bid_size = 0, ask_size = 0;
  bool bid_size_valid = false, ask_size_valid = false;
  int64_t count = 0;
  double w_sum = 0, w_spread = 0, w_mid = 0;
  // The latest quote, whose time weight the next quote (or the interval end) decides.
  int64_t last_ts = std::numeric_limits<int64_t>::min();
  double last_bid = 0, last_ask = 0;
  // Set when the symbol's last interval was handed out at the next symbol's start.
  bool closed = false;
  int64_t closed_bucket = 0;
};

Result<std::shared_ptr<arrow::Array>> QuoteColumn(const arrow::RecordBatch& b,
                                                  const std::string& name,
                                                  const std::shared_ptr<arrow::DataType>& type,
                                                  bool required) {
  auto col = b.GetColumnByName(name);
  if (col == nullptr) {
    if (!required) return std::shared_ptr<arrow::Array>();
    return Error(ErrorCode::kMissingColumn, "quotes: no column '" + name + "'");
  }
  if (type == nullptr || col->type()->Equals(*type)) return col;
  auto cast = arrow::compute::Cast(*col, type);
  if (!cast.ok()) {
    return Error(ErrorCode::kDataType, "quotes: column '" + name + "': expected " +
                                           type->ToString() + ", got " + col->type()->ToString());
  }
  return *cast;
}

}  // namespace

struct QuoteSampler::Impl {
  QuoteOptions opt;
  bool ordered = false;
  uint32_t prev_id = KeyIds::kNullId;  // ordered: the symbol of the previous row
  int64_t interval = 0;
  std::shared_ptr<arrow::Schema> schema;
  KeyIds keys;
  std::vector<SymbolInterval> state;  // by key id
  std::vector<uint32_t> open_ids;     // symbols with an open interval (unordered)
  std::vector<uint32_t> ids;          // scratch: key id per row

  arrow::StringBuilder sym_b;
  arrow::TimestampBuilder ts_b{arrow::timestamp(arrow::TimeUnit::NANO, "UTC"),
                               arrow::default_memory_pool()};
  arrow::TimestampBuilder qts_b{arrow::timestamp(arrow::TimeUnit::NANO, "UTC"),
                                arrow::default_memory_pool()};
  arrow::DoubleBuilder bid_b, ask_b, spread_b, tws_b, twm_b;
  arrow::Int64Builder bsz_b, asz_b, count_b;
  int64_t pending = 0;  // rows in the builders
  int64_t room = 0;     // rows every builder has capacity for (ReserveRows)

  static void AddWeight(SymbolInterval& s, int64_t until) {
    const double w = static_cast<double>(until - s.last_ts);
    s.w_sum += w;
    s.w_spread += w * (s.last_ask - s.last_bid);
    s.w_mid += w * (0.5 * (s.last_bid + s.last_ask));
  }

  Status ReserveRows(int64_t n) {
    for (arrow::ArrayBuilder* b : std::initializer_list<arrow::ArrayBuilder*>{
             &sym_b, &ts_b, &qts_b, &bid_b, &ask_b, &spread_b, &tws_b, &twm_b, &bsz_b, &asz_b,
             &count_b}) {
      ML_RETURN_NOT_OK(b->Reserve(n));
    }
    room = n;
    return Status::OK();
  }

  Status Emit(uint32_t id) {
    SymbolInterval& s = state[id];
    AddWeight(s, s.bucket_end);
    if (room <= 0) ML_RETURN_NOT_OK(ReserveRows(1024));
    --room;  // every builder has room for this row: unchecked appends
    ML_RETURN_NOT_OK(sym_b.Append(keys.names()[id]));
    ts_b.UnsafeAppend(s.bucket);
    qts_b.UnsafeAppend(s.chosen_ts);
    bid_b.UnsafeAppend(s.bid);
    ask_b.UnsafeAppend(s.ask);
    if (s.bid_size_valid) {
      bsz_b.UnsafeAppend(s.bid_size);
    } else {
      bsz_b.UnsafeAppendNull();
    }
    if (s.ask_size_valid) {
      asz_b.UnsafeAppend(s.ask_size);
    } else {
      asz_b.UnsafeAppendNull();
    }
    spread_b.UnsafeAppend(s.ask - s.bid);
    count_b.UnsafeAppend(s.count);
    if (s.w_sum > 0) {
      tws_b.UnsafeAppend(s.w_spread / s.w_sum);
      twm_b.UnsafeAppend(s.w_mid / s.w_sum);
    } else {
      tws_b.UnsafeAppendNull();
      twm_b.UnsafeAppendNull();
    }
    s.open = false;
    ++pending;
    return Status::OK();
  }

  Status Consume(const arrow::RecordBatch& batch) {
    const int64_t n = batch.num_rows();
    if (n == 0) return Status::OK();
    ML_ASSIGN_OR_RETURN(auto ts_a, QuoteColumn(batch, opt.ts_column, nullptr, true));
    ML_ASSIGN_OR_RETURN(TimeColumn ts, ReadTimeColumn(*ts_a, opt.ts_column));
    ML_ASSIGN_OR_RETURN(auto sym_a, QuoteColumn(batch, opt.symbol_column, nullptr, true));
    ML_ASSIGN_OR_RETURN(auto bid_a, QuoteColumn(batch, "bid", arrow::float64(), true));
    ML_ASSIGN_OR_RETURN(auto ask_a, QuoteColumn(batch, "ask", arrow::float64(), true));
    ML_ASSIGN_OR_RETURN(auto bsz_a, QuoteColumn(batch, "bid_size", arrow::int64(), false));
    ML_ASSIGN_OR_RETURN(auto asz_a, QuoteColumn(batch, "ask_size", arrow::int64(), false));
    ids.clear();
    ML_RETURN_NOT_OK(keys.Map(*sym_a, opt.symbol_column, &ids));
    // Room for a row per quote up front: growing the builders row by row reallocates and
    // copies them (and touches fresh pages) several times per batch.
    ML_RETURN_NOT_OK(ReserveRows(n));
    if (state.size() < keys.size()) state.resize(keys.size());
    const double* bid = static_cast<const arrow::DoubleArray&>(*bid_a).raw_values();
    const double* ask = static_cast<const arrow::DoubleArray&>(*ask_a).raw_values();
    const int64_t* bsz =
        bsz_a ? static_cast<const arrow::Int64Array&>(*bsz_a).raw_values() : nullptr;
    const int64_t* asz =
        asz_a ? static_cast<const arrow::Int64Array&>(*asz_a).raw_values() : nullptr;
    const bool nulls = ts_a->null_count() > 0 || bid_a->null_count() > 0 || ask_a->null_count() > 0;
    const bool pick_last = opt.pick == QuoteOptions::Pick::kLast;
    for (int64_t i = 0; i < n; ++i) {
      const uint32_t id = ids[i];
      if (id == KeyIds::kNullId) continue;
      if (nulls && (ts_a->IsNull(i) || bid_a->IsNull(i) || ask_a->IsNull(i))) continue;
      const int64_t t = ts.values[i];
      if (ordered && id != prev_id) {
        if (prev_id != KeyIds::kNullId) {
          if (keys.names()[id] < keys.names()[prev_id]) {
            return Error(ErrorCode::kInvalidArgument,
                         fmt::format("quotes are not ordered by symbol: '{}' after '{}'",
                                     keys.names()[id], keys.names()[prev_id]));
          }
          if (state[prev_id].open) {
            ML_RETURN_NOT_OK(Emit(prev_id));
            state[prev_id].closed = true;
            state[prev_id].closed_bucket = state[prev_id].bucket;
          }
        }
        prev_id = id;
      }
      SymbolInterval& s = state[id];
      if (t < s.last_ts) {
        return Error(
            ErrorCode::kInvalidArgument,
            fmt::format("quotes of '{}' are not in time order: {} after {}", keys.names()[id],
                        FormatTimestampNanos(t), FormatTimestampNanos(s.last_ts)));
      }
      const int64_t bucket = FloorDiv(t, interval) * interval;
      if (s.open) {
        if (bucket == s.bucket) {
          AddWeight(s, t);
        } else {
          ML_RETURN_NOT_OK(Emit(id));  // weight up to the interval end
        }
      }
      const double spread = ask[i] - bid[i];
      bool choose;
      if (!s.open) {
        if (s.closed && bucket <= s.closed_bucket) {
          return Error(ErrorCode::kInvalidArgument,
                       fmt::format("a quote of '{}' at {} arrived after its interval was closed",
                                   keys.names()[id], FormatTimestampNanos(t)));
        }
        s.open = true;
        s.bucket = bucket;
        s.bucket_end = bucket + interval;
        s.count = 0;
        s.w_sum = s.w_spread = s.w_mid = 0;
        s.best = spread;
        choose = true;
        open_ids.push_back(id);
      } else {
        choose = pick_last || spread < s.best;
      }
      ++s.count;
      if (choose) {
        s.best = pick_last ? s.best : spread;
        s.chosen_ts = t;
        s.bid = bid[i];
        s.ask = ask[i];
        s.bid_size_valid = bsz != nullptr && bsz_a->IsValid(i);
        s.bid_size = s.bid_size_valid ? bsz[i] : 0;
        s.ask_size_valid = asz != nullptr && asz_a->IsValid(i);
        s.ask_size = s.ask_size_valid ? asz[i] : 0;
      }
      s.last_ts = t;
      s.last_bid = bid[i];
      s.last_ask = ask[i];
    }
    // Forget symbols whose interval was emitted mid-batch from the open list.
    open_ids.erase(std::remove_if(open_ids.begin(), open_ids.end(),
                                  [&](uint32_t id) { return !state[id].open; }),
                   open_ids.end());
    std::sort(open_ids.begin(), open_ids.end());
    open_ids.erase(std::unique(open_ids.begin(), open_ids.end()), open_ids.end());
    return Status::OK();
  }

  // Closes every open interval, in symbol order.
  Status CloseAll() {
    std::vector<uint32_t> closing;
    for (uint32_t id : open_ids) {
      if (state[id].open) closing.push_back(id);
    }
    std::sort(closing.begin(), closing.end(),
              [&](uint32_t a, uint32_t b) { return keys.names()[a] < keys.names()[b]; });
    for (uint32_t id : closing) ML_RETURN_NOT_OK(Emit(id));
    open_ids.clear();
    return Status::OK();
  }

  Result<std::shared_ptr<arrow::RecordBatch>> Take() {
    std::vector<std::shared_ptr<arrow::Array>> cols(11);
    ML_RETURN_NOT_OK(sym_b.Finish(&cols[0]));
    ML_RETURN_NOT_OK(ts_b.Finish(&cols[1]));
    ML_RETURN_NOT_OK(qts_b.Finish(&cols[2]));
    ML_RETURN_NOT_OK(bid_b.Finish(&cols[3]));
    ML_RETURN_NOT_OK(ask_b.Finish(&cols[4]));
    ML_RETURN_NOT_OK(bsz_b.Finish(&cols[5]));
    ML_RETURN_NOT_OK(asz_b.Finish(&cols[6]));
    ML_RETURN_NOT_OK(spread_b.Finish(&cols[7]));
    ML_RETURN_NOT_OK(count_b.Finish(&cols[8]));
    ML_RETURN_NOT_OK(tws_b.Finish(&cols[9]));
    ML_RETURN_NOT_OK(twm_b.Finish(&cols[10]));
    const int64_t rows = pending;
    pending = 0;
    room = 0;  // finished builders start empty
    return arrow::RecordBatch::Make(schema, rows, cols);
  }
};

QuoteSampler::QuoteSampler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
QuoteSampler::~QuoteSampler() = default;

Result<std::unique_ptr<QuoteSampler>> QuoteSampler::Make(const QuoteOptions& options,
                                                         bool ordered_by_symbol) {
  auto impl = std::make_unique<Impl>();
  impl->opt = options;
  impl->ordered = ordered_by_symbol;
  ML_ASSIGN_OR_RETURN(impl->interval, ParseBarInterval(options.interval));
  if (impl->interval <= 0) {
    return Error(ErrorCode::kInvalidArgument, "quote interval must be positive");
  }
  auto ts_type = arrow::timestamp(arrow::TimeUnit::NANO, "UTC");
  impl->schema = arrow::schema(
      {arrow::field("symbol", arrow::utf8()), arrow::field("ts", ts_type),
       arrow::field("quote_ts", ts_type), arrow::field("bid", arrow::float64()),
       arrow::field("ask", arrow::float64()), arrow::field("bid_size", arrow::int64()),
       arrow::field("ask_size", arrow::int64()), arrow::field("spread", arrow::float64()),
       arrow::field("quote_count", arrow::int64()), arrow::field("twa_spread", arrow::float64()),
       arrow::field("twa_mid", arrow::float64())},
      arrow::key_value_metadata({"marketlake.interval"}, {options.interval}));
  return std::unique_ptr<QuoteSampler>(new QuoteSampler(std::move(impl)));
}

std::shared_ptr<arrow::Schema> QuoteSampler::schema() const { return impl_->schema; }

Status QuoteSampler::Consume(const arrow::RecordBatch& batch) { return impl_->Consume(batch); }

Result<std::shared_ptr<arrow::RecordBatch>> QuoteSampler::TakeCompleted() { return impl_->Take(); }

Result<std::shared_ptr<arrow::RecordBatch>> QuoteSampler::Finish() {
  ML_RETURN_NOT_OK(impl_->CloseAll());
  ML_ASSIGN_OR_RETURN(auto out, impl_->Take());
  impl_->keys = KeyIds();
  impl_->state.clear();
  impl_->open_ids.clear();
  impl_->prev_id = KeyIds::kNullId;
  return out;
}

int64_t QuoteSampler::open_symbols() const { return static_cast<int64_t>(impl_->open_ids.size()); }

}  // namespace marketlake
