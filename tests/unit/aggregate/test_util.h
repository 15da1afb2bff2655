// Small table builders for the aggregate tests.
#pragma once

#include <arrow/api.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "marketlake/timestamp.h"

namespace marketlake::aggregate_test {

inline int64_t T(const std::string& iso) {
  auto r = ParseTimestampNanos(iso);
  EXPECT_TRUE(r.ok()) << iso;
  return r.ValueOr(0);
}

inline std::shared_ptr<arrow::Array> TsArray(const std::vector<int64_t>& v) {
  arrow::TimestampBuilder b(arrow::timestamp(arrow::TimeUnit::NANO, "UTC"),
                            arrow::default_memory_pool());
  EXPECT_TRUE(b.AppendValues(v).ok());
  return b.Finish().ValueOrDie();
}
inline std::shared_ptr<arrow::Array> StrArray(const std::vector<std::string>& v) {
  arrow::StringBuilder b;
  EXPECT_TRUE(b.AppendValues(v).ok());
  return b.Finish().ValueOrDie();
}
inline std::shared_ptr<arrow::Array> DblArray(const std::vector<double>& v) {
  arrow::DoubleBuilder b;
  EXPECT_TRUE(b.AppendValues(v).ok());
  return b.Finish().ValueOrDie();
}
inline std::shared_ptr<arrow::Array> I64Array(const std::vector<int64_t>& v) {
  arrow::Int64Builder b;
  EXPECT_TRUE(b.AppendValues(v).ok());
  return b.Finish().ValueOrDie();
}

struct Trade {
  std::string ts;
  std::string symbol;
  double price;
  int64_t size;
};

inline std::shared_ptr<arrow::Table> Trades(const std::vector<Trade>& trades) {
  std::vector<int64_t> ts, size;
  std::vector<std::string> sym;
  std::vector<double> price;
  for (const auto& t : trades) {
    ts.push_back(T(t.ts));
    sym.push_back(t.symbol);
    price.push_back(t.price);
    size.push_back(t.size);
  }
  auto schema =
      arrow::schema({arrow::field("ts", arrow::timestamp(arrow::TimeUnit::NANO, "UTC")),
                     arrow::field("symbol", arrow::utf8()), arrow::field("price", arrow::float64()),
                     arrow::field("size", arrow::int64())});
  return arrow::Table::Make(schema, {TsArray(ts), StrArray(sym), DblArray(price), I64Array(size)});
}

// Column `name` of a table as values in row order (nulls as -999 / "<null>").
inline std::vector<int64_t> Ints(const arrow::Table& t, const std::string& name) {
  auto col = t.GetColumnByName(name);
  std::vector<int64_t> out;
  for (const auto& chunk : col->chunks()) {
    auto data = chunk->data();
    const int64_t* v = data->GetValues<int64_t>(1);
    for (int64_t i = 0; i < chunk->length(); ++i) out.push_back(chunk->IsNull(i) ? -999 : v[i]);
  }
  return out;
}
inline std::vector<double> Dbls(const arrow::Table& t, const std::string& name) {
  auto col = t.GetColumnByName(name);
  std::vector<double> out;
  for (const auto& chunk : col->chunks()) {
    const auto& a = static_cast<const arrow::DoubleArray&>(*chunk);
    for (int64_t i = 0; i < a.length(); ++i) out.push_back(a.IsNull(i) ? -999.0 : a.Value(i));
  }
  return out;
}
inline std::vector<std::string> Strs(const arrow::Table& t, const std::string& name) {
  auto col = t.GetColumnByName(name);
  std::vector<std::string> out;
  for (const auto& chunk : col->chunks()) {
    const auto& a = static_cast<const arrow::StringArray&>(*chunk);
    for (int64_t i = 0; i < a.length(); ++i) {
      out.push_back(a.IsNull(i) ? "<null>" : std::string(a.GetView(i)));
    }
  }
  return out;
}

}  // namespace marketlake::aggregate_test
