#include "marketlake/retry.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <thread>

namespace marketlake {

RetryPolicy::RetryPolicy(RetryOptions options, Random random, Sleep sleep, Clock clock)
    : options_(options),
      random_(std::move(random)),
      sleep_(std::move(sleep)),
      clock_(std::move(clock)) {
  if (options_.max_attempts < 1) options_.max_attempts = 1;
  if (options_.initial_backoff.count() < 0) options_.initial_backoff = {};
  if (options_.max_backoff < options_.initial_backoff)
    options_.max_backoff = options_.initial_backoff;
  if (!random_) {
    random_ = [] {
      thread_local std::mt19937_64 rng{std::random_device{}()};
      return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    };
  }
  if (!sleep_) sleep_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

std::chrono::milliseconds RetryPolicy::BackoffCap(int retry_number) const {
  if (retry_number < 1) retry_number = 1;
  // 2^(n-1) overflows quickly; beyond 2^40 any sane cap has been reached.
  const int shift = std::min(retry_number - 1, 40);
  const double cap = static_cast<double>(options_.initial_backoff.count()) * std::ldexp(1.0, shift);
  const double limit = static_cast<double>(options_.max_backoff.count());
  return std::chrono::milliseconds(static_cast<int64_t>(std::min(cap, limit)));
}

std::chrono::milliseconds RetryPolicy::Backoff(int retry_number) const {
  const double cap = static_cast<double>(BackoffCap(retry_number).count());
  double r = random_();
  r = std::clamp(r, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(cap * r)));
}

bool RetryPolicy::IsRetryable(const Status& status) {
  return CodeOf(status) == ErrorCode::kUnavailable;
}

bool RetryPolicy::MayRetry(int attempts_done, std::chrono::steady_clock::time_point start) const {
  if (attempts_done >= options_.max_attempts) return false;
  if (options_.max_elapsed.count() > 0 && clock_() - start >= options_.max_elapsed) return false;
  return true;
}

Status RetryPolicy::GaveUp(const Status& last, int attempts) {
  if (attempts <= 1) return last;
  return Status(last.code(),
                "gave up after " + std::to_string(attempts) + " attempts: " + last.message(),
                last.detail());
}

}  // namespace marketlake
