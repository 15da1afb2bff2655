// The S3 client against a real S3 implementation: moto's server, spawned per test suite on
// a free loopback port. Skipped (with a message) only when moto is not installed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "marketlake/object_client.h"
#include "marketlake/store/http_transport.h"
#include "testing/moto_client_test.h"
#include "testing/moto_server.h"

extern char** environ;

namespace marketlake {
namespace {

struct MotoTestBucket {
  static constexpr char kName[] = "ml-moto-test";
};
using MotoS3Test = testing::MotoClientTest<MotoTestBucket>;

TEST_F(MotoS3Test, PutIfAbsentSecondWriterLosesTheRace) {
  PutOptions opts;
  opts.condition = WriteCondition::kIfAbsent;
  const std::string key = Key("manifest.json");
  auto first = client_->PutObject(kBucket, key, "v1", opts);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->etag.empty());
  auto second = client_->PutObject(kBucket, key, "v2", opts);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(CodeOf(second.status()), ErrorCode::kPreconditionFailed) << second.status();
  EXPECT_NE(second.status().message().find("lost the race"), std::string::npos);
  auto got = client_->GetObject(kBucket, key, std::nullopt);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->data, "v1");  // the loser wrote nothing
}

TEST_F(MotoS3Test, IfMatchWithStaleEtagFails) {
  const std::string key = Key("state");
  auto v1 = client_->PutObject(kBucket, key, "one", {});
  ASSERT_TRUE(v1.ok()) << v1.status();
  PutOptions opts;
  opts.condition = WriteCondition::kIfUnchanged;
  opts.expected_version = v1->etag;
  auto v2 = client_->PutObject(kBucket, key, "two", opts);
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_NE(v2->etag, v1->etag);
  // v1's etag is stale now.
  auto v3 = client_->PutObject(kBucket, key, "three", opts);
  EXPECT_EQ(CodeOf(v3.status()), ErrorCode::kPreconditionFailed) << v3.status();
  auto head = client_->HeadObject(kBucket, key);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->etag, v2->etag);
  EXPECT_EQ(head->size, 3u);
}

TEST_F(MotoS3Test, ProbeReportsHonouredAndCleansUp) {
  auto probe = ProbeConditionalWrites(*client_, kBucket, Key("probe"));
  ASSERT_TRUE(probe.ok()) << probe.status();
  EXPECT_TRUE(probe->if_absent_honoured) << probe->detail;
  EXPECT_TRUE(probe->if_unchanged_honoured) << probe->detail;
  EXPECT_NE(probe->detail.find("put-if-absent honoured"), std::string::npos);
  // The probe key is gone: its name is in the detail.
  const size_t at = probe->detail.find("s3://");
  const size_t end = probe->detail.find(',', at);
  const std::string uri = probe->detail.substr(at, end - at);
  const std::string key = uri.substr(std::string("s3://").size() + std::string(kBucket).size() + 1);
  EXPECT_EQ(CodeOf(client_->HeadObject(kBucket, key).status()), ErrorCode::kNotFound) << key;
}

TEST_F(MotoS3Test, RangedGetReturnsExactBytes) {
  std::string body;
  for (int i = 0; i < 1000; ++i) body.push_back(static_cast<char>(i * 7 % 256));
  const std::string key = Key("blob.bin");
  ASSERT_TRUE(client_->PutObject(kBucket, key, body, {}).ok());
  for (auto [off, len] : {std::pair<uint64_t, uint64_t>{0, 10}, {10, 1}, {500, 499}, {999, 1}}) {
    auto r = client_->GetObject(kBucket, key, ByteRange{off, len});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->data, body.substr(off, len)) << off << "+" << len;
    EXPECT_EQ(r->info.size, 1000u);
  }
  auto tail = client_->GetObject(kBucket, key, ByteRange{990, 100});
  ASSERT_TRUE(tail.ok()) << tail.status();
  EXPECT_EQ(tail->data, body.substr(990));
  auto past = client_->GetObject(kBucket, key, ByteRange{1000, 10});
  EXPECT_EQ(CodeOf(past.status()), ErrorCode::kInvalidArgument) << past.status();
  auto whole = client_->GetObject(kBucket, key, std::nullopt);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->data, body);
}

TEST_F(MotoS3Test, AwkwardKeysRoundTrip) {
  for (const std::string name :
       {"with space.parquet", "plus+sign.parquet", "ünïcødé/日本.parquet", "tilde~and%percent",
        "a//double/./dot", "equals=and&amp;?q", "star*(paren)"}) {
    const std::string key = Key(name);
    auto put = client_->PutObject(kBucket, key, "payload:" + name, {});
    ASSERT_TRUE(put.ok()) << name << ": " << put.status();
    auto got = client_->GetObject(kBucket, key, std::nullopt);
    ASSERT_TRUE(got.ok()) << name << ": " << got.status();
    EXPECT_EQ(got->data, "payload:" + name);
    ASSERT_TRUE(client_->DeleteObject(kBucket, key).ok());
    EXPECT_EQ(CodeOf(client_->HeadObject(kBucket, key).status()), ErrorCode::kNotFound) << name;
  }
}

TEST_F(MotoS3Test, SseAndStorageClassAccepted) {
  PutOptions opts;
  opts.sse = ServerSideEncryption::kAes256;
  opts.storage_class = "STANDARD_IA";
  opts.content_type = "application/json";
  const std::string key = Key("enc.json");
  ASSERT_TRUE(client_->PutObject(kBucket, key, "{}", opts).ok());
  auto head = client_->HeadObject(kBucket, key);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->storage_class, "STANDARD_IA");
  EXPECT_EQ(head->content_type, "application/json");
  PutOptions kms;
  kms.sse = ServerSideEncryption::kAwsKms;
  kms.kms_key_id = "alias/marketlake-test";
  auto r = client_->PutObject(kBucket, Key("kms.bin"), "x", kms);
  EXPECT_TRUE(r.ok()) << r.status();
}

TEST_F(MotoS3Test, NotFoundAndMetrics) {
  metrics_->Reset();
  auto missing = client_->GetObject(kBucket, Key("nope"), std::nullopt);
  EXPECT_EQ(CodeOf(missing.status()), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("NoSuchKey"), std::string::npos);
  ASSERT_TRUE(client_->PutObject(kBucket, Key("m"), "12345", {}).ok());
  ASSERT_TRUE(client_->GetObject(kBucket, Key("m"), std::nullopt).ok());
  const auto s = metrics_->Snapshot();
  EXPECT_EQ(s.requests, 3u);
  EXPECT_EQ(s.errors, 1u);
  EXPECT_EQ(s.retries, 0u);
  EXPECT_EQ(s.bytes_out, 5u);
  EXPECT_GE(s.bytes_in, 5u);
  EXPECT_GT(s.latency_max_us, 0u);
  EXPECT_EQ(metrics_->ToString().find("testing-secret"), std::string::npos);
  EXPECT_EQ(missing.status().ToString().find("testing-secret"), std::string::npos);
}

TEST_F(MotoS3Test, OneClientManyThreads) {
  metrics_->Reset();
  constexpr int kThreads = 8;
  constexpr int kPerThread = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string name = std::to_string(t);
        name.append(1, '/').append(std::to_string(i));
        const std::string key = Key(name);
        const std::string body(1000 + t * 100 + i, static_cast<char>('a' + t));
        if (!client_->PutObject(kBucket, key, body, {}).ok()) ++failures;
        auto got = client_->GetObject(kBucket, key, std::nullopt);
        if (!got.ok() || got->data != body) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(metrics_->Snapshot().requests, uint64_t{2 * kThreads * kPerThread});
}

TEST_F(MotoS3Test, NothingListeningIsUnavailableAfterRetries) {
  S3ClientOptions options;
  options.endpoint = "http://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  options.retry.max_attempts = 3;
  options.retry.initial_backoff = std::chrono::milliseconds(1);
  auto c = MakeS3ObjectClient(options, {"testing", "testing-secret", "", "us-east-1"});
  ASSERT_TRUE(c.ok());
  auto r = (*c)->GetObject(kBucket, "k", std::nullopt);
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kUnavailable) << r.status();
  EXPECT_NE(r.status().message().find("gave up after 3 attempts"), std::string::npos);
  EXPECT_EQ(S3ObjectClientMetrics(**c)->Snapshot().requests, 3u);
}

}  // namespace
}  // namespace marketlake
