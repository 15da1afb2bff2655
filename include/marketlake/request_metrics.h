// Per-store request counters: how many HTTP requests a store client sent, how many failed
// or were retried, bytes moved and latency. One RequestMetrics is shared by every request
// a client makes (pass the same shared_ptr to several clients to aggregate).
//
// Thread safety: all members are lock-free atomics; Record* and Snapshot() may be called
// concurrently. A Snapshot is not a single atomic cut across counters (each counter is
// read individually), which is fine for monitoring.
//
// Dumps contain numbers only: never keys, URLs, headers or credentials.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace marketlake {

struct RequestMetricsSnapshot {
  uint64_t requests = 0;   // HTTP attempts sent (each retry counts)
  uint64_t errors = 0;     // attempts that failed: transport error or non-2xx status
  uint64_t retries = 0;    // attempts that were a retry of an earlier failed one
  uint64_t bytes_out = 0;  // request bodies sent
  uint64_t bytes_in = 0;   // response bodies received
  uint64_t latency_sum_us = 0;
  uint64_t latency_max_us = 0;
};

class RequestMetrics {
 public:
  // One finished attempt (successful or not).
  void RecordRequest(uint64_t bytes_out, uint64_t bytes_in, std::chrono::microseconds latency,
                     bool error);
  void RecordRetry();

  RequestMetricsSnapshot Snapshot() const;
  void Reset();

  // "requests=12 errors=1 retries=1 bytes_out=... bytes_in=... latency_sum_us=...
  //  latency_max_us=..." and as JSON.
  std::string ToString() const;
  std::string ToJson() const;

 private:
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> bytes_out_{0};
  std::atomic<uint64_t> bytes_in_{0};
  std::atomic<uint64_t> latency_sum_us_{0};
  std::atomic<uint64_t> latency_max_us_{0};
};

}  // namespace marketlake
