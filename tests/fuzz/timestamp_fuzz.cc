// ParseTimestampNanos / ParseDateDays never crash, fail only with kInvalidArgument, and what
// they accept formats back to text that parses to the same value.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "marketlake/timestamp.h"

namespace {

void Check(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  std::fprintf(stderr, "timestamp_fuzz: %s for input '%.*s'\n", what,
               static_cast<int>(input.size()), input.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace marketlake;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto nanos = ParseTimestampNanos(text);
  if (nanos.ok()) {
    const std::string formatted = FormatTimestampNanos(*nanos);
    auto back = ParseTimestampNanos(formatted);
    Check(back.ok() && *back == *nanos, "format/parse round trip", text);
  } else {
    Check(CodeOf(nanos.status()) == ErrorCode::kInvalidArgument, "unexpected error code", text);
    Check(nanos.status().message().rfind("timestamp '", 0) == 0, "message prefix", text);
    Check(nanos.status().message().size() < 400, "message length", text);
  }

  auto days = ParseDateDays(text);
  if (days.ok()) {
    auto back = ParseDateDays(FormatDateDays(*days));
    Check(back.ok() && *back == *days, "date round trip", text);
  } else {
    Check(CodeOf(days.status()) == ErrorCode::kInvalidArgument, "unexpected date error code", text);
  }

  // Any int64 formats to text that parses back to it.
  if (size >= sizeof(int64_t)) {
    int64_t v;
    std::memcpy(&v, data, sizeof(v));
    auto back = ParseTimestampNanos(FormatTimestampNanos(v));
    Check(back.ok() && *back == v, "int64 round trip", text);
    int32_t d;
    std::memcpy(&d, data, sizeof(d));
    // Dates parse back only within 0001-9999.
    if (d >= -719162 && d <= 2932896) {
      auto day_back = ParseDateDays(FormatDateDays(d));
      Check(day_back.ok() && *day_back == d, "int32 date round trip", text);
    }
  }
  return 0;
}
