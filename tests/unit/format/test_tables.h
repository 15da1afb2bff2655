// Small tables for format tests: every common column type, with nulls, from a fixed seed.
#pragma once

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>

namespace marketlake::testing {

inline std::shared_ptr<arrow::Table> RandomTable(int64_t rows, uint32_t seed, double null_rate) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::NANO, "UTC"),
                             arrow::default_memory_pool());
  arrow::StringDictionary32Builder sym;
  arrow::DoubleBuilder price;
  arrow::Int64Builder size;
  arrow::Int32Builder i32;
  arrow::StringBuilder note;
  arrow::BooleanBuilder flag;
  arrow::Date32Builder day;
  const char* symbols[] = {"AAPL", "MSFT", "NVDA", "A", "ZTS"};
  int64_t t = 1709560800000000000LL;
  for (int64_t i = 0; i < rows; ++i) {
    t += static_cast<int64_t>(u(rng) * 1e9);
    auto maybe_null = [&](auto& b, auto v) {
      if (u(rng) < null_rate) {
        (void)b.AppendNull();
      } else {
        (void)b.Append(v);
      }
    };
    (void)ts.Append(t);
    (void)sym.Append(symbols[rng() % 5]);
    maybe_null(price, std::round(u(rng) * 50000) / 100.0);
    maybe_null(size, static_cast<int64_t>(rng() % 1000));
    maybe_null(i32, static_cast<int32_t>(rng() % 200000) - 100000);
    maybe_null(note, std::string(rng() % 12, static_cast<char>('a' + rng() % 26)));
    maybe_null(flag, (rng() & 1) == 1);
    maybe_null(day, static_cast<int32_t>(19700 + rng() % 30));
  }
  auto schema = arrow::schema(
      {arrow::field("ts", ts.type(), false),
       arrow::field("symbol", arrow::dictionary(arrow::int32(), arrow::utf8()), false),
       arrow::field("price", arrow::float64()), arrow::field("size", arrow::int64()),
       arrow::field("delta", arrow::int32()), arrow::field("note", arrow::utf8()),
       arrow::field("flag", arrow::boolean()), arrow::field("day", arrow::date32())});
  std::shared_ptr<arrow::Array> a[8];
  (void)ts.Finish(&a[0]);
  (void)sym.Finish(&a[1]);
  (void)price.Finish(&a[2]);
  (void)size.Finish(&a[3]);
  (void)i32.Finish(&a[4]);
  (void)note.Finish(&a[5]);
  (void)flag.Finish(&a[6]);
  (void)day.Finish(&a[7]);
  return arrow::Table::Make(schema, {a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]});
}

// Tables equal in values: dictionary columns compare by their decoded values (Arrow's
// Equals also compares dictionary representation, which readers need not preserve), and
// types must otherwise match exactly.
inline ::testing::AssertionResult SameValues(const arrow::Table& expected,
                                             const arrow::Table& actual) {
  if (expected.num_rows() != actual.num_rows() || expected.num_columns() != actual.num_columns()) {
    return ::testing::AssertionFailure()
           << "shape differs: " << expected.num_rows() << "x" << expected.num_columns() << " vs "
           << actual.num_rows() << "x" << actual.num_columns();
  }
  for (int c = 0; c < expected.num_columns(); ++c) {
    auto e = expected.column(c);
    auto a = actual.column(c);
    if (!e->type()->Equals(*a->type())) {
      return ::testing::AssertionFailure() << "column " << c << " type " << e->type()->ToString()
                                           << " vs " << a->type()->ToString();
    }
    if (e->type()->id() == arrow::Type::DICTIONARY) {
      auto vt = static_cast<const arrow::DictionaryType&>(*e->type()).value_type();
      e = arrow::compute::Cast(e, vt).ValueOrDie().chunked_array();
      a = arrow::compute::Cast(a, vt).ValueOrDie().chunked_array();
    }
    if (!e->Equals(*a)) {
      return ::testing::AssertionFailure()
             << "column '" << expected.schema()->field(c)->name() << "' values differ";
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace marketlake::testing
