// marketlake's multipart S3 writer (s3_output_stream.h): against an in-memory fake client
// (part boundaries, bounded concurrency, abort on every failure path) and against moto's
// server (byte-exact multi-part objects, SSE and storage class reported by HeadObject).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "marketlake/object_client.h"
#include "marketlake/s3_output_stream.h"
#include "marketlake/store/http_transport.h"
#include "testing/moto_client_test.h"
#include "testing/moto_server.h"

extern char** environ;

namespace marketlake {
namespace {

constexpr int64_t kMiB = 1 << 20;

std::string Pattern(size_t n, uint32_t seed = 1) {
  std::string s(n, '\0');
  uint32_t x = seed;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    s[i] = static_cast<char>(x >> 24);
  }
  return s;
}

// An in-memory ObjectClient with multipart support, concurrency accounting and failure
// injection.
class FakeMultipartClient : public ObjectClient {
 public:
  Result<PutResult> PutObject(std::string_view bucket, std::string_view key, std::string_view body,
                              const PutOptions& options) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++puts_;
    objects_[std::string(bucket) + "/" + std::string(key)] = std::string(body);
    last_options_ = options;
    return PutResult{"\"etag\"", "", ""};
  }
  Result<GetResult> GetObject(std::string_view, std::string_view,
                              std::optional<ByteRange>) override {
    return Error(ErrorCode::kNotImplemented, "fake");
  }
  Result<ObjectInfo> HeadObject(std::string_view bucket, std::string_view key) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(std::string(bucket) + "/" + std::string(key));
    if (it == objects_.end()) return Error(ErrorCode::kNotFound, "no such key");
    ObjectInfo info;
    info.size = it->second.size();
    info.etag = "\"0123-" + std::to_string(part_count_) + "\"";
    return info;
  }
  Status DeleteObject(std::string_view, std::string_view) override { return Status::OK(); }

  Result<std::string> CreateMultipartUpload(std::string_view, std::string_view,
                                            const PutOptions& options) override {
    std::lock_guard<std::mutex> lock(mu_);
    last_options_ = options;
    ++creates_;
    if (fail_create_) return Error(ErrorCode::kIOError, "injected create failure");
    return std::string("upload-1");
  }
  Result<std::string> UploadPart(std::string_view, std::string_view, std::string_view,
                                 int part_number, std::string_view body) override {
    const int now = ++in_flight_;
    {
      std::lock_guard<std::mutex> lock(mu_);
      max_in_flight_ = std::max(max_in_flight_, now);
    }
    std::this_thread::sleep_for(part_delay_);
    --in_flight_;
    std::lock_guard<std::mutex> lock(mu_);
    if (part_number == fail_part_) return Error(ErrorCode::kIOError, "injected part failure");
    parts_[part_number] = std::string(body);
    return "\"p" + std::to_string(part_number) + "\"";
  }
  Result<PutResult> CompleteMultipartUpload(std::string_view bucket, std::string_view key,
                                            std::string_view,
                                            const std::vector<CompletedPart>& parts) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++completes_;
    std::string all;
    int expect = 1;
    for (const auto& p : parts) {
      if (p.part_number != expect++ || p.etag != "\"p" + std::to_string(p.part_number) + "\"") {
        return Error(ErrorCode::kInvalidArgument, "bad part list");
      }
      all += parts_[p.part_number];
    }
    part_count_ = static_cast<int>(parts.size());
    objects_[std::string(bucket) + "/" + std::string(key)] = all;
    if (lose_complete_response_) return Error(ErrorCode::kNotFound, "NoSuchUpload");
    return PutResult{"\"multi\"", "", ""};
  }
  Status AbortMultipartUpload(std::string_view, std::string_view, std::string_view) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++aborts_;
    parts_.clear();
    return Status::OK();
  }

  std::mutex mu_;
  std::map<std::string, std::string> objects_;
  std::map<int, std::string> parts_;
  PutOptions last_options_;
  int puts_ = 0, creates_ = 0, completes_ = 0, aborts_ = 0, part_count_ = 0;
  int fail_part_ = 0;
  bool fail_create_ = false;
  bool lose_complete_response_ = false;
  std::atomic<int> in_flight_{0};
  int max_in_flight_ = 0;
  std::chrono::milliseconds part_delay_{0};
};

S3WriteOptions FiveMiBParts(int in_flight = 4) {
  S3WriteOptions o;
  o.part_size = 5 * kMiB;
  o.max_in_flight = in_flight;
  return o;
}

// Writes `data` in uneven chunks.
Status WriteChunked(arrow::io::OutputStream& out, const std::string& data) {
  size_t pos = 0, step = 1;
  while (pos < data.size()) {
    const size_t n = std::min(data.size() - pos, step * 977 * 1024 + 13);
    ML_RETURN_NOT_OK(out.Write(data.data() + pos, static_cast<int64_t>(n)));
    pos += n;
    step = step % 5 + 1;
  }
  return Status::OK();
}

TEST(S3OutputStream, SmallObjectIsOnePutWithWriteOptions) {
  auto fake = std::make_shared<FakeMultipartClient>();
  S3WriteOptions opts = FiveMiBParts();
  opts.put.sse = ServerSideEncryption::kAwsKms;
  opts.put.kms_key_id = "key-1";
  opts.put.storage_class = "STANDARD_IA";
  auto out = OpenS3OutputStream(fake, "b", "k", opts, "s3://b/k");
  ASSERT_TRUE(out.ok()) << out.status();
  const std::string data = Pattern(1000);
  ASSERT_TRUE((*out)->Write(data.data(), data.size()).ok());
  EXPECT_EQ(*(*out)->Tell(), 1000);
  EXPECT_TRUE(fake->objects_.empty()) << "nothing visible before Close";
  ASSERT_TRUE((*out)->Close().ok());
  EXPECT_EQ(fake->puts_, 1);
  EXPECT_EQ(fake->creates_, 0);
  EXPECT_EQ(fake->objects_["b/k"], data);
  EXPECT_EQ(fake->last_options_.sse, ServerSideEncryption::kAwsKms);
  EXPECT_EQ(fake->last_options_.kms_key_id, "key-1");
  EXPECT_EQ(fake->last_options_.storage_class, "STANDARD_IA");
}

TEST(S3OutputStream, PartSizeBelowMinimumIsRaisedAndPartsAreExact) {
  auto fake = std::make_shared<FakeMultipartClient>();
  S3WriteOptions opts = FiveMiBParts();
  opts.part_size = 1024;  // raised to 5 MiB
  opts.put.sse = ServerSideEncryption::kAes256;
  auto out = OpenS3OutputStream(fake, "b", "k", opts, "s3://b/k");
  ASSERT_TRUE(out.ok());
  const std::string data = Pattern(3 * 5 * kMiB + 12345, 7);
  ASSERT_TRUE(WriteChunked(**out, data).ok());
  ASSERT_TRUE((*out)->Close().ok());
  EXPECT_TRUE((*out)->closed());
  EXPECT_EQ(fake->creates_, 1);
  EXPECT_EQ(fake->completes_, 1);
  EXPECT_EQ(fake->part_count_, 4);
  EXPECT_EQ(fake->parts_[1].size(), static_cast<size_t>(5 * kMiB));
  EXPECT_EQ(fake->parts_[4].size(), 12345u);
  EXPECT_EQ(fake->objects_["b/k"], data);
  EXPECT_EQ(fake->last_options_.sse, ServerSideEncryption::kAes256);
  EXPECT_EQ(fake->aborts_, 0);
}

TEST(S3OutputStream, ConcurrencyIsBounded) {
  auto fake = std::make_shared<FakeMultipartClient>();
  fake->part_delay_ = std::chrono::milliseconds(60);
  auto out = OpenS3OutputStream(fake, "b", "k", FiveMiBParts(3), "s3://b/k");
  ASSERT_TRUE(out.ok());
  const std::string data = Pattern(10 * 5 * kMiB);
  ASSERT_TRUE(WriteChunked(**out, data).ok());
  ASSERT_TRUE((*out)->Close().ok());
  EXPECT_EQ(fake->objects_["b/k"], data);
  EXPECT_LE(fake->max_in_flight_, 3);
  EXPECT_GE(fake->max_in_flight_, 2) << "parts should upload concurrently";
}

TEST(S3OutputStream, FailedPartAbortsAndLeavesNothing) {
  auto fake = std::make_shared<FakeMultipartClient>();
  fake->fail_part_ = 2;
  auto out = OpenS3OutputStream(fake, "b", "k", FiveMiBParts(2), "s3://b/k");
  ASSERT_TRUE(out.ok());
  const std::string data = Pattern(6 * 5 * kMiB);
  Status st = WriteChunked(**out, data);
  if (st.ok()) st = (*out)->Close();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("injected part failure"), std::string::npos) << st;
  EXPECT_NE(st.message().find("s3://b/k"), std::string::npos) << st;
  if (!(*out)->closed()) {
    EXPECT_FALSE((*out)->Close().ok());
  }
  EXPECT_EQ(fake->aborts_, 1);
  EXPECT_EQ(fake->completes_, 0);
  EXPECT_TRUE(fake->objects_.empty());
}

TEST(S3OutputStream, FailedCreateNeverPublishesAPartialObject) {
  auto fake = std::make_shared<FakeMultipartClient>();
  fake->fail_create_ = true;
  auto out = OpenS3OutputStream(fake, "b", "k", FiveMiBParts(), "s3://b/k");
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(WriteChunked(**out, Pattern(6 * kMiB)).ok());
  EXPECT_FALSE((*out)->Close().ok());
  EXPECT_EQ(fake->puts_, 0);
  EXPECT_TRUE(fake->objects_.empty());
}

TEST(S3OutputStream, RetriedCompletionThatAlreadySucceededIsSuccess) {
  auto fake = std::make_shared<FakeMultipartClient>();
  fake->lose_complete_response_ = true;  // completes, then answers NoSuchUpload
  auto out = OpenS3OutputStream(fake, "b", "k", FiveMiBParts(), "s3://b/k");
  ASSERT_TRUE(out.ok());
  const std::string data = Pattern(11 * kMiB);
  ASSERT_TRUE(WriteChunked(**out, data).ok());
  Status st = (*out)->Close();
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(fake->aborts_, 0);
  EXPECT_EQ(fake->objects_["b/k"], data);
}

TEST(S3OutputStream, AbortAndDestructionWithoutCloseAbort) {
  auto fake = std::make_shared<FakeMultipartClient>();
  {
    auto out = OpenS3OutputStream(fake, "b", "k", FiveMiBParts(), "s3://b/k");
    ASSERT_TRUE(out.ok());
    ASSERT_TRUE(WriteChunked(**out, Pattern(12 * kMiB)).ok());
    ASSERT_TRUE((*out)->Abort().ok());
    EXPECT_TRUE((*out)->closed());
    EXPECT_FALSE((*out)->Write("x", 1).ok());
  }
  EXPECT_EQ(fake->aborts_, 1);
  {
    auto out = OpenS3OutputStream(fake, "b", "k", FiveMiBParts(), "s3://b/k");
    ASSERT_TRUE(out.ok());
    ASSERT_TRUE(WriteChunked(**out, Pattern(12 * kMiB)).ok());
  }  // destroyed without Close
  EXPECT_EQ(fake->aborts_, 2);
  EXPECT_EQ(fake->completes_, 0);
  EXPECT_TRUE(fake->objects_.empty());
}

struct MultipartTestBucket {
  static constexpr char kName[] = "ml-multipart-test";
};
using MultipartMotoTest = testing::MotoClientTest<MultipartTestBucket>;

TEST_F(MultipartMotoTest, MultipartWithKmsAndStorageClassIsByteExact) {
  std::shared_ptr<ObjectClient> client(std::move(client_));
  S3WriteOptions opts = FiveMiBParts(2);
  opts.put.sse = ServerSideEncryption::kAwsKms;
  opts.put.kms_key_id = "arn:aws:kms:us-east-1:123456789012:key/ml-test";
  opts.put.storage_class = "STANDARD_IA";
  const std::string key = Key("big.bin");
  auto out = OpenS3OutputStream(client, kBucket, key, opts, "s3://bucket/big.bin");
  ASSERT_TRUE(out.ok()) << out.status();
  const std::string data = Pattern(3 * 5 * kMiB + 777, 3);
  ASSERT_TRUE(WriteChunked(**out, data).ok());
  EXPECT_EQ(CodeOf(client->HeadObject(kBucket, key).status()), ErrorCode::kNotFound)
      << "invisible before Close";
  ASSERT_TRUE((*out)->Close().ok());
  auto got = client->GetObject(kBucket, key, std::nullopt);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->data == data) << "object differs from what was written";
  auto head = client->HeadObject(kBucket, key);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->server_side_encryption, "aws:kms");
  EXPECT_EQ(head->kms_key_id, opts.put.kms_key_id);
  EXPECT_EQ(head->storage_class, "STANDARD_IA");
  // create + 4 parts + complete, then get and two heads.
  EXPECT_GE(metrics_->Snapshot().requests, 6u);
}

TEST_F(MultipartMotoTest, SmallObjectWithAes256) {
  std::shared_ptr<ObjectClient> client(std::move(client_));
  S3WriteOptions opts = FiveMiBParts();
  opts.put.sse = ServerSideEncryption::kAes256;
  const std::string key = Key("small.bin");
  auto out = OpenS3OutputStream(client, kBucket, key, opts, "s3://bucket/small.bin");
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)->Write("hello", 5).ok());
  ASSERT_TRUE((*out)->Close().ok());
  auto head = client->HeadObject(kBucket, key);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->size, 5u);
  EXPECT_EQ(head->server_side_encryption, "AES256");
}

TEST_F(MultipartMotoTest, AbortLeavesNoObject) {
  std::shared_ptr<ObjectClient> client(std::move(client_));
  const std::string key = Key("aborted.bin");
  auto out = OpenS3OutputStream(client, kBucket, key, FiveMiBParts(), "s3://bucket/a.bin");
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(WriteChunked(**out, Pattern(11 * kMiB)).ok());
  ASSERT_TRUE((*out)->Abort().ok());
  EXPECT_EQ(CodeOf(client->HeadObject(kBucket, key).status()), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace marketlake
