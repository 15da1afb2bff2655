// The typed predicate language of `cat --where`, `read --where` and the scanner.
//
//   expr    := or
//   or      := and ( OR and )*
//   and     := unary ( AND unary )*
//   unary   := NOT unary | primary
//   primary := '(' expr ')' | column op literal | column [NOT] IN '(' literal, ... ')'
//            | column IS [NOT] NULL
//   op      := = | == | != | <> | < | <= | > | >=
//   column  := identifier ([A-Za-z_][A-Za-z0-9_.]*) | "double-quoted" ("" escapes ")
//   literal := 'single-quoted string' ('' escapes ') | integer | decimal | exponent number
//            | TRUE | FALSE | NULL
// Keywords are case-insensitive. Timestamps are written as strings in ISO-8601
// ('2024-03-11', '2024-03-11T09:30:00-04:00', '2024-03-11 13:30:00.123456789Z'); a string
// compared with a timestamp or date column is parsed as one at Bind time, and a time without
// an offset is UTC. A string may also be compared with a numeric column when it holds a number.
//
// Semantics are SQL's: a comparison with NULL is never true, so NOT (price < 5) keeps only
// rows whose price is >= 5. Parse errors name the byte offset. Input is bounded: at most
// kMaxPredicateBytes bytes, kMaxPredicateDepth nesting, kMaxInListItems items per IN list.
//
// Thread safety: all types here are immutable after construction; share freely.
#pragma once

#include <arrow/compute/expression.h>
#include <arrow/type_fwd.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "marketlake/status.h"

namespace marketlake {

inline constexpr size_t kMaxPredicateBytes = 64 * 1024;
inline constexpr int kMaxPredicateDepth = 64;
inline constexpr size_t kMaxInListItems = 100000;

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };

// A literal as written. kString also carries timestamps until Bind gives them a type.
struct Literal {
  enum class Kind { kNull, kBool, kInt, kDouble, kString };
  Kind kind = Kind::kNull;
  bool bool_value = false;
  int64_t int_value = 0;
  double double_value = 0;
  std::string string_value;
};

// The parsed, unbound syntax tree.
struct PredicateNode {
  enum class Kind { kCompare, kIn, kIsNull, kAnd, kOr, kNot };
  Kind kind = Kind::kCompare;
  std::string column;                   // kCompare, kIn, kIsNull
  CompareOp op = CompareOp::kEq;        // kCompare
  bool negated = false;                 // kIn (NOT IN), kIsNull (IS NOT NULL)
  std::vector<Literal> literals;        // kCompare: one; kIn: one or more
  std::vector<PredicateNode> children;  // kAnd, kOr: two or more; kNot: one
};

// Parses `text`. Fails with kInvalidArgument: "predicate: at byte N: <what> (expected <what>)".
Result<PredicateNode> ParsePredicate(std::string_view text);

// Canonical text of a tree; ParsePredicate(ToString(n)) gives back an equal tree.
std::string ToString(const PredicateNode& node);

// A value in a column's storage domain, used for statistics pruning: integers, dates,
// times and timestamps are int64 (in the column's own unit), floats double, strings and
// binaries bytes, booleans bool.
using Value = std::variant<int64_t, double, std::string, bool>;

// Total order within one alternative (strings byte-wise unsigned). Comparing different
// alternatives is a bug.
int CompareValues(const Value& a, const Value& b);

// A leaf after binding: typed to its column, NOT already pushed into it.
struct BoundLeaf {
  enum class Kind { kCompare, kIn, kIsNull };
  Kind kind = Kind::kCompare;
  int field_index = -1;  // in the schema given to BindPredicate
  std::string column;
  CompareOp op = CompareOp::kEq;
  bool negated = false;       // kIn: NOT IN; kIsNull: IS NOT NULL
  std::vector<Value> values;  // kCompare: one; kIn: the distinct non-null items
  // Literals as Arrow scalars of the column's type, for exact filtering.
  std::vector<std::shared_ptr<arrow::Scalar>> scalars;
  // False when this column's type cannot be pruned by min/max (e.g. decimals, unsigned
  // 64-bit); the leaf then always "may match".
  bool prunable = true;
};

// A bound predicate: kAnd / kOr over children, or a leaf. No NOT nodes remain (they are
// pushed down with De Morgan's laws; NOT of a comparison flips the operator).
struct BoundPredicate {
  enum class Kind { kLeaf, kAnd, kOr, kTrue, kFalse };
  Kind kind = Kind::kTrue;
  BoundLeaf leaf;
  std::vector<BoundPredicate> children;
};

// Binds to a schema: resolves columns (kMissingColumn naming the column and the columns
// there are), converts literals to the column's type (kDataType naming column, literal and
// type when impossible, e.g. 'abc' against a timestamp), pushes NOT down.
Result<BoundPredicate> BindPredicate(const PredicateNode& node, const arrow::Schema& schema);

// Names of the columns the predicate reads, in schema order, without repeats.
std::vector<std::string> ReferencedColumns(const BoundPredicate& predicate);

// The exact row filter, for arrow::compute (SQL null semantics: null is not true).
arrow::compute::Expression ToArrowExpression(const BoundPredicate& predicate);

// What statistics say about one column over a set of rows (row group or page).
struct ValueRange {
  std::optional<Value> min;  // absent when the writer recorded none
  std::optional<Value> max;
  std::optional<int64_t> null_count;
  int64_t num_values = -1;  // rows covered, nulls included; -1 when unknown
};

// Whether any row summarised by `range` could satisfy `leaf`. Conservative: true unless the
// statistics prove otherwise. All-null ranges satisfy only IS NULL.
bool MayMatch(const BoundLeaf& leaf, const ValueRange& range);

// Sorted, disjoint half-open row intervals [begin, end).
class RowRanges {
 public:
  struct Range {
    int64_t begin;
    int64_t end;
  };
  RowRanges() = default;
  static RowRanges All(int64_t num_rows);
  void Add(int64_t begin, int64_t end);  // ranges must be added in ascending order
  static RowRanges Union(const RowRanges& a, const RowRanges& b);
  static RowRanges Intersect(const RowRanges& a, const RowRanges& b);
  const std::vector<Range>& ranges() const { return ranges_; }
  int64_t row_count() const;
  bool empty() const { return ranges_.empty(); }
  bool Overlaps(int64_t begin, int64_t end) const;

 private:
  std::vector<Range> ranges_;
};

// The rows of a unit of `num_rows` rows that may match: leaves are asked for their own
// candidate rows (e.g. from one column's page index), then combined by AND (intersection)
// and OR (union). kTrue gives All(num_rows), kFalse nothing.
RowRanges SelectRows(const BoundPredicate& predicate, int64_t num_rows,
                     const std::function<RowRanges(const BoundLeaf&)>& leaf_rows);

}  // namespace marketlake
