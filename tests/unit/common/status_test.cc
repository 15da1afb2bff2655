#include "marketlake/status.h"

#include <gtest/gtest.h>

namespace marketlake {
namespace {

TEST(StatusTest, ErrorKeepsCategoryAndMessage) {
  Status st = Error(ErrorCode::kMissingColumn, "trades.csv: column 'price' is missing");
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(CodeOf(st), ErrorCode::kMissingColumn);
  EXPECT_EQ(st.message(), "trades.csv: column 'price' is missing");
  EXPECT_EQ(CodeName(CodeOf(st)), "missing column");
  EXPECT_EQ(ExitCodeFor(CodeOf(st)), 4);
}

TEST(StatusTest, ArrowCodesMapToCategories) {
  EXPECT_EQ(CodeOf(arrow::Status::IOError("x")), ErrorCode::kIOError);
  EXPECT_EQ(CodeOf(arrow::Status::Invalid("x")), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(arrow::Status::TypeError("x")), ErrorCode::kDataType);
  EXPECT_EQ(CodeOf(arrow::Status::KeyError("x")), ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf(arrow::Status::NotImplemented("x")), ErrorCode::kNotImplemented);
  EXPECT_EQ(CodeOf(Status::OK()), ErrorCode::kOk);
}

TEST(StatusTest, WithContextPrefixesAndKeepsCategory) {
  Status st = WithContext(Error(ErrorCode::kCorruption, "bad magic"), "a.parquet");
  EXPECT_EQ(st.message(), "a.parquet: bad magic");
  EXPECT_EQ(CodeOf(st), ErrorCode::kCorruption);
  EXPECT_TRUE(WithContext(Status::OK(), "a").ok());
}

}  // namespace
}  // namespace marketlake
