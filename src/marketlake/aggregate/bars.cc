#include "marketlake/bars.h"

#include <arrow/builder.h>
#include <arrow/compute/api.h>
#include <arrow/util/key_value_metadata.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string_view>

#include "marketlake/aggregate/internal.h"
#include "marketlake/schema.h"

namespace marketlake {
namespace {

using aggregate_internal::FloorDiv;
using aggregate_internal::LocalClock;
using aggregate_internal::ReadTimeColumn;
using aggregate_internal::TimeColumn;

constexpr int64_t kNanosPerDay = 86400LL * 1'000'000'000LL;

struct BarState {
  int64_t bucket;  // bar start ns (intraday) or local day number (daily)
  uint32_t sym;
  int64_t open_ts, open_seq, close_ts, close_seq;
  double open, high, low, close;
  int64_t volume, count;
  double notional, notional_c;  // Neumaier running sum and compensation

  void AddNotional(double x) {
    double t = notional + x;
    if (std::fabs(notional) >= std::fabs(x)) {
      notional_c += (notional - t) + x;
    } else {
      notional_c += (x - t) + notional;
    }
    notional = t;
  }
};

// (symbol, bucket) -> bar index: open addressing, linear probing, no per-entry allocation.
class BarIndex {
 public:
  static constexpr uint32_t kEmpty = std::numeric_limits<uint32_t>::max();
  // The index stored for (sym, bucket), or inserts `fresh` and returns it.
  uint32_t FindOrInsert(uint32_t sym, int64_t bucket, uint32_t fresh) {
    if ((used_ + 1) * 2 > slots_.size()) Grow();
    size_t mask = slots_.size() - 1;
    for (size_t i = Hash(sym, bucket) & mask;; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (slot.index == kEmpty) {
        slot = Slot{bucket, sym, fresh};
        ++used_;
        return fresh;
      }
      if (slot.bucket == bucket && slot.sym == sym) return slot.index;
    }
  }
  // Empties the index, keeping its slots allocated.
  void Clear() {
    std::fill(slots_.begin(), slots_.end(), Slot{});
    used_ = 0;
  }

 private:
  struct Slot {
    int64_t bucket = 0;
    uint32_t sym = 0;
    uint32_t index = kEmpty;
  };
  static size_t Hash(uint32_t sym, int64_t bucket) {
    uint64_t h = static_cast<uint64_t>(bucket) * 0x9E3779B97F4A7C15ULL ^
                 (static_cast<uint64_t>(sym) * 0xC2B2AE3D27D4EB4FULL);
    return static_cast<size_t>(h ^ (h >> 29));
  }
  void Grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(std::max<size_t>(64, old.size() * 2), Slot{});
    used_ = 0;
    for (const Slot& s : old) {
      if (s.index != kEmpty) FindOrInsert(s.sym, s.bucket, s.index);
    }
  }
  std::vector<Slot> slots_;
  size_t used_ = 0;
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct SymbolState {
  std::string name;
  std::vector<uint32_t> bar_ids;  // indices into the bar states, in creation order
  int64_t last_bucket = std::numeric_limits<int64_t>::min();
  uint32_t last_index = 0;
  // The last bar handed out by TakeCompleted() (rows for it or earlier ones are late).
  bool emitted = false;
  int64_t emitted_bucket = std::numeric_limits<int64_t>::min();
  double emitted_close = 0;
};

Result<std::shared_ptr<arrow::Array>> Column(const arrow::RecordBatch& batch,
                                             const std::string& name,
                                             const std::shared_ptr<arrow::DataType>& type,
                                             bool required = true) {
  auto col = batch.GetColumnByName(name);
  if (col == nullptr) {
    if (!required) return std::shared_ptr<arrow::Array>();
    return Error(ErrorCode::kMissingColumn,
                 "no column '" + name + "' (have: " + batch.schema()->ToString() + ")");
  }
  if (type == nullptr || col->type()->Equals(*type)) return col;
  auto cast = arrow::compute::Cast(*col, type);
  if (!cast.ok()) {
    return Error(ErrorCode::kDataType, "column '" + name + "': expected " + type->ToString() +
                                           ", got " + col->type()->ToString());
  }
  return *cast;
}

}  // namespace

struct BarAggregator::Impl {
  BarOptions opt;
  Input input = Input::kTrades;
  int64_t interval = 0;
  bool daily = false;
  const TradingCalendar* cal = nullptr;
  std::vector<BarState> bars;
  std::vector<SymbolState> symbols;
  BarIndex index;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> ids;
  int64_t seq = 0;
  int64_t late = 0;
  // Scratch reused across calls, so a stream does not allocate (and fault in) them per batch.
  std::vector<uint32_t> row_syms;
  std::vector<char> taken;
  std::vector<uint32_t> remap;

  uint32_t SymbolId(std::string_view s) {
    auto it = ids.find(s);
    if (it != ids.end()) return it->second;
    uint32_t id = static_cast<uint32_t>(symbols.size());
    symbols.push_back(SymbolState{std::string(s), {}, std::numeric_limits<int64_t>::min(), 0});
    ids.emplace(std::string(s), id);
    return id;
  }

  // Symbol id per row (UINT32_MAX for null).
  Status RowSymbols(const arrow::Array& col, std::vector<uint32_t>* out) {
    out->resize(col.length());
    return aggregate_internal::MapStringRuns(
        col, opt.symbol_column, [&](std::string_view s) { return SymbolId(s); }, out->data());
  }

  BarState& StateFor(uint32_t sym, int64_t bucket) {
    SymbolState& s = symbols[sym];
    if (s.last_bucket == bucket) return bars[s.last_index];
    const uint32_t fresh = static_cast<uint32_t>(bars.size());
    const uint32_t found = index.FindOrInsert(sym, bucket, fresh);
    if (found == fresh) {
      BarState b{};
      b.bucket = bucket;
      b.sym = sym;
      s.bar_ids.push_back(fresh);
      b.open_ts = std::numeric_limits<int64_t>::max();
      b.close_ts = std::numeric_limits<int64_t>::min();
      b.high = -std::numeric_limits<double>::infinity();
      b.low = std::numeric_limits<double>::infinity();
      bars.push_back(b);
    }
    s.last_bucket = bucket;
    s.last_index = found;
    return bars[found];
  }

  Status Consume(const arrow::RecordBatch& batch) {
    const int64_t n = batch.num_rows();
    if (n == 0) return Status::OK();
    auto ts_array = batch.GetColumnByName(opt.ts_column);
    if (ts_array == nullptr) {
      return Error(ErrorCode::kMissingColumn, "no column '" + opt.ts_column + "'");
    }
    ML_ASSIGN_OR_RETURN(TimeColumn ts, ReadTimeColumn(*ts_array, opt.ts_column));
    auto sym_array = batch.GetColumnByName(opt.symbol_column);
    if (sym_array == nullptr) {
      return Error(ErrorCode::kMissingColumn, "no column '" + opt.symbol_column + "'");
    }
    std::vector<uint32_t>& syms = row_syms;
    ML_RETURN_NOT_OK(RowSymbols(*sym_array, &syms));

    // Columns as (o, h, l, c, volume, count, notional); for trades o=h=l=c=price.
    std::shared_ptr<arrow::Array> o, h, l, c, v, k, vw, nt;
    if (input == Input::kTrades) {
      ML_ASSIGN_OR_RETURN(o, Column(batch, opt.price_column, arrow::float64()));
      ML_ASSIGN_OR_RETURN(v, Column(batch, opt.size_column, arrow::int64()));
    } else {
      ML_ASSIGN_OR_RETURN(o, Column(batch, "open", arrow::float64()));
      ML_ASSIGN_OR_RETURN(h, Column(batch, "high", arrow::float64()));
      ML_ASSIGN_OR_RETURN(l, Column(batch, "low", arrow::float64()));
      ML_ASSIGN_OR_RETURN(c, Column(batch, "close", arrow::float64()));
      ML_ASSIGN_OR_RETURN(v, Column(batch, "volume", arrow::int64()));
      ML_ASSIGN_OR_RETURN(k, Column(batch, "trade_count", arrow::int64(), false));
      ML_ASSIGN_OR_RETURN(nt, Column(batch, "notional", arrow::float64(), false));
      if (nt == nullptr) {
        ML_ASSIGN_OR_RETURN(vw, Column(batch, "vwap", arrow::float64()));
      }
    }
    auto dbl = [](const std::shared_ptr<arrow::Array>& a) {
      return a ? static_cast<const arrow::DoubleArray&>(*a).raw_values() : nullptr;
    };
    auto i64 = [](const std::shared_ptr<arrow::Array>& a) {
      return a ? static_cast<const arrow::Int64Array&>(*a).raw_values() : nullptr;
    };
    const double* po = dbl(o);
    const double* ph = h ? dbl(h) : po;
    const double* pl = l ? dbl(l) : po;
    const double* pc = c ? dbl(c) : po;
    const int64_t* pv = i64(v);
    const int64_t* pk = i64(k);
    const double* pvw = dbl(vw);
    const double* pnt = dbl(nt);
    const bool any_nulls = ts_array->null_count() > 0 || o->null_count() > 0 ||
                           v->null_count() > 0 || (h && h->null_count() > 0) ||
                           (l && l->null_count() > 0) || (c && c->null_count() > 0);

    LocalClock clock(cal);
    const bool classify = cal != nullptr;
    int64_t bucket_lo = 0;  // [bucket_lo, bucket_hi): the last intraday bucket computed
    int64_t bucket_hi = 0;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t row_seq = seq + i;
      const uint32_t sym = syms[i];
      if (sym == std::numeric_limits<uint32_t>::max()) continue;
      if (any_nulls && (ts_array->IsNull(i) || o->IsNull(i) || v->IsNull(i) ||
                        (h && h->IsNull(i)) || (l && l->IsNull(i)) || (c && c->IsNull(i)))) {
        continue;
      }
      if (pk != nullptr && !k->IsNull(i) && pk[i] == 0) continue;  // a filled bar
      const int64_t t = ts.values[i];
      int64_t bucket;
      if (classify) {
        int32_t day;
        Session s = clock.Classify(t, &day);
        if ((opt.sessions & SessionBit(s)) == 0) continue;
        if (daily && !clock.trading_day()) continue;
        bucket = daily ? day : FloorDiv(t, interval) * interval;
      } else if (t >= bucket_lo && t < bucket_hi) {
        bucket = bucket_lo;  // the previous row's bucket (time-ordered input): no division
      } else {
        bucket = FloorDiv(t, interval) * interval;
        bucket_lo = bucket;
        bucket_hi = bucket <= std::numeric_limits<int64_t>::max() - interval
                        ? bucket + interval
                        : std::numeric_limits<int64_t>::max();
      }
      if (symbols[sym].emitted && bucket <= symbols[sym].emitted_bucket) {
        ++late;
        continue;
      }
      BarState& b = StateFor(sym, bucket);
      if (t < b.open_ts || (t == b.open_ts && row_seq < b.open_seq)) {
        b.open_ts = t;
        b.open_seq = row_seq;
        b.open = po[i];
      }
      if (t > b.close_ts || (t == b.close_ts && row_seq > b.close_seq)) {
        b.close_ts = t;
        b.close_seq = row_seq;
        b.close = pc[i];
      }
      b.high = std::max(b.high, ph[i]);
      b.low = std::min(b.low, pl[i]);
      b.volume += pv[i];
      if (input == Input::kTrades) {
        b.count += 1;
        b.AddNotional(po[i] * static_cast<double>(pv[i]));
      } else {
        b.count += pk != nullptr && !k->IsNull(i) ? pk[i] : 1;
        if (pnt != nullptr) {
          if (!nt->IsNull(i)) b.AddNotional(pnt[i]);
        } else if (!vw->IsNull(i)) {
          b.AddNotional(pvw[i] * static_cast<double>(pv[i]));
        }
      }
    }
    seq += n;
    return Status::OK();
  }

  int64_t BucketEnd(int64_t bucket) const {
    return daily ? cal->LocalToUtcNanos(static_cast<int32_t>(bucket + 1), 0) : bucket + interval;
  }

  // Bars ending at or before `watermark` (all bars for INT64_MAX), ordered by (symbol, ts);
  // they leave memory. With `before`, every bar of the symbols ordered before it instead.
  Result<std::shared_ptr<arrow::Table>> Emit(int64_t watermark,
                                             const std::string* before = nullptr) {
    arrow::StringBuilder sym_b;
    arrow::TimestampBuilder ts_b(arrow::timestamp(arrow::TimeUnit::NANO, "UTC"),
                                 arrow::default_memory_pool());
    arrow::DoubleBuilder o_b, h_b, l_b, c_b, vwap_b, nt_b;
    arrow::Int64Builder v_b, k_b;
    std::vector<uint32_t> order(symbols.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](uint32_t a, uint32_t b) { return symbols[a].name < symbols[b].name; });
    auto start_of = [&](int64_t bucket) {
      return daily ? cal->LocalToUtcNanos(static_cast<int32_t>(bucket), 0) : bucket;
    };
    auto emit_fill = [&](const std::string& name, int64_t bucket, double close) -> Status {
      ML_RETURN_NOT_OK(sym_b.Append(name));
      ML_RETURN_NOT_OK(ts_b.Append(start_of(bucket)));
      ML_RETURN_NOT_OK(o_b.Append(close));
      ML_RETURN_NOT_OK(h_b.Append(close));
      ML_RETURN_NOT_OK(l_b.Append(close));
      ML_RETURN_NOT_OK(c_b.Append(close));
      ML_RETURN_NOT_OK(v_b.Append(0));
      ML_RETURN_NOT_OK(k_b.Append(0));
      ML_RETURN_NOT_OK(vwap_b.AppendNull());
      return nt_b.AppendNull();
    };
    const bool everything = watermark == std::numeric_limits<int64_t>::max();
    std::vector<uint32_t> idx;
    taken.assign(everything ? 0 : bars.size(), 0);
    for (uint32_t s : order) {
      SymbolState& st = symbols[s];
      if (before != nullptr && !(st.name < *before)) break;  // `order` is by name
      idx.clear();
      for (uint32_t i : st.bar_ids) {
        if (everything || before != nullptr || BucketEnd(bars[i].bucket) <= watermark) {
          idx.push_back(i);
        }
      }
      auto by_bucket = [&](uint32_t a, uint32_t b) { return bars[a].bucket < bars[b].bucket; };
      if (!std::is_sorted(idx.begin(), idx.end(), by_bucket)) {
        std::sort(idx.begin(), idx.end(), by_bucket);
      }
      for (size_t j = 0; j < idx.size(); ++j) {
        const BarState& b = bars[idx[j]];
        if (!everything) taken[idx[j]] = 1;
        if (opt.fill && (j > 0 || st.emitted)) {
          const int64_t prev_bucket = j > 0 ? bars[idx[j - 1]].bucket : st.emitted_bucket;
          const double prev_close = j > 0 ? bars[idx[j - 1]].close : st.emitted_close;
          int64_t step = daily ? 1 : interval;
          for (int64_t x = prev_bucket + step; x < b.bucket; x += step) {
            if (daily && !cal->IsTradingDay(static_cast<int32_t>(x))) continue;
            ML_RETURN_NOT_OK(emit_fill(st.name, x, prev_close));
          }
        }
        ML_RETURN_NOT_OK(sym_b.Append(st.name));
        ML_RETURN_NOT_OK(ts_b.Append(start_of(b.bucket)));
        ML_RETURN_NOT_OK(o_b.Append(b.open));
        ML_RETURN_NOT_OK(h_b.Append(b.high));
        ML_RETURN_NOT_OK(l_b.Append(b.low));
        ML_RETURN_NOT_OK(c_b.Append(b.close));
        ML_RETURN_NOT_OK(v_b.Append(b.volume));
        ML_RETURN_NOT_OK(k_b.Append(b.count));
        double notional = b.notional + b.notional_c;
        if (b.volume != 0) {
          ML_RETURN_NOT_OK(vwap_b.Append(notional / static_cast<double>(b.volume)));
        } else {
          ML_RETURN_NOT_OK(vwap_b.AppendNull());
        }
        ML_RETURN_NOT_OK(nt_b.Append(notional));
      }
      if (!idx.empty()) {
        st.emitted = true;
        st.emitted_bucket = bars[idx.back()].bucket;
        st.emitted_close = bars[idx.back()].close;
      }
    }
    std::vector<std::shared_ptr<arrow::Field>> fields = {
        arrow::field("symbol", arrow::utf8()),
        arrow::field("ts", arrow::timestamp(arrow::TimeUnit::NANO, "UTC")),
        arrow::field("open", arrow::float64()),
        arrow::field("high", arrow::float64()),
        arrow::field("low", arrow::float64()),
        arrow::field("close", arrow::float64()),
        arrow::field("volume", arrow::int64()),
        arrow::field("trade_count", arrow::int64()),
        arrow::field("vwap", arrow::float64())};
    std::vector<std::shared_ptr<arrow::Array>> cols(9);
    ML_RETURN_NOT_OK(sym_b.Finish(&cols[0]));
    ML_RETURN_NOT_OK(ts_b.Finish(&cols[1]));
    ML_RETURN_NOT_OK(o_b.Finish(&cols[2]));
    ML_RETURN_NOT_OK(h_b.Finish(&cols[3]));
    ML_RETURN_NOT_OK(l_b.Finish(&cols[4]));
    ML_RETURN_NOT_OK(c_b.Finish(&cols[5]));
    ML_RETURN_NOT_OK(v_b.Finish(&cols[6]));
    ML_RETURN_NOT_OK(k_b.Finish(&cols[7]));
    ML_RETURN_NOT_OK(vwap_b.Finish(&cols[8]));
    if (opt.notional) {
      fields.push_back(arrow::field("notional", arrow::float64()));
      cols.emplace_back();
      ML_RETURN_NOT_OK(nt_b.Finish(&cols.back()));
    }
    auto schema =
        arrow::schema(fields, arrow::key_value_metadata({"marketlake.interval"}, {opt.interval}));
    if (everything) {
      bars.clear();
      symbols.clear();
      ids.clear();
      index.Clear();
      seq = 0;
      late = 0;
    } else {
      // Keep the open bars only, compacted in place (in order; capacity is kept).
      remap.resize(bars.size());
      size_t kept = 0;
      for (size_t i = 0; i < bars.size(); ++i) {
        if (!taken[i]) {
          remap[i] = static_cast<uint32_t>(kept);
          if (kept != i) bars[kept] = bars[i];
          ++kept;
        }
      }
      bars.resize(kept);
      for (SymbolState& st : symbols) {
        size_t w = 0;
        for (uint32_t i : st.bar_ids) {
          if (!taken[i]) st.bar_ids[w++] = remap[i];
        }
        st.bar_ids.resize(w);
        st.last_bucket = std::numeric_limits<int64_t>::min();
      }
      index.Clear();
      for (uint32_t i = 0; i < bars.size(); ++i) index.FindOrInsert(bars[i].sym, bars[i].bucket, i);
    }
    return arrow::Table::Make(schema, cols);
  }
};

BarAggregator::BarAggregator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BarAggregator::~BarAggregator() = default;

Result<std::unique_ptr<BarAggregator>> BarAggregator::Make(const BarOptions& options, Input input) {
  auto impl = std::make_unique<Impl>();
  impl->opt = options;
  impl->input = input;
  ML_ASSIGN_OR_RETURN(impl->interval, ParseBarInterval(options.interval));
  if (impl->interval <= 0) {
    return Error(ErrorCode::kInvalidArgument, "bar interval must be positive");
  }
  if (impl->interval >= kNanosPerDay) {
    if (impl->interval != kNanosPerDay) {
      return Error(ErrorCode::kNotImplemented,
                   "bar interval '" + options.interval +
                       "': multi-day bars are not supported (use 1d, then aggregate)");
    }
    impl->daily = true;
    impl->cal = options.calendar != nullptr ? options.calendar : &UsEquitiesCalendar();
  } else {
    impl->cal = options.calendar;
  }
  return std::unique_ptr<BarAggregator>(new BarAggregator(std::move(impl)));
}

Status BarAggregator::Consume(const arrow::RecordBatch& batch) { return impl_->Consume(batch); }
Result<std::shared_ptr<arrow::Table>> BarAggregator::Finish() {
  return impl_->Emit(std::numeric_limits<int64_t>::max());
}
Result<std::shared_ptr<arrow::Table>> BarAggregator::TakeCompleted(int64_t watermark_nanos) {
  if (watermark_nanos == std::numeric_limits<int64_t>::max()) --watermark_nanos;
  return impl_->Emit(watermark_nanos);
}
Result<std::shared_ptr<arrow::Table>> BarAggregator::TakeSymbolsBefore(std::string_view symbol) {
  const std::string before(symbol);
  return impl_->Emit(std::numeric_limits<int64_t>::max() - 1, &before);
}
int64_t BarAggregator::late_rows() const { return impl_->late; }
int64_t BarAggregator::interval_nanos() const { return impl_->interval; }
size_t BarAggregator::open_bars() const { return impl_->bars.size(); }

Result<std::shared_ptr<arrow::Table>> AggregateReader(arrow::RecordBatchReader* reader,
                                                      const BarOptions& options,
                                                      BarAggregator::Input input) {
  ML_ASSIGN_OR_RETURN(auto agg, BarAggregator::Make(options, input));
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    ML_RETURN_NOT_OK(reader->ReadNext(&batch));
    if (batch == nullptr) break;
    ML_RETURN_NOT_OK(agg->Consume(*batch));
  }
  return agg->Finish();
}

namespace {
Result<std::shared_ptr<arrow::Table>> AggregateTable(const arrow::Table& table,
                                                     const BarOptions& options,
                                                     BarAggregator::Input input) {
  ML_ASSIGN_OR_RETURN(auto agg, BarAggregator::Make(options, input));
  arrow::TableBatchReader reader(table);
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    ML_RETURN_NOT_OK(reader.ReadNext(&batch));
    if (batch == nullptr) break;
    ML_RETURN_NOT_OK(agg->Consume(*batch));
  }
  return agg->Finish();
}
}  // namespace

Result<std::shared_ptr<arrow::Table>> AggregateTrades(const arrow::Table& trades,
                                                      const BarOptions& options) {
  return AggregateTable(trades, options, BarAggregator::Input::kTrades);
}
Result<std::shared_ptr<arrow::Table>> AggregateBars(const arrow::Table& bars,
                                                    const BarOptions& options) {
  return AggregateTable(bars, options, BarAggregator::Input::kBars);
}

}  // namespace marketlake
