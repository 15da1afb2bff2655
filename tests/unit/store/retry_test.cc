#include "marketlake/retry.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace marketlake {
namespace {

using std::chrono::milliseconds;

struct FakeTime {
  std::chrono::steady_clock::time_point now{};
  std::vector<milliseconds> sleeps;
  RetryPolicy::Sleep Sleeper() {
    return [this](milliseconds d) {
      sleeps.push_back(d);
      now += d;
    };
  }
  RetryPolicy::Clock Clock() {
    return [this] { return now; };
  }
};

RetryOptions Opts(int attempts, int base_ms, int max_ms, int elapsed_ms = 0) {
  RetryOptions o;
  o.max_attempts = attempts;
  o.initial_backoff = milliseconds(base_ms);
  o.max_backoff = milliseconds(max_ms);
  o.max_elapsed = milliseconds(elapsed_ms);
  return o;
}

TEST(RetryTest, BackoffCapDoublesUpToMax) {
  RetryPolicy p(Opts(10, 100, 1000));
  EXPECT_EQ(p.BackoffCap(1), milliseconds(100));
  EXPECT_EQ(p.BackoffCap(2), milliseconds(200));
  EXPECT_EQ(p.BackoffCap(3), milliseconds(400));
  EXPECT_EQ(p.BackoffCap(4), milliseconds(800));
  EXPECT_EQ(p.BackoffCap(5), milliseconds(1000));
  EXPECT_EQ(p.BackoffCap(60), milliseconds(1000));  // no overflow
}

TEST(RetryTest, FullJitterScalesTheWholeWindow) {
  double r = 0.0;
  RetryPolicy p(Opts(10, 100, 1000), [&] { return r; });
  r = 0.0;
  EXPECT_EQ(p.Backoff(3), milliseconds(0));
  r = 0.5;
  EXPECT_EQ(p.Backoff(3), milliseconds(200));
  r = 0.999;
  EXPECT_EQ(p.Backoff(3), milliseconds(400));
  r = 0.25;
  EXPECT_EQ(p.Backoff(10), milliseconds(250));
}

TEST(RetryTest, RetriesUnavailableThenSucceeds) {
  FakeTime t;
  RetryPolicy p(
      Opts(5, 100, 1000), [] { return 0.5; }, t.Sleeper(), t.Clock());
  int calls = 0;
  std::vector<int> retried;
  Result<int> r = p.Run<int>(
      [&](int n) -> Result<int> {
        ++calls;
        EXPECT_EQ(n, calls);
        if (n < 3) return Error(ErrorCode::kUnavailable, "503 SlowDown");
        return 42;
      },
      [&](int n, const Status&) { retried.push_back(n); });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 42);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(retried, (std::vector<int>{1, 2}));
  EXPECT_EQ(t.sleeps, (std::vector<milliseconds>{milliseconds(50), milliseconds(100)}));
}

TEST(RetryTest, NeverRetriesNonTransient) {
  FakeTime t;
  RetryPolicy p(
      Opts(5, 100, 1000), [] { return 0.5; }, t.Sleeper(), t.Clock());
  for (ErrorCode code : {ErrorCode::kNotFound, ErrorCode::kPreconditionFailed,
                         ErrorCode::kInvalidArgument, ErrorCode::kIOError}) {
    int calls = 0;
    Result<int> r = p.Run<int>([&](int) -> Result<int> {
      ++calls;
      return Error(code, "x");
    });
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(CodeOf(r.status()), code);
    EXPECT_EQ(r.status().message(), "x");
  }
  EXPECT_TRUE(t.sleeps.empty());
}

TEST(RetryTest, GivesUpAfterMaxAttemptsKeepingCategory) {
  FakeTime t;
  RetryPolicy p(
      Opts(4, 10, 1000), [] { return 1.0; }, t.Sleeper(), t.Clock());
  int calls = 0;
  Result<int> r = p.Run<int>([&](int) -> Result<int> {
    ++calls;
    return Error(ErrorCode::kUnavailable, "connection reset");
  });
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kUnavailable);
  EXPECT_EQ(r.status().message(), "gave up after 4 attempts: connection reset");
  EXPECT_EQ(t.sleeps,
            (std::vector<milliseconds>{milliseconds(10), milliseconds(20), milliseconds(40)}));
}

TEST(RetryTest, StopsWhenElapsedBudgetIsSpent) {
  FakeTime t;
  RetryPolicy p(
      Opts(100, 100, 100, 250), [] { return 1.0; }, t.Sleeper(), t.Clock());
  int calls = 0;
  Result<int> r = p.Run<int>([&](int) -> Result<int> {
    ++calls;
    t.now += milliseconds(10);  // each attempt takes 10ms
    return Error(ErrorCode::kUnavailable, "timeout");
  });
  // Attempts end at t=10, 120, 230 (all < 250: retry) and 340 (>= 250: stop).
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kUnavailable);
}

TEST(RetryTest, SingleAttemptDisablesRetries) {
  FakeTime t;
  RetryPolicy p(Opts(0, 10, 10), {}, t.Sleeper(), t.Clock());
  int calls = 0;
  Result<int> r = p.Run<int>([&](int) -> Result<int> {
    ++calls;
    return Error(ErrorCode::kUnavailable, "x");
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(r.status().message(), "x");
}

TEST(RetryTest, DefaultRandomStaysInWindow) {
  RetryPolicy p(Opts(5, 100, 400));
  for (int i = 0; i < 1000; ++i) {
    const auto d = p.Backoff(2);
    EXPECT_GE(d.count(), 0);
    EXPECT_LE(d.count(), 200);
  }
}

}  // namespace
}  // namespace marketlake
