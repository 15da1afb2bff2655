#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "marketlake/lake_layout.h"

namespace marketlake {
namespace {

TEST(LakeLayout, EncodeKeepsPlainSymbols) {
  EXPECT_EQ(*EncodePartitionValue("AAPL"), "AAPL");
  EXPECT_EQ(*EncodePartitionValue("BRK.B"), "BRK.B");
  EXPECT_EQ(*EncodePartitionValue("btc-usd_1"), "btc-usd_1");
}

TEST(LakeLayout, HostileValuesAreEncodedAndRoundTrip) {
  EXPECT_EQ(*EncodePartitionValue("../x"), "%2E.%2Fx");
  EXPECT_EQ(*EncodePartitionValue("."), "%2E");
  EXPECT_EQ(*EncodePartitionValue(".."), "%2E.");
  EXPECT_EQ(*EncodePartitionValue("a/b"), "a%2Fb");
  EXPECT_EQ(*EncodePartitionValue("a=b"), "a%3Db");
  EXPECT_EQ(*EncodePartitionValue("a%b"), "a%25b");
  EXPECT_EQ(*EncodePartitionValue("a\\b"), "a%5Cb");
  EXPECT_EQ(*EncodePartitionValue("a b"), "a%20b");
  EXPECT_EQ(*EncodePartitionValue("\xC3\xA9"), "%C3%A9");  // é
  for (const std::string v :
       {"../x", ".", "..", "a/b", "a=b", "%", "%41", "a\\b", " ", "\n", "\xC3\xA9t\xC3\xA9",
        "\xF0\x9F\x9A\x80", "year=2024", "..\\..", "-", "_", "~"}) {
    auto enc = EncodePartitionValue(v);
    ASSERT_TRUE(enc.ok()) << v;
    EXPECT_EQ(enc->find('/'), std::string::npos) << v;
    EXPECT_EQ(enc->find('='), std::string::npos) << v;
    EXPECT_NE(*enc, ".");
    EXPECT_NE(*enc, "..");
    EXPECT_FALSE(enc->starts_with('.')) << v;
    auto dec = DecodePartitionValue(*enc);
    ASSERT_TRUE(dec.ok()) << dec.status().ToString();
    EXPECT_EQ(*dec, v);
  }
}

TEST(LakeLayout, RejectedValues) {
  EXPECT_EQ(CodeOf(EncodePartitionValue("").status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(EncodePartitionValue(std::string("a\0b", 3)).status()),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(EncodePartitionValue("\xFF").status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(EncodePartitionValue("\xC0\xAF").status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(EncodePartitionValue("\xED\xA0\x80").status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(EncodePartitionValue("\xE2\x82").status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(EncodePartitionValue(std::string(257, 'A')).status()),
            ErrorCode::kInvalidArgument);
}

TEST(LakeLayout, DecodeAcceptsOnlyCanonical) {
  for (const char* bad :
       {"", ".", "..", "%2e", "%41", "a/b", "%2", "%zz", "a%", "%00", "%FF", ".x", "a=b"}) {
    auto dec = DecodePartitionValue(bad);
    EXPECT_FALSE(dec.ok()) << bad;
    EXPECT_EQ(CodeOf(dec.status()), ErrorCode::kCorruption) << bad;
  }
}

TEST(LakeLayout, DataPathRoundTrip) {
  PartitionValues values = {{"year", "2024"}, {"month", "03"}, {"symbol", "../etc/passwd"}};
  std::string name = NewDataFileName(7);
  auto path = DataFilePath(Layer::kCleaned, "trades", values, name);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_TRUE(path->starts_with("cleaned/trades/year=2024/month=03/symbol=%2E.%2Fetc%2Fpasswd/"));
  auto parsed = ParseDataFilePath(*path);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->layer, Layer::kCleaned);
  EXPECT_EQ(parsed->dataset, "trades");
  EXPECT_EQ(parsed->partition, values);
  EXPECT_EQ(parsed->version, 7);
  EXPECT_EQ(parsed->file_name, name);
  EXPECT_NE(NewDataFileName(7), name);
}

TEST(LakeLayout, InvalidPathsAreCorruptionNamingThem) {
  for (const char* bad :
       {"", "raw", "raw/trades",
        "nope/trades/00000000000000000001-0123456789abcdef0123456789abcdef.parquet",
        "raw/Trades/00000000000000000001-0123456789abcdef0123456789abcdef.parquet",
        "raw/trades/year/00000000000000000001-0123456789abcdef0123456789abcdef.parquet",
        "raw/trades/year=../00000000000000000001-0123456789abcdef0123456789abcdef.parquet",
        "raw/trades/Year=1/00000000000000000001-0123456789abcdef0123456789abcdef.parquet",
        "raw/trades/x.parquet",
        "raw/trades/00000000000000000001-0123456789ABCDEF0123456789abcdef.parquet",
        "raw/trades/99999999999999999999-0123456789abcdef0123456789abcdef.parquet",
        "raw/trades//00000000000000000001-0123456789abcdef0123456789abcdef.parquet"}) {
    auto parsed = ParseDataFilePath(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(CodeOf(parsed.status()), ErrorCode::kCorruption) << bad;
    if (*bad) {
      EXPECT_NE(parsed.status().message().find(bad), std::string::npos);
    }
  }
}

TEST(LakeLayout, NamesAndLogPaths) {
  EXPECT_TRUE(ValidateDatasetName("bars_1m").ok());
  for (const char* bad : {"", "1x", "Trades", "a/b", "..", "a-b", "_x"}) {
    EXPECT_EQ(CodeOf(ValidateDatasetName(bad)), ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(*LogEntryPath("trades", 42), "_marketlake/trades/_log/00000000000000000042.json");
  EXPECT_EQ(*StatsEntryPath("trades", 3), "_marketlake/stats/trades/00000000000000000003.json");
  EXPECT_EQ(*ParseLogEntryName("00000000000000000042.json"), 42);
  EXPECT_EQ(CodeOf(ParseLogEntryName("42.json").status()), ErrorCode::kCorruption);
  EXPECT_EQ(CodeOf(ParseLogEntryName("0000000000000000004x.json").status()),
            ErrorCode::kCorruption);
  EXPECT_EQ(*ParseLayer("processed"), Layer::kCleaned);
  EXPECT_EQ(*ParseLayer("analytics"), Layer::kFeatures);
  EXPECT_FALSE(ParseLayer("gold").ok());
}

}  // namespace
}  // namespace marketlake
