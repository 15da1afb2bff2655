// Helpers shared by the time verbs (time_verbs.h).
#include "time_verbs.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <arrow/api.h>

#include <algorithm>
#include <climits>
#include <optional>
#include <thread>

#include "marketlake/timestamp.h"
#include "write_flags.h"

namespace marketlake::cli {

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
int64_t CeilTo(int64_t a, int64_t step) { return -FloorDiv(-a, step) * step; }

int DecodeThreads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(cores, 1u, 4u));
}

Result<std::vector<int>> OutputProjection(const std::string& columns, const arrow::Schema& schema) {
  std::vector<int> out;
  for (const auto& c : SplitList(columns)) {
    const int i = schema.GetFieldIndex(c);
    if (i < 0) {
      return Error(ErrorCode::kNotFound, fmt::format("--columns: no output column '{}' (have: {})",
                                                     c, fmt::join(schema.field_names(), ", ")));
    }
    if (std::find(out.begin(), out.end(), i) != out.end()) {
      return Error(ErrorCode::kInvalidArgument, fmt::format("--columns: '{}' given twice", c));
    }
    out.push_back(i);
  }
  if (out.empty()) {
    for (int i = 0; i < schema.num_fields(); ++i) out.push_back(i);
  }
  return out;
}

std::string LastSymbol(const arrow::RecordBatch& b) {
  auto col = b.GetColumnByName("symbol");
  const int64_t last = col->length() - 1;
  if (col->type_id() == arrow::Type::DICTIONARY) {
    const auto& d = static_cast<const arrow::DictionaryArray&>(*col);
    const auto& dict = static_cast<const arrow::StringArray&>(*d.dictionary());
    return std::string(dict.GetView(d.GetValueIndex(last)));
  }
  if (col->type_id() == arrow::Type::LARGE_STRING) {
    return std::string(static_cast<const arrow::LargeStringArray&>(*col).GetView(last));
  }
  return std::string(static_cast<const arrow::StringArray&>(*col).GetView(last));
}

Status CheckParameters(Dataset& target, const std::map<std::string, std::string>& params,
                       const std::vector<std::string>& keys) {
  ML_ASSIGN_OR_RETURN(auto history, target.History());
  for (const auto& c : history) {
    for (const auto& key : keys) {
      auto it = c.parameters.find(key);
      auto mine = params.find(key);
      if (it != c.parameters.end() && mine != params.end() && it->second != mine->second) {
        return Error(ErrorCode::kInvalidArgument,
                     fmt::format("{}: version {} was written with {}={}, this run has {}={} "
                                 "(write to another --dataset)",
                                 target.name(), c.version, key, it->second, key, mine->second));
      }
    }
  }
  return Status::OK();
}

Result<DerivedWrite> PrepareDerivedWrite(Lake& lake, Dataset& source,
                                         const std::string& from_dataset, const std::string& name,
                                         const Selection& sel,
                                         std::map<std::string, std::string> params,
                                         const std::vector<std::string>& fixed) {
  if (!sel.symbols.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "--write recomputes whole partitions for every symbol; --symbol is not "
                 "allowed with it");
  }
  DerivedWrite w;
  ML_ASSIGN_OR_RETURN(w.target, lake.OpenDataset(name, DatasetOptions{Layer::kCleaned, {}}));
  const PartitionSpec& spec = w.target->partition_spec();
  if (spec.fields.size() != 1 || spec.fields[0].kind != PartitionField::Kind::kTime) {
    return Error(ErrorCode::kNotImplemented,
                 fmt::format("{}: --write needs a dataset partitioned by time only (it is "
                             "partitioned by '{}')",
                             name, spec.ToString()));
  }
  ML_ASSIGN_OR_RETURN(w.source, source.GetSnapshot());
  std::optional<int64_t> lo = sel.from_ns, hi = sel.to_ns;
  if (!lo || !hi) {
    int64_t mn = INT64_MAX, mx = INT64_MIN;
    for (const auto& f : w.source.files) {
      if (f.min_ts > f.max_ts) {
        return Error(ErrorCode::kInvalidArgument,
                     fmt::format("{}: {} has no recorded time range; give --from and --to",
                                 from_dataset, f.path));
      }
      mn = std::min(mn, f.min_ts);
      mx = std::max(mx, f.max_ts);
    }
    if (w.source.files.empty()) {
      return Error(ErrorCode::kNotFound, fmt::format("{}: no data", from_dataset));
    }
    if (!lo) lo = mn;
    if (!hi) hi = mx + 1;
  }
  w.from_ns = *lo;
  w.to_ns = *hi;
  ML_ASSIGN_OR_RETURN(w.partitions, TimeSlots(spec.fields[0], w.from_ns, w.to_ns));
  params["from_dataset"] = from_dataset;
  params["source_version"] = std::to_string(w.source.version);
  ML_RETURN_NOT_OK(CheckParameters(*w.target, params, fixed));
  w.append.parameters = std::move(params);
  w.append.lineage = {fmt::format("{}@{}", from_dataset, w.source.version)};
  return w;
}

}  // namespace marketlake::cli
