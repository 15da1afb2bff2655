// Retry with capped exponential backoff and full jitter, for calls to remote stores.
//
// What is retried is decided by the error category alone: a status whose CodeOf() is
// kUnavailable ("transient: retry may succeed") is retried, anything else is returned at
// once. The S3 client's error table (object_client.h, ClassifyS3Response) is the one place
// that decides which HTTP statuses / S3 codes / transport failures are kUnavailable.
//
// Backoff before retry n (n = 1, 2, ...) is uniform in [0, min(max_backoff,
// initial_backoff * 2^(n-1))] ("full jitter", AWS Architecture Blog, "Exponential Backoff
// And Jitter"), which spreads clients that failed together instead of synchronising them.
//
// Thread safety: a RetryPolicy is immutable after construction; Run() may be called from
// many threads at once provided the injected Random/Sleep/Clock are thread-safe (the
// defaults are).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>

#include "marketlake/status.h"

namespace marketlake {

struct RetryOptions {
  // Total attempts including the first; 1 disables retries. Values < 1 act as 1.
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{50};
  std::chrono::milliseconds max_backoff{5000};
  // Stop retrying once this much time has passed since the first attempt began (the
  // attempt in flight is not interrupted). Zero means no limit beyond max_attempts.
  std::chrono::milliseconds max_elapsed{0};
};

class RetryPolicy {
 public:
  using Random = std::function<double()>;  // uniform in [0, 1)
  using Sleep = std::function<void(std::chrono::milliseconds)>;
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // Empty functions select the defaults: a thread-local Mersenne Twister, sleep_for,
  // steady_clock::now. Tests inject deterministic ones.
  explicit RetryPolicy(RetryOptions options = {}, Random random = {}, Sleep sleep = {},
                       Clock clock = {});

  const RetryOptions& options() const { return options_; }

  // The upper bound of the jitter window before retry `retry_number` (1-based).
  std::chrono::milliseconds BackoffCap(int retry_number) const;
  // A draw from [0, BackoffCap(retry_number)].
  std::chrono::milliseconds Backoff(int retry_number) const;

  // True when `status` is transient (kUnavailable).
  static bool IsRetryable(const Status& status);

  // Calls `attempt(n)` (n = 1, 2, ...) until it succeeds, fails non-retryably, attempts
  // run out, or max_elapsed passes. `on_retry(n, status)` is called before sleeping ahead
  // of attempt n+1 (metrics hook). The final failure keeps its category; when retries were
  // exhausted its message says after how many attempts.
  template <typename T>
  Result<T> Run(const std::function<Result<T>(int)>& attempt,
                const std::function<void(int, const Status&)>& on_retry = {}) const {
    const auto start = clock_();
    for (int n = 1;; ++n) {
      Result<T> result = attempt(n);
      if (result.ok()) return result;
      Status st = result.status();
      if (!IsRetryable(st)) return st;
      if (!MayRetry(n, start)) return GaveUp(st, n);
      if (on_retry) on_retry(n, st);
      sleep_(Backoff(n));
    }
  }

 private:
  bool MayRetry(int attempts_done, std::chrono::steady_clock::time_point start) const;
  static Status GaveUp(const Status& last, int attempts);

  RetryOptions options_;
  Random random_;
  Sleep sleep_;
  Clock clock_;
};

}  // namespace marketlake
