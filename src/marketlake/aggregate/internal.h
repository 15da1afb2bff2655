// Helpers shared by the aggregate module's sources. Not a public header.
#pragma once

#include <arrow/array.h>
#include <arrow/compute/api.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "marketlake/common/bytes.h"
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

using internal::SameBytes;

inline constexpr uint32_t kNoId = 0xFFFFFFFFu;

// Calls f(i, index) for each row i of a dictionary array: the row's index into the
// dictionary as int64, or -1 for a null row.
template <typename F>
Status ForEachDictionaryIndex(const arrow::DictionaryArray& dict, F&& f) {
  ML_ASSIGN_OR_RETURN(auto idx, arrow::compute::Cast(*dict.indices(), arrow::int64()));
  const auto& ix = static_cast<const arrow::Int64Array&>(*idx);
  const int64_t* raw = ix.raw_values();
  for (int64_t i = 0; i < ix.length(); ++i) f(i, ix.IsNull(i) ? int64_t{-1} : raw[i]);
  return Status::OK();
}

// Ids for the values of a utf8, large_utf8 or dictionary column, one per row into `out`
// (kNoId for nulls): `intern(std::string_view) -> uint32_t` is called once per run of equal
// values (per dictionary value for dictionaries). kDataType naming `name` for other types.
template <typename Intern>
Status MapStringRuns(const arrow::Array& array, std::string_view name, Intern&& intern,
                     uint32_t* out) {
  const int64_t n = array.length();
  auto strings = [&](const auto& arr) {
    const auto* offsets = arr.raw_value_offsets();
    const char* data = reinterpret_cast<const char*>(arr.raw_data());
    const uint8_t* valid = arr.null_count() > 0 ? arr.null_bitmap_data() : nullptr;
    const char* prev_p = nullptr;
    int64_t prev_len = -1;
    uint32_t prev_id = kNoId;
    for (int64_t i = 0; i < n; ++i) {
      if (valid != nullptr && !arrow::bit_util::GetBit(valid, arr.offset() + i)) {
        out[i] = kNoId;
        continue;
      }
      const char* p = data + offsets[i];
      const int64_t len = offsets[i + 1] - offsets[i];
      if (prev_len < 0 || !SameBytes(p, len, prev_p, prev_len)) {
        prev_id = intern(std::string_view(p, static_cast<size_t>(len)));
        prev_p = p;
        prev_len = len;
      }
      out[i] = prev_id;
    }
  };
  switch (array.type_id()) {
    case arrow::Type::STRING:
      strings(static_cast<const arrow::StringArray&>(array));
      return Status::OK();
    case arrow::Type::LARGE_STRING:
      strings(static_cast<const arrow::LargeStringArray&>(array));
      return Status::OK();
    case arrow::Type::DICTIONARY: {
      const auto& dict = static_cast<const arrow::DictionaryArray&>(array);
      std::vector<uint32_t> map(static_cast<size_t>(dict.dictionary()->length()));
      ML_RETURN_NOT_OK(MapStringRuns(*dict.dictionary(), name, intern, map.data()));
      return ForEachDictionaryIndex(dict,
                                    [&](int64_t i, int64_t k) { out[i] = k < 0 ? kNoId : map[k]; });
    }
    default:
      return Error(ErrorCode::kDataType, "column '" + std::string(name) +
                                             "': expected utf8 or dictionary, got " +
                                             array.type()->ToString());
  }
}

// Values of a key column -> dense ids shared across calls (strings by value, whatever the
// encoding; integers by value). kNullId for nulls.
class KeyIds {
 public:
  static constexpr uint32_t kNullId = kNoId;
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
