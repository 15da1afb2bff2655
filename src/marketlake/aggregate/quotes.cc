#include <arrow/builder.h>
#include <arrow/compute/api.h>
#include <arrow/util/key_value_metadata.h>

#include <algorithm>
#include <numeric>

#include "marketlake/aggregate/internal.h"
#include "marketlake/bars.h"
#include "marketlake/quotes.h"
#include "marketlake/schema.h"

namespace marketlake {
namespace {

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
  ML_ASSIGN_OR_RETURN(auto ts_a, QuoteColumn(quotes, options.ts_column, nullptr, true));
  ML_ASSIGN_OR_RETURN(auto ts, ReadTimeColumn(*ts_a, options.ts_column));
  ML_ASSIGN_OR_RETURN(auto sym_a, QuoteColumn(quotes, options.symbol_column, nullptr, true));
  ML_ASSIGN_OR_RETURN(auto bid_a, QuoteColumn(quotes, "bid", arrow::float64(), true));
  ML_ASSIGN_OR_RETURN(auto ask_a, QuoteColumn(quotes, "ask", arrow::float64(), true));
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

  // One sampler serves the one-shot and the streaming form: fed in this order it gives the
  // rows in (symbol, interval) order.
  arrow::Int64Builder order;
  ML_RETURN_NOT_OK(order.AppendValues(rows));
  ML_ASSIGN_OR_RETURN(auto indices, order.Finish());
  ML_ASSIGN_OR_RETURN(
      auto taken, arrow::compute::Take(arrow::Datum(arrow::Table::Make(
                                           quotes.schema(), quotes.columns(), quotes.num_rows())),
                                       arrow::Datum(indices)));
  ML_ASSIGN_OR_RETURN(auto sampler, QuoteSampler::Make(options, /*ordered_by_symbol=*/true));
  arrow::TableBatchReader batches(*taken.table());
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    ML_RETURN_NOT_OK(batches.ReadNext(&batch));
    if (!batch) break;
    ML_RETURN_NOT_OK(sampler->Consume(*batch));
  }
  ML_ASSIGN_OR_RETURN(auto out, sampler->Finish());
  return arrow::Table::FromRecordBatches(out->schema(), {out});
}

}  // namespace marketlake
