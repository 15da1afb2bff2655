// ParquetScanner against an oracle: for every predicate, projection and file layout the
// scanner must return exactly what FileReader::ReadTable + arrow::compute::Filter returns,
// while reading only the pages it needs.
#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/io/memory.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>
#include <parquet/file_reader.h>
#include <parquet/page_index.h>
#include <parquet/properties.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "marketlake/predicate.h"
#include "marketlake/scan.h"
#include "marketlake/status.h"

namespace marketlake {
namespace {

namespace cp = arrow::compute;

template <typename T>
T Check(arrow::Result<T> r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) std::abort();
  return std::move(r).ValueUnsafe();
}

void CheckOk(const arrow::Status& st) {
  EXPECT_TRUE(st.ok()) << st.ToString();
  if (!st.ok()) std::abort();
}

struct FileLayout {
  int64_t row_group_rows = 10000;
  int64_t page_rows = 500;
  bool page_index = true;
  bool statistics = true;
  bool dictionary = true;
  std::vector<std::string> bloom_columns;
  parquet::Compression::type codec = parquet::Compression::SNAPPY;
  bool data_page_v2 = false;
  bool checksums = false;
  bool store_schema = true;  // false: as written by engines that do not store ARROW:schema
};

std::shared_ptr<arrow::Buffer> WriteParquet(const arrow::Table& table, const FileLayout& layout) {
  parquet::WriterProperties::Builder b;
  b.max_row_group_length(layout.row_group_rows)
      ->max_rows_per_page(layout.page_rows)
      ->data_pagesize(1 << 20)
      ->compression(layout.codec);
  if (layout.page_index) {
    b.enable_write_page_index();
  } else {
    b.disable_write_page_index();
  }
  if (!layout.statistics) b.disable_statistics();
  if (layout.data_page_v2) b.data_page_version(parquet::ParquetDataPageVersion::V2);
  if (layout.checksums) b.enable_page_checksum();
  if (!layout.dictionary) b.disable_dictionary();
  for (const auto& c : layout.bloom_columns) {
    parquet::BloomFilterOptions bloom;
    bloom.ndv = 1000;
    bloom.fpp = 0.01;
    b.enable_bloom_filter(c, bloom);
  }
  parquet::ArrowWriterProperties::Builder arrow_builder;
  if (layout.store_schema) arrow_builder.store_schema();
  auto arrow_props = arrow_builder.build();
  auto sink = Check(arrow::io::BufferOutputStream::Create());
  CheckOk(parquet::arrow::WriteTable(table, arrow::default_memory_pool(), sink,
                                     layout.row_group_rows, b.build(), arrow_props));
  return Check(sink->Finish());
}

std::shared_ptr<arrow::io::RandomAccessFile> Reader(std::shared_ptr<arrow::Buffer> buffer) {
  return std::make_shared<arrow::io::BufferReader>(std::move(buffer));
}

// Dictionaries may be built differently (per page vs per row group), so columns are
// compared by value.
std::shared_ptr<arrow::RecordBatch> Normalize(const std::shared_ptr<arrow::RecordBatch>& b) {
  arrow::ArrayVector cols;
  arrow::FieldVector fields;
  for (int i = 0; i < b->num_columns(); ++i) {
    auto col = b->column(i);
    if (col->type()->id() == arrow::Type::DICTIONARY) {
      auto vt = static_cast<const arrow::DictionaryType&>(*col->type()).value_type();
      col = Check(cp::Cast(*col, vt));
    }
    cols.push_back(col);
    fields.push_back(arrow::field(b->schema()->field(i)->name(), col->type()));
  }
  return arrow::RecordBatch::Make(arrow::schema(fields), b->num_rows(), cols);
}

struct ScanResult {
  std::shared_ptr<arrow::RecordBatch> batch;
  std::shared_ptr<arrow::Schema> schema;
  ScanStats stats;
  std::vector<int64_t> batch_rows;
};

ScanOptions Options(const std::string& where, std::vector<std::string> columns = {}) {
  ScanOptions o;
  o.columns = std::move(columns);
  if (!where.empty()) o.where = Check(ParsePredicate(where));
  return o;
}

arrow::Result<ScanResult> Scan(const std::shared_ptr<arrow::Buffer>& file,
                               const ScanOptions& options) {
  ML_ASSIGN_OR_RETURN(auto scanner, ParquetScanner::Open(Reader(file), "test.parquet", options));
  ScanResult out;
  out.schema = scanner->schema();
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  while (true) {
    ML_ASSIGN_OR_RETURN(auto b, scanner->Next());
    if (!b) break;
    EXPECT_GT(b->num_rows(), 0);
    EXPECT_TRUE(b->schema()->Equals(*out.schema));
    out.batch_rows.push_back(b->num_rows());
    batches.push_back(b);
  }
  ML_ASSIGN_OR_RETURN(auto table, arrow::Table::FromRecordBatches(out.schema, batches));
  ML_ASSIGN_OR_RETURN(out.batch, table->CombineChunksToBatch());
  out.stats = scanner->stats();
  return out;
}

std::shared_ptr<arrow::RecordBatch> Oracle(const std::shared_ptr<arrow::Buffer>& file,
                                           const ScanOptions& options) {
  auto reader = Check(parquet::arrow::OpenFile(Reader(file), arrow::default_memory_pool()));
  std::shared_ptr<arrow::Table> table = Check(reader->ReadTable());
  auto batch = Check(table->CombineChunksToBatch());
  if (options.where) {
    auto bound = Check(BindPredicate(*options.where, *batch->schema()));
    auto expr = Check(ToArrowExpression(bound).Bind(*batch->schema()));
    auto mask = Check(cp::ExecuteScalarExpression(expr, cp::ExecBatch(*batch)));
    if (mask.is_scalar()) {
      const auto& keep = mask.scalar_as<arrow::BooleanScalar>();
      if (!keep.is_valid || !keep.value) batch = batch->Slice(0, 0);
    } else {
      batch = Check(cp::Filter(batch, mask)).record_batch();
    }
  }
  if (!options.columns.empty()) {
    std::vector<int> idx;
    for (const auto& c : options.columns) idx.push_back(batch->schema()->GetFieldIndex(c));
    batch = Check(batch->SelectColumns(idx));
  }
  if (options.limit >= 0 && batch->num_rows() > options.limit) {
    batch = batch->Slice(0, options.limit);
  }
  return batch;
}

void ExpectConsistent(const ScanStats& s, bool limited) {
  const int64_t visited =
      s.row_groups_read + s.row_groups_skipped_by_statistics + s.row_groups_skipped_by_bloom_filter;
  if (limited) {
    EXPECT_LE(visited, s.row_groups_total);
  } else {
    EXPECT_EQ(s.row_groups_total, visited);
  }
  EXPECT_EQ(s.pages_skipped, s.pages_total - s.pages_read);
  EXPECT_EQ(s.bytes_skipped, s.bytes_total - s.bytes_read);
  EXPECT_LE(s.pages_read, s.pages_total);
  EXPECT_GE(s.pages_read, 0);
  EXPECT_LE(s.rows_matched, s.rows_decoded);
  EXPECT_LE(s.rows_decoded, s.rows_total);
}

// Scans and compares with the oracle; returns the stats.
ScanStats ExpectSame(const std::shared_ptr<arrow::Buffer>& file, const ScanOptions& options,
                     const std::string& what) {
  SCOPED_TRACE(what);
  auto result = Scan(file, options);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  if (!result.ok()) return {};
  auto expected = Oracle(file, options);
  EXPECT_TRUE(result->schema->Equals(*expected->schema(), /*check_metadata=*/false))
      << result->schema->ToString() << "\nvs\n"
      << expected->schema()->ToString();
  auto got = Normalize(result->batch);
  auto want = Normalize(expected);
  EXPECT_EQ(got->num_rows(), want->num_rows());
  EXPECT_TRUE(got->Equals(*want, arrow::EqualOptions::Defaults().nans_equal(true)))
      << "got " << got->num_rows() << " rows, want " << want->num_rows();
  EXPECT_EQ(result->stats.rows_matched, want->num_rows());
  ExpectConsistent(result->stats, options.limit >= 0);
  return result->stats;
}

// Sorted trades: 20 symbols, each with rows spread over one trading day.
std::shared_ptr<arrow::Table> MakeTrades(int64_t rows, uint64_t seed) {
  static const char* kSymbols[] = {"AAPL", "AMD",  "AMZN", "BA",  "C",    "CSCO", "DIS",
                                   "GOOG", "IBM",  "INTC", "JPM", "KO",   "META", "MSFT",
                                   "NFLX", "NVDA", "ORCL", "PFE", "TSLA", "XOM"};
  std::mt19937_64 rng(seed);
  arrow::StringBuilder symbol;
  arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"),
                             arrow::default_memory_pool());
  arrow::DoubleBuilder price;
  arrow::Int32Builder size;
  arrow::StringBuilder exchange;
  arrow::BooleanBuilder side;
  const int64_t per_symbol = rows / 20;
  const int64_t open_us = 1710149400LL * 1000000;  // 2024-03-11T09:30:00Z
  const int64_t day_us = 6 * 3600LL * 1000000 + 1800LL * 1000000;
  static const char* kExchanges[] = {"NYSE", "NASDAQ", "ARCA", "BATS"};
  for (int s = 0; s < 20; ++s) {
    double p = 100 + s * 10;
    for (int64_t i = 0; i < per_symbol; ++i) {
      CheckOk(symbol.Append(kSymbols[s]));
      CheckOk(ts.Append(open_us + i * day_us / per_symbol));
      p += (static_cast<double>(rng() % 2001) - 1000) / 10000;
      CheckOk(price.Append(p));
      CheckOk(size.Append(static_cast<int32_t>(1 + rng() % 1000)));
      if (rng() % 20 == 0) {
        CheckOk(exchange.AppendNull());
      } else {
        CheckOk(exchange.Append(kExchanges[rng() % 4]));
      }
      CheckOk(side.Append(rng() % 2 == 0));
    }
  }
  auto symbols = Check(symbol.Finish());
  auto dict = Check(cp::DictionaryEncode(symbols)).make_array();
  auto schema = arrow::schema(
      {arrow::field("symbol", dict->type()), arrow::field("ts", ts.type()),
       arrow::field("price", arrow::float64()), arrow::field("size", arrow::int32()),
       arrow::field("exchange", arrow::utf8()), arrow::field("side", arrow::boolean())});
  return arrow::Table::Make(schema,
                            {dict, Check(ts.Finish()), Check(price.Finish()), Check(size.Finish()),
                             Check(exchange.Finish()), Check(side.Finish())});
}

class TradesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    FileLayout layout;
    layout.row_group_rows = 20000;
    layout.page_rows = 500;
    layout.bloom_columns = {"symbol"};
    table_ = MakeTrades(200000, 7);
    file_ = WriteParquet(*table_, layout);
  }
  static void TearDownTestSuite() {
    table_.reset();
    file_.reset();
  }
  static std::shared_ptr<arrow::Table> table_;
  static std::shared_ptr<arrow::Buffer> file_;
};
std::shared_ptr<arrow::Table> TradesTest::table_;
std::shared_ptr<arrow::Buffer> TradesTest::file_;

constexpr char kOneHour[] =
    "symbol = 'MSFT' AND ts >= '2024-03-11T10:00:00Z' AND ts < '2024-03-11T11:00:00Z'";

TEST_F(TradesTest, NoPredicateReadsEverything) {
  auto s = ExpectSame(file_, Options(""), "all");
  EXPECT_EQ(s.rows_matched, 200000);
  EXPECT_EQ(s.pages_read, s.pages_total);
  EXPECT_EQ(s.bytes_read, s.bytes_total);
  EXPECT_EQ(s.row_groups_read, s.row_groups_total);
}

TEST_F(TradesTest, OneSymbolOneHourReadsFewPages) {
  auto s = ExpectSame(file_, Options(kOneHour), "one hour");
  std::printf("pages %lld/%lld bytes %lld/%lld rows %lld/%lld\n", (long long)s.pages_read,
              (long long)s.pages_total, (long long)s.bytes_read, (long long)s.bytes_total,
              (long long)s.rows_decoded, (long long)s.rows_matched);
  EXPECT_GT(s.rows_matched, 0);
  EXPECT_EQ(s.row_groups_read, 1);
  EXPECT_EQ(s.row_groups_skipped_by_statistics, s.row_groups_total - 1);
  // 10000 rows per symbol over 6.5 hours: about 1540 rows in the hour, 4-5 pages of 500
  // per column; 6 columns.
  EXPECT_LE(s.pages_read, 6 * 6);
  // Dictionary pages of high-cardinality columns (ts, price) are most of what is read.
  EXPECT_LT(s.bytes_read * 10, s.bytes_total);
  EXPECT_LT(s.rows_decoded, 3000);
}

TEST_F(TradesTest, ProjectionOrderAndPredicateColumnNotProjected) {
  auto s = ExpectSame(file_, Options(kOneHour, {"price", "size"}), "projection");
  EXPECT_GT(s.rows_matched, 0);
  ExpectSame(file_, Options("side = true AND exchange = 'ARCA'", {"ts", "symbol", "price"}),
             "reordered");
  ExpectSame(file_, Options("", {"exchange"}), "single");
}

TEST_F(TradesTest, BloomFilterSkipsRowGroupsInsideStatisticsRange) {
  // 'MMM' lies between the row group's min and max symbol but is not in it.
  auto s = ExpectSame(file_, Options("symbol = 'MMM'"), "bloom");
  EXPECT_EQ(s.rows_matched, 0);
  EXPECT_GT(s.row_groups_skipped_by_bloom_filter, 0);
  auto in = ExpectSame(file_, Options("symbol IN ('MMM', 'AAB', 'ZZZ')"), "bloom in");
  EXPECT_EQ(in.rows_matched, 0);
  EXPECT_EQ(in.row_groups_read, 0);
  ScanOptions off = Options("symbol = 'MMM'");
  off.use_bloom_filter = false;
  EXPECT_EQ(ExpectSame(file_, off, "bloom off").row_groups_skipped_by_bloom_filter, 0);
}

TEST_F(TradesTest, LimitAndBatchSize) {
  ScanOptions o = Options("symbol >= 'M'");
  o.limit = 12345;
  o.batch_size = 1000;
  auto r = Check(Scan(file_, o));
  EXPECT_EQ(r.batch->num_rows(), 12345);
  for (int64_t n : r.batch_rows) EXPECT_LE(n, 1000);
  ExpectSame(file_, o, "limit");
  // The scan stops at the limit: later row groups are never touched.
  EXPECT_LT(r.stats.row_groups_read, r.stats.row_groups_total);

  ScanOptions zero = Options("");
  zero.limit = 0;
  EXPECT_EQ(Check(Scan(file_, zero)).batch->num_rows(), 0);
  ScanOptions one = Options("");
  one.batch_size = 7777;
  auto all = Check(Scan(file_, one));
  int64_t total = 0;
  for (int64_t n : all.batch_rows) {
    EXPECT_LE(n, 7777);
    total += n;
  }
  EXPECT_EQ(total, 200000);
}

TEST_F(TradesTest, EmptyResults) {
  auto s = ExpectSame(file_, Options("price < 0"), "none by stats");
  EXPECT_EQ(s.row_groups_read, 0);
  EXPECT_EQ(s.pages_read, 0);
  auto p = ExpectSame(file_, Options("size > 2000 OR symbol = 'NOPE'"), "none");
  EXPECT_EQ(p.rows_matched, 0);
  ExpectSame(file_, Options("symbol = 'MSFT' AND symbol = 'AAPL'"), "contradiction");
}

TEST_F(TradesTest, OptionsOffGiveSameRows) {
  for (int mask = 0; mask < 8; ++mask) {
    ScanOptions o = Options(kOneHour, {"ts", "price"});
    o.use_statistics = mask & 1;
    o.use_page_index = mask & 2;
    o.use_bloom_filter = mask & 4;
    auto s = ExpectSame(file_, o, "mask " + std::to_string(mask));
    if (mask == 0) {
      EXPECT_EQ(s.pages_read, s.pages_total);
      EXPECT_EQ(s.row_groups_read, s.row_groups_total);
    }
  }
}

TEST_F(TradesTest, NullsInPredicateColumn) {
  ExpectSame(file_, Options("exchange IS NULL"), "is null");
  ExpectSame(file_, Options("exchange IS NOT NULL AND symbol = 'IBM'"), "is not null");
  ExpectSame(file_, Options("NOT (exchange = 'NYSE')"), "not eq");
  ExpectSame(file_, Options("exchange NOT IN ('NYSE', 'ARCA')"), "not in");
  ExpectSame(file_, Options("NOT (exchange IN ('NYSE', 'ARCA') OR price > 150)"), "de morgan");
}

TEST(ScannerLayoutTest, WithoutPageIndexOrStatisticsNothingIsSkippedButRowsAreExact) {
  auto table = MakeTrades(40000, 3);
  for (int variant = 0; variant < 7; ++variant) {
    FileLayout layout;
    layout.row_group_rows = 5000;
    layout.page_rows = 300;
    layout.page_index = variant >= 4 || (variant & 1);
    layout.statistics = variant >= 4 || (variant & 2);
    layout.dictionary = variant != 0 && variant != 5;
    layout.data_page_v2 = variant == 4 || variant == 5;
    layout.checksums = variant == 5;
    layout.store_schema = variant != 6;
    layout.codec = variant == 3 ? parquet::Compression::ZSTD : parquet::Compression::UNCOMPRESSED;
    auto file = WriteParquet(*table, layout);
    SCOPED_TRACE(variant);
    auto s = ExpectSame(file, Options(kOneHour), "one hour");
    if (!layout.statistics) {
      EXPECT_EQ(s.row_groups_skipped_by_statistics, 0);
    }
    if (layout.statistics && layout.page_index) {
      EXPECT_LT(s.pages_read * 4, s.pages_total);
    }
    if (!layout.statistics && !layout.page_index) {
      EXPECT_EQ(s.pages_read, s.pages_total);
    }
    ExpectSame(file, Options("exchange IS NULL OR size < 10", {"symbol", "size"}), "or");
    ExpectSame(file, Options("price > 150"), "price");
  }
}

// A table with one column of every type the scanner decodes itself, a few it leaves to
// Arrow, nulls everywhere, and sorted columns so that pages prune.
std::shared_ptr<arrow::Table> MakeAllTypes(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto null_every = [&](int k) { return k > 0 && rng() % k == 0; };
  arrow::FieldVector fields;
  arrow::ArrayVector arrays;
  auto add = [&](const std::string& name, std::shared_ptr<arrow::Array> a) {
    fields.push_back(arrow::field(name, a->type()));
    arrays.push_back(std::move(a));
  };
  auto ints = [&](auto builder, auto gen, int nulls) {
    for (int64_t i = 0; i < n; ++i) {
      if (null_every(nulls)) {
        CheckOk(builder.AppendNull());
      } else {
        CheckOk(builder.Append(gen(i)));
      }
    }
    return Check(builder.Finish());
  };
  add("i8", ints(
                arrow::Int8Builder(), [&](int64_t) { return int8_t(rng() % 256 - 128); }, 10));
  add("i16", ints(
                 arrow::Int16Builder(), [&](int64_t i) { return int16_t(i / 7 - 1000); }, 0));
  add("i32", ints(
                 arrow::Int32Builder(), [&](int64_t i) { return int32_t(i * 3 - 5000); }, 7));
  add("i64", ints(
                 arrow::Int64Builder(), [&](int64_t) { return int64_t(rng() % 1000) - 500; }, 5));
  add("u8", ints(
                arrow::UInt8Builder(), [&](int64_t) { return uint8_t(rng() % 256); }, 9));
  add("u16", ints(
                 arrow::UInt16Builder(), [&](int64_t i) { return uint16_t(i % 65536); }, 0));
  add("u32", ints(
                 arrow::UInt32Builder(),
                 [&](int64_t i) { return uint32_t(i * 200000 + (rng() % 100)); }, 11));
  add("u64", ints(
                 arrow::UInt64Builder(), [&](int64_t) { return uint64_t(rng()); }, 13));
  add("f32", ints(
                 arrow::FloatBuilder(), [&](int64_t i) { return float(i) / 8 - 100; }, 6));
  add("f64", ints(
                 arrow::DoubleBuilder(),
                 [&](int64_t) {
                   if (rng() % 200 == 0) return std::nan("");
                   return (static_cast<double>(rng() % 20001) - 10000) / 100;
                 },
                 8));
  add("b", ints(
               arrow::BooleanBuilder(), [&](int64_t i) { return (i / 1000) % 2 == 0; }, 4));
  static const char* kWords[] = {"alpha", "beta", "gamma", "delta", "", "zeta", "Ã©tÃ©"};
  add("s", ints(
               arrow::StringBuilder(), [&](int64_t) { return kWords[rng() % 7]; }, 5));
  add("ls", ints(
                arrow::LargeStringBuilder(),
                [&](int64_t i) { return "k" + std::to_string(100000 + i); }, 9));
  add("bin", ints(
                 arrow::BinaryBuilder(),
                 [&](int64_t i) { return std::string("b") + std::to_string(i % 37); }, 0));
  {
    auto plain = ints(
        arrow::StringBuilder(), [&](int64_t i) { return std::string(kWords[(i / 600) % 7]); }, 12);
    add("d", Check(cp::DictionaryEncode(plain)).make_array());
  }
  add("date", ints(
                  arrow::Date32Builder(), [&](int64_t i) { return int32_t(19000 + i / 100); }, 10));
  add("ts_ms", ints(
                   arrow::TimestampBuilder(arrow::timestamp(arrow::TimeUnit::MILLI),
                                           arrow::default_memory_pool()),
                   [&](int64_t i) { return int64_t(1710000000000LL + i * 1000); }, 10));
  add("ts_ns",
      ints(
          arrow::TimestampBuilder(arrow::timestamp(arrow::TimeUnit::NANO, "America/New_York"),
                                  arrow::default_memory_pool()),
          [&](int64_t) { return int64_t(rng() % 1000000000000LL); }, 0));
  add("ts_s", ints(
                  arrow::TimestampBuilder(arrow::timestamp(arrow::TimeUnit::SECOND, "UTC"),
                                          arrow::default_memory_pool()),
                  [&](int64_t i) { return int64_t(1710000000LL + i); }, 10));
  add("t32",
      ints(
          arrow::Time32Builder(arrow::time32(arrow::TimeUnit::MILLI), arrow::default_memory_pool()),
          [&](int64_t) { return int32_t(rng() % 86400000); }, 10));
  add("t64",
      ints(
          arrow::Time64Builder(arrow::time64(arrow::TimeUnit::MICRO), arrow::default_memory_pool()),
          [&](int64_t) { return int64_t(rng() % 86400000000LL); }, 10));
  {
    arrow::Decimal128Builder dec(arrow::decimal128(10, 2));
    for (int64_t i = 0; i < n; ++i) {
      if (null_every(10)) {
        CheckOk(dec.AppendNull());
      } else {
        CheckOk(dec.Append(arrow::Decimal128(static_cast<int64_t>(rng() % 100000))));
      }
    }
    add("dec", Check(dec.Finish()));
  }
  {
    arrow::ListBuilder list(arrow::default_memory_pool(), std::make_shared<arrow::Int32Builder>());
    auto* values = static_cast<arrow::Int32Builder*>(list.value_builder());
    for (int64_t i = 0; i < n; ++i) {
      if (null_every(10)) {
        CheckOk(list.AppendNull());
        continue;
      }
      CheckOk(list.Append());
      for (uint64_t k = rng() % 4; k > 0; --k) CheckOk(values->Append(int32_t(rng() % 100)));
    }
    add("lst", Check(list.Finish()));
  }
  // Null in the first half (whole pages of nulls), then values.
  add("half", ints(
                  arrow::Int64Builder(), [&](int64_t i) { return i; }, 0));
  {
    arrow::Int64Builder half;
    for (int64_t i = 0; i < n; ++i) {
      if (i < n / 2) {
        CheckOk(half.AppendNull());
      } else {
        CheckOk(half.Append(i));
      }
    }
    arrays.back() = Check(half.Finish());
  }
  return arrow::Table::Make(arrow::schema(fields), arrays);
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

// A literal for `column` taken from a random row (so predicates hit), or NULL.
std::string RandomLiteral(const arrow::Table& t, const std::string& column, std::mt19937_64& rng) {
  auto col = t.GetColumnByName(column);
  int64_t row = static_cast<int64_t>(rng() % static_cast<uint64_t>(t.num_rows()));
  auto scalar = Check(col->GetScalar(row));
  for (int64_t k = 1; !scalar->is_valid && k < t.num_rows(); ++k) {
    scalar = Check(col->GetScalar((row + k) % t.num_rows()));
  }
  switch (scalar->type->id()) {
    case arrow::Type::FLOAT: {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.9g", static_cast<arrow::FloatScalar&>(*scalar).value);
      return buf;
    }
    case arrow::Type::DOUBLE: {
      double v = static_cast<arrow::DoubleScalar&>(*scalar).value;
      if (std::isnan(v)) return "1.5";
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.17g", v);
      return buf;
    }
    case arrow::Type::BOOL:
      return static_cast<arrow::BooleanScalar&>(*scalar).value ? "TRUE" : "FALSE";
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::BINARY:
      return Quote(scalar->ToString());
    case arrow::Type::DICTIONARY: {
      auto& d = static_cast<arrow::DictionaryScalar&>(*scalar);
      return Quote(Check(d.GetEncodedValue())->ToString());
    }
    default: {
      auto i = Check(scalar->CastTo(arrow::int64()));
      int64_t v = static_cast<arrow::Int64Scalar&>(*i).value;
      // Sometimes just outside the data.
      if (rng() % 10 == 0) v += (rng() % 2 ? 1 : -1) * 1000000;
      return std::to_string(v);
    }
  }
}

std::string RandomPredicate(const arrow::Table& t, std::mt19937_64& rng, int depth) {
  static const std::vector<std::string> kColumns = {"i8",  "i16", "i32", "i64", "u8",
                                                    "u16", "u32", "f32", "f64", "b",
                                                    "s",   "ls",  "bin", "d",   "half"};
  static const char* kOps[] = {"=", "!=", "<", "<=", ">", ">="};
  const uint64_t pick = rng() % 10;
  if (depth > 0 && pick < 3) {
    std::string a = RandomPredicate(t, rng, depth - 1);
    std::string b = RandomPredicate(t, rng, depth - 1);
    return "(" + a + (pick == 0 ? " OR " : " AND ") + b + ")";
  }
  if (depth > 0 && pick == 3) return "NOT (" + RandomPredicate(t, rng, depth - 1) + ")";
  const std::string& column = kColumns[rng() % kColumns.size()];
  const uint64_t form = rng() % 10;
  if (form == 0) return column + (rng() % 2 ? " IS NULL" : " IS NOT NULL");
  if (form <= 2 && column != "b") {
    std::string list;
    for (uint64_t k = 1 + rng() % 4; k > 0; --k) {
      list += (list.empty() ? "" : ", ") + RandomLiteral(t, column, rng);
    }
    return column + (form == 1 ? " IN (" : " NOT IN (") + list + ")";
  }
  return column + " " + kOps[rng() % 6] + " " + RandomLiteral(t, column, rng);
}

class AllTypesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    table_ = MakeAllTypes(12000, 11);
    FileLayout layout;
    layout.row_group_rows = 3000;
    layout.page_rows = 250;
    layout.bloom_columns = {"s", "i64", "f64", "ls", "u32", "d"};
    with_index_ = WriteParquet(*table_, layout);
    layout.page_index = false;
    layout.dictionary = false;
    layout.codec = parquet::Compression::ZSTD;
    without_index_ = WriteParquet(*table_, layout);
  }
  static void TearDownTestSuite() {
    table_.reset();
    with_index_.reset();
    without_index_.reset();
  }
  static std::shared_ptr<arrow::Table> table_;
  static std::shared_ptr<arrow::Buffer> with_index_;
  static std::shared_ptr<arrow::Buffer> without_index_;
};
std::shared_ptr<arrow::Table> AllTypesTest::table_;
std::shared_ptr<arrow::Buffer> AllTypesTest::with_index_;
std::shared_ptr<arrow::Buffer> AllTypesTest::without_index_;

TEST_F(AllTypesTest, EveryTypeRoundTripsExactly) {
  ExpectSame(with_index_, Options(""), "all");
  ExpectSame(without_index_, Options(""), "all, no index");
  for (const auto& f : table_->schema()->fields()) {
    ExpectSame(with_index_, Options("i32 > 1000", {f->name()}), f->name());
  }
}

TEST_F(AllTypesTest, TypedPredicates) {
  const std::vector<std::string> predicates = {
      "i32 >= 100 AND i32 < 2000",
      "u32 > 3000000000",
      "u32 < 1000000",
      "f32 >= 10.5 AND f32 <= 11.5",
      "f64 != 1.5",
      "b = FALSE AND i16 < -500",
      "s = 'Ã©tÃ©'",
      "s = ''",
      "s > 'delta' AND s < 'zeta'",
      "d = 'gamma'",
      "d IN ('alpha', 'zeta')",
      "ls >= 'k105000' AND ls < 'k105100'",
      "bin = 'b3'",
      "half IS NULL",
      "half IS NOT NULL AND half < 7000",
      "half = 100",
      "half < 100 OR i8 = 5",
      "date = '2022-01-10'",
      "ts_ms >= '2024-03-09T16:10:00' AND ts_ms < '2024-03-09T16:20:00'",
      "ts_s > '2024-03-09T18:00:00Z'",
      "u64 > 5",
      "i64 IN (1, 2, 3) AND u8 > 100",
  };
  for (const auto& p : predicates) {
    ExpectSame(with_index_, Options(p), p);
    ExpectSame(without_index_, Options(p), p + " (no index)");
  }
  auto s = ExpectSame(with_index_, Options("i32 >= 100 AND i32 < 400"), "narrow");
  EXPECT_LT(s.pages_read, s.pages_total / 10);
  auto h = ExpectSame(with_index_, Options("half = 100", {"half"}), "all-null pages");
  EXPECT_EQ(h.pages_read, 0);
  EXPECT_EQ(h.rows_matched, 0);
}

TEST_F(AllTypesTest, RandomPredicatesMatchOracle) {
  std::mt19937_64 rng(12345);
  for (int i = 0; i < 150; ++i) {
    std::string p = RandomPredicate(*table_, rng, 3);
    ScanOptions o = Options(p);
    if (i % 3 == 0) o.columns = {"lst", "i32", "d", "ts_ns"};
    o.batch_size = 1 + static_cast<int64_t>(rng() % 5000);
    if (i % 5 == 0) o.limit = static_cast<int64_t>(rng() % 3000);
    ExpectSame(with_index_, o, p);
    if (i % 4 == 0) ExpectSame(without_index_, o, p + " (no index)");
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "first failing predicate: " << p;
      return;
    }
  }
}

TEST(ScannerErrorTest, UnknownColumnsAndBadPredicates) {
  auto file = WriteParquet(*MakeTrades(2000, 1), FileLayout());
  ScanOptions o = Options("", {"price", "nope"});
  auto r = ParquetScanner::Open(Reader(file), "x.parquet", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kNotFound);
  EXPECT_NE(r.status().message().find("nope"), std::string::npos);
  EXPECT_EQ(r.status().message().find("x.parquet"), 0u) << r.status().message();
  EXPECT_EQ(r.status().message().rfind("x.parquet"), 0u) << r.status().message();
  auto bad = ParquetScanner::Open(Reader(file), "x.parquet", Options("missing = 1"));
  ASSERT_FALSE(bad.ok());
}

TEST(ScannerErrorTest, CorruptFilesBecomeCorruptionErrorsNamingTheFile) {
  auto file = WriteParquet(*MakeTrades(20000, 1), FileLayout());
  // Truncated footer.
  auto truncated = SliceBuffer(file, 0, file->size() - 7);
  auto r = ParquetScanner::Open(Reader(truncated), "cut.parquet", Options(""));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kCorruption) << r.status().ToString();
  EXPECT_NE(r.status().message().find("cut.parquet"), std::string::npos);
  // Garbage.
  std::string junk(5000, '\0');
  std::mt19937_64 rng(5);
  for (char& c : junk) c = static_cast<char>(rng());
  r = ParquetScanner::Open(Reader(arrow::Buffer::FromString(junk)), "junk.parquet", Options(""));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kCorruption);
  EXPECT_NE(r.status().message().find("junk.parquet"), std::string::npos);
  // Tiny file.
  r = ParquetScanner::Open(Reader(arrow::Buffer::FromString("PAR1")), "tiny.parquet", Options(""));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kCorruption);
}

// A file whose reads start failing once `fail_` is set, like a disk or network going away.
class FlakyFile : public arrow::io::RandomAccessFile {
 public:
  explicit FlakyFile(std::shared_ptr<arrow::Buffer> b)
      : inner_(std::make_shared<arrow::io::BufferReader>(std::move(b))) {}
  void Fail() { fail_ = true; }
  arrow::Status Close() override { return inner_->Close(); }
  bool closed() const override { return inner_->closed(); }
  arrow::Result<int64_t> Tell() const override { return inner_->Tell(); }
  arrow::Status Seek(int64_t position) override { return inner_->Seek(position); }
  arrow::Result<int64_t> GetSize() override { return inner_->GetSize(); }
  arrow::Result<int64_t> Read(int64_t nbytes, void* out) override {
    if (fail_) return arrow::Status::IOError("disk gone");
    return inner_->Read(nbytes, out);
  }
  arrow::Result<std::shared_ptr<arrow::Buffer>> Read(int64_t nbytes) override {
    if (fail_) return arrow::Status::IOError("disk gone");
    return inner_->Read(nbytes);
  }
  arrow::Result<int64_t> ReadAt(int64_t position, int64_t nbytes, void* out) override {
    if (fail_) return arrow::Status::IOError("disk gone");
    return inner_->ReadAt(position, nbytes, out);
  }
  arrow::Result<std::shared_ptr<arrow::Buffer>> ReadAt(int64_t position, int64_t nbytes) override {
    if (fail_) return arrow::Status::IOError("disk gone");
    return inner_->ReadAt(position, nbytes);
  }

 private:
  std::shared_ptr<arrow::io::BufferReader> inner_;
  bool fail_ = false;
};

TEST(ScannerErrorTest, ReadFailuresAreIOErrorsNamingTheFile) {
  auto file = WriteParquet(*MakeTrades(20000, 1), FileLayout());
  auto flaky = std::make_shared<FlakyFile>(file);
  auto scanner = Check(ParquetScanner::Open(flaky, "gone.parquet", Options(kOneHour)));
  flaky->Fail();
  auto b = scanner->Next();
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(CodeOf(b.status()), ErrorCode::kIOError) << b.status().ToString();
  EXPECT_NE(b.status().message().find("gone.parquet"), std::string::npos);
  EXPECT_NE(b.status().message().find("disk gone"), std::string::npos);

  auto dead = std::make_shared<FlakyFile>(file);
  dead->Fail();
  auto r = ParquetScanner::Open(dead, "gone.parquet", Options(""));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kIOError) << r.status().ToString();
  EXPECT_NE(r.status().message().find("gone.parquet"), std::string::npos);
}

// Damages runs of bytes (in the data, or anywhere: page index, bloom filters, footer) and
// scans: every outcome must be rows or an error naming the file, never a crash.
// ML_SCANNER_FUZZ_TRIALS raises the number of trials for a longer run.
TEST(ScannerErrorTest, DamagedFilesNeverCrash) {
  FileLayout layout;
  layout.row_group_rows = 5000;
  layout.page_rows = 400;
  layout.bloom_columns = {"symbol"};
  auto file = WriteParquet(*MakeTrades(20000, 1), layout);
  auto pf = parquet::ParquetFileReader::Open(Reader(file));
  const int64_t data_end = pf->metadata()->RowGroup(0)->file_offset() +
                           pf->metadata()->RowGroup(0)->total_compressed_size();
  int trials = 120;
  if (const char* env = std::getenv("ML_SCANNER_FUZZ_TRIALS")) trials = std::atoi(env);
  std::mt19937_64 rng(99);
  int errors = 0;
  for (int trial = 0; trial < trials; ++trial) {
    std::string bytes = file->ToString();
    const int64_t span = trial % 2 ? data_end - 64 : file->size() - 24;
    const int64_t at = 4 + static_cast<int64_t>(rng() % static_cast<uint64_t>(span));
    const int len = 1 + static_cast<int>(rng() % 16);
    for (int k = 0; k < len; ++k) bytes[at + k] = static_cast<char>(rng());
    ScanOptions o = Options(trial % 3 ? kOneHour : "");
    o.use_page_index = trial % 5 != 0;
    auto scanner = ParquetScanner::Open(Reader(arrow::Buffer::FromString(bytes)), "bad.parquet", o);
    if (!scanner.ok()) {
      ++errors;
      EXPECT_NE(scanner.status().message().find("bad.parquet"), std::string::npos);
      continue;
    }
    while (true) {
      auto b = (*scanner)->Next();
      if (!b.ok()) {
        ++errors;
        EXPECT_EQ(CodeOf(b.status()), ErrorCode::kCorruption) << b.status().ToString();
        EXPECT_NE(b.status().message().find("bad.parquet"), std::string::npos);
        break;
      }
      if (!*b) break;
    }
  }
  EXPECT_GT(errors, 0);
}

// Not run by default: the measurements quoted in the scanner's report.
TEST(ScannerBenchmark, DISABLED_TwoMillionSortedTrades) {
  auto table = MakeTrades(2000000, 1);
  FileLayout layout;
  layout.row_group_rows = 1 << 20;
  layout.page_rows = 10000;
  layout.bloom_columns = {"symbol"};
  auto file = WriteParquet(*table, layout);
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  for (const char* where : {kOneHour, "price > 150", ""}) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = Check(Scan(file, Options(where)));
    auto t1 = std::chrono::steady_clock::now();
    auto want = Oracle(file, Options(where));
    auto t2 = std::chrono::steady_clock::now();
    const auto& s = r.stats;
    std::printf("[%s] matched %lld/%lld; pages %lld/%lld; bytes %lld/%lld; row groups %lld/%lld\n",
                where, (long long)s.rows_matched, (long long)s.rows_total, (long long)s.pages_read,
                (long long)s.pages_total, (long long)s.bytes_read, (long long)s.bytes_total,
                (long long)s.row_groups_read, (long long)s.row_groups_total);
    std::printf("  scanner %.1f ms, ReadTable+Filter %.1f ms\n", ms(t0, t1), ms(t1, t2));
    EXPECT_EQ(r.batch->num_rows(), want->num_rows());
  }
}

}  // namespace
}  // namespace marketlake
