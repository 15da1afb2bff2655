// KeyIds and MapStringRuns: one id per distinct key, whatever the column's encoding, with
// nulls and slices (the run detection reads raw offsets and the validity bitmap).
#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "marketlake/aggregate/internal.h"

namespace marketlake::aggregate_internal {
namespace {

std::shared_ptr<arrow::Array> FromJson(const std::shared_ptr<arrow::DataType>& type,
                                       const std::string& json) {
  return arrow::json::ArrayFromJSONString(type, json).ValueOrDie();
}

// The names of `ids` (or "null").
std::vector<std::string> Names(const KeyIds& keys, const std::vector<uint32_t>& ids) {
  std::vector<std::string> out;
  for (uint32_t id : ids) out.push_back(id == KeyIds::kNullId ? "null" : keys.names()[id]);
  return out;
}

TEST(KeyIds, SlicedStringsWithNullsAndRuns) {
  auto all =
      FromJson(arrow::utf8(),
               R"(["ZZ", "A", "A", null, "A", "AB", "AB", "", "", null, "B", "ABCDEFGHIJKLMNOPQR",
                          "ABCDEFGHIJKLMNOPQS", "ABCDEFGHIJKLMNOPQS"])");
  auto sliced = all->Slice(1);
  KeyIds keys;
  std::vector<uint32_t> ids;
  ASSERT_TRUE(keys.Map(*sliced, "symbol", &ids).ok());
  EXPECT_EQ(
      Names(keys, ids),
      (std::vector<std::string>{"A", "A", "null", "A", "AB", "AB", "", "", "null", "B",
                                "ABCDEFGHIJKLMNOPQR", "ABCDEFGHIJKLMNOPQS", "ABCDEFGHIJKLMNOPQS"}));
  // Ids are dense, in order of first appearance, and shared across calls and encodings.
  EXPECT_EQ(keys.size(), 6u);
  EXPECT_EQ(ids[0], 0u);
  EXPECT_EQ(ids[3], 0u);
  EXPECT_EQ(ids[4], 1u);
  const std::vector<uint32_t> first = ids;
  ids.clear();
  ASSERT_TRUE(
      keys.Map(*arrow::compute::Cast(*sliced, arrow::large_utf8()).ValueOrDie(), "symbol", &ids)
          .ok());
  EXPECT_EQ(ids, first);
  EXPECT_EQ(keys.size(), 6u);
}

TEST(KeyIds, DictionariesOfStringsAndIntegers) {
  auto dict_type = arrow::dictionary(arrow::int8(), arrow::utf8());
  auto dict = arrow::DictionaryArray::FromArrays(
                  dict_type, FromJson(arrow::int8(), "[1, 0, null, 1, 2, 2]"),
                  FromJson(arrow::utf8(), R"(["MSFT", "AAPL", "IBM"])"))
                  .ValueOrDie();
  KeyIds keys;
  std::vector<uint32_t> ids;
  ASSERT_TRUE(keys.Map(*dict->Slice(1), "symbol", &ids).ok());
  EXPECT_EQ(Names(keys, ids), (std::vector<std::string>{"MSFT", "null", "AAPL", "IBM", "IBM"}));

  auto int_dict =
      arrow::DictionaryArray::FromArrays(arrow::dictionary(arrow::int32(), arrow::int64()),
                                         FromJson(arrow::int32(), "[0, 1, 0, null]"),
                                         FromJson(arrow::int64(), "[7, -3]"))
          .ValueOrDie();
  KeyIds ints;
  ids.clear();
  ASSERT_TRUE(ints.Map(*int_dict, "venue", &ids).ok());
  EXPECT_EQ(Names(ints, ids), (std::vector<std::string>{"7", "-3", "7", "null"}));
}

TEST(KeyIds, OtherTypesAreNamedErrors) {
  KeyIds keys;
  std::vector<uint32_t> ids;
  Status st = keys.Map(*FromJson(arrow::float64(), "[1.5]"), "venue", &ids);
  EXPECT_EQ(CodeOf(st), ErrorCode::kDataType);
  EXPECT_EQ(st.message(), "key column 'venue': expected utf8, dictionary or integer, got double");

  std::vector<uint32_t> out(1);
  st = MapStringRuns(
      *FromJson(arrow::int64(), "[1]"), "symbol", [](std::string_view) { return 0u; }, out.data());
  EXPECT_EQ(CodeOf(st), ErrorCode::kDataType);
  EXPECT_EQ(st.message(), "column 'symbol': expected utf8 or dictionary, got int64");
}

}  // namespace
}  // namespace marketlake::aggregate_internal
