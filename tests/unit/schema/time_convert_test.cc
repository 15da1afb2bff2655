#include "marketlake/schema/time_convert.h"

#include <gtest/gtest.h>

namespace marketlake::schema_internal {
namespace {

constexpr int64_t kS = 1'000'000'000LL;

int64_t Parse(std::string_view s, bool* has_offset = nullptr) {
  ParsedTime p;
  EXPECT_TRUE(ParseIsoTime(s, &p)) << s;
  if (has_offset != nullptr) *has_offset = p.has_offset;
  return p.ns;
}

TEST(ParseIsoTime, Forms) {
  bool off = false;
  EXPECT_EQ(Parse("2024-03-11T09:30:00-04:00", &off), 1710163800 * kS);
  EXPECT_TRUE(off);
  EXPECT_EQ(Parse("2024-03-11 13:30", &off), 1710163800 * kS);
  EXPECT_FALSE(off);
  EXPECT_EQ(Parse("  2024-03-11t13:30:00  "), 1710163800 * kS);
  EXPECT_EQ(Parse("2024-03-11T19:00:00+0530"), 1710163800 * kS);
  EXPECT_EQ(Parse("2024-03-11T13:30:00.000000001Z"), 1710163800 * kS + 1);
  EXPECT_EQ(Parse("2024-03-11T13:30:00,25Z"), 1710163800 * kS + 250000000);
  EXPECT_EQ(Parse("2024-02-29"), 1709164800 * kS);
  EXPECT_EQ(Parse("1970-01-01"), 0);
  EXPECT_EQ(Parse("1969-12-31T23:59:59Z"), -kS);
  EXPECT_EQ(Parse("1678-01-01"), DaysFromCivil(1678, 1, 1) * 86400 * kS);
}

TEST(ParseIsoTime, Refusals) {
  for (const char* s :
       {"", "2024", "2024-3-11", "2023-02-29", "2024-13-01", "2024-00-10", "2024-03-11T24:00:00",
        "2024-03-11T13:60", "2024-03-11T13:30:60", "2024-03-11T13:30:00.",
        "2024-03-11T13:30:00.1234567891", "2024-03-11T13:30:00+24:00", "2024-03-11T13:30:00 EST",
        "2024-03-11X13:30", "1677-12-31", "2262-01-01", "20240311", "2024-03-11T13:30:00Zjunk"}) {
    ParsedTime p;
    EXPECT_FALSE(ParseIsoTime(s, &p)) << s;
  }
}

TEST(LocalToUtc, NewYorkTransitions) {
  auto z = LocalToUtc::Make("America/New_York");
  ASSERT_TRUE(z.ok());
  int64_t utc = 0;
  const int64_t gap = Parse("2024-03-10 02:30:00");
  EXPECT_EQ(z->Convert(gap, AmbiguousTime::kEarliest, &utc), LocalToUtc::Outcome::kNonexistent);
  const int64_t overlap = Parse("2024-11-03 01:30:00");
  EXPECT_EQ(z->Convert(overlap, AmbiguousTime::kEarliest, &utc), LocalToUtc::Outcome::kAmbiguous);
  EXPECT_EQ(utc, Parse("2024-11-03T05:30:00Z"));
  EXPECT_EQ(z->Convert(overlap, AmbiguousTime::kLatest, &utc), LocalToUtc::Outcome::kAmbiguous);
  EXPECT_EQ(utc, Parse("2024-11-03T06:30:00Z"));
  // Sub-second parts survive; times just around the transitions resolve uniquely.
  EXPECT_EQ(z->Convert(Parse("2024-03-10 01:59:59.999999999"), AmbiguousTime::kEarliest, &utc),
            LocalToUtc::Outcome::kOk);
  EXPECT_EQ(utc, Parse("2024-03-10T06:59:59.999999999Z"));
  EXPECT_EQ(z->Convert(Parse("2024-11-03 02:00:00"), AmbiguousTime::kEarliest, &utc),
            LocalToUtc::Outcome::kOk);
  EXPECT_EQ(utc, Parse("2024-11-03T07:00:00Z"));
  // Pre-1970 wall times (negative local ns) floor correctly.
  EXPECT_EQ(z->Convert(Parse("1969-12-31 19:00:00.5"), AmbiguousTime::kEarliest, &utc),
            LocalToUtc::Outcome::kOk);
  EXPECT_EQ(utc, kS / 2);
}

TEST(LocalToUtc, UtcIsIdentityAndUnknownFails) {
  auto z = LocalToUtc::Make("UTC");
  ASSERT_TRUE(z.ok());
  EXPECT_TRUE(z->is_utc());
  EXPECT_EQ(CodeOf(LocalToUtc::Make("Mars/Olympus").status()), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace marketlake::schema_internal

namespace marketlake::schema_internal {
namespace {

// Random near-ISO strings: the parser never reads out of bounds and whatever it accepts
// round-trips through its own canonical form.
TEST(ParseIsoTime, RandomInputsAreSafe) {
  const std::string alphabet = "0123456789-:T Z+.,tUC";
  uint64_t state = 42;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 33);
  };
  int accepted = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string s = "2024-03-11";
    if (next() % 4 == 0) s.clear();
    const int len = static_cast<int>(next() % 24);
    for (int j = 0; j < len; ++j) s.push_back(alphabet[next() % alphabet.size()]);
    ParsedTime p;
    if (ParseIsoTime(s, &p)) {
      ++accepted;
      // Years 1678..2261, moved at most a day by an offset.
      EXPECT_GE(p.ns, (DaysFromCivil(1678, 1, 1) - 1) * 86400 * kS);
      EXPECT_LE(p.ns, (DaysFromCivil(2262, 1, 1) + 1) * 86400 * kS);
    }
  }
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace marketlake::schema_internal
