// BindPredicate, ReferencedColumns and ToArrowExpression.
//
// Binding types every literal to its column. A literal that the column's domain cannot
// hold exactly (1.5 against an integer column, '...00.5' against a timestamp in seconds,
// 1000 against int8) is not an error: the comparison is rewritten to an equivalent one on
// the neighbouring representable values, e.g. ts(s) < '...00.5' becomes ts <= '...00', and
// i8 < 1000 becomes i8 IS NOT NULL. That keeps both pruning and exact filtering in the
// column's own type, where Arrow compares without implicit casts.
//
// NULL semantics are SQL's: a comparison with NULL is never true, so it binds to kFalse
// whether or not it sits under a NOT; `x NOT IN (..., NULL)` is never true either.
#include <arrow/array/builder_base.h>
#include <arrow/buffer.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/compute/expression.h>
#include <arrow/scalar.h>
#include <arrow/type.h>
#include <arrow/util/decimal.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

#include "marketlake/predicate.h"
#include "marketlake/timestamp.h"

namespace marketlake {
namespace {

using Int128 = __int128;

// Deeper trees than the parser can produce are refused rather than risking the stack.
constexpr int kMaxBindDepth = 4 * kMaxPredicateDepth + 8;
constexpr int64_t kNanosPerDay = 86400LL * 1000000000LL;

CompareOp Negate(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return CompareOp::kNe;
    case CompareOp::kNe:
      return CompareOp::kEq;
    case CompareOp::kLt:
      return CompareOp::kGe;
    case CompareOp::kLe:
      return CompareOp::kGt;
    case CompareOp::kGt:
      return CompareOp::kLe;
    case CompareOp::kGe:
      return CompareOp::kLt;
  }
  return op;
}

std::string LiteralText(const Literal& lit) {
  switch (lit.kind) {
    case Literal::Kind::kNull:
      return "NULL";
    case Literal::Kind::kBool:
      return lit.bool_value ? "TRUE" : "FALSE";
    case Literal::Kind::kInt:
      return std::to_string(lit.int_value);
    case Literal::Kind::kDouble: {
      char buf[64];
      auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), lit.double_value);
      return std::string(buf, ec == std::errc() ? static_cast<size_t>(ptr - buf) : 0);
    }
    case Literal::Kind::kString: {
      // Bounded: the literal may be long, the message should not be.
      std::string_view s = lit.string_value;
      std::string out = "'";
      out += s.substr(0, 64);
      if (s.size() > 64) out += "...";
      out += "'";
      return out;
    }
  }
  return "?";
}

// Where a literal falls in a column's ordered domain: exactly on a value, strictly
// between two adjacent values, or beyond either end.
struct Placement {
  enum class Kind { kExact, kBetween, kBelowAll, kAboveAll };
  Kind kind = Kind::kExact;
  Value lo, hi;  // kExact: lo; kBetween: lo < literal < hi
  std::shared_ptr<arrow::Scalar> lo_scalar, hi_scalar;
};

// --- integer-like domains (integers, dates, timestamps) --------------------------------

struct IntPlace {
  Placement::Kind kind = Placement::Kind::kExact;
  Int128 lo = 0;  // kExact: the value; kBetween: floor of the literal
};

IntPlace ClampInt(Int128 lo, bool exact, Int128 min, Int128 max) {
  if (exact) {
    if (lo < min) return {Placement::Kind::kBelowAll, 0};
    if (lo > max) return {Placement::Kind::kAboveAll, 0};
    return {Placement::Kind::kExact, lo};
  }
  // The literal lies in (lo, lo + 1).
  if (lo < min) return {Placement::Kind::kBelowAll, 0};
  if (lo >= max) return {Placement::Kind::kAboveAll, 0};
  return {Placement::Kind::kBetween, lo};
}

IntPlace PlaceDouble(double x, Int128 min, Int128 max) {
  // Every integer domain here lies within [-2^63, 2^64).
  if (x < -9223372036854775808.0) return {Placement::Kind::kBelowAll, 0};
  if (x >= 18446744073709551616.0) return {Placement::Kind::kAboveAll, 0};
  const double f = std::floor(x);
  return ClampInt(static_cast<Int128>(f), f == x, min, max);
}

// `value` counted in units of 1/divisor of the column's unit (e.g. nanoseconds against a
// seconds column).
IntPlace PlaceScaled(int64_t value, int64_t divisor, Int128 min, Int128 max) {
  int64_t q = value / divisor;
  int64_t r = value % divisor;
  if (r < 0) --q;
  return ClampInt(q, r == 0, min, max);
}

// A string holding a number, for numeric columns. Only the predicate language's number
// syntax is accepted (no "inf", "nan", hex or spaces).
std::optional<Literal> NumberFromString(std::string_view s) {
  if (s.empty() || s.find_first_not_of("0123456789-+.eE") != std::string_view::npos) {
    return std::nullopt;
  }
  if (s[0] == '+') return std::nullopt;
  Literal lit;
  const char* last = s.data() + s.size();
  if (s.find_first_of(".eE") == std::string_view::npos) {
    lit.kind = Literal::Kind::kInt;
    auto [ptr, ec] = std::from_chars(s.data(), last, lit.int_value);
    if (ec == std::errc() && ptr == last) return lit;
    if (ec != std::errc::result_out_of_range) return std::nullopt;
  }
  lit.kind = Literal::Kind::kDouble;
  auto [ptr, ec] = std::from_chars(s.data(), last, lit.double_value);
  if (ec != std::errc() || ptr != last) return std::nullopt;
  return lit;
}

// -?[0-9]{1,20}, exactly, as a 128-bit integer.
std::optional<Int128> WideIntegerFromString(std::string_view s) {
  const bool negative = !s.empty() && s[0] == '-';
  if (negative) s.remove_prefix(1);
  if (s.empty() || s.size() > 20) return std::nullopt;
  Int128 v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return negative ? -v : v;
}

// Numbers, or strings holding them, against an integer domain whose literal integers are
// raw values.
Result<IntPlace> PlaceNumber(const Literal& lit, Int128 min, Int128 max, std::string* why) {
  switch (lit.kind) {
    case Literal::Kind::kInt:
      return ClampInt(lit.int_value, true, min, max);
    case Literal::Kind::kDouble:
      if (std::isnan(lit.double_value)) break;
      return PlaceDouble(lit.double_value, min, max);
    case Literal::Kind::kString: {
      // Integers beyond int64 (uint64 columns) can only be written as strings; read
      // them exactly rather than through a double.
      if (auto wide = WideIntegerFromString(lit.string_value)) {
        return ClampInt(*wide, true, min, max);
      }
      auto number = NumberFromString(lit.string_value);
      if (number) return PlaceNumber(*number, min, max, why);
      *why = "not a number";
      return Status::Invalid("");
    }
    default:
      break;
  }
  *why = "expected a number";
  return Status::Invalid("");
}

// The parse error of a timestamp or date, without the echo of the text already named.
std::string WhyNotTimestamp(const Status& st) {
  std::string_view msg = st.message();
  size_t at = msg.find("': at byte ");
  if (at != std::string_view::npos) msg.remove_prefix(at + 3);
  return "not an ISO-8601 timestamp (" + std::string(msg) + ")";
}

// --- the column binder ------------------------------------------------------------------

class LeafBinder {
 public:
  LeafBinder(const std::string& column, const std::shared_ptr<arrow::DataType>& column_type)
      : column_(column), column_type_(column_type) {
    value_type_ = column_type;
    if (value_type_->id() == arrow::Type::DICTIONARY) {
      // Dictionary columns compare by their values.
      value_type_ = static_cast<const arrow::DictionaryType&>(*value_type_).value_type();
    }
  }

  bool prunable() const {
    switch (value_type_->id()) {
      case arrow::Type::UINT64:
      case arrow::Type::DECIMAL128:
      case arrow::Type::DECIMAL256:
        return false;
      default:
        return true;
    }
  }

  // Always-null columns: every comparison is NULL.
  bool IsNullType() const { return value_type_->id() == arrow::Type::NA; }

  Result<Placement> Place(const Literal& lit) const {
    std::string why;
    auto placed = PlaceImpl(lit, &why);
    if (placed.ok()) return placed;
    if (why.empty()) why = placed.status().message();
    return Error(ErrorCode::kDataType, "predicate: column '" + column_ + "' is " +
                                           column_type_->ToString() + "; cannot compare with " +
                                           LiteralText(lit) + ": " + why);
  }

 private:
  Result<Placement> FromInt(const IntPlace& p) const {
    Placement out;
    out.kind = p.kind;
    if (p.kind == Placement::Kind::kExact || p.kind == Placement::Kind::kBetween) {
      ML_ASSIGN_OR_RETURN(out.lo_scalar, IntScalar(p.lo));
      out.lo = IntValue(p.lo);
      if (p.kind == Placement::Kind::kBetween) {
        ML_ASSIGN_OR_RETURN(out.hi_scalar, IntScalar(p.lo + 1));
        out.hi = IntValue(p.lo + 1);
      }
    }
    return out;
  }

  // Values above INT64_MAX only occur in uint64 columns, which are not prunable; they keep
  // an approximate double so that `values` is still filled.
  static Value IntValue(Int128 v) {
    if (v > std::numeric_limits<int64_t>::max()) return static_cast<double>(v);
    return static_cast<int64_t>(v);
  }

  Result<std::shared_ptr<arrow::Scalar>> IntScalar(Int128 v) const {
    switch (value_type_->id()) {
      case arrow::Type::UINT64:
        return arrow::MakeScalar(value_type_, static_cast<uint64_t>(v));
      case arrow::Type::DATE32:
        return arrow::MakeScalar(value_type_, static_cast<int32_t>(v));
      default:
        return arrow::MakeScalar(value_type_, static_cast<int64_t>(v));
    }
  }

  Result<Placement> PlaceImpl(const Literal& lit, std::string* why) const {
    using arrow::Type;
    const auto id = value_type_->id();
    switch (id) {
      case Type::INT8:
        return PlaceInt(lit, INT8_MIN, INT8_MAX, why);
      case Type::INT16:
        return PlaceInt(lit, INT16_MIN, INT16_MAX, why);
      case Type::INT32:
        return PlaceInt(lit, INT32_MIN, INT32_MAX, why);
      case Type::INT64:
        return PlaceInt(lit, INT64_MIN, INT64_MAX, why);
      case Type::UINT8:
        return PlaceInt(lit, 0, UINT8_MAX, why);
      case Type::UINT16:
        return PlaceInt(lit, 0, UINT16_MAX, why);
      case Type::UINT32:
        return PlaceInt(lit, 0, UINT32_MAX, why);
      case Type::UINT64:
        return PlaceInt(lit, 0, UINT64_MAX, why);
      case Type::FLOAT:
        return PlaceFloat<float>(lit, why);
      case Type::DOUBLE:
        return PlaceFloat<double>(lit, why);
      case Type::DECIMAL128:
        return PlaceDecimal<arrow::Decimal128>(lit, why);
      case Type::DECIMAL256:
        return PlaceDecimal<arrow::Decimal256>(lit, why);
      case Type::STRING:
      case Type::LARGE_STRING:
      case Type::STRING_VIEW:
      case Type::BINARY:
      case Type::LARGE_BINARY:
      case Type::BINARY_VIEW:
        return PlaceString(lit, why);
      case Type::BOOL:
        return PlaceBool(lit, why);
      case Type::DATE32:
        return PlaceTemporal(lit, 0, why);
      case Type::DATE64:
        return PlaceTemporal(lit, 1000000, why);
      case Type::TIMESTAMP: {
        static constexpr int64_t kDivisors[] = {1000000000, 1000000, 1000, 1};
        const auto unit = static_cast<const arrow::TimestampType&>(*value_type_).unit();
        return PlaceTemporal(lit, kDivisors[static_cast<int>(unit)], why);
      }
      default:
        *why = "comparisons with this column type are not supported";
        return Status::Invalid("");
    }
  }

  Result<Placement> PlaceInt(const Literal& lit, Int128 min, Int128 max, std::string* why) const {
    ML_ASSIGN_OR_RETURN(IntPlace p, PlaceNumber(lit, min, max, why));
    return FromInt(p);
  }

  // Strings are ISO-8601 (divisor: nanoseconds per column unit; 0 for date32, whose
  // plain dates parse directly); numbers are raw values in the column's unit.
  Result<Placement> PlaceTemporal(const Literal& lit, int64_t divisor, std::string* why) const {
    const bool date32 = divisor == 0;
    const Int128 min = date32 ? INT32_MIN : INT64_MIN;
    const Int128 max = date32 ? INT32_MAX : INT64_MAX;
    if (lit.kind == Literal::Kind::kString) {
      const std::string& text = lit.string_value;
      if (date32 && text.size() <= 10) {
        auto days = ParseDateDays(text);
        if (!days.ok()) {
          *why = WhyNotTimestamp(days.status());
          return Status::Invalid("");
        }
        return FromInt(ClampInt(*days, true, min, max));
      }
      auto nanos = ParseTimestampNanos(text);
      if (!nanos.ok()) {
        *why = WhyNotTimestamp(nanos.status());
        return Status::Invalid("");
      }
      return FromInt(PlaceScaled(*nanos, date32 ? kNanosPerDay : divisor, min, max));
    }
    if (lit.kind == Literal::Kind::kInt || lit.kind == Literal::Kind::kDouble) {
      return PlaceInt(lit, min, max, why);
    }
    *why = "expected a quoted ISO-8601 timestamp or an integer in the column's unit";
    return Status::Invalid("");
  }

  template <typename T>
  Result<Placement> PlaceFloat(const Literal& lit, std::string* why) const {
    // long double holds every int64 and every double exactly on the platforms we build
    // for (x86-64: 64-bit mantissa), so the rounding below is decided exactly.
    long double x = 0;
    if (lit.kind == Literal::Kind::kInt) {
      x = static_cast<long double>(lit.int_value);
    } else if (lit.kind == Literal::Kind::kDouble) {
      x = lit.double_value;
    } else if (lit.kind == Literal::Kind::kString) {
      auto number = NumberFromString(lit.string_value);
      if (!number) {
        *why = "not a number";
        return Status::Invalid("");
      }
      return PlaceFloat<T>(*number, why);
    } else {
      *why = "expected a number";
      return Status::Invalid("");
    }
    if (std::isnan(x)) {
      *why = "not a number";
      return Status::Invalid("");
    }
    constexpr T kInf = std::numeric_limits<T>::infinity();
    T lo, hi;
    bool exact = false;
    if (x > std::numeric_limits<T>::max()) {
      lo = std::numeric_limits<T>::max();
      hi = kInf;
      exact = std::isinf(x);
      if (exact) lo = kInf;
    } else if (x < std::numeric_limits<T>::lowest()) {
      lo = -kInf;
      hi = std::numeric_limits<T>::lowest();
      exact = std::isinf(x);
    } else {
      const T t = static_cast<T>(x);
      exact = static_cast<long double>(t) == x;
      if (static_cast<long double>(t) > x) {
        hi = t;
        lo = std::nextafter(t, -kInf);
      } else {
        lo = t;
        hi = std::nextafter(t, kInf);
      }
    }
    Placement out;
    out.kind = exact ? Placement::Kind::kExact : Placement::Kind::kBetween;
    out.lo = static_cast<double>(lo);
    ML_ASSIGN_OR_RETURN(out.lo_scalar, arrow::MakeScalar(value_type_, lo));
    if (!exact) {
      out.hi = static_cast<double>(hi);
      ML_ASSIGN_OR_RETURN(out.hi_scalar, arrow::MakeScalar(value_type_, hi));
    }
    return out;
  }

  template <typename Dec>
  Result<Placement> PlaceDecimal(const Literal& lit, std::string* why) const {
    const auto& type = static_cast<const arrow::DecimalType&>(*value_type_);
    std::string text;
    if (lit.kind == Literal::Kind::kInt || lit.kind == Literal::Kind::kDouble) {
      if (lit.kind == Literal::Kind::kDouble && !std::isfinite(lit.double_value)) {
        *why = "not a finite number";
        return Status::Invalid("");
      }
      text = LiteralText(lit);
    } else if (lit.kind == Literal::Kind::kString && NumberFromString(lit.string_value)) {
      text = lit.string_value;
    } else {
      *why = lit.kind == Literal::Kind::kString ? "not a number" : "expected a number";
      return Status::Invalid("");
    }
    Dec value;
    int32_t precision = 0, scale = 0;
    if (!Dec::FromString(text, &value, &precision, &scale).ok()) {
      *why = "not representable as a decimal";
      return Status::Invalid("");
    }
    const int32_t col_scale = type.scale();
    const int32_t col_precision = type.precision();
    Placement out;
    Dec lo;
    bool exact = true;
    // Arrow's Rescale indexes a power-of-ten table by the scale difference, so differences
    // beyond the type's precision are decided here instead.
    const int64_t delta = static_cast<int64_t>(col_scale) - scale;
    if (value == Dec(0) || delta == 0) {
      lo = value == Dec(0) ? Dec(0) : value;
    } else if (delta > 0) {
      auto rescaled = delta > Dec::kMaxPrecision ? Result<Dec>(Status::Invalid(""))
                                                 : value.Rescale(scale, col_scale);
      if (!rescaled.ok()) {
        // Scaling up overflowed: the literal is beyond any value of the column.
        out.kind = value.IsNegative() ? Placement::Kind::kBelowAll : Placement::Kind::kAboveAll;
        return out;
      }
      lo = *rescaled;
    } else {
      auto rescaled = -delta > Dec::kMaxPrecision ? Result<Dec>(Status::Invalid(""))
                                                  : value.Rescale(scale, col_scale);
      if (rescaled.ok()) {
        lo = *rescaled;
      } else {
        // More fractional digits than the column has: the literal lies strictly between
        // floor and floor + 1 at the column's scale. Dropping more digits than any value
        // has leaves zero.
        Dec truncated = -delta > Dec::kMaxPrecision
                            ? Dec(0)
                            : Dec(value.ReduceScaleBy(static_cast<int32_t>(-delta), false));
        lo = truncated;
        if (value.IsNegative()) lo -= Dec(1);
        exact = false;
      }
    }
    if (!lo.FitsInPrecision(col_precision)) {
      out.kind = lo.IsNegative() ? Placement::Kind::kBelowAll : Placement::Kind::kAboveAll;
      return out;
    }
    Dec hi = lo;
    hi += Dec(1);
    if (!exact && !hi.FitsInPrecision(col_precision)) {
      out.kind = Placement::Kind::kAboveAll;
      return out;
    }
    out.kind = exact ? Placement::Kind::kExact : Placement::Kind::kBetween;
    out.lo = lo.ToDouble(col_scale);
    ML_ASSIGN_OR_RETURN(out.lo_scalar, arrow::MakeScalar(value_type_, lo));
    if (!exact) {
      out.hi = hi.ToDouble(col_scale);
      ML_ASSIGN_OR_RETURN(out.hi_scalar, arrow::MakeScalar(value_type_, hi));
    }
    return out;
  }

  Result<Placement> PlaceString(const Literal& lit, std::string* why) const {
    if (lit.kind != Literal::Kind::kString) {
      *why = "expected a quoted string";
      return Status::Invalid("");
    }
    Placement out;
    out.lo = lit.string_value;
    ML_ASSIGN_OR_RETURN(
        out.lo_scalar, arrow::MakeScalar(value_type_, arrow::Buffer::FromString(lit.string_value)));
    return out;
  }

  Result<Placement> PlaceBool(const Literal& lit, std::string* why) const {
    if (lit.kind != Literal::Kind::kBool) {
      *why = "expected TRUE or FALSE";
      return Status::Invalid("");
    }
    Placement out;
    out.lo = lit.bool_value;
    out.lo_scalar = std::make_shared<arrow::BooleanScalar>(lit.bool_value);
    return out;
  }

  std::string column_;
  std::shared_ptr<arrow::DataType> column_type_;
  std::shared_ptr<arrow::DataType> value_type_;
};

// --- tree construction --------------------------------------------------------------------

BoundPredicate Constant(bool value) {
  BoundPredicate p;
  p.kind = value ? BoundPredicate::Kind::kTrue : BoundPredicate::Kind::kFalse;
  return p;
}

BoundPredicate LeafOf(BoundLeaf leaf) {
  BoundPredicate p;
  p.kind = BoundPredicate::Kind::kLeaf;
  p.leaf = std::move(leaf);
  return p;
}

// AND (is_and) or OR of already-bound children, flattened and with constants folded.
BoundPredicate Combine(bool is_and, std::vector<BoundPredicate> children) {
  const auto self = is_and ? BoundPredicate::Kind::kAnd : BoundPredicate::Kind::kOr;
  const auto identity = is_and ? BoundPredicate::Kind::kTrue : BoundPredicate::Kind::kFalse;
  const auto absorbing = is_and ? BoundPredicate::Kind::kFalse : BoundPredicate::Kind::kTrue;
  BoundPredicate out;
  out.kind = self;
  for (auto& child : children) {
    if (child.kind == absorbing) return Constant(!is_and);
    if (child.kind == identity) continue;
    if (child.kind == self) {
      for (auto& grandchild : child.children) out.children.push_back(std::move(grandchild));
    } else {
      out.children.push_back(std::move(child));
    }
  }
  if (out.children.empty()) return Constant(is_and);
  if (out.children.size() == 1) return std::move(out.children[0]);
  return out;
}

class Binder {
 public:
  explicit Binder(const arrow::Schema& schema) : schema_(schema) {}

  Result<BoundPredicate> Bind(const PredicateNode& node, bool negate, int depth) {
    if (depth > kMaxBindDepth) return Malformed("nesting too deep");
    switch (node.kind) {
      case PredicateNode::Kind::kNot:
        if (node.children.size() != 1) return Malformed("NOT needs exactly one operand");
        return Bind(node.children[0], !negate, depth + 1);
      case PredicateNode::Kind::kAnd:
      case PredicateNode::Kind::kOr: {
        if (node.children.empty()) return Malformed("AND/OR without operands");
        std::vector<BoundPredicate> children;
        children.reserve(node.children.size());
        for (const auto& child : node.children) {
          ML_ASSIGN_OR_RETURN(BoundPredicate bound, Bind(child, negate, depth + 1));
          children.push_back(std::move(bound));
        }
        // De Morgan: NOT (a AND b) = NOT a OR NOT b, and vice versa.
        const bool is_and = (node.kind == PredicateNode::Kind::kAnd) != negate;
        return Combine(is_and, std::move(children));
      }
      case PredicateNode::Kind::kIsNull: {
        ML_ASSIGN_OR_RETURN(BoundLeaf leaf, NewLeaf(node.column, BoundLeaf::Kind::kIsNull));
        leaf.negated = node.negated != negate;
        return LeafOf(std::move(leaf));
      }
      case PredicateNode::Kind::kCompare:
        return BindCompare(node, negate);
      case PredicateNode::Kind::kIn:
        return BindIn(node, negate);
    }
    return Malformed("unknown node kind");
  }

 private:
  static Status Malformed(std::string_view what) {
    return Error(ErrorCode::kInvalidArgument, "predicate: malformed tree: " + std::string(what));
  }

  Result<BoundLeaf> NewLeaf(const std::string& column, BoundLeaf::Kind kind) const {
    const int index = schema_.GetFieldIndex(column);
    if (index < 0) {
      if (schema_.GetAllFieldIndices(column).size() > 1) {
        return Error(ErrorCode::kInvalidArgument,
                     "predicate: column '" + column + "' is ambiguous (the schema has it " +
                         std::to_string(schema_.GetAllFieldIndices(column).size()) + " times)");
      }
      std::string names;
      const int n = schema_.num_fields();
      for (int i = 0; i < n && i < 50; ++i) {
        if (i > 0) names += ", ";
        names += schema_.field(i)->name();
      }
      if (n > 50) names += ", ...";
      return Error(ErrorCode::kMissingColumn,
                   "predicate: no column '" + column + "' (columns: " + names + ")");
    }
    BoundLeaf leaf;
    leaf.kind = kind;
    leaf.field_index = index;
    leaf.column = column;
    return leaf;
  }

  BoundPredicate NotNull(BoundLeaf leaf) const {
    leaf.kind = BoundLeaf::Kind::kIsNull;
    leaf.negated = true;
    leaf.values.clear();
    leaf.scalars.clear();
    leaf.prunable = true;
    return LeafOf(std::move(leaf));
  }

  Result<BoundPredicate> BindCompare(const PredicateNode& node, bool negate) const {
    if (node.literals.size() != 1) return Malformed("a comparison needs exactly one literal");
    ML_ASSIGN_OR_RETURN(BoundLeaf leaf, NewLeaf(node.column, BoundLeaf::Kind::kCompare));
    const Literal& lit = node.literals[0];
    const auto& type = schema_.field(leaf.field_index)->type();
    LeafBinder binder(leaf.column, type);
    // NULL compares as unknown under either polarity: never true.
    if (lit.kind == Literal::Kind::kNull || binder.IsNullType()) return Constant(false);
    const CompareOp op = negate ? Negate(node.op) : node.op;
    ML_ASSIGN_OR_RETURN(Placement p, binder.Place(lit));
    leaf.prunable = binder.prunable();
    switch (p.kind) {
      case Placement::Kind::kExact:
        leaf.op = op;
        leaf.values.push_back(std::move(p.lo));
        leaf.scalars.push_back(std::move(p.lo_scalar));
        return LeafOf(std::move(leaf));
      case Placement::Kind::kBetween:
        switch (op) {
          case CompareOp::kEq:
            return Constant(false);
          case CompareOp::kNe:
            return NotNull(std::move(leaf));
          case CompareOp::kLt:
          case CompareOp::kLe:
            leaf.op = CompareOp::kLe;
            leaf.values.push_back(std::move(p.lo));
            leaf.scalars.push_back(std::move(p.lo_scalar));
            return LeafOf(std::move(leaf));
          case CompareOp::kGt:
          case CompareOp::kGe:
            leaf.op = CompareOp::kGe;
            leaf.values.push_back(std::move(p.hi));
            leaf.scalars.push_back(std::move(p.hi_scalar));
            return LeafOf(std::move(leaf));
        }
        break;
      case Placement::Kind::kAboveAll: {
        const bool holds = op == CompareOp::kNe || op == CompareOp::kLt || op == CompareOp::kLe;
        return holds ? NotNull(std::move(leaf)) : Constant(false);
      }
      case Placement::Kind::kBelowAll: {
        const bool holds = op == CompareOp::kNe || op == CompareOp::kGt || op == CompareOp::kGe;
        return holds ? NotNull(std::move(leaf)) : Constant(false);
      }
    }
    return Malformed("unknown placement");
  }

  Result<BoundPredicate> BindIn(const PredicateNode& node, bool negate) const {
    if (node.literals.empty()) return Malformed("IN needs at least one literal");
    ML_ASSIGN_OR_RETURN(BoundLeaf leaf, NewLeaf(node.column, BoundLeaf::Kind::kIn));
    leaf.negated = node.negated != negate;
    const auto& type = schema_.field(leaf.field_index)->type();
    LeafBinder binder(leaf.column, type);
    leaf.prunable = binder.prunable();
    if (binder.IsNullType()) return Constant(false);
    struct ScalarHash {
      size_t operator()(const arrow::Scalar* s) const { return s->hash(); }
    };
    struct ScalarEq {
      bool operator()(const arrow::Scalar* a, const arrow::Scalar* b) const {
        return a->Equals(*b);
      }
    };
    std::unordered_set<const arrow::Scalar*, ScalarHash, ScalarEq> seen;
    for (const Literal& lit : node.literals) {
      if (lit.kind == Literal::Kind::kNull) {
        // x NOT IN (.., NULL) is NULL or false for every x; x IN (.., NULL) is as if
        // the NULL were absent (NULL only ever adds "unknown").
        if (leaf.negated) return Constant(false);
        continue;
      }
      ML_ASSIGN_OR_RETURN(Placement p, binder.Place(lit));
      // Literals the column cannot hold never equal any of its values.
      if (p.kind != Placement::Kind::kExact) continue;
      if (!seen.insert(p.lo_scalar.get()).second) continue;
      leaf.values.push_back(std::move(p.lo));
      leaf.scalars.push_back(std::move(p.lo_scalar));
    }
    if (leaf.scalars.empty()) {
      return leaf.negated ? NotNull(std::move(leaf)) : Constant(false);
    }
    return LeafOf(std::move(leaf));
  }

  const arrow::Schema& schema_;
};

void CollectFields(const BoundPredicate& p, std::vector<std::pair<int, std::string>>* out) {
  if (p.kind == BoundPredicate::Kind::kLeaf) {
    out->emplace_back(p.leaf.field_index, p.leaf.column);
    return;
  }
  for (const auto& child : p.children) CollectFields(child, out);
}

std::string_view CompareFunction(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "equal";
    case CompareOp::kNe:
      return "not_equal";
    case CompareOp::kLt:
      return "less";
    case CompareOp::kLe:
      return "less_equal";
    case CompareOp::kGt:
      return "greater";
    case CompareOp::kGe:
      return "greater_equal";
  }
  return "equal";
}

Result<std::shared_ptr<arrow::Array>> ValueSet(
    const std::vector<std::shared_ptr<arrow::Scalar>>& scalars) {
  ML_ASSIGN_OR_RETURN(auto builder, arrow::MakeBuilder(scalars[0]->type));
  ML_RETURN_NOT_OK(builder->AppendScalars(scalars));
  return builder->Finish();
}

arrow::compute::Expression LeafExpression(const BoundLeaf& leaf) {
  namespace cp = arrow::compute;
  cp::Expression field = cp::field_ref(arrow::FieldRef(leaf.column));
  switch (leaf.kind) {
    case BoundLeaf::Kind::kIsNull:
      return leaf.negated ? cp::is_valid(std::move(field)) : cp::is_null(std::move(field));
    case BoundLeaf::Kind::kCompare:
      if (leaf.scalars.empty()) break;
      return cp::call(std::string(CompareFunction(leaf.op)),
                      {std::move(field), cp::literal(leaf.scalars[0])});
    case BoundLeaf::Kind::kIn: {
      auto value_set = ValueSet(leaf.scalars);
      if (!value_set.ok()) break;
      // EMIT_NULL: a null input gives null, not false, so NOT IN stays null (never true)
      // for null rows instead of becoming true through invert().
      cp::Expression in =
          cp::call("is_in", {std::move(field)},
                   cp::SetLookupOptions(*value_set, cp::SetLookupOptions::EMIT_NULL));
      return leaf.negated ? cp::call("invert", {std::move(in)}) : in;
    }
  }
  // Only reachable for leaves not made by BindPredicate.
  return cp::literal(false);
}

}  // namespace

Result<BoundPredicate> BindPredicate(const PredicateNode& node, const arrow::Schema& schema) {
  return Binder(schema).Bind(node, /*negate=*/false, 0);
}

std::vector<std::string> ReferencedColumns(const BoundPredicate& predicate) {
  std::vector<std::pair<int, std::string>> fields;
  CollectFields(predicate, &fields);
  std::sort(fields.begin(), fields.end());
  fields.erase(std::unique(fields.begin(), fields.end()), fields.end());
  std::vector<std::string> names;
  names.reserve(fields.size());
  for (auto& f : fields) names.push_back(std::move(f.second));
  return names;
}

arrow::compute::Expression ToArrowExpression(const BoundPredicate& predicate) {
  namespace cp = arrow::compute;
  switch (predicate.kind) {
    case BoundPredicate::Kind::kTrue:
      return cp::literal(true);
    case BoundPredicate::Kind::kFalse:
      return cp::literal(false);
    case BoundPredicate::Kind::kLeaf:
      return LeafExpression(predicate.leaf);
    case BoundPredicate::Kind::kAnd:
    case BoundPredicate::Kind::kOr: {
      std::vector<cp::Expression> children;
      children.reserve(predicate.children.size());
      for (const auto& child : predicate.children) children.push_back(ToArrowExpression(child));
      const char* fn = predicate.kind == BoundPredicate::Kind::kAnd ? "and_kleene" : "or_kleene";
      if (children.empty()) return cp::literal(predicate.kind == BoundPredicate::Kind::kAnd);
      // Kleene logic keeps "unknown" unknown, so a null never turns into a selected row.
      cp::Expression out = std::move(children[0]);
      for (size_t i = 1; i < children.size(); ++i) {
        out = cp::call(fn, {std::move(out), std::move(children[i])});
      }
      return out;
    }
  }
  return cp::literal(false);
}

}  // namespace marketlake
