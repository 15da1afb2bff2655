// Per-store request counters: how many requests a store client sent, how many failed or
// were retried, bytes moved and latency. One RequestMetrics is shared by every request
// a client makes (pass the same shared_ptr to several clients to aggregate).
//
// The process-wide registry below (StoreMetrics / StoreRequestMetrics) is the one place
// per-store counters live. Two paths record into a store's entry:
//   - marketlake's own REST client (object_client.h: conditional writes, the multipart
//     writer of s3_output_stream.h) records every HTTP attempt exactly;
//   - the data path through Arrow's S3/GCS filesystems (reads of Parquet byte ranges, ls,
//     rm, Arrow's writer) is counted by a decorating filesystem that ResolveLocation
//     installs (store/metered_filesystem.h). Arrow has no per-request hook, so there a
//     request is one filesystem operation that reaches the store; see that header for how
//     operations map to S3 requests (a ReadAt is one ranged GetObject, a listing page one
//     ListObjectsV2, ...). Retries inside the AWS SDK are counted when marketlake supplies
//     the retry strategy (a source's retry.max_attempts); with the SDK's default strategy
//     they are invisible.
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
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace marketlake {

struct RequestMetricsSnapshot {
  uint64_t requests = 0;   // attempts sent (each retry counts)
  uint64_t errors = 0;     // attempts that failed: transport error or non-2xx status
  uint64_t retries = 0;    // attempts that were a retry of an earlier failed one
  uint64_t bytes_out = 0;  // request bodies sent (data path: object bytes written)
  uint64_t bytes_in = 0;   // response bodies received (data path: object bytes read)
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

// The counters of the store named `label` ("source NAME at ENDPOINT", "s3://BUCKET at
// ENDPOINT", see StoreLabel in filesystem.h), created on first use and kept for the life of
// the process. Thread-safe.
std::shared_ptr<RequestMetrics> StoreMetrics(const std::string& label);

// Every store's counters, in creation order. Labels never contain credentials.
std::vector<std::pair<std::string, RequestMetricsSnapshot>> StoreRequestMetrics();

// Zeroes every store's counters (entries stay). For tests and long-running callers that
// report per interval.
void ResetStoreRequestMetrics();

}  // namespace marketlake
