#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "lake_test_util.h"
#include "marketlake/lake.h"
#include "marketlake/parquet_write.h"

namespace marketlake {
namespace {

using testing::kMar15;
using testing::kNsPerDay;
using testing::kNsPerSec;
using testing::MakeTrades;
using testing::ReadAll;
using testing::Sorted;
using testing::TempDir;

std::unique_ptr<Lake> OpenLake(const TempDir& dir) {
  auto lake = Lake::Open(dir.path());
  EXPECT_TRUE(lake.ok()) << lake.status().ToString();
  return std::move(*lake);
}

std::unique_ptr<Dataset> OpenDs(Lake& lake, std::string_view name, DatasetOptions options = {}) {
  auto ds = lake.OpenDataset(name, options);
  EXPECT_TRUE(ds.ok()) << ds.status().ToString();
  return std::move(*ds);
}

TEST(LakeTest, AppendSnapshotReadBackSorted) {
  TempDir dir;
  auto lake = OpenLake(dir);
  auto ds = OpenDs(*lake, "trades", testing::UtcDays());
  EXPECT_EQ(*ds->LatestVersion(), 0);
  EXPECT_TRUE(ds->GetSnapshot()->files.empty());
  auto b1 = MakeTrades({"MSFT", "AAPL", "IBM"}, 3000, kMar15, 97 * kNsPerSec);  // ~3.4 days
  auto b2 = MakeTrades({"AAPL", "TSLA"}, 500, kMar15 + 3600 * kNsPerSec, 13 * kNsPerSec, 1 << 20);
  AppendOptions options;
  options.lineage = {"s3://vendor/trades-2024-03-15.csv"};
  options.parameters = {{"mode", "strict"}};
  options.quality_json = R"({"rejects": 0, "rules": {"positive": 0}})";
  auto commit = ds->Append({b1, b2}, options);
  ASSERT_TRUE(commit.ok()) << commit.status().ToString();
  EXPECT_EQ(commit->version, 1);
  EXPECT_EQ(commit->attempts, 1);

  auto snap = ds->GetSnapshot();
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_EQ(snap->version, 1);
  EXPECT_EQ(snap->TotalRows(), 3500);
  ASSERT_EQ(snap->files.size(), 4u);  // 15th .. 18th
  EXPECT_EQ(snap->files[0].partition,
            (PartitionValues{{"year", "2024"}, {"month", "03"}, {"day", "15"}}));
  for (const auto& f : snap->files) {
    EXPECT_TRUE(f.path.starts_with("raw/trades/year=2024/month=03/day=")) << f.path;
    EXPECT_TRUE(std::filesystem::exists(dir.path() + "/" + f.path));
    EXPECT_LE(f.min_ts, f.max_ts);
    EXPECT_GT(f.bytes, 0);
    EXPECT_FALSE(f.symbols.empty());
    EXPECT_EQ(f.added_in_version, 1);
  }
  auto got = ReadAll(lake->root(), *snap);
  auto want = Sorted({b1, b2});
  EXPECT_TRUE(got->Equals(*want)) << got->ToString().substr(0, 2000);

  // The files are sorted by (symbol, ts) individually, with a bloom filter on symbol.
  // The log records each file's distinct symbols, and the least and greatest.
  for (const auto& f : snap->files) {
    auto t = testing::ReadFile(lake->root(), f);
    ASSERT_TRUE(t.ok());
    EXPECT_TRUE((*t)->Equals(*testing::SortTable(*t)));
    std::set<std::string> distinct;
    for (const auto& chunk : (*t)->GetColumnByName("symbol")->chunks()) {
      const auto& strings = static_cast<const arrow::StringArray&>(*chunk);
      for (int64_t i = 0; i < strings.length(); ++i) distinct.insert(strings.GetString(i));
    }
    EXPECT_EQ(f.symbols, std::vector<std::string>(distinct.begin(), distinct.end())) << f.path;
    EXPECT_EQ(f.min_symbol, *distinct.begin());
    EXPECT_EQ(f.max_symbol, *distinct.rbegin());
  }
  auto history = ds->History();
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].operation, "import");
  EXPECT_EQ((*history)[0].lineage, options.lineage);
  EXPECT_EQ((*history)[0].parameters, options.parameters);
  EXPECT_NE((*history)[0].quality_json.find("positive"), std::string::npos);
  EXPECT_TRUE(
      std::filesystem::exists(dir.path() + "/_marketlake/trades/_log/00000000000000000001.json"));

  // A fresh Lake object sees the same state.
  auto lake2 = OpenLake(dir);
  EXPECT_EQ(OpenDs(*lake2, "trades", {Layer::kRaw, std::nullopt})->layer(), Layer::kRaw);
  auto ds2 = OpenDs(*lake2, "trades");
  EXPECT_EQ(ds2->GetSnapshot()->files.size(), 4u);
  EXPECT_EQ(*lake2->ListDatasets(), std::vector<std::string>{"trades"});
}

TEST(LakeTest, BadQualityJsonAndEmptyAppend) {
  TempDir dir;
  auto lake = OpenLake(dir);
  auto ds = OpenDs(*lake, "trades");
  EXPECT_EQ(ds->Append({})->version, 0);
  AppendOptions options;
  options.quality_json = "[1]";
  auto r = ds->Append({MakeTrades({"A"}, 5, kMar15, kNsPerSec)}, options);
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(*ds->LatestVersion(), 0);
}

TEST(LakeTest, TimeTravel) {
  TempDir dir;
  auto lake = OpenLake(dir);
  auto ds = OpenDs(*lake, "bars_1m", {Layer::kCleaned, std::nullopt});
  auto b1 = MakeTrades({"A", "B"}, 100, kMar15, 60 * kNsPerSec);
  auto b2 = MakeTrades({"C"}, 50, kMar15 + 40 * kNsPerDay, 60 * kNsPerSec);
  ASSERT_TRUE(ds->Append({b1}).ok());
  ASSERT_TRUE(ds->Append({b2}).ok());
  auto v1 = ds->GetSnapshot(1);
  auto v2 = ds->GetSnapshot(2);
  ASSERT_TRUE(v1.ok() && v2.ok());
  EXPECT_EQ(v1->TotalRows(), 100);
  EXPECT_EQ(v2->TotalRows(), 150);
  EXPECT_EQ(v2->files.size(), 2u);  // March and April
  EXPECT_TRUE(v2->files[0].path.starts_with("cleaned/bars_1m/year=2024/month=03/"));
  EXPECT_EQ(OpenDs(*OpenLake(dir), "bars_1m")->layer(), Layer::kCleaned);  // recorded
  EXPECT_TRUE(ReadAll(lake->root(), *v1)->Equals(*Sorted({b1})));
  EXPECT_TRUE(ReadAll(lake->root(), *v2)->Equals(*Sorted({b1, b2})));
  EXPECT_EQ(ds->GetSnapshot(0)->files.size(), 0u);
  EXPECT_EQ(CodeOf(ds->GetSnapshot(3).status()), ErrorCode::kNotFound);
  // The recorded layout wins over a conflicting request.
  EXPECT_EQ(
      CodeOf(lake->OpenDataset("bars_1m", {Layer::kCleaned, ParsePartitionSpec("day").ValueOrDie()})
                 .status()),
      ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(lake->OpenDataset("bars_1m", {Layer::kRaw, std::nullopt}).status()),
            ErrorCode::kInvalidArgument);
}

TEST(LakeTest, RemovePartitionIsOneCommit) {
  TempDir dir;
  auto lake = OpenLake(dir);
  auto ds = OpenDs(*lake, "quotes", {Layer::kRaw, ParsePartitionSpec("day,symbol").ValueOrDie()});
  auto b = MakeTrades({"A", "B", "C"}, 600, kMar15, 400 * kNsPerSec);  // ~2.8 days
  ASSERT_TRUE(ds->Append({b}).ok());
  auto before = *ds->GetSnapshot();
  PartitionValues day15 = {{"year", "2024"}, {"month", "03"}, {"day", "15"}};
  int64_t rows15 = 0;
  size_t files15 = 0;
  for (const auto& f : before.files) {
    if (f.partition[2].second == "15") {
      rows15 += f.rows;
      ++files15;
    }
  }
  EXPECT_EQ(files15, 3u);
  auto rm = ds->RemovePartition(day15);
  ASSERT_TRUE(rm.ok()) << rm.status().ToString();
  EXPECT_EQ(rm->version, 2);
  EXPECT_EQ(rm->removed.size(), 3u);
  auto after = *ds->GetSnapshot();
  EXPECT_EQ(after.TotalRows(), 600 - rows15);
  for (const auto& f : after.files) EXPECT_NE(f.partition[2].second, "15");
  // One symbol of one day.
  PartitionValues one = {{"year", "2024"}, {"month", "03"}, {"day", "16"}, {"symbol", "B"}};
  ASSERT_TRUE(ds->RemovePartition(one).ok());
  EXPECT_EQ(ds->GetSnapshot()->files.size(), before.files.size() - 4);
  EXPECT_EQ(CodeOf(ds->RemovePartition(day15).status()), ErrorCode::kNotFound);
  EXPECT_EQ(ds->GetSnapshot(1)->TotalRows(), 600);  // time travel still sees them
  EXPECT_EQ((*ds->History())[1].operation, "rm-partition");
}

TEST(LakeTest, CompactionPreservesRowsAndReducesFiles) {
  TempDir dir;
  auto lake = OpenLake(dir);
  auto ds = OpenDs(*lake, "trades", testing::UtcDays());
  std::vector<std::shared_ptr<arrow::RecordBatch>> all;
  for (int i = 0; i < 5; ++i) {
    auto b =
        MakeTrades({"X", "Y", "Z"}, 200, kMar15 + i * 7 * kNsPerSec, 600 * kNsPerSec, i * 1000);
    all.push_back(b);
    ASSERT_TRUE(ds->Append({b}).ok());
  }
  auto before = *ds->GetSnapshot();
  EXPECT_EQ(before.files.size(), 10u);  // 2 days x 5 appends
  CompactOptions options;
  options.target_file_bytes = 1 << 20;
  auto c = ds->Compact({}, options);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->version, 6);
  EXPECT_EQ(c->removed.size(), 10u);
  EXPECT_EQ(c->added.size(), 2u);
  auto after = *ds->GetSnapshot();
  EXPECT_EQ(after.files.size(), 2u);
  EXPECT_TRUE(ReadAll(lake->root(), after)->Equals(*Sorted(all)));
  for (const auto& f : after.files) {
    auto t = testing::ReadFile(lake->root(), f);
    ASSERT_TRUE(t.ok());
    EXPECT_TRUE((*t)->Equals(*testing::SortTable(*t)));
  }
  EXPECT_EQ((*ds->History()).back().operation, "compact");
  // Nothing more to do.
  EXPECT_EQ(ds->Compact({}, options)->version, 0);
  // Old versions remain readable until vacuumed.
  EXPECT_TRUE(ReadAll(lake->root(), *ds->GetSnapshot(5))->Equals(*Sorted(all)));
  auto vac = ds->VacuumRemoved(std::chrono::seconds(-10));
  ASSERT_TRUE(vac.ok());
  EXPECT_EQ(vac->deleted.size(), 10u);
  EXPECT_TRUE(ReadAll(lake->root(), *ds->GetSnapshot())->Equals(*Sorted(all)));
}

TEST(LakeTest, CompactionFilterLimitsPartitions) {
  TempDir dir;
  auto lake = OpenLake(dir);
  auto ds = OpenDs(*lake, "trades", testing::UtcDays());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(ds->Append({MakeTrades({"X"}, 100, kMar15 + i, 1500 * kNsPerSec, i)}).ok());
  }
  EXPECT_EQ(ds->GetSnapshot()->files.size(), 6u);
  auto c = ds->Compact({{"year", "2024"}, {"month", "03"}, {"day", "16"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->removed.size(), 3u);
  EXPECT_EQ(ds->GetSnapshot()->files.size(), 4u);
}

void AppendMany(const std::string& root, int writer, int appends, std::atomic<int>* failures) {
  auto lake = Lake::Open(root);
  if (!lake.ok()) {
    ++*failures;
    return;
  }
  auto ds = (*lake)->OpenDataset("trades");
  if (!ds.ok()) {
    ++*failures;
    return;
  }
  for (int i = 0; i < appends; ++i) {
    auto b = MakeTrades({"W" + std::to_string(writer)}, 20, kMar15 + i * 20 * kNsPerSec, kNsPerSec,
                        writer * 1000 + i * 20);
    auto r = (*ds)->Append({b});
    if (!r.ok()) {
      ADD_FAILURE() << r.status().ToString();
      ++*failures;
    }
  }
}

TEST(LakeTest, ConcurrentThreadsWithSeparateLakesAllLand) {
  TempDir dir;
  constexpr int kWriters = 4, kAppends = 8;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back(AppendMany, dir.path(), w, kAppends, &failures);
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto lake = OpenLake(dir);
  auto ds = OpenDs(*lake, "trades");
  auto snap = *ds->GetSnapshot();
  EXPECT_EQ(snap.version, kWriters * kAppends);
  EXPECT_EQ(snap.TotalRows(), kWriters * kAppends * 20);
  auto all = ReadAll(lake->root(), snap);
  EXPECT_EQ(all->num_rows(), kWriters * kAppends * 20);
  // every (symbol, size) pair once
  auto sym = std::static_pointer_cast<arrow::StringArray>(all->GetColumnByName("symbol")->chunk(0));
  auto size = std::static_pointer_cast<arrow::Int64Array>(all->GetColumnByName("size")->chunk(0));
  std::set<std::pair<std::string, int64_t>> seen;
  for (int64_t i = 0; i < all->num_rows(); ++i) seen.emplace(sym->GetString(i), size->Value(i));
  EXPECT_EQ(seen.size(), static_cast<size_t>(kWriters * kAppends * 20));
}

TEST(LakeTest, ConcurrentProcessesAllLand) {
  TempDir dir;
  constexpr int kWriters = 3, kAppends = 5;
  std::vector<pid_t> pids;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      std::atomic<int> failures{0};
      AppendMany(dir.path(), w, kAppends, &failures);
      ::_exit(failures.load() == 0 ? 0 : 1);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto lake = OpenLake(dir);
  auto snap = *OpenDs(*lake, "trades")->GetSnapshot();
  EXPECT_EQ(snap.version, kWriters * kAppends);
  EXPECT_EQ(snap.TotalRows(), kWriters * kAppends * 20);
  EXPECT_EQ(ReadAll(lake->root(), snap)->num_rows(), kWriters * kAppends * 20);
}

TEST(LakeTest, CrashBeforeCommitLeavesNothingVisibleAndOrphansAreCleaned) {
  TempDir dir;
  auto lake = OpenLake(dir);
  auto ds = OpenDs(*lake, "trades");
  ASSERT_TRUE(ds->Append({MakeTrades({"A"}, 10, kMar15, kNsPerSec)}).ok());
  // A writer that died after writing its data file, before its log entry.
  PartitionValues values = {{"year", "2024"}, {"month", "03"}, {"day", "15"}};
  std::string rel = *DataFilePath(Layer::kRaw, "trades", values, NewDataFileName(2));
  {
    Location loc = lake->root().Child(rel);
    auto out = OpenOutputStream(loc);
    ASSERT_TRUE(out.ok());
    auto b = MakeTrades({"A"}, 10, kMar15 + 100 * kNsPerSec, kNsPerSec);
    auto w = ParquetWriter::Open(b->schema(), *out, WriteOptions{}, rel);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Write(*b).ok());
    ASSERT_TRUE((*w)->Close().ok());
  }
  // ... and a temporary log entry it never linked, and a foreign file.
  std::ofstream(dir.path() + "/_marketlake/trades/_log/.00000000000000000002.json.tmp-1-ab") << "{";
  std::ofstream(dir.path() + "/raw/trades/README.txt") << "not lake data";
  auto snap = *ds->GetSnapshot();
  EXPECT_EQ(snap.version, 1);
  EXPECT_EQ(snap.TotalRows(), 10);
  for (const auto& f : snap.files) EXPECT_NE(f.path, rel);
  // Young orphans are kept (they may belong to a commit in flight).
  auto kept = ds->CleanOrphans(std::chrono::hours(1));
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->deleted.empty());
  EXPECT_EQ(kept->unrecognised, std::vector<std::string>{"raw/trades/README.txt"});
  auto cleaned = ds->CleanOrphans(std::chrono::seconds(-10));
  ASSERT_TRUE(cleaned.ok()) << cleaned.status().ToString();
  EXPECT_EQ(cleaned->deleted, std::vector<std::string>{rel});
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/" + rel));
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/raw/trades/README.txt"));
  EXPECT_EQ(ds->GetSnapshot()->TotalRows(), 10);
  EXPECT_EQ(ReadAll(lake->root(), *ds->GetSnapshot())->num_rows(), 10);
  // The next commit still works (the stray temp does not block version 2).
  EXPECT_EQ(ds->Append({MakeTrades({"B"}, 3, kMar15, kNsPerSec)})->version, 2);
}

TEST(LakeTest, CorruptLogIsReportedNamingTheEntry) {
  TempDir dir;
  auto lake = OpenLake(dir);
  auto ds = OpenDs(*lake, "trades");
  ASSERT_TRUE(ds->Append({MakeTrades({"A"}, 10, kMar15, kNsPerSec)}).ok());
  std::string entry = dir.path() + "/_marketlake/trades/_log/00000000000000000002.json";
  std::ofstream(entry) << "{\"format\": \"marketlake-log/1\", \"version\": 2}";
  auto fresh = OpenLake(dir)->OpenDataset("trades");
  ASSERT_FALSE(fresh.ok());
  EXPECT_EQ(CodeOf(fresh.status()), ErrorCode::kCorruption);
  EXPECT_NE(fresh.status().message().find("00000000000000000002.json"), std::string::npos);
  std::filesystem::remove(entry);
  std::ofstream(dir.path() + "/_marketlake/trades/_log/00000000000000000003.json") << "{}";
  auto gap = ds->GetSnapshot();
  EXPECT_EQ(CodeOf(gap.status()), ErrorCode::kCorruption);
  std::filesystem::remove(dir.path() + "/_marketlake/trades/_log/00000000000000000003.json");
  std::ofstream(dir.path() + "/_marketlake/trades/_log/junk.json") << "{}";
  EXPECT_EQ(CodeOf(ds->GetSnapshot().status()), ErrorCode::kCorruption);
}

TEST(LakeTest, HostileSymbolsStayInsideTheLake) {
  TempDir dir;
  auto lake = OpenLake(dir);
  auto ds = OpenDs(*lake, "trades", {Layer::kRaw, ParsePartitionSpec("symbol").ValueOrDie()});
  auto b = MakeTrades({"../../escape", "a/b", "..", "x=y", "\xC3\xA9"}, 50, kMar15, kNsPerSec);
  ASSERT_TRUE(ds->Append({b}).ok());
  auto snap = *ds->GetSnapshot();
  EXPECT_EQ(snap.files.size(), 5u);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
    auto rel = std::filesystem::relative(entry.path(), dir.path()).string();
    EXPECT_FALSE(rel.starts_with("..")) << rel;
  }
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path() + "/raw/trades"),
                          std::filesystem::directory_iterator()),
            5);
  EXPECT_TRUE(ReadAll(lake->root(), snap)->Equals(*Sorted({b})));
  PruneFilter filter;
  filter.symbols = {"a/b"};
  auto kept = PrunePartitions(snap, filter);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].partition[0].second, "a/b");
  EXPECT_TRUE(kept[0].path.find("symbol=a%2Fb/") != std::string::npos);
}

TEST(LakeTest, ImportStatistics) {
  TempDir dir;
  auto lake = OpenLake(dir);
  ImportRecord ok;
  ok.source = "a.csv";
  ok.rows = 100;
  ok.rejects = 3;
  ok.duplicates_skipped = 2;
  ok.bytes = 4096;
  ok.version = 1;
  ImportRecord bad;
  bad.source = "b.csv";
  bad.ok = false;
  bad.error = "missing column price";
  ASSERT_TRUE(lake->RecordImport("trades", ok).ok());
  ASSERT_TRUE(lake->RecordImport("trades", bad).ok());
  ASSERT_TRUE(lake->RecordImport("trades", ok).ok());
  auto sum = lake->ReadImports("trades");
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_EQ(sum->imports, 3);
  EXPECT_EQ(sum->failures, 1);
  EXPECT_EQ(sum->rows, 200);
  EXPECT_EQ(sum->rejects, 6);
  EXPECT_EQ(sum->duplicates_skipped, 4);
  EXPECT_EQ(sum->bytes, 8192);
  ASSERT_EQ(sum->records.size(), 3u);
  EXPECT_EQ(sum->records[1].error, "missing column price");
  EXPECT_GT(sum->records[0].timestamp_ms, 0);
  EXPECT_EQ(lake->ReadImports("quotes")->imports, 0);
  EXPECT_TRUE(lake->ListDatasets()->empty());  // stats alone do not make a dataset
}

TEST(LakeTest, ThousandsOfLogEntriesOpenQuickly) {
  TempDir dir;
  auto lake = OpenLake(dir);
  {
    auto ds = OpenDs(*lake, "trades");
    ASSERT_TRUE(ds->Append({MakeTrades({"A"}, 10, kMar15, kNsPerSec)}).ok());
  }
  // Entries 2..3000: what a long-lived dataset's metadata-only commits look like.
  for (int v = 2; v <= 3000; ++v) {
    std::string body = fmt::format(
        R"({{"format":"marketlake-log/1","version":{},"read_version":{},"operation":"import",)"
        R"("timestamp_ms":1,"dataset":"trades","layer":"raw","partition_spec":"day",)"
        R"("parameters":{{}},"lineage":[],"quality":{{}},"add":[],"remove":[]}})",
        v, v - 1);
    std::ofstream(fmt::format("{}/_marketlake/trades/_log/{:020d}.json", dir.path(), v)) << body;
  }
  auto start = std::chrono::steady_clock::now();
  auto ds = OpenDs(*OpenLake(dir), "trades");
  auto snap = ds->GetSnapshot();
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_EQ(snap->version, 3000);
  EXPECT_EQ(snap->TotalRows(), 10);
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  EXPECT_EQ(ds->Append({MakeTrades({"B"}, 5, kMar15, kNsPerSec)})->version, 3001);
}

TEST(LakeTest, UnsupportedStoreRefusesCommits) {
  auto lake = Lake::Open("mock://bucket/lake");
  if (!lake.ok()) GTEST_SKIP() << lake.status().ToString();
  auto ds = (*lake)->OpenDataset("trades");
  if (!ds.ok()) GTEST_SKIP() << ds.status().ToString();
  auto r = (*ds)->Append({MakeTrades({"A"}, 3, kMar15, kNsPerSec)});
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kNotImplemented) << r.status().ToString();
  // Refused before any data was written.
  arrow::fs::FileSelector selector;
  selector.base_dir = (*lake)->root().path;
  selector.allow_not_found = true;
  selector.recursive = true;
  auto listing = (*lake)->root().fs->GetFileInfo(selector);
  ASSERT_TRUE(listing.ok());
  for (const auto& info : *listing) EXPECT_FALSE(info.path().ends_with(".parquet")) << info.path();
}

}  // namespace
}  // namespace marketlake
