// Normalize: alias mapping, type and time conversion, quality rules, validation modes.
//
// Shape: every check marks violating rows in a Violations table (per-row first violation,
// per-check counts). Conversions and rules are columnar loops over raw buffers; the only
// per-value string work is rendering the few values that end up in an error or rejects.

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/util/bit_util.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <mutex>
#include <numeric>
#include <unordered_map>

#include "marketlake/common/null_array.h"
#include "marketlake/schema.h"
#include "marketlake/schema/decimal_parse.h"
#include "marketlake/schema/internal.h"
#include "marketlake/schema/time_convert.h"

namespace marketlake {
namespace {

using schema_internal::LocalToUtc;
using schema_internal::NameKey;
using schema_internal::ParsedTime;
using schema_internal::ParseIsoTime;

constexpr int64_t kNanosPerSecond = 1'000'000'000LL;

void InitCompute() {
  static std::once_flag once;
  std::call_once(once, [] { (void)arrow::compute::Initialize(); });
}

std::string FormatDouble(double v) {
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, p);
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The violation table.

struct Check {
  std::string rule;
  std::string column;        // canonical
  std::string input_column;  // as named in the input (for messages and rejects)
  std::string description;
  std::vector<int> input_indices;  // input columns whose values describe a violating row
  bool fatal = false;              // the row cannot be represented in the canonical schema
};

class Violations {
 public:
  explicit Violations(int64_t rows) : first_(rows, -1), first_fatal_(rows, -1) {}

  int32_t Add(Check check) {
    checks_.push_back(std::move(check));
    counts_.push_back(0);
    return static_cast<int32_t>(checks_.size() - 1);
  }

  void Mark(int32_t id, int64_t row) {
    ++counts_[id];
    if (first_[row] < 0) first_[row] = id;
    if (checks_[id].fatal && first_fatal_[row] < 0) first_fatal_[row] = id;
  }

  bool Clean(int64_t row) const { return first_[row] < 0; }
  int32_t First(int64_t row) const { return first_[row]; }
  int32_t FirstFatal(int64_t row) const { return first_fatal_[row]; }
  const Check& check(int32_t id) const { return checks_[id]; }
  int64_t count(int32_t id) const { return counts_[id]; }
  size_t size() const { return checks_.size(); }

 private:
  std::vector<Check> checks_;
  std::vector<int64_t> counts_;
  std::vector<int32_t> first_;
  std::vector<int32_t> first_fatal_;
};

// Renders one input value for messages and rejects ("null" for null).
std::string RenderValue(const arrow::Array& array, int64_t row) {
  if (array.IsNull(row)) return "null";
  auto scalar = array.GetScalar(row);
  if (!scalar.ok()) return "?";
  const auto& s = *scalar;
  if (s->type->id() == arrow::Type::DOUBLE) {
    return FormatDouble(static_cast<const arrow::DoubleScalar&>(*s).value);
  }
  if (s->type->id() == arrow::Type::FLOAT) {
    return FormatDouble(static_cast<const arrow::FloatScalar&>(*s).value);
  }
  return s->ToString();
}

// ---------------------------------------------------------------------------------------------
// Conversion context: one input column to one canonical column.

struct ConvertContext {
  const NormalizeOptions* options;
  arrow::MemoryPool* pool;
  Violations* violations;
  LocalToUtc* zone;
  NormalizeStats* stats;
  std::string source;
};

Status TypeError(const ConvertContext& ctx, const std::string& input_name,
                 const arrow::DataType& from, const ColumnSpec& to) {
  return Error(ErrorCode::kDataType, ctx.source + ": column '" + input_name + "' has type " +
                                         from.ToString() + ", which cannot be converted to " +
                                         std::string(ColumnTypeName(to.type)));
}

bool IsStringLike(arrow::Type::type id) {
  return id == arrow::Type::STRING || id == arrow::Type::LARGE_STRING;
}

template <typename Visit>
void ForEachString(const arrow::Array& array, Visit&& visit) {
  const bool nulls = array.null_count() > 0;
  if (array.type_id() == arrow::Type::LARGE_STRING) {
    const auto& a = static_cast<const arrow::LargeStringArray&>(array);
    for (int64_t i = 0; i < a.length(); ++i) {
      if (!nulls || a.IsValid(i)) visit(i, a.GetView(i));
    }
  } else {
    const auto& a = static_cast<const arrow::StringArray&>(array);
    for (int64_t i = 0; i < a.length(); ++i) {
      if (!nulls || a.IsValid(i)) visit(i, a.GetView(i));
    }
  }
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Output buffers for a fixed-width column: values + validity, all valid to start.
template <typename T>
struct FixedOut {
  std::shared_ptr<arrow::Buffer> values;
  std::shared_ptr<arrow::Buffer> validity;
  T* data = nullptr;
  uint8_t* bits = nullptr;
  int64_t nulls = 0;

  Status Init(int64_t n, arrow::MemoryPool* pool) {
    ARROW_ASSIGN_OR_RAISE(values, arrow::AllocateBuffer(n * sizeof(T), pool));
    ARROW_ASSIGN_OR_RAISE(validity, arrow::AllocateBitmap(n, pool));
    data = reinterpret_cast<T*>(values->mutable_data());
    bits = validity->mutable_data();
    std::fill(data, data + n, T{});
    arrow::bit_util::SetBitsTo(bits, 0, n, true);
    return Status::OK();
  }
  void SetNull(int64_t i) {
    arrow::bit_util::ClearBit(bits, i);
    data[i] = T{};
    ++nulls;
  }
  // Nulls where `in` has them.
  void CopyNulls(const arrow::Array& in) {
    if (in.null_count() == 0) return;
    for (int64_t i = 0; i < in.length(); ++i) {
      if (in.IsNull(i)) SetNull(i);
    }
  }
  std::shared_ptr<arrow::Array> Finish(std::shared_ptr<arrow::DataType> type, int64_t n) {
    return arrow::MakeArray(arrow::ArrayData::Make(std::move(type), n, {validity, values}, nulls));
  }
};

// int64 from any input. Marks `type` violations and nulls them.
Result<std::shared_ptr<arrow::Array>> ToInt64(const ConvertContext& ctx,
                                              const std::shared_ptr<arrow::Array>& in,
                                              const ColumnSpec& col, int32_t type_check) {
  const int64_t n = in->length();
  const auto id = in->type_id();
  if (id == arrow::Type::INT64) return in;
  if (arrow::is_integer(id) && id != arrow::Type::UINT64) {
    return arrow::compute::Cast(*in, arrow::int64(), arrow::compute::CastOptions::Safe());
  }
  FixedOut<int64_t> out;
  ML_RETURN_NOT_OK(out.Init(n, ctx.pool));
  auto bad = [&](int64_t i) {
    out.SetNull(i);
    ctx.violations->Mark(type_check, i);
  };
  auto from_double = [&](int64_t i, double v) {
    // 2^63 is exactly representable; anything >= it does not fit.
    if (std::isfinite(v) && v == std::trunc(v) && v >= -9223372036854775808.0 &&
        v < 9223372036854775808.0) {
      out.data[i] = static_cast<int64_t>(v);
    } else {
      bad(i);
    }
  };
  out.CopyNulls(*in);
  if (id == arrow::Type::UINT64) {
    const auto* v = static_cast<const arrow::UInt64Array&>(*in).raw_values();
    for (int64_t i = 0; i < n; ++i) {
      if (!in->IsValid(i)) continue;
      if (v[i] > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        bad(i);
      } else {
        out.data[i] = static_cast<int64_t>(v[i]);
      }
    }
  } else if (id == arrow::Type::DOUBLE || id == arrow::Type::FLOAT ||
             id == arrow::Type::HALF_FLOAT || arrow::is_decimal(id)) {
    ARROW_ASSIGN_OR_RAISE(
        auto d, arrow::compute::Cast(*in, arrow::float64(), arrow::compute::CastOptions::Unsafe()));
    const auto* v = static_cast<const arrow::DoubleArray&>(*d).raw_values();
    for (int64_t i = 0; i < n; ++i) {
      if (in->IsValid(i)) from_double(i, v[i]);
    }
  } else if (IsStringLike(id)) {
    ForEachString(*in, [&](int64_t i, std::string_view s) {
      s = Trim(s);
      int64_t v = 0;
      if (schema_internal::ParseSimpleInt64(s, &v)) {
        out.data[i] = v;
        return;
      }
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) {
        out.data[i] = v;
        return;
      }
      double d = 0;
      auto [p2, ec2] = std::from_chars(s.data(), s.data() + s.size(), d);
      if (ec2 == std::errc() && p2 == s.data() + s.size() && !s.empty()) {
        from_double(i, d);
      } else {
        bad(i);
      }
    });
  } else {
    return TypeError(ctx, ctx.violations->check(type_check).input_column, *in->type(), col);
  }
  return out.Finish(arrow::int64(), n);
}

Result<std::shared_ptr<arrow::Array>> ToFloat64(const ConvertContext& ctx,
                                                const std::shared_ptr<arrow::Array>& in,
                                                const ColumnSpec& col, int32_t type_check) {
  const auto id = in->type_id();
  if (id == arrow::Type::DOUBLE) return in;
  if (arrow::is_integer(id) || arrow::is_floating(id) || arrow::is_decimal(id)) {
    return arrow::compute::Cast(*in, arrow::float64(), arrow::compute::CastOptions::Unsafe());
  }
  if (!IsStringLike(id)) {
    return TypeError(ctx, ctx.violations->check(type_check).input_column, *in->type(), col);
  }
  const int64_t n = in->length();
  FixedOut<double> out;
  ML_RETURN_NOT_OK(out.Init(n, ctx.pool));
  out.CopyNulls(*in);
  ForEachString(*in, [&](int64_t i, std::string_view s) {
    s = Trim(s);
    double d = 0;
    if (schema_internal::ParseSimpleDouble(s, &d)) {
      out.data[i] = d;
      return;
    }
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec == std::errc() && p == s.data() + s.size() && !s.empty() && std::isfinite(d)) {
      out.data[i] = d;
    } else {
      out.SetNull(i);
      ctx.violations->Mark(type_check, i);
    }
  });
  return out.Finish(arrow::float64(), n);
}

Result<std::shared_ptr<arrow::Array>> ToBool(const ConvertContext& ctx,
                                             const std::shared_ptr<arrow::Array>& in,
                                             const ColumnSpec& col, int32_t type_check) {
  const auto id = in->type_id();
  if (id == arrow::Type::BOOL) return in;
  if (arrow::is_integer(id)) {
    return arrow::compute::Cast(*in, arrow::boolean(), arrow::compute::CastOptions::Unsafe());
  }
  if (!IsStringLike(id)) {
    return TypeError(ctx, ctx.violations->check(type_check).input_column, *in->type(), col);
  }
  arrow::BooleanBuilder b(ctx.pool);
  ML_RETURN_NOT_OK(b.Resize(in->length()));
  for (int64_t i = 0; i < in->length(); ++i) {
    if (in->IsNull(i)) {
      b.UnsafeAppendNull();
      continue;
    }
    std::string_view s = Trim(IsStringLike(id) && id == arrow::Type::STRING
                                  ? static_cast<const arrow::StringArray&>(*in).GetView(i)
                                  : static_cast<const arrow::LargeStringArray&>(*in).GetView(i));
    // Lowercase into a small stack buffer: the accepted words are at most 5 characters.
    char k[6] = {};
    const bool fits = s.size() <= 5;
    for (size_t j = 0; fits && j < s.size(); ++j) {
      k[j] = (s[j] >= 'A' && s[j] <= 'Z') ? static_cast<char>(s[j] - 'A' + 'a') : s[j];
    }
    const std::string_view w = fits ? std::string_view(k, s.size()) : std::string_view();
    if (w == "true" || w == "t" || w == "1" || w == "yes" || w == "y") {
      b.UnsafeAppend(true);
    } else if (w == "false" || w == "f" || w == "0" || w == "no" || w == "n") {
      b.UnsafeAppend(false);
    } else {
      b.UnsafeAppendNull();
      ctx.violations->Mark(type_check, i);
    }
  }
  return b.Finish();
}

Result<std::shared_ptr<arrow::Array>> ToUtf8(const ConvertContext& ctx,
                                             const std::shared_ptr<arrow::Array>& in,
                                             const ColumnSpec& col, int32_t type_check) {
  const auto id = in->type_id();
  if (id == arrow::Type::STRING) return in;
  if (id == arrow::Type::LARGE_STRING || arrow::is_integer(id) || arrow::is_floating(id) ||
      id == arrow::Type::STRING_VIEW || id == arrow::Type::BOOL || arrow::is_decimal(id)) {
    return arrow::compute::Cast(*in, arrow::utf8(), arrow::compute::CastOptions::Safe());
  }
  return TypeError(ctx, ctx.violations->check(type_check).input_column, *in->type(), col);
}

// list<utf8> from a list of strings, or from "A,B" strings (split on commas, trimmed; an
// empty string is an empty list).
Result<std::shared_ptr<arrow::Array>> ToStringList(const ConvertContext& ctx,
                                                   const std::shared_ptr<arrow::Array>& in,
                                                   const ColumnSpec& col, int32_t type_check) {
  const auto id = in->type_id();
  auto target = arrow::list(arrow::utf8());
  if (id == arrow::Type::LIST || id == arrow::Type::LARGE_LIST ||
      id == arrow::Type::FIXED_SIZE_LIST || id == arrow::Type::LIST_VIEW) {
    if (in->type()->Equals(*target)) return in;
    auto casted = arrow::compute::Cast(*in, target, arrow::compute::CastOptions::Safe());
    if (!casted.ok())
      return TypeError(ctx, ctx.violations->check(type_check).input_column, *in->type(), col);
    return casted;
  }
  if (!IsStringLike(id)) {
    return TypeError(ctx, ctx.violations->check(type_check).input_column, *in->type(), col);
  }
  arrow::ListBuilder lb(ctx.pool, std::make_shared<arrow::StringBuilder>(ctx.pool), target);
  auto* sb = static_cast<arrow::StringBuilder*>(lb.value_builder());
  for (int64_t i = 0; i < in->length(); ++i) {
    if (in->IsNull(i)) {
      ML_RETURN_NOT_OK(lb.AppendNull());
      continue;
    }
    std::string_view s = id == arrow::Type::STRING
                             ? static_cast<const arrow::StringArray&>(*in).GetView(i)
                             : static_cast<const arrow::LargeStringArray&>(*in).GetView(i);
    ML_RETURN_NOT_OK(lb.Append());
    s = Trim(s);
    while (!s.empty()) {
      size_t comma = s.find(',');
      std::string_view part = Trim(s.substr(0, comma));
      if (!part.empty()) ML_RETURN_NOT_OK(sb->Append(part));
      if (comma == std::string_view::npos) break;
      s.remove_prefix(comma + 1);
    }
  }
  return lb.Finish();
}

// Epoch magnitude bands: |v| < 1e11 s, < 1e14 ms, < 1e17 us, else ns. Returns the ns factor.
int64_t BandFactor(double abs_v) {
  if (abs_v < 1e11) return kNanosPerSecond;
  if (abs_v < 1e14) return 1'000'000;
  if (abs_v < 1e17) return 1'000;
  return 1;
}

int64_t UnitFactor(EpochUnit u) {
  switch (u) {
    case EpochUnit::kSeconds:
      return kNanosPerSecond;
    case EpochUnit::kMillis:
      return 1'000'000;
    case EpochUnit::kMicros:
      return 1'000;
    case EpochUnit::kNanos:
      return 1;
    case EpochUnit::kAuto:
      break;
  }
  return 0;
}

EpochUnit UnitOfFactor(int64_t f) {
  switch (f) {
    case kNanosPerSecond:
      return EpochUnit::kSeconds;
    case 1'000'000:
      return EpochUnit::kMillis;
    case 1'000:
      return EpochUnit::kMicros;
    default:
      return EpochUnit::kNanos;
  }
}

struct TimeChecks {
  int32_t timestamp;
  int32_t epoch_unit;
  int32_t nonexistent;
  int32_t ambiguous;
};

// timestamp[ns, UTC] from strings, dates, timestamps of any unit/zone, or epoch numbers.
Result<std::shared_ptr<arrow::Array>> ToTimestamp(const ConvertContext& ctx,
                                                  const std::shared_ptr<arrow::Array>& in,
                                                  const ColumnSpec& col, const TimeChecks& tc,
                                                  const std::string& canonical) {
  const int64_t n = in->length();
  const auto id = in->type_id();
  const auto target = arrow::timestamp(arrow::TimeUnit::NANO, "UTC");
  const NormalizeOptions& opt = *ctx.options;
  FixedOut<int64_t> out;
  ML_RETURN_NOT_OK(out.Init(n, ctx.pool));
  out.CopyNulls(*in);
  auto fail = [&](int32_t check, int64_t i) {
    out.SetNull(i);
    ctx.violations->Mark(check, i);
  };
  // Local wall time -> UTC in the options' zone.
  auto local = [&](int64_t i, int64_t local_ns) {
    int64_t utc = 0;
    switch (ctx.zone->Convert(local_ns, opt.ambiguous, &utc)) {
      case LocalToUtc::Outcome::kOk:
        out.data[i] = utc;
        break;
      case LocalToUtc::Outcome::kNonexistent:
        fail(tc.nonexistent, i);
        break;
      case LocalToUtc::Outcome::kAmbiguous:
        if (opt.ambiguous == AmbiguousTime::kReject) {
          fail(tc.ambiguous, i);
        } else {
          out.data[i] = utc;
          ++ctx.stats->ambiguous_times;
        }
        break;
    }
  };
  auto scaled = [&](int64_t i, int64_t v, int64_t factor) -> bool {
    int64_t r;
    if (__builtin_mul_overflow(v, factor, &r)) {
      fail(tc.timestamp, i);
      return false;
    }
    out.data[i] = r;
    return true;
  };

  if (id == arrow::Type::TIMESTAMP) {
    const auto& t = static_cast<const arrow::TimestampType&>(*in->type());
    const int64_t factor = UnitFactor(t.unit() == arrow::TimeUnit::SECOND  ? EpochUnit::kSeconds
                                      : t.unit() == arrow::TimeUnit::MILLI ? EpochUnit::kMillis
                                      : t.unit() == arrow::TimeUnit::MICRO ? EpochUnit::kMicros
                                                                           : EpochUnit::kNanos);
    const auto* v = static_cast<const arrow::TimestampArray&>(*in).raw_values();
    const bool naive = t.timezone().empty();
    if (!naive && factor == 1) {
      return arrow::MakeArray(in->data()->Copy())->View(target);
    }
    for (int64_t i = 0; i < n; ++i) {
      if (!in->IsValid(i)) continue;
      if (scaled(i, v[i], factor) && naive && !ctx.zone->is_utc()) local(i, out.data[i]);
    }
  } else if (id == arrow::Type::DATE32 || id == arrow::Type::DATE64) {
    for (int64_t i = 0; i < n; ++i) {
      if (!in->IsValid(i)) continue;
      int64_t ns = 0;
      if (id == arrow::Type::DATE32) {
        ns = static_cast<int64_t>(static_cast<const arrow::Date32Array&>(*in).Value(i)) * 86400 *
             kNanosPerSecond;
      } else if (!scaled(i, static_cast<const arrow::Date64Array&>(*in).Value(i), 1'000'000)) {
        continue;
      } else {
        ns = out.data[i];
      }
      local(i, ns);
    }
  } else if (IsStringLike(id)) {
    ForEachString(*in, [&](int64_t i, std::string_view s) {
      ParsedTime p;
      if (!ParseIsoTime(s, &p)) {
        fail(tc.timestamp, i);
      } else if (p.has_offset) {
        out.data[i] = p.ns;
      } else {
        local(i, p.ns);
      }
    });
  } else if (arrow::is_integer(id) || arrow::is_floating(id)) {
    // Epoch numbers are UTC instants by definition: no zone applies.
    ARROW_ASSIGN_OR_RAISE(
        auto d, arrow::compute::Cast(*in, arrow::float64(), arrow::compute::CastOptions::Unsafe()));
    const auto* dv = static_cast<const arrow::DoubleArray&>(*d).raw_values();
    std::shared_ptr<arrow::Array> ints;
    const int64_t* iv = nullptr;
    if (arrow::is_integer(id) && id != arrow::Type::UINT64) {
      ARROW_ASSIGN_OR_RAISE(ints, arrow::compute::Cast(*in, arrow::int64()));
      iv = static_cast<const arrow::Int64Array&>(*ints).raw_values();
    }
    int64_t factor = UnitFactor(opt.epoch_unit);
    if (factor == 0) {
      for (int64_t i = 0; i < n; ++i) {
        if (in->IsValid(i) && dv[i] != 0 && std::isfinite(dv[i])) {
          factor = BandFactor(std::fabs(dv[i]));
          break;
        }
      }
      if (factor == 0) factor = kNanosPerSecond;
      ctx.stats->epoch_units[canonical] = UnitOfFactor(factor);
    }
    const bool check_band = opt.epoch_unit == EpochUnit::kAuto;
    for (int64_t i = 0; i < n; ++i) {
      if (!in->IsValid(i)) continue;
      const double a = std::fabs(dv[i]);
      if (!std::isfinite(dv[i])) {
        fail(tc.timestamp, i);
      } else if (check_band && dv[i] != 0 && BandFactor(a) != factor) {
        fail(tc.epoch_unit, i);
      } else if (iv != nullptr) {
        scaled(i, iv[i], factor);
      } else {
        // Whole units and the fraction separately: a double holds epoch seconds with
        // microsecond precision but not epoch nanoseconds.
        const double whole = std::floor(dv[i]);
        if (whole < -9.2e18 || whole > 9.2e18) {
          fail(tc.timestamp, i);
        } else if (scaled(i, static_cast<int64_t>(whole), factor)) {
          const int64_t frac = std::llround((dv[i] - whole) * static_cast<double>(factor));
          if (__builtin_add_overflow(out.data[i], frac, &out.data[i])) fail(tc.timestamp, i);
        }
      }
    }
  } else {
    return TypeError(ctx, ctx.violations->check(tc.timestamp).input_column, *in->type(), col);
  }
  return out.Finish(target, n);
}

// ---------------------------------------------------------------------------------------------
// Row keys for the duplicate check.

// splitmix64's finaliser: std::hash<int64_t> is the identity, so low bits need mixing.
uint64_t Finalize(uint64_t h) {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

struct KeyColumn {
  const arrow::Array* array;
  arrow::Type::type id;

  uint64_t Hash(int64_t i) const {
    if (array->IsNull(i)) return 0x5bd1e995ULL;
    switch (id) {
      case arrow::Type::STRING:
        return std::hash<std::string_view>{}(
            static_cast<const arrow::StringArray&>(*array).GetView(i));
      case arrow::Type::INT64:
      case arrow::Type::TIMESTAMP:
        return std::hash<int64_t>{}(array->data()->GetValues<int64_t>(1)[i]);
      case arrow::Type::INT32:
        return std::hash<int32_t>{}(static_cast<const arrow::Int32Array&>(*array).Value(i));
      case arrow::Type::DOUBLE:
        return std::hash<double>{}(static_cast<const arrow::DoubleArray&>(*array).Value(i));
      case arrow::Type::FLOAT:
        return std::hash<float>{}(static_cast<const arrow::FloatArray&>(*array).Value(i));
      case arrow::Type::BOOL:
        return static_cast<const arrow::BooleanArray&>(*array).Value(i) ? 1 : 2;
      default:
        return 7;  // lists: equality decides
    }
  }

  bool Equal(int64_t a, int64_t b) const {
    const bool na = array->IsNull(a), nb = array->IsNull(b);
    if (na || nb) return na == nb;
    switch (id) {
      case arrow::Type::STRING: {
        const auto& s = static_cast<const arrow::StringArray&>(*array);
        return s.GetView(a) == s.GetView(b);
      }
      case arrow::Type::INT64:
      case arrow::Type::TIMESTAMP: {
        const auto* v = array->data()->GetValues<int64_t>(1);
        return v[a] == v[b];
      }
      case arrow::Type::INT32: {
        const auto& s = static_cast<const arrow::Int32Array&>(*array);
        return s.Value(a) == s.Value(b);
      }
      case arrow::Type::DOUBLE: {
        const auto& s = static_cast<const arrow::DoubleArray&>(*array);
        return s.Value(a) == s.Value(b);
      }
      case arrow::Type::FLOAT: {
        const auto& s = static_cast<const arrow::FloatArray&>(*array);
        return s.Value(a) == s.Value(b);
      }
      case arrow::Type::BOOL: {
        const auto& s = static_cast<const arrow::BooleanArray&>(*array);
        return s.Value(a) == s.Value(b);
      }
      default:
        return array->RangeEquals(a, a + 1, b, *array);
    }
  }
};

// ---------------------------------------------------------------------------------------------

std::string RuleDescription(const RuleSpec& r) {
  switch (r.kind) {
    case RuleKind::kPositive:
      return r.column + " must be > 0";
    case RuleKind::kNonNegative:
      return r.column + " must be >= 0";
    case RuleKind::kRange:
      return r.column + " must be in [" + FormatDouble(r.min) + ", " + FormatDouble(r.max) + "]";
    case RuleKind::kNotNull:
      return r.column + " must not be null";
    case RuleKind::kHighGeOpenClose:
      return "high must be >= max(open, close)";
    case RuleKind::kLowLeOpenClose:
      return "low must be <= min(open, close)";
    case RuleKind::kBidLeAsk:
      return "bid must be <= ask";
  }
  return "";
}

// A numeric canonical column read as doubles (nullptr values when absent or non-numeric).
struct NumView {
  const arrow::Array* array = nullptr;
  const double* d = nullptr;
  const int64_t* i64 = nullptr;
  const int32_t* i32 = nullptr;
  const float* f32 = nullptr;
  const uint8_t* bits = nullptr;  // null when the column has no nulls

  explicit NumView(const arrow::Array* a) : array(a) {
    if (a == nullptr) return;
    if (a->null_count() > 0) bits = a->null_bitmap_data();
    switch (a->type_id()) {
      case arrow::Type::DOUBLE:
        d = static_cast<const arrow::DoubleArray*>(a)->raw_values();
        break;
      case arrow::Type::INT64:
        i64 = static_cast<const arrow::Int64Array*>(a)->raw_values();
        break;
      case arrow::Type::INT32:
        i32 = static_cast<const arrow::Int32Array*>(a)->raw_values();
        break;
      case arrow::Type::FLOAT:
        f32 = static_cast<const arrow::FloatArray*>(a)->raw_values();
        break;
      default:
        array = nullptr;
    }
  }
  bool Valid(int64_t i) const {
    return array != nullptr &&
           (bits == nullptr || arrow::bit_util::GetBit(bits, array->offset() + i));
  }
  double operator[](int64_t i) const {
    return d ? d[i] : i64 ? static_cast<double>(i64[i]) : i32 ? i32[i] : f32[i];
  }
};

}  // namespace

int64_t NormalizeStats::Count(std::string_view rule, std::string_view column) const {
  int64_t total = 0;
  for (const auto& v : violations) {
    if (v.rule == rule && (column.empty() || v.column == column)) total += v.rows;
  }
  return total;
}

Result<NormalizedBatch> Normalize(const DatasetSpec& spec,
                                  const std::shared_ptr<arrow::RecordBatch>& in,
                                  const NormalizeOptions& options) {
  if (in == nullptr) return Error(ErrorCode::kInvalidArgument, "Normalize: null batch");
  InitCompute();
  const std::string source = options.source_name.empty() ? "<input>" : options.source_name;
  arrow::MemoryPool* pool = options.pool ? options.pool : arrow::default_memory_pool();
  ML_ASSIGN_OR_RETURN(LocalToUtc zone, LocalToUtc::Make(options.tz));
  const int64_t n = in->num_rows();
  const auto& in_schema = *in->schema();

  NormalizedBatch result;
  NormalizeStats& stats = result.stats;
  stats.rows_in = n;

  // 1. Names: every input column to at most one canonical column.
  std::unordered_map<std::string, size_t> key_to_col;
  for (size_t c = 0; c < spec.columns.size(); ++c) {
    key_to_col.emplace(NameKey(spec.columns[c].name), c);
    for (const auto& a : spec.columns[c].aliases) key_to_col.emplace(NameKey(a), c);
  }
  std::vector<int> input_of(spec.columns.size(), -1);
  for (int f = 0; f < in_schema.num_fields(); ++f) {
    const std::string& name = in_schema.field(f)->name();
    auto it = key_to_col.find(NameKey(name));
    if (it == key_to_col.end()) {
      stats.dropped_columns.push_back(name);
      continue;
    }
    const size_t c = it->second;
    if (input_of[c] >= 0) {
      return Error(ErrorCode::kSchemaMismatch,
                   source + ": columns '" + in_schema.field(input_of[c])->name() + "' and '" +
                       name + "' both map to '" + spec.columns[c].name + "'");
    }
    input_of[c] = f;
    if (name != spec.columns[c].name) stats.renamed.emplace_back(name, spec.columns[c].name);
  }
  std::vector<std::string> found;
  for (const auto& f : in_schema.fields()) found.push_back(f->name());
  for (size_t c = 0; c < spec.columns.size(); ++c) {
    const ColumnSpec& col = spec.columns[c];
    if (input_of[c] >= 0) continue;
    if (col.required) {
      std::string msg = source + ": dataset '" + spec.name + "' requires column '" + col.name + "'";
      if (!col.aliases.empty()) msg += " (also accepted: " + Join(col.aliases, ", ") + ")";
      msg += "; found: " + (found.empty() ? std::string("no columns") : Join(found, ", "));
      return Error(ErrorCode::kMissingColumn, std::move(msg));
    }
    stats.missing_optional.push_back(col.name);
  }
  for (const auto& group : spec.require_any) {
    bool any = false;
    for (const auto& g : group) {
      const ColumnSpec* col = spec.FindColumn(g);
      any = any || (col != nullptr && input_of[col - spec.columns.data()] >= 0);
    }
    if (!any) {
      return Error(ErrorCode::kMissingColumn,
                   source + ": dataset '" + spec.name + "' requires one of the columns " +
                       Join(group, ", ") + "; found: " +
                       (found.empty() ? std::string("no columns") : Join(found, ", ")));
    }
  }

  // 2. Conversion, column by column in spec order.
  Violations violations(n);
  ConvertContext ctx{&options, pool, &violations, &zone, &stats, source};
  auto input_name = [&](size_t c) {
    return input_of[c] >= 0 ? in_schema.field(input_of[c])->name() : spec.columns[c].name;
  };
  auto indices_of = [&](size_t c) {
    return input_of[c] >= 0 ? std::vector<int>{input_of[c]} : std::vector<int>{};
  };
  arrow::ArrayVector out_columns(spec.columns.size());
  for (size_t c = 0; c < spec.columns.size(); ++c) {
    const ColumnSpec& col = spec.columns[c];
    const auto type = ArrowTypeOf(col.type);
    if (input_of[c] < 0) {
      ARROW_ASSIGN_OR_RAISE(out_columns[c], internal::NullArray(type, n));
      continue;
    }
    std::shared_ptr<arrow::Array> src = in->column(input_of[c]);
    if (src->type_id() == arrow::Type::DICTIONARY || src->type_id() == arrow::Type::STRING_VIEW) {
      auto value_type = src->type_id() == arrow::Type::DICTIONARY
                            ? static_cast<const arrow::DictionaryType&>(*src->type()).value_type()
                            : arrow::utf8();
      ARROW_ASSIGN_OR_RAISE(src, arrow::compute::Cast(*src, value_type));
    }
    if (src->type_id() == arrow::Type::NA) {
      ARROW_ASSIGN_OR_RAISE(out_columns[c], internal::NullArray(type, n));
      continue;
    }
    auto add = [&](std::string_view rule, std::string description) {
      return violations.Add(Check{std::string(rule), col.name, input_name(c),
                                  std::move(description), indices_of(c), /*fatal=*/true});
    };
    Result<std::shared_ptr<arrow::Array>> converted;
    switch (col.type) {
      case ColumnType::kTimestamp: {
        std::string zone_name = options.tz.empty() ? "UTC" : options.tz;
        TimeChecks tc{
            add(kRuleTimestamp,
                "not a timestamp (ISO-8601 date or time, Arrow date/timestamp or epoch number)"),
            add(kRuleEpochUnit,
                "epoch value's magnitude differs from the unit inferred from "
                "the column's first value"),
            add(kRuleNonexistentTime,
                "local time does not exist in " + zone_name + " (skipped by a DST change)"),
            add(kRuleAmbiguousTime,
                "local time is ambiguous in " + zone_name + " (repeated by a DST change)")};
        converted = ToTimestamp(ctx, src, col, tc, col.name);
        break;
      }
      case ColumnType::kInt64:
        converted = ToInt64(ctx, src, col, add(kRuleType, "not an int64"));
        break;
      case ColumnType::kInt32: {
        int32_t check = add(kRuleType, "not an int32");
        converted = ToInt64(ctx, src, col, check);
        if (converted.ok()) {
          const auto& a = static_cast<const arrow::Int64Array&>(**converted);
          FixedOut<int32_t> o;
          ML_RETURN_NOT_OK(o.Init(n, pool));
          for (int64_t i = 0; i < n; ++i) {
            if (a.IsNull(i)) {
              o.SetNull(i);
            } else if (a.Value(i) < INT32_MIN || a.Value(i) > INT32_MAX) {
              o.SetNull(i);
              violations.Mark(check, i);
            } else {
              o.data[i] = static_cast<int32_t>(a.Value(i));
            }
          }
          converted = o.Finish(arrow::int32(), n);
        }
        break;
      }
      case ColumnType::kFloat64:
        converted = ToFloat64(ctx, src, col, add(kRuleType, "not a float64"));
        break;
      case ColumnType::kFloat32:
        converted = ToFloat64(ctx, src, col, add(kRuleType, "not a float32"));
        if (converted.ok()) {
          converted = arrow::compute::Cast(**converted, arrow::float32(),
                                           arrow::compute::CastOptions::Unsafe());
        }
        break;
      case ColumnType::kBool:
        converted = ToBool(ctx, src, col, add(kRuleType, "not a bool"));
        break;
      case ColumnType::kString:
        converted = ToUtf8(ctx, src, col, add(kRuleType, "not a string"));
        break;
      case ColumnType::kStringList:
        converted = ToStringList(ctx, src, col, add(kRuleType, "not a list of strings"));
        break;
    }
    if (!converted.ok()) return converted.status();
    out_columns[c] = *converted;
  }

  // 3. not_null: a null input value in a non-nullable column (unconvertible values were
  // already counted by their conversion check).
  for (size_t c = 0; c < spec.columns.size(); ++c) {
    const ColumnSpec& col = spec.columns[c];
    bool rule_not_null = !col.nullable;
    for (const auto& r : spec.rules) {
      rule_not_null = rule_not_null || (r.kind == RuleKind::kNotNull && r.column == col.name);
    }
    if (!rule_not_null) continue;
    int32_t id = violations.Add(Check{"not_null", col.name, input_name(c),
                                      col.name + " must not be null", indices_of(c),
                                      /*fatal=*/!col.nullable});
    if (input_of[c] < 0) {
      for (int64_t i = 0; i < n; ++i) violations.Mark(id, i);
      continue;
    }
    const auto& src = *in->column(input_of[c]);
    if (src.null_count() == 0) continue;
    for (int64_t i = 0; i < n; ++i) {
      if (src.IsNull(i)) violations.Mark(id, i);
    }
  }

  // 4. Quality rules on the converted values (nulls are not checked: not_null covers them).
  auto col_index = [&](const std::string& name) -> int {
    for (size_t c = 0; c < spec.columns.size(); ++c) {
      if (spec.columns[c].name == name) return static_cast<int>(c);
    }
    return -1;
  };
  for (const auto& r : spec.rules) {
    if (r.kind == RuleKind::kNotNull) continue;
    const int c = col_index(r.column);
    if (c < 0) continue;
    std::vector<int> idx = indices_of(c);
    NumView v(out_columns[c].get());
    switch (r.kind) {
      case RuleKind::kPositive:
      case RuleKind::kNonNegative:
      case RuleKind::kRange: {
        int32_t id = violations.Add(Check{std::string(RuleName(r.kind)), r.column, input_name(c),
                                          RuleDescription(r), idx, false});
        if (input_of[c] < 0 || v.array == nullptr) break;
        for (int64_t i = 0; i < n; ++i) {
          if (!v.Valid(i)) continue;
          const double x = v[i];
          const bool ok = r.kind == RuleKind::kPositive      ? x > 0
                          : r.kind == RuleKind::kNonNegative ? x >= 0
                                                             : (x >= r.min && x <= r.max);
          if (!ok) violations.Mark(id, i);
        }
        break;
      }
      case RuleKind::kHighGeOpenClose:
      case RuleKind::kLowLeOpenClose: {
        const bool high = r.kind == RuleKind::kHighGeOpenClose;
        const int o = col_index("open"), cl = col_index("close");
        const int x = col_index(high ? "high" : "low");
        if (o < 0 || cl < 0 || x < 0) break;
        int32_t id = violations.Add(Check{std::string(RuleName(r.kind)), spec.columns[x].name,
                                          input_name(x), RuleDescription(r), indices_of(x), false});
        NumView vo(out_columns[o].get()), vc(out_columns[cl].get()), vx(out_columns[x].get());
        for (int64_t i = 0; i < n; ++i) {
          if (!vo.Valid(i) || !vc.Valid(i) || !vx.Valid(i)) continue;
          const bool ok = high ? vx[i] >= std::max(vo[i], vc[i]) : vx[i] <= std::min(vo[i], vc[i]);
          if (!ok) violations.Mark(id, i);
        }
        break;
      }
      case RuleKind::kBidLeAsk: {
        const int b = col_index("bid"), a = col_index("ask");
        if (b < 0 || a < 0) break;
        int32_t id = violations.Add(
            Check{"bid_le_ask", "bid", input_name(b), RuleDescription(r), indices_of(b), false});
        NumView vb(out_columns[b].get()), va(out_columns[a].get());
        for (int64_t i = 0; i < n; ++i) {
          if (vb.Valid(i) && va.Valid(i) && !(vb[i] <= va[i])) violations.Mark(id, i);
        }
        break;
      }
      case RuleKind::kNotNull:
        break;
    }
  }

  // 5. Duplicate keys among rows that passed every other check: the first occurrence wins.
  if (!spec.key.empty() && options.check_unique_key) {
    std::vector<KeyColumn> keys;
    std::vector<int> idx;
    std::vector<std::string> key_inputs;
    for (const auto& k : spec.key) {
      const int c = col_index(k);
      if (c < 0) continue;
      keys.push_back(KeyColumn{out_columns[c].get(), out_columns[c]->type_id()});
      if (input_of[c] >= 0) {
        idx.push_back(input_of[c]);
        key_inputs.push_back(input_name(c));
      }
    }
    int32_t id = violations.Add(
        Check{std::string(kRuleUniqueKey), Join(spec.key, ","), Join(key_inputs, ","),
              "duplicate key (" + Join(spec.key, ", ") + ") in the batch", idx, false});
    auto equal_keys = [&](int64_t a, int64_t b) {
      for (const auto& k : keys) {
        if (!k.Equal(a, b)) return false;
      }
      return true;
    };
    // Fast path: market data usually arrives sorted by time, and then duplicates can only sit
    // within a run of equal timestamps, so one streaming pass with a small run buffer finds
    // them without a hash table. Taken only when the time column is part of the key, the
    // clean rows' times never decrease, and no run is longer than kMaxRun.
    constexpr size_t kMaxRun = 256;
    const int tcol = col_index(spec.time_column);
    bool sorted = tcol >= 0 &&
                  std::find(spec.key.begin(), spec.key.end(), spec.time_column) != spec.key.end();
    if (sorted) {
      const auto& tarr = *out_columns[tcol];
      const int64_t* tv = tarr.data()->GetValues<int64_t>(1);
      int64_t prev = std::numeric_limits<int64_t>::min();
      size_t run = 0;
      for (int64_t i = 0; i < n && sorted; ++i) {
        if (!violations.Clean(i)) continue;  // clean rows have a non-null time
        if (tv[i] < prev) sorted = false;
        run = tv[i] == prev ? run + 1 : 1;
        if (run > kMaxRun) sorted = false;
        prev = tv[i];
      }
      if (sorted) {
        std::vector<int64_t> run_rows;
        run_rows.reserve(kMaxRun);
        prev = std::numeric_limits<int64_t>::min();
        for (int64_t i = 0; i < n; ++i) {
          if (!violations.Clean(i)) continue;
          if (tv[i] != prev) run_rows.clear();
          prev = tv[i];
          bool duplicate = false;
          for (int64_t r : run_rows) {
            if (equal_keys(r, i)) {
              duplicate = true;
              break;
            }
          }
          if (duplicate) {
            violations.Mark(id, i);
          } else {
            run_rows.push_back(i);
          }
        }
      }
    }
    if (!sorted) {
      // Open addressing over row indices: one allocation, linear time.
      size_t cap = 16;
      while (cap < 2 * static_cast<size_t>(n)) cap <<= 1;
      struct Slot {
        uint64_t hash;
        int64_t row;
      };
      std::vector<Slot> slots(cap, Slot{0, -1});
      for (int64_t i = 0; i < n; ++i) {
        if (!violations.Clean(i)) continue;
        uint64_t h = 0;
        for (const auto& k : keys) h = Mix(h, k.Hash(i));
        h = Finalize(h);
        size_t pos = h & (cap - 1);
        bool duplicate = false;
        while (slots[pos].row >= 0) {
          if (slots[pos].hash == h && equal_keys(slots[pos].row, i)) {
            duplicate = true;
            break;
          }
          pos = (pos + 1) & (cap - 1);
        }
        if (duplicate) {
          violations.Mark(id, i);
        } else {
          slots[pos] = Slot{h, i};
        }
      }
    }
  }

  for (size_t id = 0; id < violations.size(); ++id) {
    const int32_t i = static_cast<int32_t>(id);
    if (violations.count(i) > 0) {
      stats.violations.push_back(
          RuleCount{violations.check(i).rule, violations.check(i).column, violations.count(i)});
    }
  }

  // Renders a violating row's value: the check's input column(s), comma separated.
  auto render = [&](const Check& check, int64_t row) {
    std::string value;
    for (size_t k = 0; k < check.input_indices.size(); ++k) {
      if (k > 0) value += ", ";
      value += RenderValue(*in->column(check.input_indices[k]), row);
    }
    return check.input_indices.empty() ? std::string("null") : value;
  };

  // 6. Apply the mode.
  if (options.mode == ValidationMode::kStrict) {
    for (int64_t i = 0; i < n; ++i) {
      if (violations.Clean(i)) continue;
      const Check& check = violations.check(violations.First(i));
      return Error(ErrorCode::kDataType, source + ": row " +
                                             std::to_string(options.row_offset + i) + ", column '" +
                                             check.input_column + "': value '" + render(check, i) +
                                             "' violates " + check.rule + ": " + check.description);
    }
  }
  std::vector<int64_t> rejected;
  std::vector<int32_t> reject_check;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t id = options.mode == ValidationMode::kCoerce   ? violations.First(i)
                       : options.mode == ValidationMode::kIgnore ? violations.FirstFatal(i)
                                                                 : -1;
    if (id >= 0) {
      rejected.push_back(i);
      reject_check.push_back(id);
    }
  }

  auto schema = spec.ArrowSchema();
  auto full = arrow::RecordBatch::Make(schema, n, out_columns);
  if (rejected.empty()) {
    result.batch = full;
  } else {
    arrow::BooleanBuilder keep(pool);
    ML_RETURN_NOT_OK(keep.Resize(n));
    size_t r = 0;
    for (int64_t i = 0; i < n; ++i) {
      const bool is_rejected = r < rejected.size() && rejected[r] == i;
      if (is_rejected) ++r;
      keep.UnsafeAppend(!is_rejected);
    }
    ARROW_ASSIGN_OR_RAISE(auto mask, keep.Finish());
    ARROW_ASSIGN_OR_RAISE(auto filtered, arrow::compute::Filter(full, mask));
    result.batch = filtered.record_batch();
  }

  // Rejects: original values as strings.
  arrow::FieldVector reject_fields;
  arrow::ArrayVector reject_columns;
  for (int f = 0; f < in_schema.num_fields(); ++f) {
    arrow::StringBuilder b(pool);
    const auto& col = *in->column(f);
    for (int64_t row : rejected) {
      if (col.IsNull(row)) {
        ML_RETURN_NOT_OK(b.AppendNull());
      } else {
        ML_RETURN_NOT_OK(b.Append(RenderValue(col, row)));
      }
    }
    reject_fields.push_back(arrow::field(in_schema.field(f)->name(), arrow::utf8()));
    ARROW_ASSIGN_OR_RAISE(auto a, b.Finish());
    reject_columns.push_back(std::move(a));
  }
  arrow::StringBuilder rule_b(pool), col_b(pool);
  arrow::Int64Builder row_b(pool);
  for (size_t k = 0; k < rejected.size(); ++k) {
    const Check& check = violations.check(reject_check[k]);
    ML_RETURN_NOT_OK(rule_b.Append(check.rule));
    ML_RETURN_NOT_OK(col_b.Append(check.input_column));
    ML_RETURN_NOT_OK(row_b.Append(options.row_offset + rejected[k]));
  }
  reject_fields.push_back(arrow::field("_reject_rule", arrow::utf8(), false));
  reject_fields.push_back(arrow::field("_reject_column", arrow::utf8(), false));
  reject_fields.push_back(arrow::field("_reject_row", arrow::int64(), false));
  std::shared_ptr<arrow::Array> a;
  ML_RETURN_NOT_OK(rule_b.Finish(&a));
  reject_columns.push_back(a);
  ML_RETURN_NOT_OK(col_b.Finish(&a));
  reject_columns.push_back(a);
  ML_RETURN_NOT_OK(row_b.Finish(&a));
  reject_columns.push_back(a);
  result.rejects =
      arrow::RecordBatch::Make(arrow::schema(std::move(reject_fields)),
                               static_cast<int64_t>(rejected.size()), std::move(reject_columns));
  stats.rows_rejected = static_cast<int64_t>(rejected.size());
  stats.rows_out = result.batch->num_rows();
  return result;
}

}  // namespace marketlake
