// Small ASCII helpers shared by the modules (private: src/ is on every module's include path).
#pragma once

#include <string>
#include <string_view>

namespace marketlake::internal {

// Lower-cases ASCII letters only; other bytes (UTF-8 included) pass through unchanged, so
// the result does not depend on the process locale.
inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace marketlake::internal
