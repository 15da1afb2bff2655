// ParsePredicate never crashes; whatever it accepts prints (ToString) to text that parses to
// an equal tree and the same text; binding against a fixed schema with every supported type
// either succeeds with an expression Arrow can bind, or fails with a categorized error.
#include <arrow/api.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/expression.h>
#include <arrow/compute/initialize.h>
#include <arrow/json/from_string.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "marketlake/predicate.h"

namespace marketlake {
namespace {

bool LiteralEq(const Literal& a, const Literal& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Literal::Kind::kNull:
      return true;
    case Literal::Kind::kBool:
      return a.bool_value == b.bool_value;
    case Literal::Kind::kInt:
      return a.int_value == b.int_value;
    case Literal::Kind::kDouble:
      return std::memcmp(&a.double_value, &b.double_value, sizeof(double)) == 0;
    case Literal::Kind::kString:
      return a.string_value == b.string_value;
  }
  return false;
}

bool NodeEq(const PredicateNode& a, const PredicateNode& b) {
  if (a.kind != b.kind || a.column != b.column || a.op != b.op || a.negated != b.negated ||
      a.literals.size() != b.literals.size() || a.children.size() != b.children.size()) {
    return false;
  }
  for (size_t i = 0; i < a.literals.size(); ++i) {
    if (!LiteralEq(a.literals[i], b.literals[i])) return false;
  }
  for (size_t i = 0; i < a.children.size(); ++i) {
    if (!NodeEq(a.children[i], b.children[i])) return false;
  }
  return true;
}

void Check(bool ok, const char* what, std::string_view input, std::string_view detail = {}) {
  if (ok) return;
  std::fprintf(stderr, "predicate_fuzz: %s\ninput: '%.*s'\ndetail: %.*s\n", what,
               static_cast<int>(input.size()), input.data(), static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

std::shared_ptr<arrow::Schema> FuzzSchema() {
  using namespace arrow;
  return schema({
      field("a", int64()),
      field("b", float64()),
      field("c", utf8()),
      field("d", date32()),
      field("t", timestamp(TimeUnit::NANO, "UTC")),
      field("s", timestamp(TimeUnit::SECOND)),
      field("e", dictionary(int32(), utf8())),
      field("f", boolean()),
      field("g", decimal128(10, 2)),
      field("h", uint64()),
      field("i", int8()),
      field("j", float32()),
      field("k", decimal256(40, 5)),
      field("l", large_utf8()),
      field("m", binary()),
      field("n", list(int32())),
      field("o", null()),
      field("p", date64()),
      field("q", timestamp(TimeUnit::MICRO, "Asia/Tokyo")),
      field("r", uint8()),
  });
}

// Three rows, the middle one all nulls, so that bound expressions are also executed.
std::shared_ptr<arrow::RecordBatch> FuzzBatch(const std::shared_ptr<arrow::Schema>& schema) {
  static const char* kColumns[] = {
      "[1, null, -3]",
      "[1.5, null, -0.0]",
      R"(["x", null, ""])",
      "[19793, null, 0]",
      "[1710163800000000000, null, 0]",
      "[1710163800, null, -1]",
      nullptr,
      "[true, null, false]",
      R"(["1.25", null, "-3.00"])",
      "[18446744073709551615, null, 0]",
      "[-128, null, 127]",
      "[0.1, null, -1]",
      R"(["1.50000", null, "-2.00000"])",
      R"(["x", null, ""])",
      R"(["x", null, ""])",
      "[[1], null, []]",
      "[null, null, null]",
      "[86400000, null, 0]",
      "[1710163800000000, null, 0]",
      "[0, null, 255]",
  };
  std::vector<std::shared_ptr<arrow::Array>> columns;
  for (int i = 0; i < schema->num_fields(); ++i) {
    const auto& type = schema->field(i)->type();
    auto array = kColumns[i] == nullptr ? arrow::json::DictArrayFromJSONString(type, "[0, null, 1]",
                                                                               R"(["AAPL", "B"])")
                                        : arrow::json::ArrayFromJSONString(type, kColumns[i]);
    if (!array.ok()) {
      std::fprintf(stderr, "column %d: %s\n", i, array.status().ToString().c_str());
      std::abort();
    }
    columns.push_back(*array);
  }
  return arrow::RecordBatch::Make(schema, 3, columns);
}

}  // namespace
}  // namespace marketlake

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (!arrow::compute::Initialize().ok()) std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace marketlake;
  static const std::shared_ptr<arrow::Schema> schema = FuzzSchema();
  static const std::shared_ptr<arrow::RecordBatch> batch = FuzzBatch(schema);
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto parsed = ParsePredicate(text);
  if (!parsed.ok()) {
    Check(CodeOf(parsed.status()) == ErrorCode::kInvalidArgument, "parse error code", text,
          parsed.status().ToString());
    Check(parsed.status().message().rfind("predicate: at byte ", 0) == 0, "parse error prefix",
          text, parsed.status().message());
    return 0;
  }

  const std::string canon = ToString(*parsed);
  // Canonical text can be longer than its source ("a<1" -> "a < 1"); past the byte bound
  // it is rightly refused, so only shorter texts must round-trip.
  if (canon.size() <= kMaxPredicateBytes) {
    auto again = ParsePredicate(canon);
    Check(again.ok(), "canonical text does not parse", text,
          again.ok() ? canon : again.status().ToString() + "\ncanon: " + canon);
    Check(NodeEq(*parsed, *again), "round trip changed the tree", text, canon);
    Check(ToString(*again) == canon, "canonical text is not a fixed point", text, canon);
  }

  auto bound = BindPredicate(*parsed, *schema);
  if (!bound.ok()) {
    const ErrorCode code = CodeOf(bound.status());
    Check(code == ErrorCode::kMissingColumn || code == ErrorCode::kDataType, "bind error code",
          text, bound.status().ToString());
    return 0;
  }
  (void)ReferencedColumns(*bound);
  auto expr = ToArrowExpression(*bound).Bind(*schema);
  Check(expr.ok(), "Arrow cannot bind the expression", text,
        expr.ok() ? "" : expr.status().ToString());
  auto mask = arrow::compute::ExecuteScalarExpression(*expr, arrow::compute::ExecBatch(*batch));
  Check(mask.ok(), "Arrow cannot execute the expression", text,
        mask.ok() ? "" : mask.status().ToString());
  Check(mask->type()->id() == arrow::Type::BOOL, "expression is not boolean", text,
        mask->type()->ToString());
  return 0;
}
