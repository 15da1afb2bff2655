// The conflict rules, made deterministic: a publish hook lands a competing commit from
// another Lake object just before the commit under test publishes its log entry.
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

class ConflictTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_lake_ = std::move(*Lake::Open(dir_.path()));
    b_lake_ = std::move(*Lake::Open(dir_.path()));
    a_ = std::move(*a_lake_->OpenDataset("trades", testing::UtcDays()));
    b_ = std::move(*b_lake_->OpenDataset("trades", testing::UtcDays()));
  }
  void TearDown() override { SetPublishHookForTesting(nullptr); }

  // Runs `competitor` once, at the first publish attempt of the next commit.
  void Before(std::function<void()> competitor) {
    SetPublishHookForTesting(
        [this, competitor, fired = false](std::string_view, int64_t, int) mutable {
          if (fired) return;
          fired = true;
          competitor();
        });
  }

  TempDir dir_;
  std::unique_ptr<Lake> a_lake_, b_lake_;
  std::unique_ptr<Dataset> a_, b_;
};

TEST_F(ConflictTest, AppendRebasesOverConcurrentAppend) {
  auto b1 = MakeTrades({"A"}, 10, kMar15, kNsPerSec);
  auto b2 = MakeTrades({"B"}, 10, kMar15, kNsPerSec);
  Before([&] { ASSERT_EQ(b_->Append({b2})->version, 1); });
  auto r = a_->Append({b1});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->version, 2);
  EXPECT_EQ(r->attempts, 2);
  auto snap = *a_->GetSnapshot();
  EXPECT_TRUE(ReadAll(a_lake_->root(), snap)->Equals(*Sorted({b1, b2})));
}

TEST_F(ConflictTest, RemovePartitionConflictsWithConcurrentAddToIt) {
  ASSERT_TRUE(a_->Append({MakeTrades({"A"}, 10, kMar15, kNsPerSec)}).ok());
  Before([&] { ASSERT_TRUE(b_->Append({MakeTrades({"B"}, 10, kMar15, kNsPerSec)}).ok()); });
  auto r = a_->RemovePartition(kDay15);
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kPreconditionFailed) << r.status().ToString();
  auto snap = *b_->GetSnapshot();
  EXPECT_EQ(snap.version, 2);
  EXPECT_EQ(snap.TotalRows(), 20);
}

TEST_F(ConflictTest, RemovePartitionRebasesOverAddElsewhere) {
  ASSERT_TRUE(a_->Append({MakeTrades({"A"}, 10, kMar15, kNsPerSec)}).ok());
  auto later = MakeTrades({"B"}, 10, kMar15 + 5 * kNsPerDay, kNsPerSec);
  Before([&] { ASSERT_TRUE(b_->Append({later}).ok()); });
  auto r = a_->RemovePartition(kDay15);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->version, 3);
  auto snap = *b_->GetSnapshot();
  EXPECT_TRUE(ReadAll(a_lake_->root(), snap)->Equals(*Sorted({later})));
}

TEST_F(ConflictTest, CompactConflictsWithConcurrentRemoveAndLeavesNoFiles) {
  ASSERT_TRUE(a_->Append({MakeTrades({"A"}, 10, kMar15, kNsPerSec)}).ok());
  ASSERT_TRUE(a_->Append({MakeTrades({"B"}, 10, kMar15, kNsPerSec)}).ok());
  Before([&] { ASSERT_TRUE(b_->RemovePartition(kDay15).ok()); });
  auto r = a_->Compact({});
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kPreconditionFailed) << r.status().ToString();
  EXPECT_EQ(b_->GetSnapshot()->TotalRows(), 0);
  // The compacted file the loser wrote was deleted: only the two removed inputs are left.
  auto orphans = a_->CleanOrphans(std::chrono::seconds(-10));
  ASSERT_TRUE(orphans.ok());
  EXPECT_TRUE(orphans->deleted.empty());
}

TEST_F(ConflictTest, CompactRebasesOverConcurrentAppend) {
  auto b1 = MakeTrades({"A"}, 10, kMar15, kNsPerSec);
  auto b2 = MakeTrades({"B"}, 10, kMar15, kNsPerSec);
  auto b3 = MakeTrades({"C"}, 10, kMar15, kNsPerSec);
  ASSERT_TRUE(a_->Append({b1}).ok());
  ASSERT_TRUE(a_->Append({b2}).ok());
  Before([&] { ASSERT_TRUE(b_->Append({b3}).ok()); });
  auto r = a_->Compact({});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->version, 4);
  auto snap = *b_->GetSnapshot();
  EXPECT_EQ(snap.files.size(), 2u);  // the compacted file and the concurrent append's
  EXPECT_TRUE(ReadAll(a_lake_->root(), snap)->Equals(*Sorted({b1, b2, b3})));
}

TEST_F(ConflictTest, DatasetCreatedConcurrentlyWithOtherPartitioning) {
  auto other = std::move(
      *b_lake_->OpenDataset("news", {Layer::kRaw, ParsePartitionSpec("day").ValueOrDie()}));
  auto mine = std::move(*a_lake_->OpenDataset("news"));  // default: month
  Before([&] { ASSERT_TRUE(other->Append({MakeTrades({"B"}, 5, kMar15, kNsPerSec)}).ok()); });
  auto r = mine->Append({MakeTrades({"A"}, 5, kMar15, kNsPerSec)});
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kPreconditionFailed) << r.status().ToString();
  EXPECT_EQ(other->GetSnapshot()->TotalRows(), 5);
}

}  // namespace
}  // namespace marketlake
