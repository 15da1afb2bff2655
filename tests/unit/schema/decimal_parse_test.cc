// The fast paths equal std::from_chars wherever they parse (bit for bit, -0.0 included), and
// decline every form outside their grammar, on hand-picked edges and a million random
// decimal strings.
#include "marketlake/schema/decimal_parse.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace marketlake::schema_internal {
namespace {

bool StdInt64(std::string_view s, int64_t* v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

bool StdDouble(std::string_view s, double* v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

uint64_t Bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

// Where ours parses, from_chars parses to the same value.
void ExpectAgrees(const std::string& s) {
  int64_t ours_i = 0, std_i = 0;
  if (ParseSimpleInt64(s, &ours_i)) {
    ASSERT_TRUE(StdInt64(s, &std_i)) << s;
    EXPECT_EQ(ours_i, std_i) << s;
  }
  double ours_d = 0, std_d = 0;
  if (ParseSimpleDouble(s, &ours_d)) {
    ASSERT_TRUE(StdDouble(s, &std_d)) << s;
    EXPECT_EQ(Bits(ours_d), Bits(std_d)) << s << ": " << ours_d << " vs " << std_d;
  }
}

TEST(DecimalParse, Edges) {
  const std::vector<std::pair<std::string, bool>> ints = {
      {"0", true},
      {"-0", true},
      {"007", true},
      {"412", true},
      {"-7", true},
      {"999999999999999999", true},
      {"-999999999999999999", true},
      {"1000000000000000000", false},  // 19 digits: left to from_chars
      {"", false},
      {"-", false},
      {"+5", false},
      {" 5", false},
      {"5 ", false},
      {"5.0", false},
      {"1e3", false},
      {"--5", false},
      {"5-", false},
      {"0x10", false},
      {std::string("1\0", 2), false}};
  for (const auto& [s, parses] : ints) {
    int64_t v = -1;
    EXPECT_EQ(ParseSimpleInt64(s, &v), parses) << s;
    ExpectAgrees(s);
  }
  const std::vector<std::pair<std::string, bool>> doubles = {
      {"0", true},
      {"-0", true},
      {"0.0", true},
      {"-0.0", true},
      {"51.07", true},
      {"343.22", true},
      {"0.1", true},
      {"0.3", true},
      {"-1.5", true},
      {"123456789012345", true},
      {"1.23456789012345", true},
      {"0.00000000000001", true},
      {"0.000000000000001", false},
      {"9007199254740.99", true},
      {"1234567890123456", false},  // 16 digits
      {"5.", false},
      {".5", false},
      {"-.5", false},
      {"1.2.3", false},
      {"1e5", false},
      {"inf", false},
      {"nan", false},
      {"+1.5", false},
      {"", false},
      {"-", false},
      {".", false},
      {"1,5", false}};
  for (const auto& [s, parses] : doubles) {
    double v = -1;
    EXPECT_EQ(ParseSimpleDouble(s, &v), parses) << s;
    ExpectAgrees(s);
  }
  double v = 1;
  ASSERT_TRUE(ParseSimpleDouble("-0", &v));
  EXPECT_TRUE(std::signbit(v));
}

TEST(DecimalParse, RandomDecimalsEqualFromChars) {
  std::mt19937_64 rng(20261208);
  const char alphabet[] = "0123456789.-";
  for (int i = 0; i < 1000000; ++i) {
    std::string s;
    if (rng() % 4 == 0) {  // any short string over the alphabet
      const int len = static_cast<int>(rng() % 20);
      for (int k = 0; k < len; ++k) s += alphabet[rng() % 12];
    } else {  // a price or size: [-]int[.frac]
      if (rng() % 5 == 0) s += '-';
      const int whole = 1 + static_cast<int>(rng() % 12);
      for (int k = 0; k < whole; ++k) s += static_cast<char>('0' + rng() % 10);
      if (rng() % 2) {
        s += '.';
        const int frac = 1 + static_cast<int>(rng() % 10);
        for (int k = 0; k < frac; ++k) s += static_cast<char>('0' + rng() % 10);
      }
    }
    ExpectAgrees(s);
    if (HasFatalFailure() || HasNonfatalFailure()) return;
  }
}

}  // namespace
}  // namespace marketlake::schema_internal
