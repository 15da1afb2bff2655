#include "marketlake/request_metrics.h"

#include <mutex>
#include <string>

namespace marketlake {
namespace {

struct MetricsRegistry {
  std::mutex mu;
  std::vector<std::pair<std::string, std::shared_ptr<RequestMetrics>>> stores;  // by label
};

MetricsRegistry& Registry() {
  static MetricsRegistry* registry = new MetricsRegistry();  // leaked: outlives static dtors
  return *registry;
}

}  // namespace

std::shared_ptr<RequestMetrics> StoreMetrics(const std::string& label) {
  auto& reg = Registry();
  std::lock_guard<std::mutex> lock(reg.mu);
  for (const auto& [l, m] : reg.stores) {
    if (l == label) return m;
  }
  auto m = std::make_shared<RequestMetrics>();
  reg.stores.emplace_back(label, m);
  return m;
}

std::vector<std::pair<std::string, RequestMetricsSnapshot>> StoreRequestMetrics() {
  auto& reg = Registry();
  std::lock_guard<std::mutex> lock(reg.mu);
  std::vector<std::pair<std::string, RequestMetricsSnapshot>> out;
  out.reserve(reg.stores.size());
  for (const auto& [label, m] : reg.stores) out.emplace_back(label, m->Snapshot());
  return out;
}

void ResetStoreRequestMetrics() {
  auto& reg = Registry();
  std::lock_guard<std::mutex> lock(reg.mu);
  for (const auto& [label, m] : reg.stores) m->Reset();
}

void RequestMetrics::RecordRequest(uint64_t bytes_out, uint64_t bytes_in,
                                   std::chrono::microseconds latency, bool error) {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  requests_.fetch_add(1, kRelaxed);
  if (error) errors_.fetch_add(1, kRelaxed);
  bytes_out_.fetch_add(bytes_out, kRelaxed);
  bytes_in_.fetch_add(bytes_in, kRelaxed);
  const uint64_t us = latency.count() < 0 ? 0 : static_cast<uint64_t>(latency.count());
  latency_sum_us_.fetch_add(us, kRelaxed);
  uint64_t prev = latency_max_us_.load(kRelaxed);
  while (us > prev && !latency_max_us_.compare_exchange_weak(prev, us, kRelaxed)) {
  }
}

void RequestMetrics::RecordRetry() { retries_.fetch_add(1, std::memory_order_relaxed); }

RequestMetricsSnapshot RequestMetrics::Snapshot() const {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  RequestMetricsSnapshot s;
  s.requests = requests_.load(kRelaxed);
  s.errors = errors_.load(kRelaxed);
  s.retries = retries_.load(kRelaxed);
  s.bytes_out = bytes_out_.load(kRelaxed);
  s.bytes_in = bytes_in_.load(kRelaxed);
  s.latency_sum_us = latency_sum_us_.load(kRelaxed);
  s.latency_max_us = latency_max_us_.load(kRelaxed);
  return s;
}

void RequestMetrics::Reset() {
  for (auto* a : {&requests_, &errors_, &retries_, &bytes_out_, &bytes_in_, &latency_sum_us_,
                  &latency_max_us_}) {
    a->store(0, std::memory_order_relaxed);
  }
}

std::string RequestMetrics::ToString() const {
  const RequestMetricsSnapshot s = Snapshot();
  return "requests=" + std::to_string(s.requests) + " errors=" + std::to_string(s.errors) +
         " retries=" + std::to_string(s.retries) + " bytes_out=" + std::to_string(s.bytes_out) +
         " bytes_in=" + std::to_string(s.bytes_in) +
         " latency_sum_us=" + std::to_string(s.latency_sum_us) +
         " latency_max_us=" + std::to_string(s.latency_max_us);
}

std::string RequestMetrics::ToJson() const {
  const RequestMetricsSnapshot s = Snapshot();
  return "{\"requests\":" + std::to_string(s.requests) + ",\"errors\":" + std::to_string(s.errors) +
         ",\"retries\":" + std::to_string(s.retries) +
         ",\"bytes_out\":" + std::to_string(s.bytes_out) +
         ",\"bytes_in\":" + std::to_string(s.bytes_in) +
         ",\"latency_sum_us\":" + std::to_string(s.latency_sum_us) +
         ",\"latency_max_us\":" + std::to_string(s.latency_max_us) + "}";
}

}  // namespace marketlake
