// Byte comparison for short values (private: src/ is on every module's include path).
#pragma once

#include <cstdint>
#include <cstring>

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

}  // namespace marketlake::internal
