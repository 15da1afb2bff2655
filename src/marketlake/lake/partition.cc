// Partition specs, the partitioner and partition pruning.
#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <set>
#include <unordered_map>

#include "marketlake/lake.h"
#include "marketlake/lake/lake_internal.h"
#include "marketlake/schema.h"

namespace marketlake {
namespace {

constexpr int64_t kNsPerHour = 3600LL * 1000000000LL;
constexpr int64_t kNsPerDay = 24 * kNsPerHour;
constexpr size_t kMaxFields = 4;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

Status Invalid(std::string message) {
  return Error(ErrorCode::kInvalidArgument, std::move(message));
}

bool RangeTextOk(std::string_view s) { return s.find_first_of(",;:()") == std::string_view::npos; }

std::string_view GranularityName(TimeGranularity g) {
  switch (g) {
    case TimeGranularity::kYear:
      return "year";
    case TimeGranularity::kMonth:
      return "month";
    case TimeGranularity::kDay:
      return "day";
    case TimeGranularity::kHour:
      return "hour";
  }
  return "day";
}

}  // namespace

// Howard Hinnant's civil-from-days / days-from-civil (proleptic Gregorian).
Civil LakeCivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return Civil{y + (m <= 2), static_cast<int>(m), static_cast<int>(d)};
}

int64_t LakeDaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

uint64_t SymbolHash(std::string_view symbol) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : symbol) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

const std::string& RangeOf(const std::vector<SymbolRange>& ranges, std::string_view symbol) {
  size_t pick = 0;
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (std::string_view(ranges[i].lower) <= symbol) pick = i;
  }
  return ranges[pick].name;
}

std::string BucketValue(uint64_t bucket) { return fmt::format("{:04d}", bucket); }

std::string PartitionSpec::ToString() const {
  std::string out;
  for (const auto& f : fields) {
    if (!out.empty()) out += ",";
    switch (f.kind) {
      case PartitionField::Kind::kTime:
        out += GranularityName(f.granularity);
        break;
      case PartitionField::Kind::kSymbol:
        out += "symbol";
        break;
      case PartitionField::Kind::kBucket:
        out += fmt::format("bucket({})", f.buckets);
        break;
      case PartitionField::Kind::kRange: {
        out += "ranges(";
        for (size_t i = 0; i < f.ranges.size(); ++i) {
          if (i) out += ";";
          out += f.ranges[i].name + ":" + f.ranges[i].lower;
        }
        out += ")";
        break;
      }
    }
  }
  return out;
}

Result<PartitionSpec> ParsePartitionSpec(std::string_view text) {
  PartitionSpec spec;
  if (text.empty()) return spec;
  std::set<PartitionField::Kind> seen;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view item = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    PartitionField f;
    if (item == "year" || item == "month" || item == "day" || item == "date" || item == "hour") {
      f.kind = PartitionField::Kind::kTime;
      f.granularity = item == "year"    ? TimeGranularity::kYear
                      : item == "month" ? TimeGranularity::kMonth
                      : item == "hour"  ? TimeGranularity::kHour
                                        : TimeGranularity::kDay;
    } else if (item == "symbol") {
      f.kind = PartitionField::Kind::kSymbol;
    } else if (item.starts_with("bucket(") && item.ends_with(")")) {
      f.kind = PartitionField::Kind::kBucket;
      std::string_view n = item.substr(7, item.size() - 8);
      auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), f.buckets);
      if (ec != std::errc() || p != n.data() + n.size() || f.buckets < 1 || f.buckets > 65536) {
        return Invalid(fmt::format("partition spec '{}': bucket count must be 1..65536", text));
      }
    } else if (item.starts_with("ranges(") && item.ends_with(")")) {
      f.kind = PartitionField::Kind::kRange;
      std::string_view body = item.substr(7, item.size() - 8);
      size_t s = 0;
      while (s <= body.size()) {
        size_t semi = body.find(';', s);
        std::string_view r =
            body.substr(s, semi == std::string_view::npos ? std::string_view::npos : semi - s);
        size_t colon = r.find(':');
        if (colon == std::string_view::npos) {
          return Invalid(fmt::format("partition spec '{}': range '{}' is not NAME:LOWER", text, r));
        }
        SymbolRange range{std::string(r.substr(0, colon)), std::string(r.substr(colon + 1))};
        ML_RETURN_NOT_OK(EncodePartitionValue(range.name).status());
        if (!f.ranges.empty() && range.lower <= f.ranges.back().lower) {
          return Invalid(
              fmt::format("partition spec '{}': range lower bounds must increase", text));
        }
        f.ranges.push_back(std::move(range));
        if (semi == std::string_view::npos) break;
        s = semi + 1;
      }
      if (f.ranges.empty() || !f.ranges[0].lower.empty()) {
        return Invalid(
            fmt::format("partition spec '{}': the first range's lower bound must be "
                        "empty (NAME:)",
                        text));
      }
    } else {
      return Invalid(
          fmt::format("partition spec '{}': unknown field '{}' (expected year, month, "
                      "day, hour, symbol, bucket(N) or ranges(NAME:LOWER;...))",
                      text, item));
    }
    if (!seen.insert(f.kind).second) {
      return Invalid(fmt::format("partition spec '{}': field kind repeated", text));
    }
    spec.fields.push_back(std::move(f));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return spec;
}

Status ValidateSpec(const PartitionSpec& spec) {
  // Round trip through the text form checks everything the parser checks.
  for (const auto& f : spec.fields) {
    if (f.kind == PartitionField::Kind::kRange) {
      for (const auto& r : f.ranges) {
        if (!RangeTextOk(r.name) || !RangeTextOk(r.lower)) {
          return Invalid("symbol range names and bounds may not contain , ; : ( )");
        }
      }
    }
  }
  ML_ASSIGN_OR_RETURN(auto parsed, ParsePartitionSpec(spec.ToString()));
  if (parsed.fields.size() != spec.fields.size()) return Invalid("bad partition spec");
  return Status::OK();
}

PartitionSpec DefaultPartitionSpec(std::string_view dataset) {
  auto time = [](TimeGranularity g) {
    PartitionSpec s;
    PartitionField f;
    f.kind = PartitionField::Kind::kTime;
    f.granularity = g;
    s.fields.push_back(f);
    return s;
  };
  if (dataset == "trades" || dataset == "quotes") return time(TimeGranularity::kDay);
  if (dataset == "ohlcv") return time(TimeGranularity::kYear);
  if (dataset.starts_with("bars_")) {
    auto ns = ParseBarInterval(dataset.substr(5));
    if (ns.ok() && *ns >= kNsPerDay) return time(TimeGranularity::kYear);
  }
  return time(TimeGranularity::kMonth);
}

namespace {

// The ts column as nanoseconds, and the symbol column as utf8.
Result<std::shared_ptr<arrow::Array>> TsNanos(const arrow::RecordBatch& batch) {
  auto col = batch.GetColumnByName("ts");
  if (!col) return Error(ErrorCode::kMissingColumn, "partitioning by time needs a 'ts' column");
  if (col->type_id() != arrow::Type::TIMESTAMP) {
    return Error(ErrorCode::kDataType,
                 fmt::format("column 'ts' is {}, expected a timestamp", col->type()->ToString()));
  }
  const auto& type = static_cast<const arrow::TimestampType&>(*col->type());
  ML_ASSIGN_OR_RETURN(auto cast, arrow::compute::Cast(*col, arrow::timestamp(arrow::TimeUnit::NANO,
                                                                             type.timezone())));
  return cast;
}

Result<std::shared_ptr<arrow::StringArray>> SymbolStrings(const arrow::RecordBatch& batch) {
  auto col = batch.GetColumnByName("symbol");
  if (!col) {
    return Error(ErrorCode::kMissingColumn, "partitioning by symbol needs a 'symbol' column");
  }
  if (col->type_id() != arrow::Type::STRING) {
    ML_ASSIGN_OR_RETURN(col, arrow::compute::Cast(*col, arrow::utf8()));
  }
  return std::static_pointer_cast<arrow::StringArray>(col);
}

struct KeyHash {
  size_t operator()(const std::array<int64_t, kMaxFields>& k) const {
    uint64_t h = 1469598103934665603ULL;
    for (int64_t v : k) h = (h ^ static_cast<uint64_t>(v)) * 1099511628211ULL;
    return h;
  }
};

}  // namespace

namespace {

// Arrow's general sort, for inputs the fast path does not cover (nulls in the keys).
Result<std::shared_ptr<arrow::RecordBatch>> ArrowSortBySymbolTs(
    const std::shared_ptr<arrow::RecordBatch>& batch) {
  std::vector<arrow::compute::SortKey> keys;
  if (batch->GetColumnByName("symbol")) keys.emplace_back("symbol");
  if (batch->GetColumnByName("ts")) keys.emplace_back("ts");
  arrow::compute::SortOptions options(keys);
  ML_ASSIGN_OR_RETURN(auto indices, arrow::compute::SortIndices(arrow::Datum(batch), options));
  ML_ASSIGN_OR_RETURN(auto taken, arrow::compute::Take(arrow::Datum(batch), arrow::Datum(indices)));
  return taken.record_batch();
}

// Sorts row indices [begin, end) stably by ts when they are not already in order.
void SortRunByTs(const int64_t* ts, int64_t* begin, int64_t* end) {
  bool sorted = true;
  for (int64_t* p = begin + 1; p < end && sorted; ++p) sorted = ts[*(p - 1)] <= ts[*p];
  if (!sorted) {
    std::stable_sort(begin, end, [ts](int64_t a, int64_t b) { return ts[a] < ts[b]; });
  }
}

}  // namespace

// Market data has few symbols and arrives nearly in time order, so: dense symbol ids ranked
// by symbol, a stable counting sort by rank, then a stable sort by ts only of the symbol
// runs that are not already in time order. Linear for time-ordered input.
Result<std::shared_ptr<arrow::RecordBatch>> SortBySymbolTs(
    const std::shared_ptr<arrow::RecordBatch>& batch) {
  const int64_t n = batch->num_rows();
  auto sym_col = batch->GetColumnByName("symbol");
  auto ts_col = batch->GetColumnByName("ts");
  if ((!sym_col && !ts_col) || n < 2) return batch;
  if ((sym_col && sym_col->null_count() > 0) || (ts_col && ts_col->null_count() > 0) ||
      (ts_col && ts_col->type_id() != arrow::Type::TIMESTAMP)) {
    return ArrowSortBySymbolTs(batch);
  }
  const int64_t* ts = nullptr;
  std::shared_ptr<arrow::Array> ts_arr;
  if (ts_col) {
    ML_ASSIGN_OR_RETURN(ts_arr, TsNanos(*batch));
    ts = ts_arr->data()->GetValues<int64_t>(1);
  }
  std::vector<int64_t> order(static_cast<size_t>(n));
  if (!sym_col) {
    for (int64_t i = 0; i < n; ++i) order[i] = i;
    SortRunByTs(ts, order.data(), order.data() + n);
  } else {
    ML_ASSIGN_OR_RETURN(auto sym, SymbolStrings(*batch));
    std::unordered_map<std::string_view, int32_t> ids;
    std::vector<std::string_view> names;
    std::vector<int32_t> id(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      auto [it, inserted] = ids.emplace(sym->GetView(i), static_cast<int32_t>(names.size()));
      if (inserted) names.push_back(it->first);
      id[i] = it->second;
    }
    std::vector<int32_t> by_name(names.size());
    for (size_t k = 0; k < names.size(); ++k) by_name[k] = static_cast<int32_t>(k);
    std::sort(by_name.begin(), by_name.end(),
              [&](int32_t a, int32_t b) { return names[a] < names[b]; });
    std::vector<int32_t> rank(names.size());
    for (size_t r = 0; r < by_name.size(); ++r) rank[by_name[r]] = static_cast<int32_t>(r);
    std::vector<int64_t> start(names.size() + 1, 0);
    for (int64_t i = 0; i < n; ++i) ++start[rank[id[i]] + 1];
    for (size_t r = 1; r < start.size(); ++r) start[r] += start[r - 1];
    std::vector<int64_t> fill(start.begin(), start.end() - 1);
    for (int64_t i = 0; i < n; ++i) order[fill[rank[id[i]]]++] = i;
    if (ts) {
      for (size_t r = 0; r + 1 < start.size(); ++r) {
        SortRunByTs(ts, order.data() + start[r], order.data() + start[r + 1]);
      }
    }
  }
  bool identity = true;
  for (int64_t i = 0; i < n && identity; ++i) identity = order[i] == i;
  if (identity) return batch;
  arrow::Int64Builder builder;
  ML_RETURN_NOT_OK(builder.AppendValues(order));
  ML_ASSIGN_OR_RETURN(auto indices, builder.Finish());
  ML_ASSIGN_OR_RETURN(auto taken, arrow::compute::Take(arrow::Datum(batch), arrow::Datum(indices)));
  return taken.record_batch();
}

Result<std::vector<PartitionedBatch>> Partitioner::Split(
    const std::shared_ptr<arrow::RecordBatch>& input, bool sort) const {
  if (spec_.fields.size() > kMaxFields) return Invalid("at most 4 partition fields");
  std::shared_ptr<arrow::RecordBatch> batch = input;
  if (sort) {
    ML_ASSIGN_OR_RETURN(batch, SortBySymbolTs(batch));
  }
  const int64_t n = batch->num_rows();
  std::vector<PartitionedBatch> out;
  if (n == 0) return out;

  bool need_ts = false, need_symbol = false;
  for (const auto& f : spec_.fields) {
    (f.kind == PartitionField::Kind::kTime ? need_ts : need_symbol) = true;
  }
  const int64_t* ts = nullptr;
  std::shared_ptr<arrow::Array> ts_arr;
  if (need_ts) {
    ML_ASSIGN_OR_RETURN(ts_arr, TsNanos(*batch));
    if (ts_arr->null_count() > 0) {
      for (int64_t i = 0; i < n; ++i) {
        if (ts_arr->IsNull(i)) return Invalid(fmt::format("null 'ts' in row {}", i));
      }
    }
    ts = ts_arr->data()->GetValues<int64_t>(1);
  }
  // Symbols -> dense ids (per distinct symbol the bucket / range is computed once).
  std::vector<int32_t> symbol_ids;
  std::vector<std::string_view> symbols;
  std::shared_ptr<arrow::StringArray> sym_arr;
  if (need_symbol) {
    ML_ASSIGN_OR_RETURN(sym_arr, SymbolStrings(*batch));
    std::unordered_map<std::string_view, int32_t> ids;
    symbol_ids.resize(n);
    for (int64_t i = 0; i < n; ++i) {
      if (sym_arr->IsNull(i)) return Invalid(fmt::format("null 'symbol' in row {}", i));
      std::string_view s = sym_arr->GetView(i);
      auto [it, inserted] = ids.emplace(s, static_cast<int32_t>(symbols.size()));
      if (inserted) {
        auto enc = EncodePartitionValue(s);
        if (!enc.ok()) {
          return Invalid(fmt::format("symbol in row {} cannot be a partition value: {}", i,
                                     enc.status().message()));
        }
        symbols.push_back(s);
      }
      symbol_ids[i] = it->second;
    }
  }

  // Per field, a column of int64 codes.
  std::vector<std::vector<int64_t>> codes(spec_.fields.size());
  for (size_t f = 0; f < spec_.fields.size(); ++f) {
    const auto& field = spec_.fields[f];
    auto& c = codes[f];
    c.resize(n);
    switch (field.kind) {
      case PartitionField::Kind::kTime: {
        int64_t last_day = INT64_MIN;
        Civil civil{};
        for (int64_t i = 0; i < n; ++i) {
          switch (field.granularity) {
            case TimeGranularity::kHour:
              c[i] = FloorDiv(ts[i], kNsPerHour);
              break;
            case TimeGranularity::kDay:
              c[i] = FloorDiv(ts[i], kNsPerDay);
              break;
            case TimeGranularity::kMonth:
            case TimeGranularity::kYear: {
              int64_t day = FloorDiv(ts[i], kNsPerDay);
              if (day != last_day) {
                civil = LakeCivilFromDays(day);
                last_day = day;
              }
              c[i] = field.granularity == TimeGranularity::kYear
                         ? civil.year
                         : civil.year * 12 + civil.month - 1;
              break;
            }
          }
        }
        break;
      }
      case PartitionField::Kind::kSymbol:
        for (int64_t i = 0; i < n; ++i) c[i] = symbol_ids[i];
        break;
      case PartitionField::Kind::kBucket: {
        std::vector<int64_t> per_symbol(symbols.size());
        for (size_t s = 0; s < symbols.size(); ++s) {
          per_symbol[s] =
              static_cast<int64_t>(SymbolHash(symbols[s]) % static_cast<uint64_t>(field.buckets));
        }
        for (int64_t i = 0; i < n; ++i) c[i] = per_symbol[symbol_ids[i]];
        break;
      }
      case PartitionField::Kind::kRange: {
        std::vector<int64_t> per_symbol(symbols.size());
        for (size_t s = 0; s < symbols.size(); ++s) {
          const std::string& name = RangeOf(field.ranges, symbols[s]);
          for (size_t r = 0; r < field.ranges.size(); ++r) {
            if (field.ranges[r].name == name) per_symbol[s] = static_cast<int64_t>(r);
          }
        }
        for (int64_t i = 0; i < n; ++i) c[i] = per_symbol[symbol_ids[i]];
        break;
      }
    }
  }

  // Group rows by their code tuple.
  std::unordered_map<std::array<int64_t, kMaxFields>, size_t, KeyHash> group_of;
  std::vector<std::array<int64_t, kMaxFields>> group_keys;
  std::vector<std::vector<int64_t>> row_lists;
  std::array<int64_t, kMaxFields> key{};
  for (int64_t i = 0; i < n; ++i) {
    for (size_t f = 0; f < codes.size(); ++f) key[f] = codes[f][i];
    auto [it, inserted] = group_of.emplace(key, group_keys.size());
    if (inserted) {
      group_keys.push_back(key);
      row_lists.emplace_back();
    }
    row_lists[it->second].push_back(i);
  }

  for (size_t g = 0; g < group_keys.size(); ++g) {
    PartitionedBatch part;
    for (size_t f = 0; f < spec_.fields.size(); ++f) {
      const auto& field = spec_.fields[f];
      int64_t code = group_keys[g][f];
      switch (field.kind) {
        case PartitionField::Kind::kTime: {
          if (field.granularity == TimeGranularity::kYear) {
            part.values.emplace_back("year", fmt::format("{:04d}", code));
          } else if (field.granularity == TimeGranularity::kMonth) {
            part.values.emplace_back("year", fmt::format("{:04d}", FloorDiv(code, 12)));
            part.values.emplace_back("month",
                                     fmt::format("{:02d}", code - FloorDiv(code, 12) * 12 + 1));
          } else {
            int64_t day = field.granularity == TimeGranularity::kDay ? code : FloorDiv(code, 24);
            Civil c = LakeCivilFromDays(day);
            part.values.emplace_back("year", fmt::format("{:04d}", c.year));
            part.values.emplace_back("month", fmt::format("{:02d}", c.month));
            part.values.emplace_back("day", fmt::format("{:02d}", c.day));
            if (field.granularity == TimeGranularity::kHour) {
              part.values.emplace_back("hour", fmt::format("{:02d}", code - day * 24));
            }
          }
          break;
        }
        case PartitionField::Kind::kSymbol:
          part.values.emplace_back("symbol", std::string(symbols[code]));
          break;
        case PartitionField::Kind::kBucket:
          part.values.emplace_back("bucket", BucketValue(static_cast<uint64_t>(code)));
          break;
        case PartitionField::Kind::kRange:
          part.values.emplace_back("symbol_range", field.ranges[code].name);
          break;
      }
    }
    if (group_keys.size() == 1) {
      part.batch = batch;
    } else {
      arrow::Int64Builder builder;
      ML_RETURN_NOT_OK(builder.AppendValues(row_lists[g]));
      ML_ASSIGN_OR_RETURN(auto indices, builder.Finish());
      ML_ASSIGN_OR_RETURN(auto taken,
                          arrow::compute::Take(arrow::Datum(batch), arrow::Datum(indices)));
      part.batch = taken.record_batch();
    }
    out.push_back(std::move(part));
  }
  std::sort(out.begin(), out.end(), [](const PartitionedBatch& a, const PartitionedBatch& b) {
    return a.values < b.values;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Pruning

namespace {

// [start, end) in ns of a partition's time values, or nullopt when it has none.
std::optional<std::pair<int64_t, int64_t>> TimeBounds(const PartitionValues& values) {
  std::map<std::string, int64_t> v;
  for (const auto& [k, val] : values) {
    if (k == "year" || k == "month" || k == "day" || k == "hour") {
      int64_t x = 0;
      auto [p, ec] = std::from_chars(val.data(), val.data() + val.size(), x);
      if (ec != std::errc() || p != val.data() + val.size()) return std::nullopt;
      v[k] = x;
    }
  }
  if (!v.count("year")) return std::nullopt;
  int64_t y = v["year"];
  if (!v.count("month")) {
    return std::make_pair(LakeDaysFromCivil(y, 1, 1) * kNsPerDay,
                          LakeDaysFromCivil(y + 1, 1, 1) * kNsPerDay);
  }
  int m = static_cast<int>(v["month"]);
  if (m < 1 || m > 12) return std::nullopt;
  if (!v.count("day")) {
    int64_t start = LakeDaysFromCivil(y, m, 1);
    int64_t end = m == 12 ? LakeDaysFromCivil(y + 1, 1, 1) : LakeDaysFromCivil(y, m + 1, 1);
    return std::make_pair(start * kNsPerDay, end * kNsPerDay);
  }
  int64_t day = LakeDaysFromCivil(y, m, static_cast<int>(v["day"]));
  if (!v.count("hour")) return std::make_pair(day * kNsPerDay, (day + 1) * kNsPerDay);
  int64_t h = day * 24 + v["hour"];
  return std::make_pair(h * kNsPerHour, (h + 1) * kNsPerHour);
}

std::string_view ValueOf(const PartitionValues& values, std::string_view key) {
  for (const auto& [k, v] : values) {
    if (k == key) return v;
  }
  return {};
}

bool FileMayHaveSymbol(const DataFile& file, const PartitionSpec& spec, const std::string& s) {
  for (const auto& f : spec.fields) {
    if (f.kind == PartitionField::Kind::kSymbol) {
      std::string_view v = ValueOf(file.partition, "symbol");
      if (!v.empty() && v != s) return false;
    } else if (f.kind == PartitionField::Kind::kBucket) {
      std::string_view v = ValueOf(file.partition, "bucket");
      if (!v.empty() && v != BucketValue(SymbolHash(s) % static_cast<uint64_t>(f.buckets))) {
        return false;
      }
    } else if (f.kind == PartitionField::Kind::kRange) {
      std::string_view v = ValueOf(file.partition, "symbol_range");
      if (!v.empty() && v != RangeOf(f.ranges, s)) return false;
    }
  }
  if (!file.min_symbol.empty() || !file.max_symbol.empty()) {
    if (s < file.min_symbol || s > file.max_symbol) return false;
  }
  if (!file.symbols.empty() && !std::binary_search(file.symbols.begin(), file.symbols.end(), s)) {
    return false;
  }
  return true;
}

}  // namespace

std::vector<DataFile> PrunePartitions(const Snapshot& snapshot, const PruneFilter& filter) {
  std::vector<DataFile> out;
  int64_t lo = filter.ts_min.value_or(INT64_MIN);
  int64_t hi = filter.ts_max.value_or(INT64_MAX);
  for (const auto& file : snapshot.files) {
    if (filter.ts_min || filter.ts_max) {
      auto bounds = TimeBounds(file.partition);
      if (bounds && (bounds->second <= lo || bounds->first > hi)) continue;
      if (file.rows > 0 && file.min_ts <= file.max_ts && (file.max_ts < lo || file.min_ts > hi)) {
        continue;
      }
    }
    if (!filter.symbols.empty()) {
      bool any = false;
      for (const auto& s : filter.symbols) {
        if (FileMayHaveSymbol(file, snapshot.partition_spec, s)) {
          any = true;
          break;
        }
      }
      if (!any) continue;
    }
    out.push_back(file);
  }
  return out;
}

}  // namespace marketlake
