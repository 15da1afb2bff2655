// QuoteSampler: SampleQuotes' arithmetic, one open interval per symbol. Every sum is
// accumulated in the order SampleQuotes uses (rows of a symbol by (ts, arrival)), so the
// results are bit-identical, not merely close.
#include <arrow/buffer_builder.h>
#include <arrow/compute/api.h>
#include <arrow/util/bit_util.h>
#include <arrow/util/key_value_metadata.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <bit>
#include <limits>
#include <string>
#include <utility>
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
  bool listed = false;  // in open_ids
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

// The output columns, in SampleQuotes' order.
enum Column : int {
  kSymbol,
  kTs,
  kQuoteTs,
  kBid,
  kAsk,
  kBidSize,
  kAskSize,
  kSpread,
  kQuoteCount,
  kTwaSpread,
  kTwaMid,
  kNumColumns
};

std::shared_ptr<arrow::Schema> FullSchema(const std::string& interval) {
  auto ts_type = arrow::timestamp(arrow::TimeUnit::NANO, "UTC");
  return arrow::schema(
      {arrow::field("symbol", arrow::utf8()), arrow::field("ts", ts_type),
       arrow::field("quote_ts", ts_type), arrow::field("bid", arrow::float64()),
       arrow::field("ask", arrow::float64()), arrow::field("bid_size", arrow::int64()),
       arrow::field("ask_size", arrow::int64()), arrow::field("spread", arrow::float64()),
       arrow::field("quote_count", arrow::int64()), arrow::field("twa_spread", arrow::float64()),
       arrow::field("twa_mid", arrow::float64())},
      arrow::key_value_metadata({"marketlake.interval"}, {interval}));
}

// An 8-byte output column (int64, timestamp or double, held as its bits) built without
// per-row validity bits: the bitmap starts at the first null (all rows before it valid), so
// a column without nulls has none.
struct FixedColumn {
  arrow::TypedBufferBuilder<int64_t> values;
  arrow::TypedBufferBuilder<bool> valid;  // empty until the first null
  int64_t nulls = 0;

  Status Reserve(int64_t n) {
    ML_RETURN_NOT_OK(values.Reserve(n));
    if (nulls > 0) ML_RETURN_NOT_OK(valid.Reserve(n));
    return Status::OK();
  }
  // Reserve(n) was called for this row.
  void UnsafeAppend(int64_t v) {
    values.UnsafeAppend(v);
    if (nulls > 0) valid.UnsafeAppend(true);
  }
  // `room`: rows Reserve still guarantees after this one.
  Status AppendNull(int64_t room) {
    if (nulls == 0) {
      ML_RETURN_NOT_OK(valid.Reserve(values.length() + 1 + room));
      valid.UnsafeAppend(values.length(), true);
    }
    values.UnsafeAppend(0);
    valid.UnsafeAppend(false);
    ++nulls;
    return Status::OK();
  }
  Result<std::shared_ptr<arrow::Array>> Finish(const std::shared_ptr<arrow::DataType>& type) {
    const int64_t n = values.length();
    std::shared_ptr<arrow::Buffer> bitmap;
    if (nulls > 0) ML_RETURN_NOT_OK(valid.Finish(&bitmap));
    std::shared_ptr<arrow::Buffer> data;
    ML_RETURN_NOT_OK(values.Finish(&data));
    const int64_t null_count = nulls;
    nulls = 0;
    return arrow::MakeArray(arrow::ArrayData::Make(type, n, {bitmap, data}, null_count));
  }
};

// The symbol column: offsets and bytes, never null.
struct SymbolColumn {
  arrow::TypedBufferBuilder<int32_t> offsets;
  arrow::BufferBuilder data;
  int64_t rows = 0;

  // Room for n more rows (TypedBufferBuilder::Reserve counts additional elements).
  Status Reserve(int64_t n) {
    ML_RETURN_NOT_OK(Start());
    return offsets.Reserve(n);
  }
  Status Append(const std::string& s) {
    const int64_t end = data.length() + static_cast<int64_t>(s.size());
    if (end > std::numeric_limits<int32_t>::max()) {
      return Error(ErrorCode::kNotImplemented,
                   "quote sample: more than 2 GiB of symbol text in one batch");
    }
    ML_RETURN_NOT_OK(data.Append(s.data(), static_cast<int64_t>(s.size())));
    offsets.UnsafeAppend(static_cast<int32_t>(end));
    ++rows;
    return Status::OK();
  }
  Result<std::shared_ptr<arrow::Array>> Finish() {
    ML_RETURN_NOT_OK(Start());
    std::shared_ptr<arrow::Buffer> off, bytes;
    ML_RETURN_NOT_OK(offsets.Finish(&off));
    ML_RETURN_NOT_OK(data.Finish(&bytes));
    const int64_t n = rows;
    rows = 0;
    return arrow::MakeArray(
        arrow::ArrayData::Make(arrow::utf8(), n, {nullptr, off, bytes}, /*null_count=*/0));
  }

 private:
  // The leading 0 offset of an empty column.
  Status Start() {
    if (offsets.length() > 0) return Status::OK();
    ML_RETURN_NOT_OK(offsets.Reserve(1));
    offsets.UnsafeAppend(0);
    return Status::OK();
  }
};

// Whether row i of an optional int64 column is valid (false when the column is absent).
bool ValidAt(const std::shared_ptr<arrow::Array>& a, int64_t i) {
  if (a == nullptr) return false;
  const uint8_t* bits = a->null_bitmap_data();
  return bits == nullptr || arrow::bit_util::GetBit(bits, a->offset() + i);
}

}  // namespace

struct QuoteSampler::Impl {
  QuoteOptions opt;
  bool ordered = false;
  uint32_t prev_id = KeyIds::kNullId;  // ordered: the symbol of the previous row
  int64_t interval = 0;
  std::shared_ptr<arrow::Schema> schema;
  std::vector<int> out_columns;      // Column of each output field
  bool want[kNumColumns] = {false};  // computed and appended only when output
  KeyIds keys;
  std::vector<SymbolInterval> state;  // by key id
  std::vector<uint32_t> open_ids;     // symbols with an open interval (unordered)
  std::vector<uint32_t> ids;          // scratch: key id per row

  SymbolColumn sym_b;
  FixedColumn fixed[kNumColumns];  // by Column (all but kSymbol)
  int64_t pending = 0;             // rows in the builders
  int64_t room = 0;                // rows every builder has capacity for (ReserveRows)

  static void AddWeight(SymbolInterval& s, int64_t until) {
    const double w = static_cast<double>(until - s.last_ts);
    s.w_sum += w;
    s.w_spread += w * (s.last_ask - s.last_bid);
    s.w_mid += w * (0.5 * (s.last_bid + s.last_ask));
  }

  // Room for n more rows in every output column.
  Status ReserveRows(int64_t n) {
    for (int c : out_columns) {
      ML_RETURN_NOT_OK(c == kSymbol ? sym_b.Reserve(n) : fixed[c].Reserve(n));
    }
    room = n;
    return Status::OK();
  }

  // Appends to column c when it is output (Reserve'd: unchecked).
  void Put(int c, int64_t v) {
    if (want[c]) fixed[c].UnsafeAppend(v);
  }
  void Put(int c, double v) { Put(c, std::bit_cast<int64_t>(v)); }
  // Appends v, or null when !valid.
  template <typename T>
  Status PutOrNull(int c, bool valid, T v) {
    if (!want[c]) return Status::OK();
    if (!valid) return fixed[c].AppendNull(room);
    Put(c, v);
    return Status::OK();
  }

  Status Emit(uint32_t id) {
    SymbolInterval& s = state[id];
    AddWeight(s, s.bucket_end);
    if (room <= 0) ML_RETURN_NOT_OK(ReserveRows(1024));
    --room;  // every builder has room for this row: unchecked appends
    if (want[kSymbol]) ML_RETURN_NOT_OK(sym_b.Append(keys.names()[id]));
    Put(kTs, s.bucket);
    Put(kQuoteTs, s.chosen_ts);
    Put(kBid, s.bid);
    Put(kAsk, s.ask);
    ML_RETURN_NOT_OK(PutOrNull(kBidSize, s.bid_size_valid, s.bid_size));
    ML_RETURN_NOT_OK(PutOrNull(kAskSize, s.ask_size_valid, s.ask_size));
    Put(kSpread, s.ask - s.bid);
    Put(kQuoteCount, s.count);
    const bool weighted = s.w_sum > 0;
    ML_RETURN_NOT_OK(PutOrNull(kTwaSpread, weighted, weighted ? s.w_spread / s.w_sum : 0.0));
    ML_RETURN_NOT_OK(PutOrNull(kTwaMid, weighted, weighted ? s.w_mid / s.w_sum : 0.0));
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
      // Most quotes fall in their symbol's open interval: no division for them.
      const int64_t bucket =
          s.open && t >= s.bucket && t < s.bucket_end ? s.bucket : FloorDiv(t, interval) * interval;
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
        if (!s.listed) {
          s.listed = true;
          open_ids.push_back(id);
        }
      } else {
        choose = pick_last || spread < s.best;
      }
      ++s.count;
      if (choose) {
        s.best = pick_last ? s.best : spread;
        s.chosen_ts = t;
        s.bid = bid[i];
        s.ask = ask[i];
        s.bid_size_valid = ValidAt(bsz_a, i);
        s.bid_size = s.bid_size_valid ? bsz[i] : 0;
        s.ask_size_valid = ValidAt(asz_a, i);
        s.ask_size = s.ask_size_valid ? asz[i] : 0;
      }
      s.last_ts = t;
      s.last_bid = bid[i];
      s.last_ask = ask[i];
    }
    // Forget symbols whose interval was emitted mid-batch from the open list.
    open_ids.erase(std::remove_if(open_ids.begin(), open_ids.end(),
                                  [&](uint32_t id) {
                                    if (state[id].open) return false;
                                    state[id].listed = false;
                                    return true;
                                  }),
                   open_ids.end());
    return Status::OK();
  }

  // Closes every open interval, in symbol order.
  Status CloseAll() {
    std::vector<uint32_t> closing;
    for (uint32_t id : open_ids) {
      state[id].listed = false;
      if (state[id].open) closing.push_back(id);
    }
    std::sort(closing.begin(), closing.end(),
              [&](uint32_t a, uint32_t b) { return keys.names()[a] < keys.names()[b]; });
    for (uint32_t id : closing) ML_RETURN_NOT_OK(Emit(id));
    open_ids.clear();
    return Status::OK();
  }

  Result<std::shared_ptr<arrow::RecordBatch>> Take() {
    std::vector<std::shared_ptr<arrow::Array>> cols;
    cols.reserve(out_columns.size());
    for (size_t k = 0; k < out_columns.size(); ++k) {
      const int c = out_columns[k];
      ML_ASSIGN_OR_RETURN(
          auto col, c == kSymbol ? sym_b.Finish() : fixed[c].Finish(schema->field(k)->type()));
      cols.push_back(std::move(col));
    }
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
  const auto full_schema = FullSchema(options.interval);
  const auto& full = *full_schema;
  std::vector<std::shared_ptr<arrow::Field>> fields;
  for (const auto& name : options.columns) {
    const int c = full.GetFieldIndex(name);
    if (c < 0) {
      return Error(ErrorCode::kNotFound,
                   fmt::format("quote sample: no output column '{}' (have: {})", name,
                               fmt::join(full.field_names(), ", ")));
    }
    if (impl->want[c]) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("quote sample: output column '{}' given twice", name));
    }
    impl->want[c] = true;
    impl->out_columns.push_back(c);
    fields.push_back(full.field(c));
  }
  if (options.columns.empty()) {
    for (int c = 0; c < kNumColumns; ++c) {
      impl->want[c] = true;
      impl->out_columns.push_back(c);
    }
    impl->schema = full_schema;
  } else {
    impl->schema = arrow::schema(fields, full.metadata());
  }
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
