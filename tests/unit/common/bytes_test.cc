// SameBytes and CompareBytes agree with std::string_view's == and compare() on every pair of
// a set of values around their short/long boundary (16 bytes), including bytes >= 0x80.
#include "marketlake/common/bytes.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace marketlake::internal {
namespace {

int Sign(int c) { return c < 0 ? -1 : (c > 0 ? 1 : 0); }

TEST(BytesTest, AgreesWithStringView) {
  std::vector<std::string> values = {"",
                                     "A",
                                     "AA",
                                     "AB",
                                     "B",
                                     "BRK.B",
                                     "BRK.A",
                                     "a",
                                     std::string("\x80", 1),
                                     std::string("A\0B", 3),
                                     std::string("A\0C", 3),
                                     std::string("\xff\x01", 2)};
  for (const std::string base : {"ABCDEFGHIJKLMNO", "ABCDEFGHIJKLMNOP", "ABCDEFGHIJKLMNOPQ"}) {
    values.push_back(base);
    values.push_back(base + "Z");
    std::string high = base;
    high.back() = '\xe9';  // a high byte in the last position of the short/long compare
    values.push_back(high);
  }
  for (const auto& a : values) {
    for (const auto& b : values) {
      const std::string_view va(a), vb(b);
      SCOPED_TRACE("'" + a + "' vs '" + b + "'");
      EXPECT_EQ(SameBytes(va, vb), va == vb);
      EXPECT_EQ(SameBytes(a.data(), static_cast<int64_t>(a.size()), b.data(),
                          static_cast<int64_t>(b.size())),
                va == vb);
      EXPECT_EQ(CompareBytes(va, vb), Sign(va.compare(vb)));
    }
  }
}

}  // namespace
}  // namespace marketlake::internal
