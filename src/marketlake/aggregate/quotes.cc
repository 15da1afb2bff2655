#include <arrow/builder.h>
#include <arrow/compute/api.h>
#include <arrow/util/key_value_metadata.h>

#include <algorithm>
#include <numeric>

#include "marketlake/aggregate/internal.h"
#include "marketlake/bars.h"
#include "marketlake/schema.h"

namespace marketlake {
namespace {

using aggregate_internal::FloorDiv;
using aggregate_internal::KeyIds;
using aggregate_internal::ReadTimeColumn;
using aggregate_internal::SingleArray;

Result<std::shared_ptr<arrow::Array>> QuoteColumn(const arrow::Table& t, const std::string& name,
                                                  const std::shared_ptr<arrow::DataType>& type,
                                                  bool required) {
  auto col = t.GetColumnByName(name);
  if (col == nullptr) {
    if (!required) return std::shared_ptr<arrow::Array>();
    return Error(ErrorCode::kMissingColumn, "quotes: no column '" + name + "'");
  }
  ML_ASSIGN_OR_RETURN(auto a, SingleArray(*col));
  if (type == nullptr || a->type()->Equals(*type)) return a;
  auto cast = arrow::compute::Cast(*a, type);
  if (!cast.ok()) {
    return Error(ErrorCode::kDataType, "quotes: column '" + name + "': expected " +
                                           type->ToString() + ", got " + a->type()->ToString());
  }
  return *cast;
}

}  // namespace

Result<std::shared_ptr<arrow::Table>> SampleQuotes(const arrow::Table& quotes,
                                                   const QuoteOptions& options) {
  ML_ASSIGN_OR_RETURN(int64_t interval, ParseBarInterval(options.interval));
  ML_ASSIGN_OR_RETURN(auto ts_a, QuoteColumn(quotes, options.ts_column, nullptr, true));
  ML_ASSIGN_OR_RETURN(auto ts, ReadTimeColumn(*ts_a, options.ts_column));
  ML_ASSIGN_OR_RETURN(auto sym_a, QuoteColumn(quotes, options.symbol_column, nullptr, true));
  ML_ASSIGN_OR_RETURN(auto bid_a, QuoteColumn(quotes, "bid", arrow::float64(), true));
  ML_ASSIGN_OR_RETURN(auto ask_a, QuoteColumn(quotes, "ask", arrow::float64(), true));
  ML_ASSIGN_OR_RETURN(auto bsz_a, QuoteColumn(quotes, "bid_size", arrow::int64(), false));
  ML_ASSIGN_OR_RETURN(auto asz_a, QuoteColumn(quotes, "ask_size", arrow::int64(), false));
  KeyIds keys;
  std::vector<uint32_t> sym;
  ML_RETURN_NOT_OK(keys.Map(*sym_a, options.symbol_column, &sym));
  const auto& bid = static_cast<const arrow::DoubleArray&>(*bid_a);
  const auto& ask = static_cast<const arrow::DoubleArray&>(*ask_a);
  const int64_t n = quotes.num_rows();

  // Symbols ranked by name; rows ordered by (symbol name, ts, arrival).
  std::vector<uint32_t> rank(keys.size());
  {
    std::vector<uint32_t> by_name(keys.size());
    std::iota(by_name.begin(), by_name.end(), 0u);
    std::sort(by_name.begin(), by_name.end(),
              [&](uint32_t a, uint32_t b) { return keys.names()[a] < keys.names()[b]; });
    for (uint32_t r = 0; r < by_name.size(); ++r) rank[by_name[r]] = r;
  }
  std::vector<int64_t> rows;
  rows.reserve(n);
  for (int64_t i = 0; i < n; ++i) {
    if (sym[i] == KeyIds::kNullId || ts_a->IsNull(i) || bid.IsNull(i) || ask.IsNull(i)) continue;
    rows.push_back(i);
  }
  std::sort(rows.begin(), rows.end(), [&](int64_t a, int64_t b) {
    if (rank[sym[a]] != rank[sym[b]]) return rank[sym[a]] < rank[sym[b]];
    if (ts.values[a] != ts.values[b]) return ts.values[a] < ts.values[b];
    return a < b;
  });

  arrow::StringBuilder sym_b;
  auto ts_type = arrow::timestamp(arrow::TimeUnit::NANO, "UTC");
  arrow::TimestampBuilder ts_b(ts_type, arrow::default_memory_pool());
  arrow::TimestampBuilder qts_b(ts_type, arrow::default_memory_pool());
  arrow::DoubleBuilder bid_b, ask_b, spread_b, tws_b, twm_b;
  arrow::Int64Builder bsz_b, asz_b, count_b;

  auto size_at = [](const std::shared_ptr<arrow::Array>& a, int64_t i, arrow::Int64Builder* b) {
    if (a == nullptr || a->IsNull(i)) return b->AppendNull();
    return b->Append(static_cast<const arrow::Int64Array&>(*a).Value(i));
  };

  size_t j = 0;
  while (j < rows.size()) {
    // One (symbol, interval) group: rows[j, k).
    const int64_t first = rows[j];
    const uint32_t s = sym[first];
    const int64_t bucket = FloorDiv(ts.values[first], interval) * interval;
    const int64_t bucket_end = bucket + interval;
    size_t k = j;
    int64_t chosen = first;
    double best = ask.Value(first) - bid.Value(first);
    double w_sum = 0, w_spread = 0, w_mid = 0;
    for (; k < rows.size(); ++k) {
      const int64_t r = rows[k];
      if (sym[r] != s || ts.values[r] >= bucket_end) break;
      const double spread = ask.Value(r) - bid.Value(r);
      if (options.pick == QuoteOptions::Pick::kLast) {
        chosen = r;
      } else if (spread < best) {
        best = spread;
        chosen = r;
      }
      int64_t until = bucket_end;
      if (k + 1 < rows.size() && sym[rows[k + 1]] == s) {
        until = std::min(until, ts.values[rows[k + 1]]);
      }
      const double w = static_cast<double>(until - ts.values[r]);
      w_sum += w;
      w_spread += w * spread;
      w_mid += w * (0.5 * (bid.Value(r) + ask.Value(r)));
    }
    ML_RETURN_NOT_OK(sym_b.Append(keys.names()[s]));
    ML_RETURN_NOT_OK(ts_b.Append(bucket));
    ML_RETURN_NOT_OK(qts_b.Append(ts.values[chosen]));
    ML_RETURN_NOT_OK(bid_b.Append(bid.Value(chosen)));
    ML_RETURN_NOT_OK(ask_b.Append(ask.Value(chosen)));
    ML_RETURN_NOT_OK(size_at(bsz_a, chosen, &bsz_b));
    ML_RETURN_NOT_OK(size_at(asz_a, chosen, &asz_b));
    ML_RETURN_NOT_OK(spread_b.Append(ask.Value(chosen) - bid.Value(chosen)));
    ML_RETURN_NOT_OK(count_b.Append(static_cast<int64_t>(k - j)));
    if (w_sum > 0) {
      ML_RETURN_NOT_OK(tws_b.Append(w_spread / w_sum));
      ML_RETURN_NOT_OK(twm_b.Append(w_mid / w_sum));
    } else {
      ML_RETURN_NOT_OK(tws_b.AppendNull());
      ML_RETURN_NOT_OK(twm_b.AppendNull());
    }
    j = k;
  }
  std::vector<std::shared_ptr<arrow::Array>> cols(12);
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
  cols.resize(11);
  auto schema = arrow::schema(
      {arrow::field("symbol", arrow::utf8()), arrow::field("ts", ts_type),
       arrow::field("quote_ts", ts_type), arrow::field("bid", arrow::float64()),
       arrow::field("ask", arrow::float64()), arrow::field("bid_size", arrow::int64()),
       arrow::field("ask_size", arrow::int64()), arrow::field("spread", arrow::float64()),
       arrow::field("quote_count", arrow::int64()), arrow::field("twa_spread", arrow::float64()),
       arrow::field("twa_mid", arrow::float64())},
      arrow::key_value_metadata({"marketlake.interval"}, {options.interval}));
  return arrow::Table::Make(schema, cols);
}

}  // namespace marketlake
