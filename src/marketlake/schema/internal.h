// Helpers shared by the schema module's translation units. Not a public API.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace marketlake::schema_internal {

// The matching key of a column name: ASCII letters lowercased, digits kept, everything else
// ('_', '-', ' ', '.') dropped, so "Bid Size", "bid_size", "BIDSIZE" all match.
inline std::string NameKey(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace marketlake::schema_internal
