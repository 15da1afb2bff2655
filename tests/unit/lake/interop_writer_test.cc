// Writes a small lake for tests/interop/test_lake_duckdb.py when ML_LAKE_INTEROP_DIR is set
// (skipped otherwise): datasets trades (day,bucket(4)) and quotes (symbol, hostile symbols),
// the input rows as expected_<dataset>.parquet, and the live files of the latest snapshot
// as live_<dataset>.txt (one path per line, relative to the lake).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "lake_test_util.h"
#include "marketlake/lake.h"
#include "marketlake/parquet_write.h"

namespace marketlake {
namespace {

using testing::kMar15;
using testing::kNsPerSec;
using testing::MakeTrades;

void WriteDataset(Lake& lake, const std::string& dir, const std::string& name,
                  const std::string& spec, const std::vector<std::string>& symbols) {
  auto ds = lake.OpenDataset(name, {Layer::kRaw, ParsePartitionSpec(spec).ValueOrDie()});
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  auto b1 = MakeTrades(symbols, 2000, kMar15, 157 * kNsPerSec);
  auto b2 = MakeTrades(symbols, 500, kMar15 + 11, 311 * kNsPerSec, 100000);
  ASSERT_TRUE((*ds)->Append({b1}).ok());
  ASSERT_TRUE((*ds)->Append({b2}).ok());
  auto snap = (*ds)->GetSnapshot();
  ASSERT_TRUE(snap.ok());
  std::ofstream live(dir + "/live_" + name + ".txt");
  for (const auto& f : snap->files) live << f.path << "\n";
  auto expected = testing::Sorted({b1, b2});
  auto out = OpenOutputStream(dir + "/expected_" + name + ".parquet");
  ASSERT_TRUE(out.ok());
  auto w = ParquetWriter::Open(expected->schema(), *out, WriteOptions{}, "expected");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(*expected->CombineChunksToBatch().ValueOrDie()).ok());
  ASSERT_TRUE((*w)->Close().ok());
}

TEST(LakeInterop, WriteLakeForDuckDb) {
  const char* dir = std::getenv("ML_LAKE_INTEROP_DIR");
  if (dir == nullptr) GTEST_SKIP() << "ML_LAKE_INTEROP_DIR not set (driven by pytest)";
  std::filesystem::create_directories(std::string(dir) + "/lake");
  auto lake = Lake::Open(std::string(dir) + "/lake");
  ASSERT_TRUE(lake.ok());
  WriteDataset(**lake, dir, "trades", "day,bucket(4)", {"AAPL", "MSFT", "BRK.B", "TSLA", "IBM"});
  WriteDataset(**lake, dir, "quotes", "symbol", {"AAPL", "a/b", "x=y", "..", "\xC3\xA9t\xC3\xA9"});
}

}  // namespace
}  // namespace marketlake
