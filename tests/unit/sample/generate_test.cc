#include "marketlake/generate.h"

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace marketlake {
namespace {

constexpr int64_t kNs = 1000000000LL;

std::shared_ptr<arrow::Table> Generate(const GenerateOptions& o) {
  auto reader = MakeSampleReader(o).ValueOrDie();
  return reader->ToTable().ValueOrDie()->CombineChunks().ValueOrDie();
}

int64_t DaysFromCivil(int y, unsigned m, unsigned d) {
  // 2024-03-04 is day 19786; tests only need a few fixed dates.
  if (y == 2024 && m == 3 && d == 8) return 19790;
  if (y == 2024 && m == 3 && d == 11) return 19793;
  if (y == 2024 && m == 11 && d == 1) return 20028;
  if (y == 2024 && m == 11 && d == 4) return 20031;
  return -1;
}

TEST(NewYorkOffsetTest, DaylightSavingBoundaries2024) {
  EXPECT_EQ(NewYorkUtcOffsetSeconds(DaysFromCivil(2024, 3, 8)), -5 * 3600);
  EXPECT_EQ(NewYorkUtcOffsetSeconds(DaysFromCivil(2024, 3, 11)), -4 * 3600);
  EXPECT_EQ(NewYorkUtcOffsetSeconds(DaysFromCivil(2024, 11, 1)), -4 * 3600);
  EXPECT_EQ(NewYorkUtcOffsetSeconds(DaysFromCivil(2024, 11, 4)), -5 * 3600);
}

TEST(GenerateTest, TradesAreOrderedInterleavedAndInSession) {
  GenerateOptions o;
  o.symbols = 7;
  o.days = 6;  // Mon 2024-03-04 .. Mon 2024-03-11 (DST starts on the 10th)
  o.rows = 30001;
  o.batch_rows = 4096;
  auto t = Generate(o);
  ASSERT_EQ(t->num_rows(), 30001);
  EXPECT_EQ(t->schema()->ToString(),
            "ts: timestamp[ns, tz=UTC] not null\n"
            "symbol: dictionary<values=string, indices=int32, ordered=0> not null\n"
            "price: double not null\nsize: int64 not null\n"
            "exchange: dictionary<values=string, indices=int32, ordered=0> not null\n"
            "trade_id: int64 not null");
  auto ts = std::static_pointer_cast<arrow::TimestampArray>(t->column(0)->chunk(0));
  auto price = std::static_pointer_cast<arrow::DoubleArray>(t->column(2)->chunk(0));
  auto ids = std::static_pointer_cast<arrow::Int64Array>(t->column(5)->chunk(0));
  std::set<int64_t> days;
  for (int64_t i = 0; i < t->num_rows(); ++i) {
    if (i > 0) {
      ASSERT_LE(ts->Value(i - 1), ts->Value(i));
    }
    const int64_t secs = ts->Value(i) / kNs;
    // The New York date is the UTC date of (UTC - 5h) for times between 04:00 and 20:00.
    const int64_t day = (secs - 5 * 3600) / 86400;
    const int64_t local = secs + NewYorkUtcOffsetSeconds(day) - day * 86400;
    ASSERT_GE(local, 4 * 3600) << i;
    ASSERT_LT(local, 20 * 3600) << i;
    days.insert(day);
    // Prices sit on the cent grid.
    const double cents = price->Value(i) * 100;
    ASSERT_NEAR(cents, std::round(cents), 1e-6);
    ASSERT_GE(price->Value(i), 1.0);
    ASSERT_EQ(ids->Value(i), i + 1);
  }
  EXPECT_EQ(days.size(), 6u);        // weekends skipped
  EXPECT_EQ(days.count(19791), 0u);  // Saturday 2024-03-09
  // Every symbol trades.
  auto dict = std::static_pointer_cast<arrow::DictionaryArray>(t->column(1)->chunk(0));
  auto counts = arrow::compute::ValueCounts(dict->indices()).ValueOrDie();
  EXPECT_EQ(counts->length(), 7);
}

TEST(GenerateTest, SameSeedSameRows) {
  GenerateOptions o;
  o.kind = GenerateOptions::Kind::kQuotes;
  o.rows = 5000;
  auto a = Generate(o);
  auto b = Generate(o);
  EXPECT_TRUE(a->Equals(*b));
  o.seed = 43;
  EXPECT_FALSE(a->Equals(*Generate(o)));
  auto bid = std::static_pointer_cast<arrow::DoubleArray>(a->GetColumnByName("bid")->chunk(0));
  auto ask = std::static_pointer_cast<arrow::DoubleArray>(a->GetColumnByName("ask")->chunk(0));
  for (int64_t i = 0; i < a->num_rows(); ++i) ASSERT_LT(bid->Value(i), ask->Value(i));
}

TEST(GenerateTest, RejectsBadOptions) {
  GenerateOptions o;
  o.symbols = 0;
  EXPECT_EQ(MakeSampleReader(o).status().message(), "--symbols 0: expected 1..100000");
  o = GenerateOptions{};
  o.start_date = "2024-02-30";
  EXPECT_EQ(MakeSampleReader(o).status().message(), "--start '2024-02-30': no such date");
  o.start_date = "yesterday";
  EXPECT_EQ(MakeSampleReader(o).status().message(),
            "--start 'yesterday': expected a date YYYY-MM-DD between 1970 and 2200");
  o = GenerateOptions{};
  o.rows = 0;
  EXPECT_EQ(Generate(o)->num_rows(), 0);
}

}  // namespace
}  // namespace marketlake
