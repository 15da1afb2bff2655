// NullArray gives the same arrays as arrow::MakeArrayOfNull (valid, equal, every slot null),
// allocates nothing from the memory pool, and survives the mapping growing under it.
#include "marketlake/common/null_array.h"

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace marketlake::internal {
namespace {

std::vector<std::shared_ptr<arrow::DataType>> Types() {
  return {arrow::null(), arrow::boolean(), arrow::int8(), arrow::int32(), arrow::int64(),
          arrow::float64(), arrow::timestamp(arrow::TimeUnit::NANO, "UTC"), arrow::date32(),
          arrow::decimal128(18, 4), arrow::fixed_size_binary(5), arrow::utf8(), arrow::binary(),
          arrow::large_utf8(), arrow::list(arrow::utf8()), arrow::large_list(arrow::int64()),
          arrow::fixed_size_list(arrow::int32(), 3), arrow::map(arrow::utf8(), arrow::float64()),
          arrow::struct_({arrow::field("a", arrow::int64()), arrow::field("b", arrow::utf8()),
                          arrow::field("c", arrow::list(arrow::boolean()))}),
          // Not cut from the zero pages (MakeArrayOfNull's arrays): still correct.
          arrow::dictionary(arrow::int32(), arrow::utf8()), arrow::utf8_view()};
}

TEST(NullArrayTest, EqualsArrowsNullArrays) {
  for (const auto& type : Types()) {
    for (int64_t length : {0, 1, 7, 8, 9, 1000, 70001}) {
      SCOPED_TRACE(type->ToString() + " x " + std::to_string(length));
      auto ours = NullArray(type, length);
      ASSERT_TRUE(ours.ok()) << ours.status().ToString();
      auto theirs = arrow::MakeArrayOfNull(type, length).ValueOrDie();
      ASSERT_TRUE((*ours)->ValidateFull().ok()) << (*ours)->ValidateFull().ToString();
      EXPECT_TRUE((*ours)->type()->Equals(*type));
      EXPECT_EQ((*ours)->length(), length);
      EXPECT_EQ((*ours)->null_count(), length);
      EXPECT_TRUE((*ours)->Equals(*theirs));
      // Slices and operations on them behave as on any array.
      if (length > 2) {
        auto slice = (*ours)->Slice(1, length - 2);
        ASSERT_TRUE(slice->ValidateFull().ok());
        EXPECT_EQ(slice->null_count(), length - 2);
        EXPECT_TRUE(slice->Equals(*theirs->Slice(1, length - 2)));
      }
    }
  }
}

TEST(NullArrayTest, AllocatesNothingFromThePool) {
  auto* pool = arrow::default_memory_pool();
  const int64_t before = pool->bytes_allocated();
  std::vector<std::shared_ptr<arrow::Array>> keep;
  for (const auto& type : {arrow::int64(), arrow::utf8(), arrow::list(arrow::utf8())}) {
    keep.push_back(NullArray(type, 1 << 20).ValueOrDie());
  }
  EXPECT_EQ(pool->bytes_allocated(), before);
}

TEST(NullArrayTest, EarlierArraysOutliveALargerMapping) {
  auto small = NullArray(arrow::int64(), 10).ValueOrDie();
  // Larger than any mapping made so far: a new one replaces it.
  auto big = NullArray(arrow::int64(), int64_t{1} << 26).ValueOrDie();
  EXPECT_EQ(big->null_count(), int64_t{1} << 26);
  auto big_again = NullArray(arrow::fixed_size_binary(16), int64_t{1} << 24).ValueOrDie();
  ASSERT_TRUE(small->ValidateFull().ok());
  EXPECT_TRUE(small->Equals(*arrow::MakeArrayOfNull(arrow::int64(), 10).ValueOrDie()));
  auto summed = arrow::compute::Sum(big).ValueOrDie();
  EXPECT_FALSE(summed.scalar()->is_valid);
  EXPECT_EQ(big_again->null_count(), int64_t{1} << 24);
}

}  // namespace
}  // namespace marketlake::internal
