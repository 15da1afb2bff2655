#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "marketlake/filesystem.h"
#include "marketlake/ingest.h"
#include "marketlake/lake.h"
#include "marketlake/scan.h"
#include "marketlake/table_io.h"

namespace marketlake {
namespace {

namespace fs = std::filesystem;

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("ml-ingest-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "in");
    auto lake = Lake::Open((root_ / "lake").string());
    ASSERT_TRUE(lake.ok()) << lake.status().ToString();
    lake_ = std::move(*lake);
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string Write(const std::string& rel, const std::string& text) {
    fs::path p = root_ / "in" / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  Result<ImportReport> Run(const std::vector<std::string>& specs, ImportOptions options = {},
                           Lake* lake = nullptr) {
    ML_ASSIGN_OR_RETURN(auto sources, ExpandSources(specs));
    return Import(lake ? lake : lake_.get(), sources, options);
  }

  // Every row of a dataset, sorted by (symbol, ts, trade_id), as "symbol|ts|price|size|id".
  std::vector<std::string> Rows(const std::string& dataset) {
    std::vector<std::string> out;
    auto ds = lake_->OpenDataset(dataset);
    EXPECT_TRUE(ds.ok());
    auto snap = (*ds)->GetSnapshot();
    EXPECT_TRUE(snap.ok());
    for (const auto& f : snap->files) {
      auto loc = lake_->root().Child(f.path);
      auto in = OpenInputFile(loc);
      EXPECT_TRUE(in.ok());
      auto scanner = ParquetScanner::Open(*in, loc.display, ScanOptions{});
      EXPECT_TRUE(scanner.ok());
      while (true) {
        auto b = (*scanner)->Next();
        EXPECT_TRUE(b.ok());
        if (!*b) break;
        auto batch = DecodeDictionaries(*b).ValueOrDie();
        for (int64_t i = 0; i < batch->num_rows(); ++i) {
          std::string row;
          for (const char* c : {"symbol", "ts", "price", "size", "trade_id"}) {
            auto col = batch->GetColumnByName(c);
            row += col ? col->GetScalar(i).ValueOrDie()->ToString() : "-";
            row += "|";
          }
          out.push_back(row);
        }
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path root_;
  std::unique_ptr<Lake> lake_;
};

const char* kTradesCsv =
    "ticker,timestamp,price,volume,id\n"
    "AAPL,2024-03-15T14:30:00Z,171.5,100,a1\n"
    "MSFT,2024-03-15T14:30:00.5Z,420.25,50,m1\n"
    "AAPL,2024-03-15T14:30:01Z,171.6,200,a2\n"
    "AAPL,2024-03-18T14:30:00Z,172.0,300,a3\n";

TEST_F(ImportTest, CsvIntoDayPartitionsWithExactValues) {
  Write("trades.csv", kTradesCsv);
  auto report = Run({(root_ / "in" / "trades.csv").string()});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->datasets.size(), 1u);
  EXPECT_EQ(report->datasets[0].dataset, "trades");
  EXPECT_EQ(report->datasets[0].rows_written, 4);
  EXPECT_EQ(report->datasets[0].version, 1);
  EXPECT_EQ(report->datasets[0].files, 2);  // two trading days
  EXPECT_EQ(report->sources[0].detected_by.empty(), false);
  EXPECT_EQ(Rows("trades"), (std::vector<std::string>{
                                "AAPL|2024-03-15 14:30:00.000000000Z|171.5|100|a1|",
                                "AAPL|2024-03-15 14:30:01.000000000Z|171.6|200|a2|",
                                "AAPL|2024-03-18 14:30:00.000000000Z|172|300|a3|",
                                "MSFT|2024-03-15 14:30:00.500000000Z|420.25|50|m1|",
                            }));
  EXPECT_TRUE(fs::exists(root_ / "lake/cleaned/trades/year=2024/month=03/day=15"));
  auto stats = lake_->ReadImports("trades");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->imports, 1);
  EXPECT_EQ(stats->rows, 4);
}

TEST_F(ImportTest, ReimportAddsNothingAndDuplicatesInInputAreSkipped) {
  Write("a.csv", kTradesCsv);
  // The same rows again plus one new row, and an in-file duplicate of it.
  Write("b.csv", std::string(kTradesCsv) + "NVDA,2024-03-15T15:00:00Z,900,10,n1\n" +
                     "NVDA,2024-03-15T15:00:00Z,900,10,n1\n");
  auto first = Run({(root_ / "in" / "a.csv").string()});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto again = Run({(root_ / "in" / "a.csv").string()});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->rows_written, 0);
  EXPECT_EQ(again->datasets[0].duplicates_in_lake, 4);
  EXPECT_EQ(again->datasets[0].version, 0);  // nothing to commit
  auto third = Run({(root_ / "in" / "b.csv").string()});
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ(third->rows_written, 1);
  EXPECT_EQ(third->datasets[0].duplicates_in_lake, 4);
  EXPECT_EQ(third->datasets[0].duplicates_in_input, 1);
  EXPECT_EQ(Rows("trades").size(), 5u);
  auto stats = lake_->ReadImports("trades");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->duplicates_skipped, 9);
}

TEST_F(ImportTest, NoDedupKeepsEverything) {
  Write("a.csv", kTradesCsv);
  ImportOptions o;
  o.dedup = false;
  ASSERT_TRUE(Run({(root_ / "in" / "a.csv").string()}, o).ok());
  ASSERT_TRUE(Run({(root_ / "in" / "a.csv").string()}, o).ok());
  EXPECT_EQ(Rows("trades").size(), 8u);
}

TEST_F(ImportTest, TinyMemoryBudgetFlushesEarlyAndStillDeduplicates) {
  std::string csv = "symbol,ts,price,size\n";
  for (int rep = 0; rep < 2; ++rep) {
    for (int i = 0; i < 500; ++i) {
      csv +=
          fmt::format("S{},2024-03-15T14:{:02}:{:02}Z,{},{}\n", i % 3, i / 60, i % 60, 10 + i, i);
    }
  }
  Write("big.csv", csv);
  ImportOptions o;
  o.memory_budget_bytes = 1;  // flush after every batch
  o.read.block_bytes = 4096;  // many small batches
  auto r = Run({(root_ / "in" / "big.csv").string()}, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows_written, 500);
  EXPECT_EQ(r->duplicates_skipped, 500);
  EXPECT_GT(r->datasets[0].files, 1);
  EXPECT_EQ(Rows("trades").size(), 500u);
}

// Time-ordered days: each day is flushed in the background once the input has moved past
// it. A late row for the first day (after it was written) goes to a second file of that day,
// and a late duplicate of a written row is skipped against the first file.
TEST_F(ImportTest, IdlePartitionsFlushWhileReadingAndLateRowsStayExact) {
  std::string csv = "symbol,ts,price,size,trade_id\n";
  std::vector<std::string> want;
  for (int day = 11; day <= 14; ++day) {
    for (int i = 0; i < 600; ++i) {
      csv += fmt::format("S{},2024-03-{}T14:{:02}:{:02}Z,{},{},d{}r{}\n", i % 3, day, i / 60,
                         i % 60, 10 + i, i, day, i);
      want.push_back(fmt::format("S{}|2024-03-{} 14:{:02}:{:02}.000000000Z|{}|{}|d{}r{}|", i % 3,
                                 day, i / 60, i % 60, 10 + i, i, day, i));
    }
  }
  csv += "S1,2024-03-11T20:00:00Z,99,7,late\n";   // new row for a written day
  csv += "S0,2024-03-11T14:00:00Z,10,0,d11r0\n";  // duplicate of a written row
  want.push_back("S1|2024-03-11 20:00:00.000000000Z|99|7|late|");
  std::sort(want.begin(), want.end());
  Write("days.csv", csv);
  ImportOptions o;
  o.read.block_bytes = 4096;  // about 80 rows per batch
  o.idle_flush_batches = 2;
  o.idle_flush_bytes = 1;
  auto r = Run({(root_ / "in" / "days.csv").string()}, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows_written, 2401);
  EXPECT_EQ(r->datasets[0].duplicates_in_input, 1);
  EXPECT_EQ(Rows("trades"), want);
  auto ds = lake_->OpenDataset("trades");
  ASSERT_TRUE(ds.ok());
  auto snap = (*ds)->GetSnapshot();
  ASSERT_TRUE(snap.ok());
  std::map<std::string, int> files_per_day;
  for (const auto& f : snap->files) ++files_per_day[f.partition.back().second];
  EXPECT_EQ(files_per_day,
            (std::map<std::string, int>{{"11", 2}, {"12", 1}, {"13", 1}, {"14", 1}}));
  // With idle flushing off, each day is one file.
  fs::remove_all(root_ / "lake");
  lake_ = std::move(*Lake::Open((root_ / "lake").string()));
  o.idle_flush_batches = 0;
  r = Run({(root_ / "in" / "days.csv").string()}, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->datasets[0].files, 4);
  EXPECT_EQ(Rows("trades"), want);
}

TEST_F(ImportTest, StrictFailureNamesRowAndCommitsNothing) {
  Write("bad.csv",
        "symbol,ts,price,size\nAAPL,2024-03-15T14:30:00Z,171.5,100\n"
        "AAPL,2024-03-15T14:30:01Z,abc,100\n");
  auto r = Run({(root_ / "in" / "bad.csv").string()});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kDataType);
  EXPECT_NE(r.status().message().find("bad.csv"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("row 1"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("'price'"), std::string::npos) << r.status().message();
  auto ds = lake_->OpenDataset("trades");
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ((*ds)->LatestVersion().ValueOrDie(), 0);
  auto stats = lake_->ReadImports("trades");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->failures, 1);
  // No data file is left behind.
  size_t parquet = 0;
  if (fs::exists(root_ / "lake/cleaned")) {
    for (auto& e : fs::recursive_directory_iterator(root_ / "lake/cleaned")) {
      parquet += e.path().extension() == ".parquet";
    }
  }
  EXPECT_EQ(parquet, 0u);
}

TEST_F(ImportTest, CoerceWritesRejectsIntoTheLake) {
  Write("mixed.csv",
        "symbol,ts,price,size\nAAPL,2024-03-15T14:30:00Z,171.5,100\n"
        "AAPL,2024-03-15T14:30:01Z,-3,100\nAAPL,not-a-time,171,1\n");
  ImportOptions o;
  o.mode = ValidationMode::kCoerce;
  auto r = Run({(root_ / "in" / "mixed.csv").string()}, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows_written, 1);
  EXPECT_EQ(r->rows_rejected, 2);
  ASSERT_FALSE(r->sources[0].rejects_file.empty());
  std::ifstream in(r->sources[0].rejects_file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"-3\""), std::string::npos) << text;
  EXPECT_NE(text.find("positive"), std::string::npos) << text;
  EXPECT_NE(text.find("not-a-time"), std::string::npos) << text;
  auto stats = lake_->ReadImports("trades");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->rejects, 2);
}

TEST_F(ImportTest, FormatsGlobsAndDetection) {
  Write("raw/day1/trades.jsonl",
        "{\"symbol\":\"AAPL\",\"ts\":1710513000000,\"price\":171.5,\"size\":100}\n");
  Write("raw/day2/quotes/q.csv", "symbol,ts,bid,ask\nAAPL,2024-03-15T14:30:00Z,171.4,171.6\n");
  Write("raw/skip/_hidden.csv", "garbage");
  auto r = Run({(root_ / "in" / "raw").string() + "/**/*.*"});
  ASSERT_FALSE(r.ok());  // _hidden.csv matches the glob explicitly and is garbage
  r = Run({(root_ / "in" / "raw").string()});  // a directory skips hidden files
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->datasets.size(), 2u);
  EXPECT_EQ(r->datasets[0].dataset, "quotes");
  EXPECT_EQ(r->datasets[1].dataset, "trades");
  EXPECT_EQ(Rows("trades"),
            (std::vector<std::string>{"AAPL|2024-03-15 14:30:00.000000000Z|171.5|100|null|"}));
}

TEST_F(ImportTest, ExpandSourcesPatterns) {
  Write("a/x.csv", "s\n");
  Write("a/b/y.csv.gz", "s\n");
  Write("a/b/z.txt", "s\n");
  Write("a/.h/w.csv", "s\n");
  auto base = (root_ / "in").string();
  auto names = [&](std::vector<std::string> specs) {
    std::vector<std::string> out;
    auto r = ExpandSources(specs);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) {
      for (auto& s : *r) out.push_back(s.uri.substr(base.size() + 1));
    }
    return out;
  };
  EXPECT_EQ(names({base + "/a"}), (std::vector<std::string>{"a/b/y.csv.gz", "a/x.csv"}));
  EXPECT_EQ(names({base + "/a/*.csv"}), (std::vector<std::string>{"a/x.csv"}));
  EXPECT_EQ(names({base + "/a/**/*.csv*"}),
            (std::vector<std::string>{"a/.h/w.csv", "a/b/y.csv.gz", "a/x.csv"}));
  EXPECT_EQ(names({base + "/a/[bc]/?.csv.gz", base + "/a/x.csv", base + "/a/x.csv"}),
            (std::vector<std::string>{"a/b/y.csv.gz", "a/x.csv"}));
  EXPECT_EQ(CodeOf(ExpandSources({base + "/a/*.parquet"}).status()), ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf(ExpandSources({base + "/nope"}).status()), ErrorCode::kNotFound);
}

TEST_F(ImportTest, ConcurrentImportersOfTheSameDataAddItOnce) {
  std::string csv = "symbol,ts,price,size\n";
  for (int i = 0; i < 2000; ++i) {
    csv += fmt::format("S{},2024-03-{:02}T14:{:02}:{:02}Z,{},{}\n", i % 5, 11 + i % 4,
                       (i / 60) % 60, i % 60, 10 + i, i);
  }
  Write("same.csv", csv);
  Write("other.csv", "symbol,ts,price,size\nZZ,2024-03-12T10:00:00Z,5,5\n");
  std::vector<std::thread> threads;
  std::vector<Status> results(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto lake = Lake::Open((root_ / "lake").string());
      if (!lake.ok()) {
        results[t] = lake.status();
        return;
      }
      auto r =
          Run({(root_ / "in" / (t == 3 ? "other.csv" : "same.csv")).string()}, {}, lake->get());
      results[t] = r.status();
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& st : results) EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Rows("trades").size(), 2001u);
}

// A dataset whose files predate optional columns takes the canonical schema; one whose
// files hold price as text refuses it, naming the column.
TEST_F(ImportTest, SchemaEvolutionAgainstTheLake) {
  Write("t.csv", kTradesCsv);
  auto old_schema =
      arrow::schema({arrow::field("symbol", arrow::utf8()),
                     arrow::field("ts", arrow::timestamp(arrow::TimeUnit::NANO, "UTC")),
                     arrow::field("price", arrow::float64())});
  auto make = [&](std::shared_ptr<arrow::Schema> schema, std::shared_ptr<arrow::Array> price) {
    arrow::StringBuilder sym;
    EXPECT_TRUE(sym.Append("OLD").ok());
    arrow::TimestampBuilder ts(schema->field(1)->type(), arrow::default_memory_pool());
    EXPECT_TRUE(ts.Append(1710513000000000000LL).ok());
    return arrow::RecordBatch::Make(schema, 1,
                                    {sym.Finish().ValueOrDie(), ts.Finish().ValueOrDie(), price});
  };
  arrow::DoubleBuilder p;
  ASSERT_TRUE(p.Append(1.0).ok());
  {
    auto ds = lake_->OpenDataset("trades", DatasetOptions{Layer::kCleaned, std::nullopt});
    ASSERT_TRUE(ds.ok());
    ASSERT_TRUE((*ds)->Append({make(old_schema, p.Finish().ValueOrDie())}).ok());
  }
  auto r = Run({(root_ / "in" / "t.csv").string()});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Rows("trades").size(), 5u);

  auto other = Lake::Open((root_ / "lake2").string()).ValueOrDie();
  auto text_schema = arrow::schema(
      {old_schema->field(0), old_schema->field(1), arrow::field("price", arrow::utf8())});
  arrow::StringBuilder tp;
  ASSERT_TRUE(tp.Append("1.0").ok());
  {
    auto ds = other->OpenDataset("trades", DatasetOptions{Layer::kCleaned, std::nullopt});
    ASSERT_TRUE(ds.ok());
    ASSERT_TRUE((*ds)->Append({make(text_schema, tp.Finish().ValueOrDie())}).ok());
  }
  auto sources = ExpandSources({(root_ / "in" / "t.csv").string()}).ValueOrDie();
  auto bad = Import(other.get(), sources, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(CodeOf(bad.status()), ErrorCode::kSchemaMismatch);
  EXPECT_NE(bad.status().message().find("price"), std::string::npos) << bad.status().message();

  auto check = CheckSourceSchema(other.get(), sources[0], {});
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_EQ(check->dataset, "trades");
  EXPECT_TRUE(check->source_error.empty());
  EXPECT_FALSE(check->lake_error.empty());
  EXPECT_FALSE(check->ok());
  const auto& renamed = check->mapping.renamed;
  EXPECT_NE(std::find(renamed.begin(), renamed.end(),
                      std::make_pair(std::string("ticker"), std::string("symbol"))),
            renamed.end());
}

}  // namespace
}  // namespace marketlake
