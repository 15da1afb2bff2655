// Byte comparisons for short values (private: src/ is on every module's include path).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace marketlake::internal {

// Whether a and b hold the same bytes; inline for short values such as symbols, where a
// call to memcmp for each row costs more than the compare itself.
inline bool SameBytes(const char* a, int64_t a_len, const char* b, int64_t b_len) {
  if (a_len != b_len) return false;
  if (a_len > 16) return std::memcmp(a, b, static_cast<size_t>(a_len)) == 0;
  for (int64_t k = 0; k < a_len; ++k) {
    if (a[k] != b[k]) return false;
  }
  return true;
}

inline bool SameBytes(std::string_view a, std::string_view b) {
  return SameBytes(a.data(), static_cast<int64_t>(a.size()), b.data(),
                   static_cast<int64_t>(b.size()));
}

// a.compare(b) as -1, 0 or 1 (bytes compared as unsigned, a prefix first), inline for short
// values.
inline int CompareBytes(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  if (n <= 16) {
    for (size_t k = 0; k < n; ++k) {
      if (a[k] != b[k]) {
        return static_cast<unsigned char>(a[k]) < static_cast<unsigned char>(b[k]) ? -1 : 1;
      }
    }
  } else if (const int c = std::memcmp(a.data(), b.data(), n); c != 0) {
    return c < 0 ? -1 : 1;
  }
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

}  // namespace marketlake::internal
