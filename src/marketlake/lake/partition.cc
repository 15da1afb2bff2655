// Partition specs, the partitioner and partition pruning.
#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <map>
#include <set>
#include <unordered_map>

#include "marketlake/lake.h"
#include "marketlake/lake/lake_internal.h"
#include "marketlake/schema.h"
#include "marketlake/sessions.h"

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
        if (!f.time_zone.empty()) out += "(" + f.time_zone + ")";
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
    std::string_view time_name = item.substr(0, item.find('('));
    std::string_view zone;
    if (time_name.size() < item.size()) {
      if (!item.ends_with(")")) time_name = {};
      zone = item.substr(time_name.size() + 1, item.size() - time_name.size() - 2);
    }
    if (time_name == "year" || time_name == "month" || time_name == "day" || time_name == "date" ||
        time_name == "hour") {
      f.kind = PartitionField::Kind::kTime;
      f.granularity = time_name == "year"    ? TimeGranularity::kYear
                      : time_name == "month" ? TimeGranularity::kMonth
                      : time_name == "hour"  ? TimeGranularity::kHour
                                             : TimeGranularity::kDay;
      if (zone != "UTC" && zone != "Etc/UTC") f.time_zone = std::string(zone);
      if (time_name.size() < item.size()) {
        if (zone.empty() || !TradingCalendar::Make(std::string(zone)).ok()) {
          return Invalid(
              fmt::format("partition spec '{}': time zone '{}' is not in the zone "
                          "database",
                          text, zone));
        }
      }
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
                      "day, hour (each optionally with a zone, as day(America/New_York)), "
                      "symbol, bucket(N) or ranges(NAME:LOWER;...))",
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
  auto time = [](TimeGranularity g, std::string zone) {
    PartitionSpec s;
    PartitionField f;
    f.kind = PartitionField::Kind::kTime;
    f.granularity = g;
    f.time_zone = std::move(zone);
    s.fields.push_back(f);
    return s;
  };
  constexpr std::string_view kMarketZone = "America/New_York";
  if (dataset == "trades" || dataset == "quotes") {
    return time(TimeGranularity::kDay, std::string(kMarketZone));
  }
  if (dataset == "ohlcv") return time(TimeGranularity::kYear, "");
  if (dataset.starts_with("bars_")) {
    auto ns = ParseBarInterval(dataset.substr(5));
    if (ns.ok() && *ns >= kNsPerDay) return time(TimeGranularity::kYear, "");
    if (ns.ok()) return time(TimeGranularity::kMonth, std::string(kMarketZone));
  }
  return time(TimeGranularity::kMonth, "");
}

// ---------------------------------------------------------------------------------------------
// Time fields: codes (hour, day, month or year numbers of wall-clock time) and their ranges

namespace {

// Maps instants to a time field's codes and codes to UTC ranges and partition values. The
// zone's UTC offset is cached for the period in which it holds, so Code() is a few
// arithmetic operations per row. Not thread-safe (the cache); cheap to make.
class FieldClock {
 public:
  static Result<FieldClock> Make(const PartitionField& field) {
    FieldClock c;
    c.granularity_ = field.granularity;
    if (!field.time_zone.empty()) {
      ML_ASSIGN_OR_RETURN(auto cal, TradingCalendar::Make(field.time_zone));
      c.calendar_ = std::move(cal);
    }
    return c;
  }

  int64_t Code(int64_t utc_ns) {
    const int64_t local = calendar_ ? zone_.Local(*calendar_, utc_ns) : utc_ns;
    switch (granularity_) {
      case TimeGranularity::kHour:
        return FloorDiv(local, kNsPerHour);
      case TimeGranularity::kDay:
        return FloorDiv(local, kNsPerDay);
      case TimeGranularity::kMonth:
      case TimeGranularity::kYear:
        break;
    }
    const int64_t day = FloorDiv(local, kNsPerDay);
    if (day != civil_day_) {
      civil_ = LakeCivilFromDays(day);
      civil_day_ = day;
    }
    return granularity_ == TimeGranularity::kYear ? civil_.year
                                                  : civil_.year * 12 + civil_.month - 1;
  }

  // UTC instant at which the slot `code` starts (its end is Start(code + 1)).
  int64_t Start(int64_t code) const { return Start(granularity_, code); }
  int64_t Start(TimeGranularity granularity, int64_t code) const {
    int64_t days = 0;
    int minutes = 0;
    switch (granularity) {
      case TimeGranularity::kHour:
        days = FloorDiv(code, 24);
        minutes = static_cast<int>(code - days * 24) * 60;
        break;
      case TimeGranularity::kDay:
        days = code;
        break;
      case TimeGranularity::kMonth:
        days = LakeDaysFromCivil(FloorDiv(code, 12),
                                 static_cast<int>(code - FloorDiv(code, 12) * 12) + 1, 1);
        break;
      case TimeGranularity::kYear:
        days = LakeDaysFromCivil(code, 1, 1);
        break;
    }
    if (calendar_) return calendar_->LocalToUtcNanos(static_cast<int32_t>(days), minutes);
    return days * kNsPerDay + minutes * (kNsPerHour / 60);
  }

  PartitionValues Values(int64_t code) const {
    PartitionValues values;
    if (granularity_ == TimeGranularity::kYear) {
      values.emplace_back("year", fmt::format("{:04d}", code));
    } else if (granularity_ == TimeGranularity::kMonth) {
      values.emplace_back("year", fmt::format("{:04d}", FloorDiv(code, 12)));
      values.emplace_back("month", fmt::format("{:02d}", code - FloorDiv(code, 12) * 12 + 1));
    } else {
      const int64_t day = granularity_ == TimeGranularity::kDay ? code : FloorDiv(code, 24);
      const Civil c = LakeCivilFromDays(day);
      values.emplace_back("year", fmt::format("{:04d}", c.year));
      values.emplace_back("month", fmt::format("{:02d}", c.month));
      values.emplace_back("day", fmt::format("{:02d}", c.day));
      if (granularity_ == TimeGranularity::kHour) {
        values.emplace_back("hour", fmt::format("{:02d}", code - day * 24));
      }
    }
    return values;
  }

  // The UTC range of a partition's time values (the finest of year/month/day/hour present),
  // or nullopt when it has none or they do not parse.
  std::optional<std::pair<int64_t, int64_t>> Bounds(const PartitionValues& values) const {
    std::map<std::string, int64_t, std::less<>> v;
    for (const auto& [k, val] : values) {
      if (k == "year" || k == "month" || k == "day" || k == "hour") {
        int64_t x = 0;
        auto [p, ec] = std::from_chars(val.data(), val.data() + val.size(), x);
        if (ec != std::errc() || p != val.data() + val.size()) return std::nullopt;
        v[k] = x;
      }
    }
    if (!v.count("year")) return std::nullopt;
    const int64_t y = v["year"];
    int64_t code = y;
    TimeGranularity g = TimeGranularity::kYear;
    if (v.count("month")) {
      const int64_t m = v["month"];
      if (m < 1 || m > 12) return std::nullopt;
      code = y * 12 + m - 1;
      g = TimeGranularity::kMonth;
      if (v.count("day")) {
        const int64_t d = v["day"];
        if (d < 1 || d > 31) return std::nullopt;
        code = LakeDaysFromCivil(y, static_cast<int>(m), static_cast<int>(d));
        g = TimeGranularity::kDay;
        if (v.count("hour")) {
          code = code * 24 + v["hour"];
          g = TimeGranularity::kHour;
        }
      }
    }
    return std::make_pair(Start(g, code), Start(g, code + 1));
  }

 private:
  TimeGranularity granularity_ = TimeGranularity::kDay;
  std::optional<TradingCalendar> calendar_;
  ZoneOffsetCache zone_;
  int64_t civil_day_ = INT64_MIN;
  Civil civil_{};
};

}  // namespace

Result<std::vector<TimeSlot>> TimeSlots(const PartitionField& field, int64_t from, int64_t to) {
  std::vector<TimeSlot> out;
  if (field.kind != PartitionField::Kind::kTime) return Invalid("not a time partition field");
  ML_ASSIGN_OR_RETURN(auto clock, FieldClock::Make(field));
  if (from >= to) return out;
  for (int64_t code = clock.Code(from);; ++code) {
    TimeSlot slot{clock.Start(code), clock.Start(code + 1), clock.Values(code)};
    if (slot.start >= to) break;
    if (slot.end > slot.start) out.push_back(std::move(slot));
  }
  return out;
}

namespace {

struct KeyHash {
  size_t operator()(const std::array<int64_t, kMaxFields>& k) const {
    uint64_t h = 1469598103934665603ULL;
    for (int64_t v : k) h = (h ^ static_cast<uint64_t>(v)) * 1099511628211ULL;
    return h;
  }
};

}  // namespace

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
    SymbolIds ids;
    symbol_ids.resize(n);
    for (int64_t i = 0; i < n; ++i) {
      if (sym_arr->IsNull(i)) return Invalid(fmt::format("null 'symbol' in row {}", i));
      std::string_view s = sym_arr->GetView(i);
      const size_t known = ids.names().size();
      symbol_ids[i] = ids.Intern(s);
      if (ids.names().size() > known) {
        auto enc = EncodePartitionValue(s);
        if (!enc.ok()) {
          return Invalid(fmt::format("symbol in row {} cannot be a partition value: {}", i,
                                     enc.status().message()));
        }
      }
    }
    symbols = ids.names();
  }

  // Per field, a column of int64 codes.
  std::vector<std::vector<int64_t>> codes(spec_.fields.size());
  std::vector<std::optional<FieldClock>> clocks(spec_.fields.size());
  for (size_t f = 0; f < spec_.fields.size(); ++f) {
    const auto& field = spec_.fields[f];
    auto& c = codes[f];
    c.resize(n);
    switch (field.kind) {
      case PartitionField::Kind::kTime: {
        ML_ASSIGN_OR_RETURN(clocks[f], FieldClock::Make(field));
        for (int64_t i = 0; i < n; ++i) c[i] = clocks[f]->Code(ts[i]);
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
  std::array<int64_t, kMaxFields> last_key{};
  size_t last_group = SIZE_MAX;  // market data comes in runs of rows of one partition
  for (int64_t i = 0; i < n; ++i) {
    for (size_t f = 0; f < codes.size(); ++f) key[f] = codes[f][i];
    if (last_group == SIZE_MAX || key != last_key) {
      auto [it, inserted] = group_of.emplace(key, group_keys.size());
      if (inserted) {
        group_keys.push_back(key);
        row_lists.emplace_back();
      }
      last_group = it->second;
      last_key = key;
    }
    row_lists[last_group].push_back(i);
  }

  for (size_t g = 0; g < group_keys.size(); ++g) {
    PartitionedBatch part;
    for (size_t f = 0; f < spec_.fields.size(); ++f) {
      const auto& field = spec_.fields[f];
      int64_t code = group_keys[g][f];
      switch (field.kind) {
        case PartitionField::Kind::kTime: {
          for (auto& kv : clocks[f]->Values(code)) part.values.push_back(std::move(kv));
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
  // Partition values are read in the spec's zone; a zone missing from this machine's
  // database prunes by the files' recorded ranges only.
  PartitionField time_field;
  for (const auto& f : snapshot.partition_spec.fields) {
    if (f.kind == PartitionField::Kind::kTime) time_field = f;
  }
  auto clock = FieldClock::Make(time_field);
  for (const auto& file : snapshot.files) {
    if (filter.ts_min || filter.ts_max) {
      auto bounds = clock.ok() ? clock->Bounds(file.partition) : std::nullopt;
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
