#include "marketlake/asof.h"

#include <arrow/builder.h>
#include <arrow/compute/api.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <unordered_map>

#include "marketlake/aggregate/internal.h"

namespace marketlake {
namespace {

using aggregate_internal::KeyIds;
using aggregate_internal::ReadTimeColumn;
using aggregate_internal::SingleArray;

struct Side {
  std::vector<uint32_t> key;  // combined key id per row (kNullId: excluded)
  std::vector<int64_t> time;
  std::vector<int64_t> order;  // rows with a key and a time, sorted by (key, time, row)
};

Result<std::shared_ptr<arrow::Array>> Get(const arrow::Table& t, const std::string& name,
                                          const char* side) {
  auto col = t.GetColumnByName(name);
  if (col == nullptr) {
    return Error(ErrorCode::kMissingColumn,
                 std::string("asof join: ") + side + " table has no column '" + name + "'");
  }
  return SingleArray(*col);
}

}  // namespace

Result<std::shared_ptr<arrow::Table>> AsofJoin(const arrow::Table& left, const arrow::Table& right,
                                               const AsofOptions& options) {
  if (options.tolerance_nanos && *options.tolerance_nanos < 0) {
    return Error(ErrorCode::kInvalidArgument, "asof join: tolerance must be >= 0");
  }
  const size_t nkeys = options.by.size();
  std::vector<KeyIds> key_ids(nkeys);
  Side sides[2];
  const arrow::Table* tables[2] = {&left, &right};
  const char* names[2] = {"left", "right"};
  // Per-column ids, then combined ids for multi-column keys.
  std::unordered_map<std::string, uint32_t> combined;
  for (int s = 0; s < 2; ++s) {
    const arrow::Table& t = *tables[s];
    const int64_t n = t.num_rows();
    ML_ASSIGN_OR_RETURN(auto time_a, Get(t, options.time_column, names[s]));
    ML_ASSIGN_OR_RETURN(auto tc, ReadTimeColumn(*time_a, options.time_column));
    sides[s].time.assign(tc.values, tc.values + n);
    std::vector<std::vector<uint32_t>> cols(nkeys);
    for (size_t k = 0; k < nkeys; ++k) {
      ML_ASSIGN_OR_RETURN(auto a, Get(t, options.by[k], names[s]));
      ML_RETURN_NOT_OK(key_ids[k].Map(*a, options.by[k], &cols[k]));
    }
    sides[s].key.assign(n, 0);
    for (int64_t i = 0; i < n; ++i) {
      uint32_t id = 0;
      bool null = time_a->IsNull(i);
      if (nkeys == 1) {
        id = cols[0][i];
        null = null || id == KeyIds::kNullId;
      } else if (nkeys > 1) {
        std::string packed(nkeys * sizeof(uint32_t), '\0');
        for (size_t k = 0; k < nkeys; ++k) {
          null = null || cols[k][i] == KeyIds::kNullId;
          std::memcpy(packed.data() + k * sizeof(uint32_t), &cols[k][i], sizeof(uint32_t));
        }
        if (!null) {
          auto [it, inserted] = combined.emplace(packed, static_cast<uint32_t>(combined.size()));
          id = it->second;
        }
      }
      sides[s].key[i] = null ? KeyIds::kNullId : id;
      if (!null) sides[s].order.push_back(i);
    }
    const Side& sd = sides[s];
    std::sort(sides[s].order.begin(), sides[s].order.end(), [&sd](int64_t a, int64_t b) {
      if (sd.key[a] != sd.key[b]) return sd.key[a] < sd.key[b];
      if (sd.time[a] != sd.time[b]) return sd.time[a] < sd.time[b];
      return a < b;
    });
  }

  // Merge.
  const Side& lhs = sides[0];
  const Side& rhs = sides[1];
  std::vector<int64_t> match(left.num_rows(), -1);
  size_t r = 0;
  for (int64_t l : lhs.order) {
    const uint32_t lk = lhs.key[l];
    const int64_t lt = lhs.time[l];
    while (r < rhs.order.size() && (rhs.key[rhs.order[r]] < lk || (rhs.key[rhs.order[r]] == lk &&
                                                                   rhs.time[rhs.order[r]] <= lt))) {
      ++r;
    }
    if (r == 0) continue;
    const int64_t cand = rhs.order[r - 1];
    if (rhs.key[cand] != lk) continue;
    if (options.tolerance_nanos && lt - rhs.time[cand] > *options.tolerance_nanos) continue;
    match[l] = cand;
  }
  arrow::Int64Builder ib;
  ML_RETURN_NOT_OK(ib.Reserve(left.num_rows()));
  for (int64_t m : match) {
    if (m < 0) {
      ib.UnsafeAppendNull();
    } else {
      ib.UnsafeAppend(m);
    }
  }
  ML_ASSIGN_OR_RETURN(auto indices, ib.Finish());

  std::vector<std::shared_ptr<arrow::Field>> fields = left.schema()->fields();
  std::vector<std::shared_ptr<arrow::ChunkedArray>> columns = left.columns();
  auto taken = [&](const std::string& name) {
    for (const auto& f : fields) {
      if (f->name() == name) return true;
    }
    return false;
  };
  for (int c = 0; c < right.num_columns(); ++c) {
    const auto& f = right.schema()->field(c);
    if (std::find(options.by.begin(), options.by.end(), f->name()) != options.by.end()) continue;
    ML_ASSIGN_OR_RETURN(auto values, SingleArray(*right.column(c)));
    ML_ASSIGN_OR_RETURN(arrow::Datum out, arrow::compute::Take(values, indices));
    std::string name = f->name();
    while (taken(name)) name = options.right_prefix + name;
    fields.push_back(arrow::field(name, f->type(), true));
    columns.push_back(std::make_shared<arrow::ChunkedArray>(out.make_array()));
  }
  return arrow::Table::Make(arrow::schema(fields), columns, left.num_rows());
}

}  // namespace marketlake
