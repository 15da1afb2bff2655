#include "marketlake/inspect.h"

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "marketlake/table_io.h"
#include "unit/format/test_tables.h"

namespace marketlake {
namespace {

namespace fs = std::filesystem;

std::string TempPath(const std::string& name) {
  return (fs::temp_directory_path() / ("ml_inspect_" + std::to_string(getpid()) + "_" + name))
      .string();
}

void Write(const std::string& path, const arrow::Table& table, const WriteOptions& o) {
  auto w = OpenBatchWriter(path, table.schema(), FileFormat::kParquet, o).ValueOrDie();
  arrow::TableBatchReader reader(table);
  std::shared_ptr<arrow::RecordBatch> batch;
  while (reader.ReadNext(&batch).ok() && batch) ASSERT_TRUE(w->Write(*batch).ok());
  ASSERT_TRUE(w->Close().ok());
}

TEST(InspectTest, ReportsLayoutIndexesAndFilters) {
  auto table = testing::RandomTable(5000, 9, 0.1);
  WriteOptions o;
  o.row_group_size = 2000;
  o.max_rows_per_page = 1000;
  o.bloom_filter_columns = {"symbol"};
  o.sorting_columns = {"ts"};
  o.key_value_metadata = {{"dataset", "trades"}};
  const auto path = TempPath("a.parquet");
  Write(path, *table, o);
  auto r = InspectParquet(path).ValueOrDie();
  EXPECT_EQ(r.num_rows, 5000);
  ASSERT_EQ(r.row_groups.size(), 3u);
  EXPECT_EQ(r.row_groups[2].num_rows, 1000);
  EXPECT_EQ(r.row_groups[0].sorting_columns, std::vector<std::string>{"ts ASC NULLS FIRST"});
  const auto& sym = r.row_groups[0].columns[1];
  EXPECT_EQ(sym.path, "symbol");
  EXPECT_TRUE(sym.has_bloom_filter);
  EXPECT_TRUE(sym.has_dictionary_page);
  EXPECT_EQ(sym.compression, "ZSTD");
  EXPECT_EQ(sym.min.value(), "A");
  EXPECT_EQ(sym.max.value(), "ZTS");
  const auto& ts = r.row_groups[0].columns[0];
  EXPECT_TRUE(ts.has_column_index);
  EXPECT_TRUE(ts.has_offset_index);
  EXPECT_EQ(ts.pages.value(), 2);
  EXPECT_FALSE(ts.has_bloom_filter);
  EXPECT_EQ(ts.min.value().substr(0, 20), "2024-03-04T14:00:00.");
  EXPECT_EQ(r.row_groups[0].columns[2].null_count.value() > 0, true);
  EXPECT_EQ(r.key_value_metadata.at("dataset"), "trades");
  auto j = nlohmann::json::parse(FileReportToJson(r));
  EXPECT_EQ(j["num_rows"], 5000);
  EXPECT_EQ(j["row_groups"][0]["columns"][1]["bloom_filter"], true);
  EXPECT_EQ(j["row_groups"][0]["columns"][0]["pages"], 2);
  auto text = FileReportToText(r);
  EXPECT_NE(text.find("bloom filter: yes"), std::string::npos);
  fs::remove(path);
}

TEST(InspectTest, NotParquetIsCorruptionNamingTheFile) {
  const auto path = TempPath("junk.parquet");
  std::ofstream(path) << "PAR1 but then nonsense, and no footer to speak of";
  auto r = InspectParquet(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kCorruption);
  EXPECT_EQ(r.status().message().rfind(path + ": not a valid Parquet file: ", 0), 0u)
      << r.status().message();
  fs::remove(path);
  EXPECT_EQ(CodeOf(InspectParquet(path).status()), ErrorCode::kNotFound);
}

TEST(DescribeTest, CountsNullsMinMax) {
  auto table = testing::RandomTable(4000, 10, 0.25)->CombineChunks().ValueOrDie();
  const auto path = TempPath("d.parquet");
  Write(path, *table, WriteOptions{});
  int64_t seen = 0;
  auto r = DescribeFile(path, [&](int64_t rows) { seen = rows; }).ValueOrDie();
  EXPECT_EQ(r.num_rows, 4000);
  EXPECT_EQ(seen, 4000);
  for (size_t c = 0; c < r.columns.size(); ++c) {
    auto column = table->column(static_cast<int>(c));
    EXPECT_EQ(r.columns[c].nulls, column->null_count()) << r.columns[c].name;
    EXPECT_EQ(r.columns[c].count, 4000 - column->null_count()) << r.columns[c].name;
  }
  EXPECT_EQ(r.columns[1].min.value(), "A");
  EXPECT_EQ(r.columns[1].max.value(), "ZTS");
  auto price = arrow::compute::MinMax(table->GetColumnByName("price")).ValueOrDie();
  const auto& mm = static_cast<const arrow::StructScalar&>(*price.scalar());
  EXPECT_EQ(r.columns[2].min.value(), mm.value[0]->ToString());
  EXPECT_EQ(r.columns[2].max.value(), mm.value[1]->ToString());
  auto j = nlohmann::json::parse(DescribeReportToJson(r));
  EXPECT_EQ(j["columns"][3]["nulls"], table->GetColumnByName("size")->null_count());
  fs::remove(path);
}

}  // namespace
}  // namespace marketlake
