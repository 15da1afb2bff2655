#include "marketlake/request_metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace marketlake {
namespace {

using std::chrono::microseconds;

TEST(RequestMetricsTest, CountsAndMax) {
  RequestMetrics m;
  m.RecordRequest(10, 0, microseconds(100), false);
  m.RecordRequest(0, 50, microseconds(300), true);
  m.RecordRetry();
  const auto s = m.Snapshot();
  EXPECT_EQ(s.requests, 2u);
  EXPECT_EQ(s.errors, 1u);
  EXPECT_EQ(s.retries, 1u);
  EXPECT_EQ(s.bytes_out, 10u);
  EXPECT_EQ(s.bytes_in, 50u);
  EXPECT_EQ(s.latency_sum_us, 400u);
  EXPECT_EQ(s.latency_max_us, 300u);
  EXPECT_EQ(m.ToString(),
            "requests=2 errors=1 retries=1 bytes_out=10 bytes_in=50 latency_sum_us=400 "
            "latency_max_us=300");
  EXPECT_EQ(m.ToJson(),
            "{\"requests\":2,\"errors\":1,\"retries\":1,\"bytes_out\":10,\"bytes_in\":50,"
            "\"latency_sum_us\":400,\"latency_max_us\":300}");
  m.Reset();
  EXPECT_EQ(m.Snapshot().requests, 0u);
  EXPECT_EQ(m.Snapshot().latency_max_us, 0u);
}

TEST(RequestMetricsTest, ConcurrentUpdatesAreNotLost) {
  RequestMetrics m;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&m, t] {
      for (int i = 0; i < kPerThread; ++i) {
        m.RecordRequest(1, 2, microseconds(t * kPerThread + i), i % 2 == 0);
        if (i % 4 == 0) m.RecordRetry();
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto s = m.Snapshot();
  EXPECT_EQ(s.requests, uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(s.errors, uint64_t{kThreads} * kPerThread / 2);
  EXPECT_EQ(s.retries, uint64_t{kThreads} * kPerThread / 4);
  EXPECT_EQ(s.bytes_out, uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(s.bytes_in, 2 * uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(s.latency_max_us, uint64_t{kThreads} * kPerThread - 1);
  const uint64_t n = uint64_t{kThreads} * kPerThread;
  EXPECT_EQ(s.latency_sum_us, n * (n - 1) / 2);
}

}  // namespace
}  // namespace marketlake
