#include "marketlake/parquet_write.h"

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/io/memory.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include <algorithm>
#include <tuple>

#include "unit/format/test_tables.h"

namespace marketlake {
namespace {

std::shared_ptr<arrow::Buffer> WriteToBuffer(const arrow::Table& table, const WriteOptions& o) {
  auto sink = arrow::io::BufferOutputStream::Create().ValueOrDie();
  auto writer = ParquetWriter::Open(table.schema(), sink, o, "mem").ValueOrDie();
  arrow::TableBatchReader reader(table);
  reader.set_chunksize(1000);
  std::shared_ptr<arrow::RecordBatch> batch;
  while (reader.ReadNext(&batch).ok() && batch) EXPECT_TRUE(writer->Write(*batch).ok());
  EXPECT_TRUE(writer->Close().ok());
  return sink->Finish().ValueOrDie();
}

std::shared_ptr<arrow::Table> ReadBack(const std::shared_ptr<arrow::Buffer>& buf) {
  auto reader = parquet::arrow::OpenFile(std::make_shared<arrow::io::BufferReader>(buf),
                                         arrow::default_memory_pool())
                    .ValueOrDie();
  return reader->ReadTable().ValueOrDie()->CombineChunks().ValueOrDie();
}

std::unique_ptr<parquet::ParquetFileReader> OpenMeta(const std::shared_ptr<arrow::Buffer>& buf) {
  return parquet::ParquetFileReader::Open(std::make_shared<arrow::io::BufferReader>(buf));
}

bool HasEncoding(const parquet::ColumnChunkMetaData& c, parquet::Encoding::type e) {
  const auto& es = c.encodings();
  return std::find(es.begin(), es.end(), e) != es.end();
}

TEST(ParseTest, CompressionNames) {
  EXPECT_EQ(*ParseCompression("ZSTD"), arrow::Compression::ZSTD);
  EXPECT_EQ(*ParseCompression("lz4_raw"), arrow::Compression::LZ4);
  EXPECT_EQ(*ParseCompression("uncompressed"), arrow::Compression::UNCOMPRESSED);
  auto bad = ParseCompression("lzma");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(CodeOf(bad.status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            "unknown compression 'lzma' (expected uncompressed, snappy, gzip, zstd, lz4_raw or "
            "brotli)");
}

TEST(ParseTest, EncodingAssignment) {
  WriteOptions o;
  ASSERT_TRUE(ParseEncodingAssignment("price=byte_stream_split", &o).ok());
  EXPECT_EQ(o.encodings.at("price"), "byte_stream_split");
  auto st = ParseEncodingAssignment("price", &o);
  EXPECT_EQ(st.message(), "--encoding 'price': expected COLUMN=ENCODING");
  EXPECT_EQ(CodeOf(ParseEncodingAssignment("price=RLE", &o)), ErrorCode::kInvalidArgument);
}

TEST(BuildTest, RejectsMismatchedEncodingNamingColumnAndType) {
  auto table = testing::RandomTable(10, 1, 0);
  WriteOptions o;
  o.encodings["price"] = "DELTA_BINARY_PACKED";
  auto props = BuildWriterProperties(o, *table->schema());
  ASSERT_FALSE(props.ok());
  EXPECT_EQ(props.status().message(),
            "--encoding price=DELTA_BINARY_PACKED: column 'price' is double; "
            "DELTA_BINARY_PACKED stores integers and times");
}

TEST(BuildTest, RefusesDeltaByteArraysOnDictionaryColumns) {
  auto table = testing::RandomTable(10, 1, 0);
  WriteOptions o;
  o.encodings["symbol"] = "DELTA_BYTE_ARRAY";
  EXPECT_EQ(BuildWriterProperties(o, *table->schema()).status().message(),
            "--encoding symbol=DELTA_BYTE_ARRAY: column 'symbol' is dictionary<values=string, "
            "indices=int32, ordered=0>; Arrow cannot read DELTA_BYTE_ARRAY back into a "
            "dictionary column (use RLE_DICTIONARY or PLAIN)");
}

TEST(BuildTest, UnknownColumnsAreMissingColumnErrors) {
  auto table = testing::RandomTable(10, 1, 0);
  WriteOptions o;
  o.bloom_filter_columns = {"ticker"};
  auto props = BuildWriterProperties(o, *table->schema());
  ASSERT_FALSE(props.ok());
  EXPECT_EQ(CodeOf(props.status()), ErrorCode::kMissingColumn);
  EXPECT_EQ(props.status().message(),
            "--bloom-filter: no column 'ticker' (columns: ts, symbol, price, size, delta, note, "
            "flag, day)");
}

TEST(BuildTest, RejectsBadLevelAndPageVersion) {
  auto table = testing::RandomTable(10, 1, 0);
  WriteOptions o;
  o.compression = "snappy";
  o.compression_level = 3;
  EXPECT_EQ(BuildWriterProperties(o, *table->schema()).status().message(),
            "--level: compression 'snappy' takes no level");
  o = WriteOptions{};
  o.compression_level = 99;
  EXPECT_EQ(BuildWriterProperties(o, *table->schema()).status().message(),
            "--level 99: zstd takes levels -131072..22");
  o = WriteOptions{};
  o.page_version = 3;
  EXPECT_EQ(BuildWriterProperties(o, *table->schema()).status().message(),
            "--page-version 3: expected 1 or 2");
}

TEST(WriteTest, MarketDefaultsChooseMeasuredEncodings) {
  auto table = testing::RandomTable(5000, 2, 0.1);
  auto buf = WriteToBuffer(*table, WriteOptions{});
  auto md = OpenMeta(buf)->metadata();
  auto rg = md->RowGroup(0);
  EXPECT_TRUE(HasEncoding(*rg->ColumnChunk(0), parquet::Encoding::DELTA_BINARY_PACKED));  // ts
  EXPECT_TRUE(HasEncoding(*rg->ColumnChunk(1), parquet::Encoding::RLE_DICTIONARY));       // symbol
  EXPECT_TRUE(HasEncoding(*rg->ColumnChunk(2), parquet::Encoding::RLE_DICTIONARY));       // price
  EXPECT_FALSE(HasEncoding(*rg->ColumnChunk(2), parquet::Encoding::BYTE_STREAM_SPLIT));
  EXPECT_TRUE(HasEncoding(*rg->ColumnChunk(7), parquet::Encoding::DELTA_BINARY_PACKED));  // day
  EXPECT_TRUE(rg->ColumnChunk(0)->GetOffsetIndexLocation().has_value());
  EXPECT_TRUE(rg->ColumnChunk(0)->is_stats_set());
}

TEST(WriteTest, TextIdsArePlainAndOtherTextStaysOnDictionary) {
  arrow::StringBuilder ids, venue;
  for (int i = 0; i < 4000; ++i) {
    ASSERT_TRUE(ids.Append("T" + std::to_string(1000000 + i)).ok());
    ASSERT_TRUE(venue.Append(i % 3 ? "N" : "Q").ok());
  }
  auto id_values = ids.Finish().ValueOrDie();
  auto table = arrow::Table::Make(
      arrow::schema({arrow::field("trade_id", arrow::utf8()), arrow::field("venue", arrow::utf8()),
                     arrow::field("ORDER_ID", arrow::large_utf8())}),
      {id_values, venue.Finish().ValueOrDie(),
       arrow::compute::Cast(*id_values, arrow::large_utf8()).ValueOrDie()});
  auto md = OpenMeta(WriteToBuffer(*table, WriteOptions{}))->metadata();
  auto rg = md->RowGroup(0);
  for (int c : {0, 2}) {
    EXPECT_TRUE(HasEncoding(*rg->ColumnChunk(c), parquet::Encoding::PLAIN)) << c;
    EXPECT_FALSE(HasEncoding(*rg->ColumnChunk(c), parquet::Encoding::RLE_DICTIONARY)) << c;
  }
  EXPECT_TRUE(HasEncoding(*rg->ColumnChunk(1), parquet::Encoding::RLE_DICTIONARY));
}

TEST(WriteTest, PricesArePlainInSymbolSortedFiles) {
  auto table = testing::RandomTable(3000, 2, 0.1);
  WriteOptions o;
  o.sorting_columns = {"symbol", "ts"};
  auto md = OpenMeta(WriteToBuffer(*table, o))->metadata();  // row groups borrow from it
  auto rg = md->RowGroup(0);
  EXPECT_FALSE(HasEncoding(*rg->ColumnChunk(2), parquet::Encoding::RLE_DICTIONARY));  // price
  EXPECT_TRUE(HasEncoding(*rg->ColumnChunk(2), parquet::Encoding::PLAIN));
  EXPECT_TRUE(HasEncoding(*rg->ColumnChunk(1), parquet::Encoding::RLE_DICTIONARY));  // symbol
  o.sorting_columns = {"ts"};
  md = OpenMeta(WriteToBuffer(*table, o))->metadata();
  rg = md->RowGroup(0);
  EXPECT_TRUE(HasEncoding(*rg->ColumnChunk(2), parquet::Encoding::RLE_DICTIONARY));
}

TEST(WriteTest, OptionsReachTheFile) {
  auto table = testing::RandomTable(10000, 3, 0.05);
  WriteOptions o;
  o.compression = "gzip";
  o.compression_level = 9;
  o.page_version = 2;
  o.row_group_size = 3000;
  o.max_rows_per_page = 500;
  o.statistics = false;
  o.page_index = false;
  o.bloom_filter_columns = {"symbol", "size"};
  o.sorting_columns = {"ts"};
  o.key_value_metadata = {{"source", "unit-test"}};
  o.encodings = {{"note", "DELTA_LENGTH_BYTE_ARRAY"}, {"size", "PLAIN"}};
  auto buf = WriteToBuffer(*table, o);
  auto md = OpenMeta(buf)->metadata();
  EXPECT_EQ(md->num_row_groups(), 4);
  EXPECT_EQ(md->RowGroup(0)->num_rows(), 3000);
  auto c = md->RowGroup(0)->ColumnChunk(1);
  EXPECT_EQ(c->compression(), arrow::Compression::GZIP);
  EXPECT_FALSE(c->is_stats_set());
  EXPECT_FALSE(c->GetOffsetIndexLocation().has_value());
  EXPECT_TRUE(c->bloom_filter_offset().has_value());
  EXPECT_TRUE(md->RowGroup(0)->ColumnChunk(3)->bloom_filter_offset().has_value());
  EXPECT_FALSE(md->RowGroup(0)->ColumnChunk(2)->bloom_filter_offset().has_value());
  EXPECT_TRUE(
      HasEncoding(*md->RowGroup(0)->ColumnChunk(5), parquet::Encoding::DELTA_LENGTH_BYTE_ARRAY));
  EXPECT_FALSE(HasEncoding(*md->RowGroup(0)->ColumnChunk(3), parquet::Encoding::RLE_DICTIONARY));
  ASSERT_EQ(md->RowGroup(0)->sorting_columns().size(), 1u);
  EXPECT_EQ(md->RowGroup(0)->sorting_columns()[0].column_idx, 0);
  EXPECT_EQ(md->key_value_metadata()->Get("source").ValueOrDie(), "unit-test");
  EXPECT_TRUE(testing::SameValues(*table, *ReadBack(buf)));
}

TEST(WriteTest, MicrosecondTimestampsForOtherEngines) {
  auto table = testing::RandomTable(100, 4, 0);
  WriteOptions o;
  o.timestamp_unit = "us";
  auto md = OpenMeta(WriteToBuffer(*table, o))->metadata();
  auto logical = md->schema()->Column(0)->logical_type();
  EXPECT_EQ(logical->ToString(),
            "Timestamp(isAdjustedToUTC=true, timeUnit=microseconds, is_from_converted_type=false, "
            "force_set_converted_type=false)");
  o.timestamp_unit = "fs";
  auto sink = arrow::io::BufferOutputStream::Create().ValueOrDie();
  EXPECT_EQ(ParquetWriter::Open(table->schema(), sink, o, "x").status().message(),
            "timestamp unit 'fs': expected ns, us or ms");
}

// Property: whatever the codec, page version, dictionary setting and encodings, values come
// back exactly, nulls included.
class RoundTripTest
    : public ::testing::TestWithParam<std::tuple<std::string, int, bool, std::string>> {};

TEST_P(RoundTripTest, ValuesComeBackExactly) {
  const auto& [codec, page_version, dictionary, encoding_set] = GetParam();
  for (uint32_t seed : {11u, 12u}) {
    auto table = testing::RandomTable(4000 + seed, seed, seed == 11 ? 0.0 : 0.3);
    WriteOptions o;
    o.compression = codec;
    o.page_version = page_version;
    o.dictionary = dictionary;
    o.row_group_size = 1500;
    o.max_rows_per_page = 300;
    if (encoding_set == "plain") {
      o.market_defaults = false;
      o.dictionary = false;
    } else if (encoding_set == "delta") {
      o.encodings = {{"ts", "DELTA_BINARY_PACKED"},
                     {"size", "DELTA_BINARY_PACKED"},
                     {"delta", "DELTA_BINARY_PACKED"},
                     {"note", "DELTA_BYTE_ARRAY"},
                     {"symbol", "PLAIN"}};
    } else if (encoding_set == "delta_length") {
      o.encodings = {{"note", "DELTA_LENGTH_BYTE_ARRAY"}, {"day", "DELTA_BINARY_PACKED"}};
    } else if (encoding_set == "bss") {
      o.encodings = {{"price", "BYTE_STREAM_SPLIT"},
                     {"size", "BYTE_STREAM_SPLIT"},
                     {"delta", "BYTE_STREAM_SPLIT"}};
    }
    auto back = ReadBack(WriteToBuffer(*table, o));
    auto expected = table->CombineChunks().ValueOrDie();
    ASSERT_TRUE(testing::SameValues(*expected, *back))
        << codec << " v" << page_version << " dict=" << dictionary << " " << encoding_set;
  }
}

INSTANTIATE_TEST_SUITE_P(Grid, RoundTripTest,
                         ::testing::Combine(::testing::Values("uncompressed", "snappy", "gzip",
                                                              "zstd", "lz4_raw", "brotli"),
                                            ::testing::Values(1, 2), ::testing::Bool(),
                                            ::testing::Values("market", "plain", "delta",
                                                              "delta_length", "bss")));

}  // namespace
}  // namespace marketlake
