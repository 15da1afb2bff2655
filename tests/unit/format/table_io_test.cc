#include "marketlake/table_io.h"

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "marketlake/convert.h"
#include "unit/format/test_tables.h"

namespace marketlake {
namespace {

namespace fs = std::filesystem;

class TableIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ml_table_io_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) { return (dir_ / name).string(); }

  std::shared_ptr<arrow::Table> ReadAll(const std::string& path, ReadFileOptions o = {}) {
    auto in = OpenBatchReader(path, o).ValueOrDie();
    return in.reader->ToTable().ValueOrDie()->CombineChunks().ValueOrDie();
  }

  void WriteTable(const std::string& path, const arrow::Table& table, FileFormat f) {
    auto w = OpenBatchWriter(path, table.schema(), f, WriteOptions{}).ValueOrDie();
    arrow::TableBatchReader reader(table);
    std::shared_ptr<arrow::RecordBatch> batch;
    while (reader.ReadNext(&batch).ok() && batch) ASSERT_TRUE(w->Write(*batch).ok());
    ASSERT_TRUE(w->Close().ok());
  }

  std::vector<std::string> Entries() {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
};

TEST_F(TableIoTest, FormatsFromNames) {
  EXPECT_EQ(FormatFromPath("a/b.CSV"), FileFormat::kCsv);
  EXPECT_EQ(FormatFromPath("x.jsonl.gz"), FileFormat::kJsonLines);
  EXPECT_EQ(FormatFromPath("s3://b/k.parquet"), FileFormat::kParquet);
  EXPECT_EQ(FormatFromPath("x.txt"), FileFormat::kAuto);
  EXPECT_EQ(ParseFileFormat("xlsx").status().message(),
            "unknown format 'xlsx' (expected csv, jsonl or parquet)");
}

TEST_F(TableIoTest, ParquetRoundTripKeepsTypes) {
  auto table = testing::RandomTable(3000, 5, 0.2)->CombineChunks().ValueOrDie();
  WriteTable(Path("t.parquet"), *table, FileFormat::kAuto);
  EXPECT_TRUE(testing::SameValues(*table, *ReadAll(Path("t.parquet"))));
  EXPECT_EQ(Entries(), std::vector<std::string>{"t.parquet"});
}

TEST_F(TableIoTest, CsvAndJsonLinesRoundTripThroughParquet) {
  // Text formats lose the dictionary type; values must survive exactly.
  auto table = testing::RandomTable(2000, 6, 0.2)->CombineChunks().ValueOrDie();
  for (const char* name : {"t.csv", "t.csv.gz", "t.jsonl", "t.jsonl.gz"}) {
    WriteTable(Path(name), *table, FileFormat::kAuto);
    ReadFileOptions o;
    o.schema = arrow::schema(
        {arrow::field("ts", arrow::timestamp(arrow::TimeUnit::NANO, "UTC")),
         arrow::field("symbol", arrow::utf8()), arrow::field("price", arrow::float64()),
         arrow::field("size", arrow::int64()), arrow::field("delta", arrow::int32()),
         arrow::field("note", arrow::utf8()), arrow::field("flag", arrow::boolean()),
         arrow::field("day", arrow::date32())});
    // Arrow's JSON reader takes date32 only from day numbers; ours writes ISO dates, which
    // it reads as strings.
    const bool json = std::string(name).find("jsonl") != std::string::npos;
    if (json) {
      ASSERT_TRUE(o.schema->SetField(7, arrow::field("day", arrow::utf8())).Value(&o.schema).ok());
    }
    auto back = ReadAll(Path(name), o);
    if (json) {
      auto days = arrow::compute::Cast(back->GetColumnByName("day"), arrow::date32()).ValueOrDie();
      back = back->SetColumn(7, arrow::field("day", arrow::date32()), days.chunked_array())
                 .ValueOrDie();
    }
    ASSERT_EQ(back->num_rows(), table->num_rows()) << name;
    for (const char* col : {"ts", "price", "size", "delta", "flag", "day"}) {
      auto expected = table->GetColumnByName(col);
      auto got = back->GetColumnByName(col);
      ASSERT_TRUE(got->Equals(*expected)) << name << " " << col;
    }
    // Symbols: same text. Notes: CSV cannot tell an empty string from null; JSON can.
    auto sym = arrow::compute::Cast(table->GetColumnByName("symbol"), arrow::utf8()).ValueOrDie();
    EXPECT_TRUE(back->GetColumnByName("symbol")->Equals(*sym.chunked_array())) << name;
    if (json) {
      EXPECT_TRUE(back->GetColumnByName("note")->Equals(*table->GetColumnByName("note"))) << name;
    }
  }
}

TEST_F(TableIoTest, JsonLinesExactText) {
  auto schema =
      arrow::schema({arrow::field("ts", arrow::timestamp(arrow::TimeUnit::NANO, "UTC")),
                     arrow::field("s", arrow::utf8()), arrow::field("x", arrow::float64()),
                     arrow::field("n", arrow::int64()), arrow::field("b", arrow::boolean())});
  arrow::TimestampBuilder ts(schema->field(0)->type(), arrow::default_memory_pool());
  ASSERT_TRUE(ts.AppendValues({1709560800123456789LL, 0}).ok());
  arrow::StringBuilder s;
  ASSERT_TRUE(s.Append("a\"b\\c\n\x01").ok());
  ASSERT_TRUE(s.AppendNull().ok());
  arrow::DoubleBuilder x;
  ASSERT_TRUE(x.AppendValues({0.1, std::nan("")}).ok());
  arrow::Int64Builder n;
  ASSERT_TRUE(n.AppendValues({-5, 9007199254740993LL}).ok());
  arrow::BooleanBuilder b;
  ASSERT_TRUE(b.Append(true).ok());
  ASSERT_TRUE(b.Append(false).ok());
  auto batch = arrow::RecordBatch::Make(
      schema, 2,
      {ts.Finish().ValueOrDie(), s.Finish().ValueOrDie(), x.Finish().ValueOrDie(),
       n.Finish().ValueOrDie(), b.Finish().ValueOrDie()});
  std::string out;
  ASSERT_TRUE(WriteJsonLines(*batch, &out).ok());
  EXPECT_EQ(out,
            "{\"ts\":\"2024-03-04T14:00:00.123456789Z\",\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"x\":0.1,"
            "\"n\":-5,\"b\":true}\n"
            "{\"ts\":\"1970-01-01T00:00:00.000000000Z\",\"s\":null,\"x\":null,"
            "\"n\":9007199254740993,\"b\":false}\n");
}

TEST_F(TableIoTest, FailedWriteLeavesNothing) {
  auto table = testing::RandomTable(100, 7, 0)->CombineChunks().ValueOrDie();
  {
    auto w =
        OpenBatchWriter(Path("out.parquet"), table->schema(), FileFormat::kAuto, {}).ValueOrDie();
    arrow::TableBatchReader reader(*table);
    std::shared_ptr<arrow::RecordBatch> batch;
    ASSERT_TRUE(reader.ReadNext(&batch).ok());
    ASSERT_TRUE(w->Write(*batch).ok());
    // Destroyed without Close(): the import failed.
  }
  EXPECT_TRUE(Entries().empty());
}

TEST_F(TableIoTest, ConvertFailureMidwayLeavesNoOutput) {
  {
    std::ofstream csv(Path("bad.csv"));
    csv << "ts,price\n";
    for (int i = 0; i < 50000; ++i) csv << "2024-03-04T14:30:00Z," << i << ".5\n";
    csv << "2024-03-04T14:30:00Z,not-a-price\n";
  }
  ConvertOptions o;
  o.read.schema = arrow::schema({arrow::field("price", arrow::float64())});
  o.read.block_bytes = 64 * 1024;
  auto result = ConvertFile(Path("bad.csv"), Path("out.parquet"), o);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(CodeOf(result.status()), ErrorCode::kCorruption);
  EXPECT_NE(result.status().message().find(Path("bad.csv")), std::string::npos)
      << result.status().message();
  EXPECT_NE(result.status().message().find("not-a-price"), std::string::npos);
  EXPECT_EQ(Entries(), std::vector<std::string>{"bad.csv"});
}

TEST_F(TableIoTest, MissingAndMalformedInputs) {
  auto missing = OpenBatchReader(Path("nope.parquet"), {});
  EXPECT_EQ(CodeOf(missing.status()), ErrorCode::kNotFound);
  EXPECT_EQ(missing.status().message(), Path("nope.parquet") + ": no such file");
  {
    std::ofstream f(Path("junk.parquet"));
    f << "this is not parquet at all, not even close";
  }
  auto junk = OpenBatchReader(Path("junk.parquet"), {});
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(CodeOf(junk.status()), ErrorCode::kCorruption);
  EXPECT_EQ(
      junk.status().message().rfind(Path("junk.parquet") + ": not a readable Parquet file", 0), 0u)
      << junk.status().message();
  auto unknown = OpenBatchReader(Path("junk.parquet.txt"), {});
  EXPECT_EQ(CodeOf(unknown.status()), ErrorCode::kNotFound);
}

// Parallel CSV parsing (use_threads) gives the serial reader's batches, boundaries and errors.
std::vector<std::shared_ptr<arrow::RecordBatch>> ReadBatches(const std::string& path,
                                                             ReadFileOptions o,
                                                             arrow::Status* error) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> out;
  auto in = OpenBatchReader(path, o);
  if (!in.ok()) {
    *error = in.status();
    return out;
  }
  while (true) {
    std::shared_ptr<arrow::RecordBatch> b;
    *error = in->reader->ReadNext(&b);
    if (!error->ok() || !b) break;
    out.push_back(b);
  }
  return out;
}

void ExpectSameAsSerial(const std::string& path, ReadFileOptions o, size_t min_batches) {
  for (bool text : {false, true}) {
    o.text_columns = text;
    o.use_threads = false;
    arrow::Status serial_error, parallel_error;
    auto serial = ReadBatches(path, o, &serial_error);
    o.use_threads = true;
    auto parallel = ReadBatches(path, o, &parallel_error);
    EXPECT_EQ(parallel_error.ToString(), serial_error.ToString()) << path;
    // After an error the batches before it may differ in number (the serial reader reads
    // ahead); each one returned is the serial reader's.
    if (serial_error.ok()) {
      ASSERT_EQ(parallel.size(), serial.size()) << path;
      EXPECT_GE(parallel.size(), min_batches) << path;
    }
    for (size_t i = 0; i < std::min(serial.size(), parallel.size()); ++i) {
      EXPECT_TRUE(parallel[i]->Equals(*serial[i], /*check_metadata=*/true))
          << path << " batch " << i << "\n"
          << parallel[i]->ToString() << "\n"
          << serial[i]->ToString();
    }
  }
}

TEST_F(TableIoTest, ParallelCsvMatchesSerialReader) {
  ReadFileOptions o;
  o.block_bytes = 4096;
  for (const std::string eol : {"\n", "\r\n"}) {
    const std::string name = eol == "\n" ? "lf.csv" : "crlf.csv";
    {
      std::ofstream csv(Path(name), std::ios::binary);
      csv << "\"ts\",symbol,price,size,note" << eol;
      for (int i = 0; i < 5000; ++i) {
        csv << "2024-03-04 14:30:" << (i % 60 < 10 ? "0" : "") << i % 60 << "." << 100000 + i
            << "Z,\"S" << i % 7 << "\"," << i << ".25," << i * 3 << ","
            << (i % 5 == 0 ? "" : (i % 5 == 1 ? "\"a, \"\"q\"\"\"" : "x")) << eol;
        if (i % 997 == 0) csv << eol;  // empty lines are skipped
      }
      csv << "2024-03-05 00:00:00Z,LAST,1.5,2,end";  // no line end at the end
    }
    ExpectSameAsSerial(Path(name), o, 20);
  }
  {
    std::ofstream csv(Path("small.csv"));
    csv << "a,b\n1,2\n";
  }
  ExpectSameAsSerial(Path("small.csv"), o, 1);
  {
    std::ofstream csv(Path("header_only.csv"));
    csv << "a,b\n";
  }
  ExpectSameAsSerial(Path("header_only.csv"), o, 0);
  { std::ofstream csv(Path("empty.csv")); }
  ExpectSameAsSerial(Path("empty.csv"), o, 0);
  // Lines of 40-100 KB: the unfinished line of a read is sometimes longer than the room kept
  // in front of the next read (64 KiB) and is concatenated instead.
  {
    std::ofstream csv(Path("wide.csv"));
    csv << "id,text\n";
    for (int i = 0; i < 40; ++i) {
      csv << i << "," << std::string(40000 + (i * 7919) % 60000, static_cast<char>('a' + i % 26))
          << "\n";
    }
  }
  ReadFileOptions wide = o;
  wide.block_bytes = 150000;
  ExpectSameAsSerial(Path("wide.csv"), wide, 10);
}

TEST_F(TableIoTest, ParallelCsvErrorsAreTheSerialReadersErrors) {
  ReadFileOptions o;
  o.block_bytes = 4096;
  // A row with too few columns and a value that does not fit the inferred type, both blocks
  // after the first: the messages (with row numbers) are the serial reader's.
  {
    std::ofstream csv(Path("columns.csv"));
    csv << "a,b,c\n";
    for (int i = 0; i < 3000; ++i) csv << i << "," << i << "," << i << "\n";
    csv << "1,2\n";
    for (int i = 0; i < 3000; ++i) csv << i << "," << i << "," << i << "\n";
  }
  {
    std::ofstream csv(Path("types.csv"));
    csv << "a,b\n";
    for (int i = 0; i < 3000; ++i) csv << i << "," << i << ".5\n";
    csv << "7,not-a-number\n";
  }
  {
    std::ofstream csv(Path("long_line.csv"));
    csv << "a,b\n";
    for (int i = 0; i < 3000; ++i) csv << i << "," << i << "\n";
    csv << "1," << std::string(5000, 'x') << "\n";
  }
  for (const char* name : {"columns.csv", "types.csv", "long_line.csv"}) {
    for (bool text : {false, true}) {
      o.text_columns = text;
      o.use_threads = true;
      arrow::Status error;
      auto batches = ReadBatches(Path(name), o, &error);
      if (std::string(name) != "types.csv" || !text) {
        EXPECT_FALSE(error.ok()) << name;
      }
    }
    ExpectSameAsSerial(Path(name), o, 1);
  }
}

TEST_F(TableIoTest, SortTableSortsByValuesOfDictionaries) {
  auto table = testing::RandomTable(3000, 8, 0)->CombineChunks().ValueOrDie();
  auto sorted = SortTable(table, {"symbol", "ts"}).ValueOrDie();
  auto sym = arrow::compute::Cast(sorted->GetColumnByName("symbol"), arrow::utf8())
                 .ValueOrDie()
                 .chunked_array();
  auto ts = sorted->GetColumnByName("ts");
  for (int64_t i = 1; i < sorted->num_rows(); ++i) {
    auto a = std::static_pointer_cast<arrow::StringScalar>(sym->GetScalar(i - 1).ValueOrDie());
    auto b = std::static_pointer_cast<arrow::StringScalar>(sym->GetScalar(i).ValueOrDie());
    ASSERT_LE(a->view(), b->view());
    if (a->view() == b->view()) {
      ASSERT_LE(
          std::static_pointer_cast<arrow::TimestampScalar>(ts->GetScalar(i - 1).ValueOrDie())
              ->value,
          std::static_pointer_cast<arrow::TimestampScalar>(ts->GetScalar(i).ValueOrDie())->value);
    }
  }
  EXPECT_EQ(sorted->schema()->field(1)->type()->id(), arrow::Type::DICTIONARY);
  EXPECT_EQ(CodeOf(SortTable(table, {"nope"}).status()), ErrorCode::kMissingColumn);
}

}  // namespace
}  // namespace marketlake
