// Request metrics of the data path through Arrow's S3 filesystem (metered_filesystem.h):
// exact counts for known sequences of operations against moto's server.
#include "marketlake/store/metered_filesystem.h"

#include <arrow/buffer.h>
#include <arrow/io/interfaces.h>
#include <arrow/util/future.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "marketlake/config.h"
#include "marketlake/filesystem.h"
#include "marketlake/request_metrics.h"
#include "testing/moto_server.h"

namespace marketlake {
namespace {

constexpr char kBucket[] = "ml-metered";

EnvLookup NoEnv() {
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

class MeteredS3Test : public ::testing::Test {
 protected:
  void SetUp() override {
    ML_MOTO_OR_SKIP();
    auto& moto = testing::MotoServer::Get();
    ASSERT_TRUE(moto.CreateBucket(kBucket).ok());
    const std::string text = std::string("sources:\n  metered:\n    bucket: ") + kBucket +
                             "\n    prefix: run-" + std::to_string(::getpid()) +
                             "\n    endpoint_url: " + moto.endpoint() +
                             "\n    access_key_id: testing\n    secret_access_key: testing\n"
                             "    region: us-east-1\n    retry: {max_attempts: 3}\n";
    auto config = ParseConfig(text, "metered.yaml", NoEnv());
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = *config;
    auto root = Resolve("");
    ASSERT_TRUE(root.ok()) << root.status();
    metrics_ = StoreMetrics(StoreLabel(*root));
    ASSERT_EQ(internal::MeteredFileSystemMetrics(*root->fs), metrics_);
  }

  Result<Location> Resolve(const std::string& key) {
    return ResolveLocation("metered:" + key, config_, NoEnv());
  }

  // Writes `size` bytes through Arrow's writer (the source has no sse/storage class).
  void Put(const Location& loc, int64_t size) {
    auto out = OpenOutputStream(loc);
    ASSERT_TRUE(out.ok()) << out.status();
    std::string data(static_cast<size_t>(size), 'x');
    for (int64_t i = 0; i < size; ++i) data[static_cast<size_t>(i)] = static_cast<char>(i % 251);
    ASSERT_TRUE((*out)->Write(data.data(), size).ok());
    ASSERT_TRUE((*out)->Close().ok());
  }

  Config config_;
  std::shared_ptr<RequestMetrics> metrics_;
};

TEST_F(MeteredS3Test, SmallWriteIsOnePutAndRangedReadsAreOneGetEach) {
  auto loc = Resolve("small.bin");
  ASSERT_TRUE(loc.ok()) << loc.status();
  metrics_->Reset();
  Put(*loc, 1000);
  auto s = metrics_->Snapshot();
  EXPECT_EQ(s.requests, 1u);  // one PutObject at Close()
  EXPECT_EQ(s.bytes_out, 1000u);
  EXPECT_EQ(s.errors, 0u);

  metrics_->Reset();
  auto file = loc->fs->OpenInputFile(loc->path);  // HEAD for the size
  ASSERT_TRUE(file.ok()) << file.status();
  auto a = (*file)->ReadAt(0, 100);
  auto b = (*file)->ReadAt(200, 50);
  auto c = (*file)->ReadAt(900, 200);  // clamped to the 100 bytes left
  auto d = (*file)->ReadAt(1000, 10);  // at the end: nothing is sent
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  EXPECT_EQ((*a)->size(), 100);
  EXPECT_EQ((*b)->size(), 50);
  EXPECT_EQ((*c)->size(), 100);
  EXPECT_EQ((*d)->size(), 0);
  EXPECT_EQ(static_cast<uint8_t>((*b)->data()[0]), 200 % 251);
  s = metrics_->Snapshot();
  EXPECT_EQ(s.requests, 4u);  // HEAD + 3 ranged GETs
  EXPECT_EQ(s.bytes_in, 250u);
  EXPECT_EQ(s.bytes_out, 0u);
  EXPECT_EQ(s.errors, 0u);
  EXPECT_EQ(s.retries, 0u);
  EXPECT_GT(s.latency_sum_us, 0u);
  EXPECT_GE(s.latency_sum_us, s.latency_max_us);

  // Async reads are counted the same way.
  metrics_->Reset();
  auto e = (*file)->ReadAsync(arrow::io::default_io_context(), 10, 20).result();
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ((*e)->size(), 20);
  EXPECT_EQ(metrics_->Snapshot().requests, 1u);
  EXPECT_EQ(metrics_->Snapshot().bytes_in, 20u);
}

TEST_F(MeteredS3Test, OpeningByFileInfoSendsNoHead) {
  auto loc = Resolve("info.bin");
  ASSERT_TRUE(loc.ok()) << loc.status();
  Put(*loc, 300);
  metrics_->Reset();
  auto file = OpenInputFile(*loc);  // Stat (one HEAD), then opened from its FileInfo
  ASSERT_TRUE(file.ok()) << file.status();
  auto all = (*file)->ReadAt(0, 300);
  ASSERT_TRUE(all.ok());
  const auto s = metrics_->Snapshot();
  EXPECT_EQ(s.requests, 2u);
  EXPECT_EQ(s.bytes_in, 300u);
}

TEST_F(MeteredS3Test, MultipartWriteCountsCreatePartsAndComplete) {
  auto loc = Resolve("big.bin");
  ASSERT_TRUE(loc.ok()) << loc.status();
  metrics_->Reset();
  const int64_t size = 2 * internal::kArrowS3PartSize + (3 << 20);  // 10 + 10 + 3 MiB
  Put(*loc, size);
  auto s = metrics_->Snapshot();
  EXPECT_EQ(s.requests, 5u);  // create, 3 parts, complete
  EXPECT_EQ(s.bytes_out, static_cast<uint64_t>(size));
  EXPECT_EQ(s.errors, 0u);
  auto info = Stat(*loc);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size(), size);
}

TEST_F(MeteredS3Test, MissingObjectAndListingPages) {
  auto missing = Resolve("dir/none.bin");
  ASSERT_TRUE(missing.ok());
  auto a = Resolve("dir/a.bin");
  auto b = Resolve("dir/b.bin");
  ASSERT_TRUE(a.ok() && b.ok());
  Put(*a, 10);
  Put(*b, 20);

  metrics_->Reset();
  auto info = Stat(*missing);  // not found is an answer, not an error
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->type(), arrow::fs::FileType::NotFound);
  auto s = metrics_->Snapshot();
  EXPECT_EQ(s.requests, 1u);
  EXPECT_EQ(s.errors, 0u);

  metrics_->Reset();
  auto file = missing->fs->OpenInputFile(missing->path);
  EXPECT_FALSE(file.ok());
  s = metrics_->Snapshot();
  EXPECT_EQ(s.requests, 1u);
  EXPECT_EQ(s.errors, 1u);

  auto dir = Resolve("dir");
  ASSERT_TRUE(dir.ok());
  metrics_->Reset();
  std::vector<std::string> names;
  auto st = ListEntries(*dir, false, [&](const arrow::fs::FileInfo&, std::string_view rel) {
    names.emplace_back(rel);
    return Result<bool>(true);
  });
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(names, (std::vector<std::string>{"a.bin", "b.bin"}));
  s = metrics_->Snapshot();
  EXPECT_EQ(s.requests, 2u);  // Stat of the prefix + one list page

  metrics_->Reset();
  ASSERT_TRUE(DeletePlace(*a, false).ok());  // Stat + DeleteObject
  EXPECT_EQ(metrics_->Snapshot().requests, 2u);
}

TEST_F(MeteredS3Test, StoreAppearsInTheRegistryUnderItsLabel) {
  auto loc = Resolve("x");
  ASSERT_TRUE(loc.ok());
  const std::string label = StoreLabel(*loc);
  EXPECT_EQ(label, "source metered at " + testing::MotoServer::Get().endpoint());
  bool found = false;
  for (const auto& [l, snap] : StoreRequestMetrics()) found = found || l == label;
  EXPECT_TRUE(found);
}

class FakeRetryStrategy : public arrow::fs::S3RetryStrategy {
 public:
  bool ShouldRetry(const AWSErrorDetail&, int64_t attempted_retries) override {
    return attempted_retries < 2;
  }
  int64_t CalculateDelayBeforeNextRetry(const AWSErrorDetail&, int64_t n) override { return 7 * n; }
};

TEST(CountingRetryStrategyTest, CountsEachRetryAsAFailedRequest) {
  auto metrics = std::make_shared<RequestMetrics>();
  auto strategy =
      internal::MakeCountingRetryStrategy(std::make_shared<FakeRetryStrategy>(), metrics);
  arrow::fs::S3RetryStrategy::AWSErrorDetail err{0, "SlowDown", "SlowDown", true};
  EXPECT_TRUE(strategy->ShouldRetry(err, 0));
  EXPECT_TRUE(strategy->ShouldRetry(err, 1));
  EXPECT_FALSE(strategy->ShouldRetry(err, 2));  // gives up: the operation reports it
  EXPECT_EQ(strategy->CalculateDelayBeforeNextRetry(err, 3), 21);
  const auto s = metrics->Snapshot();
  EXPECT_EQ(s.retries, 2u);
  EXPECT_EQ(s.requests, 2u);
  EXPECT_EQ(s.errors, 2u);
}

}  // namespace
}  // namespace marketlake
