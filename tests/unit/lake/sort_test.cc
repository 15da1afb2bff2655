// SortBySymbolTs (one batch and chunks) against Arrow's stable sort, and SymbolIds.
#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "marketlake/lake.h"
#include "marketlake/lake/lake_internal.h"

namespace marketlake {
namespace {

// Arrow's stable sort by (symbol, ts) of the concatenated chunks: the oracle.
std::shared_ptr<arrow::RecordBatch> Expected(
    const std::shared_ptr<arrow::Schema>& schema,
    const std::vector<std::shared_ptr<arrow::RecordBatch>>& chunks) {
  auto table = arrow::Table::FromRecordBatches(schema, chunks).ValueOrDie();
  auto whole = table->CombineChunksToBatch().ValueOrDie();
  std::vector<arrow::compute::SortKey> keys;
  if (schema->GetFieldIndex("symbol") >= 0) keys.emplace_back("symbol");
  if (schema->GetFieldIndex("ts") >= 0) keys.emplace_back("ts");
  keys.emplace_back("seq");
  auto indices =
      arrow::compute::SortIndices(arrow::Datum(whole), arrow::compute::SortOptions(keys));
  return arrow::compute::Take(arrow::Datum(whole), arrow::Datum(*indices))
      .ValueOrDie()
      .record_batch();
}

// The fast (symbol, ts) sort equals Arrow's stable sort on random batches: few and many
// symbols, equal timestamps (input order must survive), time-ordered and shuffled input.
TEST(SortBySymbolTs, EqualsArrowStableSort) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 60; ++round) {
    const int64_t n = static_cast<int64_t>(rng() % 3000) + (round == 0 ? 0 : 1);
    const int symbols = 1 + static_cast<int>(rng() % (round % 3 == 0 ? 3 : 200));
    const bool time_ordered = round % 2 == 0;
    arrow::StringBuilder sym;
    arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"),
                               arrow::default_memory_pool());
    arrow::Int64Builder seq;
    int64_t t = 0;
    for (int64_t i = 0; i < n; ++i) {
      t = time_ordered ? t + static_cast<int64_t>(rng() % 3) : static_cast<int64_t>(rng() % 50);
      ASSERT_TRUE(sym.Append("S" + std::to_string(rng() % symbols)).ok());
      ASSERT_TRUE(ts.Append(t).ok());
      ASSERT_TRUE(seq.Append(i).ok());
    }
    std::vector<std::shared_ptr<arrow::Array>> cols(3);
    ASSERT_TRUE(sym.Finish(&cols[0]).ok());
    ASSERT_TRUE(ts.Finish(&cols[1]).ok());
    ASSERT_TRUE(seq.Finish(&cols[2]).ok());
    auto schema =
        arrow::schema({arrow::field("symbol", arrow::utf8()), arrow::field("ts", cols[1]->type()),
                       arrow::field("seq", arrow::int64())});
    auto batch = arrow::RecordBatch::Make(schema, n, cols);
    auto fast = SortBySymbolTs(batch);
    ASSERT_TRUE(fast.ok()) << fast.status().ToString();
    EXPECT_TRUE((*fast)->Equals(*Expected(schema, {batch}))) << "round " << round;
  }
}

// Random chunks with every column kind the sort moves: fixed-width of several widths with
// nulls, strings and binary with nulls and empty values, booleans, decimals and large
// strings (through Arrow's Take), chunks that are slices (non-zero offsets), the symbol
// column as utf8 (written from its runs) or large_utf8 (cast, then scattered), a list column
// that is null throughout (as an optional column the input lacks) and an integer column that
// is null throughout every other chunk.
class ChunkMaker {
 public:
  ChunkMaker(uint64_t seed, int symbols, bool time_ordered, bool large_symbol)
      : rng_(seed), symbols_(symbols), time_ordered_(time_ordered), large_symbol_(large_symbol) {}

  std::shared_ptr<arrow::Schema> schema() const {
    return arrow::schema({
        arrow::field("ts", arrow::timestamp(arrow::TimeUnit::NANO, "UTC")),
        arrow::field("symbol", large_symbol_ ? arrow::large_utf8() : arrow::utf8()),
        arrow::field("price", arrow::float64()),
        arrow::field("size", arrow::int32()),
        arrow::field("flag", arrow::boolean()),
        arrow::field("tiny", arrow::int8()),
        arrow::field("exchange", arrow::utf8()),
        arrow::field("raw", arrow::binary()),
        arrow::field("amount", arrow::decimal128(12, 2)),
        arrow::field("note", arrow::large_utf8()),
        arrow::field("seq", arrow::int64()),
        arrow::field("conditions", arrow::list(arrow::utf8())),
        arrow::field("late", arrow::int64()),
    });
  }

  // A chunk of `n` rows, built with `pad` extra rows around it and sliced to them.
  std::shared_ptr<arrow::RecordBatch> Make(int64_t n, int64_t pad) {
    arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::NANO, "UTC"),
                               arrow::default_memory_pool());
    arrow::StringBuilder sym;
    arrow::LargeStringBuilder large_sym;
    arrow::DoubleBuilder price;
    arrow::Int32Builder size;
    arrow::BooleanBuilder flag;
    arrow::Int8Builder tiny;
    arrow::StringBuilder exchange;
    arrow::BinaryBuilder raw;
    arrow::Decimal128Builder amount(arrow::decimal128(12, 2));
    arrow::LargeStringBuilder note;
    arrow::Int64Builder seq;
    arrow::Int64Builder late;
    const bool late_null = chunks_made_++ % 2 == 0;
    const int64_t total = n + 2 * pad;
    for (int64_t i = 0; i < total; ++i) {
      t_ =
          time_ordered_ ? t_ + static_cast<int64_t>(rng_() % 3) : static_cast<int64_t>(rng_() % 40);
      const std::string s = "S" + std::to_string(rng_() % symbols_);
      EXPECT_TRUE(ts.Append(t_).ok());
      EXPECT_TRUE((large_symbol_ ? large_sym.Append(s) : sym.Append(s)).ok());
      EXPECT_TRUE((Null() ? price.AppendNull() : price.Append(Value() / 7.0)).ok());
      EXPECT_TRUE((Null() ? size.AppendNull() : size.Append(static_cast<int32_t>(Value()))).ok());
      EXPECT_TRUE((Null() ? flag.AppendNull() : flag.Append(Value() % 2 == 0)).ok());
      EXPECT_TRUE((Null() ? tiny.AppendNull() : tiny.Append(static_cast<int8_t>(Value()))).ok());
      const std::string text(static_cast<size_t>(Value() % 4), static_cast<char>('a' + i % 26));
      EXPECT_TRUE((Null() ? exchange.AppendNull() : exchange.Append(text)).ok());
      EXPECT_TRUE((Null() ? raw.AppendNull() : raw.Append(text + '\0')).ok());
      EXPECT_TRUE((Null() ? amount.AppendNull() : amount.Append(arrow::Decimal128(Value()))).ok());
      EXPECT_TRUE((Null() ? note.AppendNull() : note.Append(text)).ok());
      EXPECT_TRUE(seq.Append(seq_++).ok());
      EXPECT_TRUE((late_null ? late.AppendNull() : late.Append(Value())).ok());
    }
    std::vector<std::shared_ptr<arrow::Array>> cols;
    for (arrow::ArrayBuilder* b : std::vector<arrow::ArrayBuilder*>{
             &ts, large_symbol_ ? static_cast<arrow::ArrayBuilder*>(&large_sym) : &sym, &price,
             &size, &flag, &tiny, &exchange, &raw, &amount, &note, &seq}) {
      std::shared_ptr<arrow::Array> a;
      EXPECT_TRUE(b->Finish(&a).ok());
      cols.push_back(a);
    }
    cols.push_back(arrow::MakeArrayOfNull(arrow::list(arrow::utf8()), total).ValueOrDie());
    cols.push_back(late.Finish().ValueOrDie());
    return arrow::RecordBatch::Make(schema(), total, cols)->Slice(pad, n);
  }

 private:
  bool Null() { return rng_() % 5 == 0; }
  int64_t Value() { return static_cast<int64_t>(rng_() % 1000); }

  std::mt19937_64 rng_;
  int symbols_;
  bool time_ordered_;
  bool large_symbol_;
  int64_t t_ = 0;
  int64_t seq_ = 0;
  int64_t chunks_made_ = 0;
};

TEST(SortBySymbolTs, ChunksEqualArrowStableSortOfTheirConcatenation) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 40; ++round) {
    ChunkMaker maker(1000 + round, 1 + static_cast<int>(rng() % (round % 2 ? 4 : 60)),
                     /*time_ordered=*/round % 4 != 1, /*large_symbol=*/round % 5 == 4);
    std::vector<std::shared_ptr<arrow::RecordBatch>> chunks;
    const int count = 1 + static_cast<int>(rng() % 5);
    for (int c = 0; c < count; ++c) {
      chunks.push_back(maker.Make(static_cast<int64_t>(rng() % 400), /*pad=*/c % 2 ? 3 : 0));
    }
    auto sorted = SortBySymbolTs(maker.schema(), chunks);
    ASSERT_TRUE(sorted.ok()) << sorted.status().ToString();
    ASSERT_TRUE((*sorted)->ValidateFull().ok()) << "round " << round;
    auto want = Expected(maker.schema(), chunks);
    EXPECT_TRUE((*sorted)->Equals(*want)) << "round " << round << "\n"
                                          << (*sorted)->ToString() << "\nwant\n"
                                          << want->ToString();
  }
}

TEST(SortBySymbolTs, ChunksWithoutSymbolOrWithNullKeys) {
  ChunkMaker maker(3, 5, /*time_ordered=*/false, /*large_symbol=*/false);
  std::vector<std::shared_ptr<arrow::RecordBatch>> chunks{maker.Make(50, 0), maker.Make(70, 2)};
  // No symbol column: by ts alone.
  std::vector<std::shared_ptr<arrow::RecordBatch>> no_symbol;
  for (const auto& c : chunks) no_symbol.push_back(*c->RemoveColumn(1));
  auto schema = *maker.schema()->RemoveField(1);
  auto sorted = SortBySymbolTs(schema, no_symbol);
  ASSERT_TRUE(sorted.ok()) << sorted.status().ToString();
  EXPECT_TRUE((*sorted)->Equals(*Expected(schema, no_symbol)));
  // A null symbol: Arrow's sort (nulls last).
  arrow::StringBuilder sym;
  ASSERT_TRUE(sym.AppendNull().ok());
  for (int64_t i = 1; i < chunks[0]->num_rows(); ++i) ASSERT_TRUE(sym.Append("S1").ok());
  auto with_null = *chunks[0]->SetColumn(1, maker.schema()->field(1), *sym.Finish());
  std::vector<std::shared_ptr<arrow::RecordBatch>> nulls{with_null, chunks[1]};
  sorted = SortBySymbolTs(maker.schema(), nulls);
  ASSERT_TRUE(sorted.ok()) << sorted.status().ToString();
  EXPECT_TRUE((*sorted)->Equals(*Expected(maker.schema(), nulls)));
  EXPECT_TRUE((*sorted)->column(1)->IsNull((*sorted)->num_rows() - 1));
  // Nothing, and empty chunks.
  sorted = SortBySymbolTs(maker.schema(), {});
  ASSERT_TRUE(sorted.ok());
  EXPECT_EQ((*sorted)->num_rows(), 0);
  sorted = SortBySymbolTs(maker.schema(), {maker.Make(0, 0), maker.Make(0, 1)});
  ASSERT_TRUE(sorted.ok());
  EXPECT_EQ((*sorted)->num_rows(), 0);
}

TEST(SymbolIds, DenseIdsInOrderOfFirstAppearance) {
  std::vector<std::string> values;
  for (int i = 0; i < 5000; ++i) values.push_back("SYM" + std::to_string(i * 7919 % 5000));
  values.push_back("");
  values.push_back(std::string("A\0B", 3));
  values.push_back(std::string("A\0C", 3));
  values.push_back("A LONGER SYMBOL THAN EIGHT BYTES");
  SymbolIds ids;
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(ids.Intern(values[i]), static_cast<int32_t>(i));
  }
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(ids.Intern(values[i]), static_cast<int32_t>(i)) << values[i];
    EXPECT_EQ(ids.names()[i], values[i]);
  }
  EXPECT_EQ(ids.names().size(), values.size());
}

}  // namespace
}  // namespace marketlake
