// Small builders for schema tests: batches from JSON column literals.
#pragma once

#include <arrow/api.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "marketlake/schema.h"

#define ML_TEST_ASSIGN_IMPL(tmp, lhs, rexpr)        \
  auto tmp = (rexpr);                               \
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString(); \
  lhs = std::move(tmp).ValueUnsafe();
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ML_TEST_ASSIGN_IMPL(ARROW_ASSIGN_OR_RAISE_NAME(_ml_res, __COUNTER__), lhs, rexpr)

namespace marketlake::testing {

struct ColumnJson {
  std::string name;
  std::shared_ptr<arrow::DataType> type;
  std::string json;
};

inline std::shared_ptr<arrow::RecordBatch> MakeBatch(const std::vector<ColumnJson>& cols) {
  arrow::FieldVector fields;
  arrow::ArrayVector arrays;
  for (const auto& c : cols) {
    auto a = arrow::json::ArrayFromJSONString(c.type, c.json);
    EXPECT_TRUE(a.ok()) << c.name << ": " << a.status().ToString();
    fields.push_back(arrow::field(c.name, c.type));
    arrays.push_back(*a);
  }
  const int64_t n = arrays.empty() ? 0 : arrays[0]->length();
  return arrow::RecordBatch::Make(arrow::schema(fields), n, arrays);
}

inline std::shared_ptr<arrow::DataType> Str() { return arrow::utf8(); }
inline std::shared_ptr<arrow::DataType> F64() { return arrow::float64(); }
inline std::shared_ptr<arrow::DataType> I64() { return arrow::int64(); }
inline std::shared_ptr<arrow::DataType> TsUtc() {
  return arrow::timestamp(arrow::TimeUnit::NANO, "UTC");
}

// Values of an int64-backed column (timestamp, int64); -1 for null.
inline std::vector<int64_t> Int64Values(const arrow::RecordBatch& b, const std::string& col) {
  auto a = b.GetColumnByName(col);
  EXPECT_NE(a, nullptr) << col;
  std::vector<int64_t> out;
  if (a == nullptr) return out;
  const auto& data = *a->data();
  const auto* v = data.GetValues<int64_t>(1);
  for (int64_t i = 0; i < a->length(); ++i) out.push_back(a->IsNull(i) ? -1 : v[i]);
  return out;
}

inline std::vector<double> DoubleValues(const arrow::RecordBatch& b, const std::string& col) {
  auto a = std::static_pointer_cast<arrow::DoubleArray>(b.GetColumnByName(col));
  std::vector<double> out;
  for (int64_t i = 0; i < a->length(); ++i) out.push_back(a->IsNull(i) ? -1.0 : a->Value(i));
  return out;
}

inline std::vector<std::string> StringValues(const arrow::RecordBatch& b, const std::string& col) {
  auto a = std::static_pointer_cast<arrow::StringArray>(b.GetColumnByName(col));
  EXPECT_NE(a, nullptr) << col;
  std::vector<std::string> out;
  if (a == nullptr) return out;
  for (int64_t i = 0; i < a->length(); ++i) {
    out.push_back(a->IsNull(i) ? "<null>" : std::string(a->GetView(i)));
  }
  return out;
}

}  // namespace marketlake::testing
