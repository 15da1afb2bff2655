// A gtest fixture for tests of marketlake's S3 client against moto: a bucket per suite (named
// by Bucket::kName) and a fresh client with its own request metrics per test.
//
//   struct MyBucket { static constexpr char kName[] = "ml-my-test"; };
//   using MyTest = marketlake::testing::MotoClientTest<MyBucket>;
//   TEST_F(MyTest, Something) { client_->PutObject(kBucket, Key("x"), ...); }
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "marketlake/object_client.h"
#include "marketlake/request_metrics.h"
#include "testing/moto_server.h"

namespace marketlake::testing {

template <typename Bucket>
class MotoClientTest : public ::testing::Test {
 protected:
  static constexpr const char* kBucket = Bucket::kName;

  static void SetUpTestSuite() {
    auto& moto = MotoServer::Get();
    if (moto.available()) bucket_status_ = moto.CreateBucket(kBucket);
  }

  void SetUp() override {
    ML_MOTO_OR_SKIP();
    ASSERT_TRUE(bucket_status_.ok()) << bucket_status_;
    S3ClientOptions options;
    options.endpoint = Endpoint();
    options.provider = StoreProvider::kGeneric;
    options.request_timeout = std::chrono::milliseconds(10000);
    metrics_ = std::make_shared<RequestMetrics>();
    auto c = MakeS3ObjectClient(options, {"testing", "testing-secret", "", "us-east-1"}, metrics_);
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = std::move(c).ValueUnsafe();
  }

  static std::string Endpoint() { return MotoServer::Get().endpoint(); }

  // A key unique to the running test.
  std::string Key(const std::string& name) const {
    return std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "/" +
           name;
  }

  static inline Status bucket_status_;
  std::shared_ptr<RequestMetrics> metrics_;
  std::unique_ptr<ObjectClient> client_;
};

}  // namespace marketlake::testing
