// Helpers shared by the aggregate module's sources. Not a public header.
#pragma once

#include <arrow/array.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "marketlake/sessions.h"
#include "marketlake/status.h"

namespace marketlake::aggregate_internal {

inline int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// UTC -> local date and time of day, caching the zone offset for its DST period and the
// calendar's answer for the last local day.
class LocalClock {
 public:
  explicit LocalClock(const TradingCalendar* cal) : cal_(cal) {}
  void Convert(int64_t utc_ns, int32_t* days, int64_t* tod_ns);
  Session Classify(int64_t utc_ns, int32_t* days);
  // Whether the day of the last Classify() is a trading day.
  bool trading_day() const { return cached_trading_; }

 private:
  const TradingCalendar* cal_;
  ZoneOffsetCache zone_;
  int32_t cached_day_ = std::numeric_limits<int32_t>::min();
  bool cached_trading_ = false;
  int64_t cached_close_ns_ = 0;
};

// A timestamp (any unit) or int64 column as int64 nanoseconds.
struct TimeColumn {
  const int64_t* values = nullptr;
  std::vector<int64_t> owned;
  const arrow::Array* array = nullptr;
};
Result<TimeColumn> ReadTimeColumn(const arrow::Array& array, std::string_view name);

}  // namespace marketlake::aggregate_internal

namespace marketlake::aggregate_internal {

// Values of a key column -> dense ids shared across calls (strings by value, whatever the
// encoding; integers by value). kNullId for nulls.
class KeyIds {
 public:
  static constexpr uint32_t kNullId = 0xFFFFFFFFu;
  // Appends one id per row of `array` to `out`.
  Status Map(const arrow::Array& array, std::string_view name, std::vector<uint32_t>* out);
  const std::vector<std::string>& names() const { return names_; }  // string keys, by id
  size_t size() const { return next_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>> strings_;
  std::unordered_map<int64_t, uint32_t> ints_;
  std::vector<std::string> names_;
  uint32_t next_ = 0;
};

// One array holding all chunks of a column (an empty array for no chunks).
Result<std::shared_ptr<arrow::Array>> SingleArray(const arrow::ChunkedArray& column);

}  // namespace marketlake::aggregate_internal
