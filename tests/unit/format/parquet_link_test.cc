// Proves the build links Arrow, Parquet and compute from the pinned pyarrow: a table goes
// through a Parquet file in memory and comes back equal.
#include <arrow/api.h>
#include <arrow/io/memory.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>

namespace marketlake {
namespace {

TEST(ParquetLinkTest, RoundTripInMemory) {
  arrow::Int64Builder ints;
  ASSERT_TRUE(ints.AppendValues({1, 2, 3}).ok());
  arrow::StringBuilder strs;
  ASSERT_TRUE(strs.AppendValues({"AAPL", "MSFT", "AAPL"}).ok());
  auto table = arrow::Table::Make(
      arrow::schema({arrow::field("n", arrow::int64()), arrow::field("s", arrow::utf8())}),
      {ints.Finish().ValueOrDie(), strs.Finish().ValueOrDie()});
  auto sink = arrow::io::BufferOutputStream::Create().ValueOrDie();
  ASSERT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), sink, 2).ok());
  auto buffer = sink->Finish().ValueOrDie();
  auto reader = parquet::arrow::OpenFile(std::make_shared<arrow::io::BufferReader>(buffer),
                                         arrow::default_memory_pool())
                    .ValueOrDie();
  auto back = reader->ReadTable().ValueOrDie();
  EXPECT_EQ(reader->num_row_groups(), 2);
  EXPECT_TRUE(back->Equals(*table));
}

}  // namespace
}  // namespace marketlake
