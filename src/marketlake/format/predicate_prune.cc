// Statistics pruning: comparing storage-domain values, deciding whether a summarised set of
// rows can match a leaf, and combining per-leaf candidate rows into the rows of a unit.
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

#include "marketlake/predicate.h"

namespace marketlake {
namespace {

template <typename T>
int Three(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// NaN sorts above every number and equals itself, so the order stays total.
int CompareDoubles(double a, double b) {
  const bool a_nan = std::isnan(a);
  const bool b_nan = std::isnan(b);
  if (a_nan || b_nan) return a_nan == b_nan ? 0 : (a_nan ? 1 : -1);
  return Three(a, b);
}

bool IsDouble(const Value& v) { return std::holds_alternative<double>(v); }

}  // namespace

int CompareValues(const Value& a, const Value& b) {
  if (a.index() != b.index()) return Three(a.index(), b.index());
  switch (a.index()) {
    case 0:
      return Three(std::get<int64_t>(a), std::get<int64_t>(b));
    case 1:
      return CompareDoubles(std::get<double>(a), std::get<double>(b));
    case 2: {
      // std::string compares through char_traits<char>, i.e. memcmp: unsigned bytes.
      int c = std::get<std::string>(a).compare(std::get<std::string>(b));
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    default:
      return Three(std::get<bool>(a), std::get<bool>(b));
  }
}

bool MayMatch(const BoundLeaf& leaf, const ValueRange& range) {
  if (range.num_values == 0) return false;  // no rows, nothing can match
  const bool all_null =
      range.null_count.has_value() && range.num_values > 0 && *range.null_count >= range.num_values;
  if (leaf.kind == BoundLeaf::Kind::kIsNull) {
    // Null counts do not depend on the value type, so they prune even unprunable columns.
    if (leaf.negated) return !all_null;
    return !(range.null_count.has_value() && *range.null_count == 0);
  }
  // Comparisons and IN are never true on a null.
  if (all_null) return false;
  if (!leaf.prunable) return true;
  const std::optional<Value>& min = range.min;
  const std::optional<Value>& max = range.max;
  // Statistics of another domain than the literal are not comparable: stay conservative.
  auto usable = [](const std::optional<Value>& bound, const Value& v) {
    return bound.has_value() && bound->index() == v.index();
  };

  if (leaf.kind == BoundLeaf::Kind::kIn) {
    if (!leaf.negated) {
      if (leaf.values.empty()) return false;  // IN (NULL) matches nothing
      for (const Value& v : leaf.values) {
        if (usable(min, v) && CompareValues(v, *min) < 0) continue;
        if (usable(max, v) && CompareValues(v, *max) > 0) continue;
        return true;
      }
      return false;
    }
    // NOT IN rules a range out only when every value in it is one of the listed ones.
    // NaN is absent from float statistics but satisfies NOT IN, so floats never prune.
    if (leaf.values.empty() || IsDouble(leaf.values.front())) return true;
    if (!usable(min, leaf.values.front()) || !usable(max, leaf.values.front())) return true;
    if (CompareValues(*min, *max) != 0) return true;
    for (const Value& v : leaf.values) {
      if (CompareValues(v, *min) == 0) return false;
    }
    return true;
  }

  if (leaf.values.empty()) return true;
  const Value& v = leaf.values.front();
  switch (leaf.op) {
    case CompareOp::kEq:
      if (usable(min, v) && CompareValues(v, *min) < 0) return false;
      if (usable(max, v) && CompareValues(v, *max) > 0) return false;
      return true;
    case CompareOp::kNe:
      // Same NaN caveat as NOT IN.
      if (IsDouble(v) || !usable(min, v) || !usable(max, v)) return true;
      return !(CompareValues(*min, v) == 0 && CompareValues(*max, v) == 0);
    case CompareOp::kLt:
      return !(usable(min, v) && CompareValues(*min, v) >= 0);
    case CompareOp::kLe:
      return !(usable(min, v) && CompareValues(*min, v) > 0);
    case CompareOp::kGt:
      return !(usable(max, v) && CompareValues(*max, v) <= 0);
    case CompareOp::kGe:
      return !(usable(max, v) && CompareValues(*max, v) < 0);
  }
  return true;
}

RowRanges SelectRows(const BoundPredicate& predicate, int64_t num_rows,
                     const std::function<RowRanges(const BoundLeaf&)>& leaf_rows) {
  switch (predicate.kind) {
    case BoundPredicate::Kind::kTrue:
      return RowRanges::All(num_rows);
    case BoundPredicate::Kind::kFalse:
      return RowRanges();
    case BoundPredicate::Kind::kLeaf:
      return RowRanges::Intersect(leaf_rows(predicate.leaf), RowRanges::All(num_rows));
    case BoundPredicate::Kind::kAnd: {
      RowRanges out = RowRanges::All(num_rows);
      for (const BoundPredicate& child : predicate.children) {
        if (out.empty()) break;
        out = RowRanges::Intersect(out, SelectRows(child, num_rows, leaf_rows));
      }
      return out;
    }
    case BoundPredicate::Kind::kOr: {
      RowRanges out;
      for (const BoundPredicate& child : predicate.children) {
        out = RowRanges::Union(out, SelectRows(child, num_rows, leaf_rows));
        if (out.row_count() == num_rows) break;
      }
      return out;
    }
  }
  return RowRanges::All(num_rows);
}

}  // namespace marketlake
