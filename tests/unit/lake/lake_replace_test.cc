// Dataset::ReplacePartitions: one commit removes a partition's files and adds its new
// contents; concurrent writers to the same partitions conflict, others rebase.
#include <gtest/gtest.h>

#include "lake_test_util.h"
#include "marketlake/lake.h"
#include "marketlake/lake/lake_internal.h"

namespace marketlake {
namespace {

using testing::kMar15;
using testing::kNsPerDay;
using testing::kNsPerSec;
using testing::MakeTrades;
using testing::ReadAll;
using testing::Sorted;
using testing::TempDir;

const PartitionValues kDay15 = {{"year", "2024"}, {"month", "03"}, {"day", "15"}};
const PartitionValues kDay16 = {{"year", "2024"}, {"month", "03"}, {"day", "16"}};

class ReplaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lake_ = std::move(*Lake::Open(dir_.path()));
    other_lake_ = std::move(*Lake::Open(dir_.path()));
    ds_ = std::move(*lake_->OpenDataset("trades", testing::UtcDays()));
    other_ = std::move(*other_lake_->OpenDataset("trades", testing::UtcDays()));
  }
  void TearDown() override { SetPublishHookForTesting(nullptr); }

  void Before(std::function<void()> competitor) {
    SetPublishHookForTesting([competitor, fired = false](std::string_view, int64_t, int) mutable {
      if (fired) return;
      fired = true;
      competitor();
    });
  }

  TempDir dir_;
  std::unique_ptr<Lake> lake_, other_lake_;
  std::unique_ptr<Dataset> ds_, other_;
};

TEST_F(ReplaceTest, ReplacesOnePartitionInOneCommit) {
  auto d15 = MakeTrades({"A", "B"}, 20, kMar15, kNsPerSec);
  auto d16 = MakeTrades({"A"}, 10, kMar15 + kNsPerDay, kNsPerSec);
  ASSERT_TRUE(ds_->Append({d15}).ok());
  ASSERT_TRUE(ds_->Append({d16}).ok());
  auto fresh = MakeTrades({"A", "C"}, 7, kMar15 + 3600 * kNsPerSec, kNsPerSec, 100);
  AppendOptions opts;
  opts.parameters["interval"] = "1m";
  opts.lineage = {"trades@2"};
  auto r = ds_->ReplacePartitions({kDay15}, {fresh}, opts);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->version, 3);
  EXPECT_EQ(r->removed.size(), 1u);
  EXPECT_EQ(r->added.size(), 1u);
  auto snap = *ds_->GetSnapshot();
  EXPECT_TRUE(ReadAll(lake_->root(), snap)->Equals(*Sorted({fresh, d16})));
  auto history = *ds_->History();
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[2].operation, "replace");
  EXPECT_EQ(history[2].parameters.at("interval"), "1m");
  EXPECT_EQ(history[2].parameters.at("replaced"), "year=2024/month=03/day=15");
  EXPECT_EQ(history[2].lineage, std::vector<std::string>{"trades@2"});
  // Time travel still sees the old partition.
  EXPECT_TRUE(ReadAll(lake_->root(), *ds_->GetSnapshot(2))->Equals(*Sorted({d15, d16})));
}

TEST_F(ReplaceTest, ReplacingTwiceDoesNotDoubleRows) {
  auto rows = MakeTrades({"A", "B"}, 50, kMar15, kNsPerSec);
  for (int i = 0; i < 3; ++i) {
    auto r = ds_->ReplacePartitions({kDay15}, {rows});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  auto snap = *ds_->GetSnapshot();
  EXPECT_EQ(snap.version, 3);
  EXPECT_EQ(snap.TotalRows(), 50);
  EXPECT_EQ(snap.files.size(), 1u);
}

TEST_F(ReplaceTest, SeveralPartitionsAndEmptyReplacement) {
  ASSERT_TRUE(ds_->Append({MakeTrades({"A"}, 10, kMar15, kNsPerSec)}).ok());
  ASSERT_TRUE(ds_->Append({MakeTrades({"A"}, 10, kMar15 + kNsPerDay, kNsPerSec)}).ok());
  auto both = MakeTrades({"B"}, 4, kMar15 + kNsPerDay / 2, kNsPerDay / 4);  // days 15 and 16
  auto r = ds_->ReplacePartitions({kDay15, kDay16}, {both});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->removed.size(), 2u);
  EXPECT_TRUE(ReadAll(lake_->root(), *ds_->GetSnapshot())->Equals(*Sorted({both})));
  // No rows: the partitions are emptied.
  auto empty = ds_->ReplacePartitions({kDay15, kDay16}, {});
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(ds_->GetSnapshot()->TotalRows(), 0);
  // Nothing to remove, nothing to add: no commit.
  auto none = ds_->ReplacePartitions({kDay15}, {});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->version, 0);
}

TEST_F(ReplaceTest, RowsOutsideThePartitionsAreRefused) {
  ASSERT_TRUE(ds_->Append({MakeTrades({"A"}, 10, kMar15, kNsPerSec)}).ok());
  auto r = ds_->ReplacePartitions({kDay16}, {MakeTrades({"A"}, 10, kMar15, kNsPerSec)});
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kInvalidArgument) << r.status().ToString();
  EXPECT_EQ(*ds_->LatestVersion(), 1);
  auto none = ds_->ReplacePartitions({}, {});
  EXPECT_EQ(CodeOf(none.status()), ErrorCode::kInvalidArgument);
}

TEST_F(ReplaceTest, ConflictsWithConcurrentAddToAReplacedPartition) {
  ASSERT_TRUE(ds_->Append({MakeTrades({"A"}, 10, kMar15, kNsPerSec)}).ok());
  auto late = MakeTrades({"B"}, 5, kMar15, kNsPerSec);
  Before([&] { ASSERT_TRUE(other_->Append({late}).ok()); });
  auto r = ds_->ReplacePartitions({kDay15}, {MakeTrades({"A"}, 3, kMar15, kNsPerSec)});
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kPreconditionFailed) << r.status().ToString();
  // Nothing of the failed replace is visible, and its files are gone.
  auto snap = *other_->GetSnapshot();
  EXPECT_EQ(snap.version, 2);
  EXPECT_EQ(snap.TotalRows(), 15);
  auto orphans = ds_->CleanOrphans(std::chrono::seconds(0));
  ASSERT_TRUE(orphans.ok());
  EXPECT_TRUE(orphans->deleted.empty());
}

TEST_F(ReplaceTest, ConflictsWithConcurrentReplaceOfTheSamePartition) {
  ASSERT_TRUE(ds_->Append({MakeTrades({"A"}, 10, kMar15, kNsPerSec)}).ok());
  auto theirs = MakeTrades({"B"}, 5, kMar15, kNsPerSec);
  Before([&] { ASSERT_TRUE(other_->ReplacePartitions({kDay15}, {theirs}).ok()); });
  auto r = ds_->ReplacePartitions({kDay15}, {MakeTrades({"A"}, 3, kMar15, kNsPerSec)});
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kPreconditionFailed) << r.status().ToString();
  EXPECT_TRUE(ReadAll(lake_->root(), *ds_->GetSnapshot())->Equals(*Sorted({theirs})));
}

TEST_F(ReplaceTest, RebasesOverCommitsToOtherPartitions) {
  ASSERT_TRUE(ds_->Append({MakeTrades({"A"}, 10, kMar15, kNsPerSec)}).ok());
  auto elsewhere = MakeTrades({"B"}, 5, kMar15 + kNsPerDay, kNsPerSec);
  Before([&] { ASSERT_TRUE(other_->Append({elsewhere}).ok()); });
  auto mine = MakeTrades({"A"}, 3, kMar15, kNsPerSec);
  auto r = ds_->ReplacePartitions({kDay15}, {mine});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->version, 3);
  EXPECT_EQ(r->attempts, 2);
  EXPECT_TRUE(ReadAll(lake_->root(), *ds_->GetSnapshot())->Equals(*Sorted({mine, elsewhere})));
}

}  // namespace
}  // namespace marketlake
