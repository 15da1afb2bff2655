// Helpers for the lake tests: sample batches and reading a snapshot back.
#pragma once

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "marketlake/filesystem.h"
#include "marketlake/lake.h"
#include "marketlake/scan.h"
#include "marketlake/table_io.h"

namespace marketlake::testing {

inline constexpr int64_t kNsPerSec = 1000000000LL;
inline constexpr int64_t kNsPerDay = 86400LL * kNsPerSec;
// 2024-03-15T00:00:00Z
inline constexpr int64_t kMar15 = 1710460800LL * kNsPerSec;

// Dataset options partitioning by UTC day. The tests' sample data starts at UTC midnight;
// they reason in UTC days rather than the default New York trading dates.
inline DatasetOptions UtcDays() {
  DatasetOptions options;
  options.partition_spec = ParsePartitionSpec("day").ValueOrDie();
  return options;
}

inline std::shared_ptr<arrow::Schema> TradesSchema() {
  return arrow::schema({arrow::field("symbol", arrow::utf8()),
                        arrow::field("ts", arrow::timestamp(arrow::TimeUnit::NANO, "UTC")),
                        arrow::field("price", arrow::float64()),
                        arrow::field("size", arrow::int64())});
}

// Rows i = 0..n-1: symbol symbols[i % k], ts start + i * step (unique), price, size = id+i.
inline std::shared_ptr<arrow::RecordBatch> MakeTrades(const std::vector<std::string>& symbols,
                                                      int64_t n, int64_t start, int64_t step,
                                                      int64_t id = 0) {
  arrow::StringBuilder sym;
  arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::NANO, "UTC"),
                             arrow::default_memory_pool());
  arrow::DoubleBuilder price;
  arrow::Int64Builder size;
  for (int64_t i = 0; i < n; ++i) {
    // Interleave so the input is not sorted.
    int64_t j = (i * 7919) % n;
    EXPECT_TRUE(sym.Append(symbols[static_cast<size_t>(j) % symbols.size()]).ok());
    EXPECT_TRUE(ts.Append(start + j * step).ok());
    EXPECT_TRUE(price.Append(100.0 + static_cast<double>(j) / 8).ok());
    EXPECT_TRUE(size.Append(id + j).ok());
  }
  std::vector<std::shared_ptr<arrow::Array>> cols(4);
  EXPECT_TRUE(sym.Finish(&cols[0]).ok());
  EXPECT_TRUE(ts.Finish(&cols[1]).ok());
  EXPECT_TRUE(price.Finish(&cols[2]).ok());
  EXPECT_TRUE(size.Finish(&cols[3]).ok());
  return arrow::RecordBatch::Make(TradesSchema(), n, cols);
}

inline std::shared_ptr<arrow::Table> SortTable(const std::shared_ptr<arrow::Table>& t) {
  arrow::compute::SortOptions options(
      {arrow::compute::SortKey("symbol"), arrow::compute::SortKey("ts")});
  auto idx = arrow::compute::SortIndices(arrow::Datum(t), options).ValueOrDie();
  auto taken = arrow::compute::Take(arrow::Datum(t), arrow::Datum(idx)).ValueOrDie();
  return taken.table()->CombineChunks().ValueOrDie();
}

inline Result<std::shared_ptr<arrow::Table>> ReadFile(const Location& root, const DataFile& f) {
  Location loc = root.Child(f.path);
  ML_ASSIGN_OR_RETURN(auto in, OpenInputFile(loc));
  ML_ASSIGN_OR_RETURN(auto scanner, ParquetScanner::Open(in, loc.display, ScanOptions{}));
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  while (true) {
    ML_ASSIGN_OR_RETURN(auto b, scanner->Next());
    if (!b) break;
    ML_ASSIGN_OR_RETURN(b, DecodeDictionaries(b));
    batches.push_back(b);
  }
  return arrow::Table::FromRecordBatches(TradesSchema(), batches);
}

// Every row of a snapshot, sorted by (symbol, ts).
inline std::shared_ptr<arrow::Table> ReadAll(const Location& root, const Snapshot& snap) {
  std::vector<std::shared_ptr<arrow::Table>> tables;
  for (const auto& f : snap.files) {
    auto t = ReadFile(root, f);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    if (t.ok()) tables.push_back(*t);
  }
  if (tables.empty()) return arrow::Table::MakeEmpty(TradesSchema()).ValueOrDie();
  return SortTable(arrow::ConcatenateTables(tables).ValueOrDie());
}

inline std::shared_ptr<arrow::Table> Sorted(
    const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches) {
  return SortTable(arrow::Table::FromRecordBatches(TradesSchema(), batches).ValueOrDie());
}

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("ml-lake-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

}  // namespace marketlake::testing
