// The lake on S3 (moto_server on a loopback port, reached through a configured source as
// users do): append, snapshot, concurrent commits through put-if-absent, import stats.
// Skipped, with a message, only when moto_server is not installed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arrow/filesystem/s3fs.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "lake_test_util.h"
#include "marketlake/config.h"
#include "marketlake/lake.h"
#include "testing/moto_server.h"

extern char** environ;

namespace marketlake {
namespace {

using testing::kMar15;
using testing::kNsPerSec;
using testing::MakeTrades;
using testing::ReadAll;
using testing::Sorted;

constexpr char kBucket[] = "ml-lake";

using ::marketlake::testing::MotoServer;

EnvLookup NoEnv() {
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

class LakeS3Test : public ::testing::Test {
 protected:
  void SetUp() override {
    ML_MOTO_OR_SKIP();
    static bool created = false;
    const std::string text =
        "sources:\n  moto:\n    bucket: " + std::string(kBucket) + "\n    prefix: run-" +
        std::to_string(::getpid()) +
        "\n    endpoint_url: http://127.0.0.1:" + std::to_string(MotoServer::Get().port()) +
        "\n    access_key_id: testing\n    secret_access_key: testing\n"
        "    region: us-east-1\n    retry: {max_attempts: 2}\n";
    auto config = ParseConfig(text, "lake-s3.yaml", NoEnv());
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    config_ = *config;
    if (!created) {
      auto options = MakeS3Options(*config_.FindSource("moto"), NoEnv(), false, nullptr, nullptr);
      ASSERT_TRUE(options.ok());
      options->allow_bucket_creation = true;
      ASSERT_TRUE(arrow::fs::EnsureS3Initialized().ok());
      auto fs = arrow::fs::S3FileSystem::Make(*options);
      ASSERT_TRUE(fs.ok());
      ASSERT_TRUE((*fs)->CreateDir(kBucket, false).ok());
      created = true;
    }
    static int run = 0;  // a fresh root per run (--gtest_repeat)
    auto root = ResolveLocation(
        std::string("moto:") + ::testing::UnitTest::GetInstance()->current_test_info()->name() +
            "-" + std::to_string(run++),
        config_, NoEnv());
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    root_ = *root;
  }

  std::unique_ptr<Lake> NewLake() {
    auto lake = Lake::Open(root_);
    EXPECT_TRUE(lake.ok());
    return std::move(*lake);
  }

  Config config_;
  Location root_;
};

TEST_F(LakeS3Test, AppendSnapshotTimeTravel) {
  auto lake = NewLake();
  auto ds = lake->OpenDataset("trades");
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  auto b1 = MakeTrades({"MSFT", "AAPL"}, 400, kMar15, 400 * kNsPerSec);
  auto b2 = MakeTrades({"TSLA"}, 100, kMar15, 30 * kNsPerSec, 5000);
  auto c1 = (*ds)->Append({b1});
  ASSERT_TRUE(c1.ok()) << c1.status().ToString();
  ASSERT_TRUE((*ds)->Append({b2}).ok());
  auto snap = (*ds)->GetSnapshot();
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_EQ(snap->version, 2);
  EXPECT_EQ(snap->TotalRows(), 500);
  EXPECT_TRUE(ReadAll(lake->root(), *snap)->Equals(*Sorted({b1, b2})));
  EXPECT_TRUE(ReadAll(lake->root(), *(*ds)->GetSnapshot(1))->Equals(*Sorted({b1})));
  auto rm = (*ds)->RemovePartition({{"year", "2024"}, {"month", "03"}, {"day", "15"}});
  ASSERT_TRUE(rm.ok()) << rm.status().ToString();
  EXPECT_LT((*ds)->GetSnapshot()->TotalRows(), 500);
  auto names = lake->ListDatasets();
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_EQ(*names, std::vector<std::string>{"trades"});
  ImportRecord rec;
  rec.source = "s3://vendor/x.csv";
  rec.rows = 500;
  ASSERT_TRUE(lake->RecordImport("trades", rec).ok());
  EXPECT_EQ(lake->ReadImports("trades")->rows, 500);
}

TEST_F(LakeS3Test, ConcurrentCommitsAllLand) {
  constexpr int kWriters = 3, kAppends = 4;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      auto lake = Lake::Open(root_);
      auto ds = (*lake)->OpenDataset("trades");
      if (!ds.ok()) {
        ++failures;
        return;
      }
      for (int i = 0; i < kAppends; ++i) {
        auto r = (*ds)->Append(
            {MakeTrades({"W" + std::to_string(w)}, 10, kMar15 + i * 10 * kNsPerSec, kNsPerSec)});
        if (!r.ok()) {
          ADD_FAILURE() << r.status().ToString();
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto snap = (*NewLake()->OpenDataset("trades"))->GetSnapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->version, kWriters * kAppends);
  EXPECT_EQ(snap->TotalRows(), kWriters * kAppends * 10);
  EXPECT_EQ(ReadAll(root_, *snap)->num_rows(), kWriters * kAppends * 10);
}

}  // namespace
}  // namespace marketlake
