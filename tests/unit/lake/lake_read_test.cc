// LakeReader: every result is compared with a brute-force oracle over the rows appended.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "lake_test_util.h"
#include "marketlake/lake.h"
#include "marketlake/lake_read.h"
#include "marketlake/sessions.h"

namespace marketlake {
namespace {

using testing::kMar15;
using testing::kNsPerDay;
using testing::kNsPerSec;
using testing::TempDir;

struct Row {
  std::string symbol;
  int64_t ts = 0;
  double price = 0;
  int64_t size = 0;
  bool operator==(const Row&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Row& r) {
  return os << "{" << r.symbol << ", " << r.ts << ", " << r.price << ", " << r.size << "}";
}

std::shared_ptr<arrow::RecordBatch> MakeBatch(const std::vector<Row>& rows) {
  arrow::StringBuilder sym;
  arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::NANO, "UTC"),
                             arrow::default_memory_pool());
  arrow::DoubleBuilder price;
  arrow::Int64Builder size;
  for (const auto& r : rows) {
    EXPECT_TRUE(sym.Append(r.symbol).ok());
    EXPECT_TRUE(ts.Append(r.ts).ok());
    EXPECT_TRUE(price.Append(r.price).ok());
    EXPECT_TRUE(size.Append(r.size).ok());
  }
  std::vector<std::shared_ptr<arrow::Array>> cols(4);
  EXPECT_TRUE(sym.Finish(&cols[0]).ok());
  EXPECT_TRUE(ts.Finish(&cols[1]).ok());
  EXPECT_TRUE(price.Finish(&cols[2]).ok());
  EXPECT_TRUE(size.Finish(&cols[3]).ok());
  return arrow::RecordBatch::Make(testing::TradesSchema(), static_cast<int64_t>(rows.size()), cols);
}

// The rows of a table with (at least) symbol, ts, price, size.
std::vector<Row> RowsOf(const std::shared_ptr<arrow::Table>& table) {
  std::vector<Row> out;
  if (table->num_rows() == 0) return out;  // possibly without columns (no files)
  auto combined = table->CombineChunksToBatch().ValueOrDie();
  auto sym = arrow::compute::Cast(*combined->GetColumnByName("symbol"), arrow::utf8()).ValueOrDie();
  auto ts = arrow::compute::Cast(*combined->GetColumnByName("ts"), arrow::int64()).ValueOrDie();
  const auto& s = static_cast<const arrow::StringArray&>(*sym);
  const auto& t = static_cast<const arrow::Int64Array&>(*ts);
  const auto& p = static_cast<const arrow::DoubleArray&>(*combined->GetColumnByName("price"));
  const auto& z = static_cast<const arrow::Int64Array&>(*combined->GetColumnByName("size"));
  for (int64_t i = 0; i < combined->num_rows(); ++i) {
    out.push_back(Row{std::string(s.GetView(i)), t.Value(i), p.Value(i), z.Value(i)});
  }
  return out;
}

// The oracle: rows in append order, filtered, stably sorted by (symbol, ts).
std::vector<Row> Expected(std::vector<Row> rows, const std::function<bool(const Row&)>& keep,
                          int64_t limit = -1) {
  std::vector<Row> out;
  for (auto& r : rows) {
    if (keep(r)) out.push_back(std::move(r));
  }
  std::stable_sort(out.begin(), out.end(), [](const Row& a, const Row& b) {
    return std::tie(a.symbol, a.ts) < std::tie(b.symbol, b.ts);
  });
  if (limit >= 0 && static_cast<int64_t>(out.size()) > limit) out.resize(limit);
  return out;
}

// Random rows: symbols from `symbols`, ts in [start, start + span), some duplicate keys.
std::vector<Row> RandomRows(std::mt19937_64& rng, const std::vector<std::string>& symbols,
                            int64_t n, int64_t start, int64_t span, int64_t id) {
  std::vector<Row> rows;
  std::uniform_int_distribution<size_t> pick(0, symbols.size() - 1);
  std::uniform_int_distribution<int64_t> when(0, span - 1);
  std::uniform_int_distribution<int> cents(0, 5000);
  for (int64_t i = 0; i < n; ++i) {
    // Times on a 1 s grid so keys repeat across and within appends.
    int64_t ts = start + when(rng) / kNsPerSec * kNsPerSec;
    rows.push_back(Row{symbols[pick(rng)], ts, 100 + cents(rng) / 100.0, id + i});
  }
  return rows;
}

class LakeReadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto lake = Lake::Open(dir_.path());
    ASSERT_TRUE(lake.ok()) << lake.status().ToString();
    lake_ = std::move(*lake);
  }

  Dataset* Open(std::string_view name, std::string_view spec = "day") {
    auto ds = lake_->OpenDataset(name, {Layer::kCleaned, ParsePartitionSpec(spec).ValueOrDie()});
    EXPECT_TRUE(ds.ok()) << ds.status().ToString();
    datasets_.push_back(std::move(*ds));
    return datasets_.back().get();
  }

  // Appends and remembers the rows (in append order) for the oracle.
  void Append(Dataset* ds, const std::vector<Row>& rows, int64_t max_rows_per_file = 1 << 20) {
    AppendOptions options;
    options.max_rows_per_file = max_rows_per_file;
    options.write.row_group_size = 256;
    auto r = ds->Append({MakeBatch(rows)}, options);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    appended_.insert(appended_.end(), rows.begin(), rows.end());
  }

  std::vector<Row> Read(Dataset* ds, LakeReadOptions options, LakeReadStats* stats = nullptr) {
    auto reader = LakeReader::Open(ds, options);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return {};
    std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
    while (true) {
      auto b = (*reader)->Next();
      EXPECT_TRUE(b.ok()) << b.status().ToString();
      if (!b.ok() || !*b) break;
      EXPECT_GT((*b)->num_rows(), 0);
      EXPECT_LE((*b)->num_rows(), options.batch_size);
      EXPECT_TRUE((*b)->schema()->Equals(*(*reader)->schema()));
      batches.push_back(*b);
    }
    if (stats) *stats = (*reader)->stats();
    EXPECT_EQ((*reader)->stats().rows_returned,
              std::accumulate(batches.begin(), batches.end(), int64_t{0},
                              [](int64_t n, const auto& b) { return n + b->num_rows(); }));
    auto table = arrow::Table::FromRecordBatches((*reader)->schema(), batches).ValueOrDie();
    return RowsOf(table);
  }

  TempDir dir_;
  std::unique_ptr<Lake> lake_;
  std::vector<std::unique_ptr<Dataset>> datasets_;
  std::vector<Row> appended_;
};

const auto kAll = [](const Row&) { return true; };

TEST_F(LakeReadTest, MergesOverlappingAppendsIntoTheSortedUnion) {
  Dataset* ds = Open("trades");
  std::mt19937_64 rng(7);
  // Three appends over overlapping symbols and days, several files per partition.
  Append(ds, RandomRows(rng, {"AAPL", "MSFT", "IBM"}, 3000, kMar15, 3 * kNsPerDay, 0), 700);
  Append(ds, RandomRows(rng, {"AAPL", "TSLA"}, 2000, kMar15 + kNsPerDay, 2 * kNsPerDay, 100000),
         500);
  Append(ds, RandomRows(rng, {"IBM", "MSFT", "A"}, 1000, kMar15, 4 * kNsPerDay, 200000));
  for (int64_t batch_size : {int64_t{1}, int64_t{37}, int64_t{1000}, int64_t{1} << 20}) {
    LakeReadOptions options;
    options.batch_size = batch_size;
    LakeReadStats stats;
    auto got = Read(ds, options, &stats);
    auto want = Expected(appended_, kAll);
    ASSERT_EQ(got.size(), want.size());
    EXPECT_EQ(got, want) << "batch_size " << batch_size;
    EXPECT_EQ(stats.files_pruned, 0);
    EXPECT_EQ(stats.files_read, stats.files_total);
    EXPECT_EQ(stats.rows_returned, 6000);
    EXPECT_EQ(stats.scan.rows_matched, 6000);
  }
}

TEST_F(LakeReadTest, SymbolAndTimeEdges) {
  Dataset* ds = Open("trades");
  std::mt19937_64 rng(11);
  Append(ds, RandomRows(rng, {"AAPL", "MSFT", "IBM"}, 2000, kMar15, 3 * kNsPerDay, 0));
  Append(ds, RandomRows(rng, {"AAPL", "MSFT"}, 1000, kMar15, 3 * kNsPerDay, 10000));
  // from and to fall on existing timestamps: from is included, to excluded.
  const int64_t from = std::min(appended_[10].ts, appended_[20].ts);
  const int64_t to = std::max(appended_[10].ts, appended_[20].ts);
  ASSERT_LT(from, to);
  const Row& at_from = appended_[10].ts == from ? appended_[10] : appended_[20];
  LakeReadOptions options;
  options.symbols = {"MSFT", "IBM", "MSFT"};
  options.from_ns = from;
  options.to_ns = to;
  auto got = Read(ds, options);
  auto want = Expected(appended_, [&](const Row& r) {
    return (r.symbol == "MSFT" || r.symbol == "IBM") && r.ts >= from && r.ts < to;
  });
  EXPECT_FALSE(want.empty());
  EXPECT_EQ(got, want);
  bool saw_from = false;
  for (const auto& r : got) saw_from |= r.ts == from;
  bool from_selected = at_from.symbol != "AAPL";
  EXPECT_EQ(saw_from, from_selected);
  for (const auto& r : got) EXPECT_NE(r.ts, to);

  // Only from / only to.
  LakeReadOptions only_from;
  only_from.from_ns = to;
  EXPECT_EQ(Read(ds, only_from), Expected(appended_, [&](const Row& r) { return r.ts >= to; }));
  LakeReadOptions only_to;
  only_to.to_ns = from;
  EXPECT_EQ(Read(ds, only_to), Expected(appended_, [&](const Row& r) { return r.ts < from; }));
}

TEST_F(LakeReadTest, WhereColumnsAndLimit) {
  Dataset* ds = Open("trades");
  std::mt19937_64 rng(3);
  Append(ds, RandomRows(rng, {"AAPL", "MSFT", "IBM"}, 2000, kMar15, 2 * kNsPerDay, 0));
  Append(ds, RandomRows(rng, {"AAPL", "ZZZ"}, 1500, kMar15, 2 * kNsPerDay, 5000));
  LakeReadOptions options;
  options.where = "price > 120 AND (size < 1000 OR symbol = 'ZZZ')";
  auto want = Expected(appended_, [](const Row& r) {
    return r.price > 120 && (r.size < 1000 || r.symbol == "ZZZ");
  });
  EXPECT_EQ(Read(ds, options), want);

  // Projection: the columns asked, in that order; order by (symbol, ts) still holds.
  LakeReadOptions proj;
  proj.columns = {"size", "price"};
  proj.batch_size = 333;
  auto table = ReadLakeTable(ds, proj);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  ASSERT_EQ((*table)->schema()->num_fields(), 2);
  EXPECT_EQ((*table)->schema()->field(0)->name(), "size");
  EXPECT_EQ((*table)->schema()->field(1)->name(), "price");
  auto all = Expected(appended_, kAll);
  auto sizes_col = (*table)->CombineChunksToBatch().ValueOrDie()->column(0);
  ASSERT_EQ(sizes_col->length(), static_cast<int64_t>(all.size()));
  for (size_t i = 0; i < all.size(); ++i) {
    ASSERT_EQ(static_cast<const arrow::Int64Array&>(*sizes_col).Value(static_cast<int64_t>(i)),
              all[i].size);
  }

  // Limit, alone and with a filter.
  for (int64_t limit : {0, 1, 7, 2500, 100000}) {
    LakeReadOptions lim;
    lim.limit = limit;
    lim.batch_size = 100;
    EXPECT_EQ(Read(ds, lim), Expected(appended_, kAll, limit)) << limit;
    lim.symbols = {"AAPL"};
    EXPECT_EQ(Read(ds, lim), Expected(
                                 appended_, [](const Row& r) { return r.symbol == "AAPL"; }, limit))
        << limit;
  }
}

TEST_F(LakeReadTest, TimeTravel) {
  Dataset* ds = Open("trades");
  std::mt19937_64 rng(5);
  Append(ds, RandomRows(rng, {"AAPL", "MSFT"}, 500, kMar15, kNsPerDay, 0));
  auto first = appended_;
  Append(ds, RandomRows(rng, {"AAPL", "MSFT"}, 500, kMar15, kNsPerDay, 1000));
  LakeReadOptions v1;
  v1.version = 1;
  auto reader = LakeReader::Open(ds, v1);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->snapshot().version, 1);
  EXPECT_EQ(Read(ds, v1), Expected(first, kAll));
  EXPECT_EQ(Read(ds, {}), Expected(appended_, kAll));
  LakeReadOptions v0;
  v0.version = 0;
  EXPECT_TRUE(Read(ds, v0).empty());
  LakeReadOptions v9;
  v9.version = 9;
  EXPECT_EQ(CodeOf(LakeReader::Open(ds, v9).status()), ErrorCode::kNotFound);
}

TEST_F(LakeReadTest, SchemaEvolutionFillsNullsAndWidens) {
  Dataset* ds = Open("trades");
  // Version 1: size is int32, no venue column.
  auto old_schema = arrow::schema(
      {arrow::field("symbol", arrow::utf8()),
       arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")),
       arrow::field("price", arrow::float64()), arrow::field("size", arrow::int32())});
  arrow::StringBuilder sym;
  arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"),
                             arrow::default_memory_pool());
  arrow::DoubleBuilder price;
  arrow::Int32Builder size;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(sym.Append(i % 2 ? "AAPL" : "MSFT").ok());
    ASSERT_TRUE(ts.Append(kMar15 / 1000 + i * 2000000).ok());  // every 2 s
    ASSERT_TRUE(price.Append(10 + i).ok());
    ASSERT_TRUE(size.Append(i).ok());
  }
  std::vector<std::shared_ptr<arrow::Array>> cols(4);
  ASSERT_TRUE(sym.Finish(&cols[0]).ok());
  ASSERT_TRUE(ts.Finish(&cols[1]).ok());
  ASSERT_TRUE(price.Finish(&cols[2]).ok());
  ASSERT_TRUE(size.Finish(&cols[3]).ok());
  ASSERT_TRUE(ds->Append({arrow::RecordBatch::Make(old_schema, 10, cols)}).ok());
  // Version 2: size int64, ts ns UTC, a venue column.
  auto b2 = MakeBatch({{"AAPL", kMar15 + 1 * kNsPerSec, 1, 100}, {"MSFT", kMar15, 2, 200}});
  arrow::StringBuilder venue;
  ASSERT_TRUE(venue.Append("XNAS").ok());
  ASSERT_TRUE(venue.Append("XNYS").ok());
  auto b2v = b2->AddColumn(4, "venue", venue.Finish().ValueOrDie()).ValueOrDie();
  auto commit = ds->Append({b2v});
  ASSERT_TRUE(commit.ok()) << commit.status().ToString();

  auto table = ReadLakeTable(ds, {});
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  auto schema = (*table)->schema();
  ASSERT_EQ(schema->num_fields(), 5);
  EXPECT_TRUE(schema->GetFieldByName("size")->type()->Equals(arrow::int64()));
  EXPECT_TRUE(
      schema->GetFieldByName("ts")->type()->Equals(arrow::timestamp(arrow::TimeUnit::NANO, "UTC")));
  auto rows = RowsOf(*table);
  ASSERT_EQ(rows.size(), 12u);
  // AAPL: old rows at +2s,+6s,... (i odd) and the new one at +1s.
  EXPECT_EQ(rows[0], (Row{"AAPL", kMar15 + kNsPerSec, 1, 100}));
  EXPECT_EQ(rows[1], (Row{"AAPL", kMar15 + 2 * kNsPerSec, 11, 1}));
  auto venue_col = (*table)->CombineChunksToBatch().ValueOrDie()->GetColumnByName("venue");
  EXPECT_EQ(venue_col->null_count(), 10);
  EXPECT_EQ(static_cast<const arrow::StringArray&>(*venue_col).GetView(0), "XNAS");

  // A predicate on the new column: older files cannot hold a match for venue = ..., and
  // match IS NULL.
  LakeReadOptions where;
  where.where = "venue = 'XNYS'";
  auto t2 = ReadLakeTable(ds, where);
  ASSERT_TRUE(t2.ok()) << t2.status().ToString();
  EXPECT_EQ(RowsOf(*t2), (std::vector<Row>{{"MSFT", kMar15, 2, 200}}));
  where.where = "venue IS NULL AND size >= 8";
  auto t3 = ReadLakeTable(ds, where);
  ASSERT_TRUE(t3.ok()) << t3.status().ToString();
  EXPECT_EQ(RowsOf(*t3), (std::vector<Row>{{"AAPL", kMar15 + 18 * kNsPerSec, 19, 9},
                                           {"MSFT", kMar15 + 16 * kNsPerSec, 18, 8}}));
  // Projection of the new column only.
  LakeReadOptions proj;
  proj.columns = {"venue"};
  auto t4 = ReadLakeTable(ds, proj);
  ASSERT_TRUE(t4.ok());
  EXPECT_EQ((*t4)->num_rows(), 12);
}

TEST_F(LakeReadTest, SessionFilter) {
  Dataset* ds = Open("trades");
  std::mt19937_64 rng(13);
  // 2024-03-15 is a Friday; 3 days cover a weekend.
  Append(ds, RandomRows(rng, {"AAPL", "MSFT"}, 3000, kMar15, 3 * kNsPerDay, 0));
  const TradingCalendar& cal = UsEquitiesCalendar();
  for (SessionMask mask : {kRegularOnly, kExtendedHours, SessionBit(Session::kPreMarket),
                           SessionBit(Session::kAfterHours)}) {
    LakeReadOptions options;
    options.calendar = &cal;
    options.sessions = mask;
    auto got = Read(ds, options);
    auto want = Expected(
        appended_, [&](const Row& r) { return (mask & SessionBit(cal.Classify(r.ts))) != 0; });
    EXPECT_FALSE(want.empty());
    EXPECT_EQ(got, want) << int(mask);
  }
}

TEST_F(LakeReadTest, PrunesFilesAndOpensThemLazily) {
  Dataset* ds = Open("trades", "day,symbol");
  std::mt19937_64 rng(17);
  Append(ds, RandomRows(rng, {"AAPL", "MSFT", "IBM", "TSLA"}, 4000, kMar15, 4 * kNsPerDay, 0));
  auto snap = ds->GetSnapshot();
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap->files.size(), 16u);  // 4 days x 4 symbols
  LakeReadOptions options;
  options.symbols = {"IBM"};
  options.from_ns = kMar15 + kNsPerDay;
  options.to_ns = kMar15 + 2 * kNsPerDay;  // one day
  LakeReadStats stats;
  auto got = Read(ds, options, &stats);
  EXPECT_EQ(got, Expected(appended_, [&](const Row& r) {
              return r.symbol == "IBM" && r.ts >= *options.from_ns && r.ts < *options.to_ns;
            }));
  EXPECT_EQ(stats.files_total, 16);
  EXPECT_EQ(stats.files_pruned, 15);
  EXPECT_EQ(stats.files_read, 1);

  // Only the files of the first symbol are opened for a small limit.
  LakeReadOptions small;
  small.limit = 5;
  LakeReadStats lazy;
  auto first = Read(ds, small, &lazy);
  EXPECT_EQ(first, Expected(appended_, kAll, 5));
  EXPECT_EQ(lazy.files_pruned, 0);
  EXPECT_LE(lazy.files_read, 4);  // AAPL's days at most
  EXPECT_GE(lazy.files_read, 1);
}

TEST_F(LakeReadTest, EmptyResultsAndErrors) {
  Dataset* empty = Open("quotes");
  auto none = ReadLakeTable(empty, {});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ((*none)->num_rows(), 0);

  Dataset* ds = Open("trades");
  std::mt19937_64 rng(19);
  Append(ds, RandomRows(rng, {"AAPL", "MSFT"}, 100, kMar15, kNsPerDay, 0));
  LakeReadOptions nothing;
  nothing.symbols = {"NOPE"};
  LakeReadStats stats;
  EXPECT_TRUE(Read(ds, nothing, &stats).empty());
  EXPECT_EQ(stats.files_read, 0);
  LakeReadOptions later;
  later.from_ns = kMar15 + 10 * kNsPerDay;
  EXPECT_TRUE(Read(ds, later).empty());
  LakeReadOptions no_match;
  no_match.where = "price < 0";
  EXPECT_TRUE(Read(ds, no_match).empty());

  LakeReadOptions bad_column;
  bad_column.columns = {"symbol", "bid"};
  auto r1 = LakeReader::Open(ds, bad_column);
  EXPECT_EQ(CodeOf(r1.status()), ErrorCode::kNotFound);
  EXPECT_NE(r1.status().message().find("'bid'"), std::string::npos) << r1.status().ToString();
  LakeReadOptions backwards;
  backwards.from_ns = kMar15;
  backwards.to_ns = kMar15;
  EXPECT_EQ(CodeOf(LakeReader::Open(ds, backwards).status()), ErrorCode::kInvalidArgument);
  LakeReadOptions bad_where;
  bad_where.where = "bid > 3";
  EXPECT_EQ(CodeOf(LakeReader::Open(ds, bad_where).status()), ErrorCode::kMissingColumn);
  bad_where.where = "ts > 'yesterday'";
  EXPECT_EQ(CodeOf(LakeReader::Open(ds, bad_where).status()), ErrorCode::kDataType);
  bad_where.where = "price >";
  EXPECT_EQ(CodeOf(LakeReader::Open(ds, bad_where).status()), ErrorCode::kInvalidArgument);
}

TEST_F(LakeReadTest, SymbolsNeedingQuotesAndUnsortedFiles) {
  Dataset* ds = Open("trades", "");
  Append(ds, {{"BRK'B", kMar15, 1, 1}, {"A B", kMar15, 2, 2}, {"BRK'B", kMar15 - 5, 3, 3}});
  // An unsorted file (sort = false) is read whole and sorted.
  AppendOptions unsorted;
  unsorted.sort = false;
  std::vector<Row> rows{{"ZZ", kMar15 + 5, 4, 4}, {"A B", kMar15 + 1, 5, 5}, {"ZZ", 0, 6, 6}};
  ASSERT_TRUE(ds->Append({MakeBatch(rows)}, unsorted).ok());
  appended_.insert(appended_.end(), rows.begin(), rows.end());
  LakeReadOptions options;
  options.symbols = {"BRK'B", "ZZ"};
  EXPECT_EQ(Read(ds, options), Expected(appended_, [](const Row& r) {
              return r.symbol == "BRK'B" || r.symbol == "ZZ";
            }));
  EXPECT_EQ(Read(ds, {}), Expected(appended_, kAll));
  for (int64_t limit : {1, 2, 4}) {
    LakeReadOptions lim;
    lim.limit = limit;
    lim.symbols = {"ZZ"};
    lim.batch_size = 1;
    EXPECT_EQ(Read(ds, lim), Expected(
                                 appended_, [](const Row& r) { return r.symbol == "ZZ"; }, limit));
  }
}

// Random appends (with removals and compaction) and random selections against brute force.
TEST_F(LakeReadTest, RandomizedAgainstBruteForce) {
  std::mt19937_64 rng(20240315);
  const std::vector<std::string> universe{"A", "AA", "AAPL", "B", "IBM", "MSFT", "Z"};
  const char* specs[] = {"day", "day,symbol", "month,bucket(3)", "", "hour"};
  for (int round = 0; round < 5; ++round) {
    appended_.clear();
    Dataset* ds = Open(fmt::format("trades_r{}", round), specs[round]);
    int appends = 2 + static_cast<int>(rng() % 4);
    for (int a = 0; a < appends; ++a) {
      std::vector<std::string> syms;
      for (const auto& s : universe) {
        if (rng() % 2) syms.push_back(s);
      }
      if (syms.empty()) syms.push_back("AAPL");
      int64_t start = kMar15 + static_cast<int64_t>(rng() % 3) * kNsPerDay / 2;
      Append(ds,
             RandomRows(rng, syms, 50 + static_cast<int64_t>(rng() % 800), start,
                        kNsPerDay + static_cast<int64_t>(rng() % 2) * kNsPerDay, a * 100000),
             64 + static_cast<int64_t>(rng() % 400));
    }
    for (int q = 0; q < 25; ++q) {
      LakeReadOptions options;
      std::set<std::string> want_syms;
      if (rng() % 2) {
        for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k) {
          want_syms.insert(universe[rng() % universe.size()]);
        }
        options.symbols.assign(want_syms.begin(), want_syms.end());
      }
      if (rng() % 2) options.from_ns = kMar15 + static_cast<int64_t>(rng() % (3 * kNsPerDay));
      if (rng() % 2) {
        options.to_ns = kMar15 + static_cast<int64_t>(rng() % (3 * kNsPerDay));
        if (options.from_ns && *options.to_ns <= *options.from_ns) options.to_ns.reset();
      }
      std::optional<double> min_price;
      if (rng() % 3 == 0) {
        min_price = 100 + static_cast<double>(rng() % 50);
        options.where = fmt::format("price >= {}", *min_price);
      }
      if (rng() % 4 == 0) options.limit = static_cast<int64_t>(rng() % 200);
      options.batch_size = 1 + static_cast<int64_t>(rng() % 500);
      auto keep = [&](const Row& r) {
        if (!want_syms.empty() && !want_syms.count(r.symbol)) return false;
        if (options.from_ns && r.ts < *options.from_ns) return false;
        if (options.to_ns && r.ts >= *options.to_ns) return false;
        if (min_price && r.price < *min_price) return false;
        return true;
      };
      LakeReadStats stats;
      auto got = Read(ds, options, &stats);
      auto want = Expected(appended_, keep, options.limit);
      ASSERT_EQ(got.size(), want.size()) << "round " << round << " query " << q;
      ASSERT_EQ(got, want) << "round " << round << " query " << q;
      // Reading ahead on a thread gives the same rows and, at the end, the same counts.
      LakeReadOptions ahead = options;
      ahead.prefetch = true;
      ahead.coalesce = q % 2 == 0;                     // runs as batches, uncopied
      ahead.decode_threads = static_cast<int>(q % 3);  // files decoded on 0, 1 or 2 threads
      LakeReadStats ahead_stats;
      ASSERT_EQ(Read(ds, ahead, &ahead_stats), want) << "round " << round << " query " << q;
      EXPECT_EQ(ahead_stats.rows_returned, stats.rows_returned);
      EXPECT_EQ(ahead_stats.files_read, stats.files_read);
      EXPECT_EQ(ahead_stats.scan.rows_matched, stats.scan.rows_matched);
    }
  }
}

TEST_F(LakeReadTest, PrefetchStopsEarlyAndEnds) {
  Dataset* ds = Open("trades");
  std::mt19937_64 rng(5);
  Append(ds, RandomRows(rng, {"AAPL", "MSFT", "IBM"}, 3000, kMar15, 3 * kNsPerDay, 0), 400);
  // Destroyed after one batch, while the worker reads ahead: no hang, no leak.
  for (int k = 0; k < 20; ++k) {
    LakeReadOptions options;
    options.prefetch = true;
    options.batch_size = 10;
    auto reader = LakeReader::Open(ds, options);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    auto first = (*reader)->Next();
    ASSERT_TRUE(first.ok());
    ASSERT_NE(*first, nullptr);
    EXPECT_EQ((*reader)->stats().rows_returned, 10);
  }
  // Never read at all.
  LakeReadOptions unused;
  unused.prefetch = true;
  EXPECT_TRUE(LakeReader::Open(ds, unused).ok());
  // After the end, Next() keeps returning nullptr.
  LakeReadOptions options;
  options.prefetch = true;
  options.limit = 5;
  auto reader = LakeReader::Open(ds, options);
  ASSERT_TRUE(reader.ok());
  auto b = (*reader)->Next();
  ASSERT_TRUE(b.ok() && *b != nullptr);
  EXPECT_EQ((*b)->num_rows(), 5);
  for (int k = 0; k < 3; ++k) {
    auto end = (*reader)->Next();
    ASSERT_TRUE(end.ok());
    EXPECT_EQ(*end, nullptr);
  }
  EXPECT_EQ((*reader)->stats().rows_returned, 5);
}

// Files decoded on a pool: the same rows (equal keys across files in file order), the same
// counts, early stops and errors naming the file.
TEST_F(LakeReadTest, DecodeThreadsReadManyFilesInOrder) {
  Dataset* ds = Open("trades");
  std::mt19937_64 rng(23);
  // Two appends over the same symbols and days (keys on a 1 s grid repeat across files), in
  // files of at most 90 rows: dozens of files per day, opened several at a time.
  Append(ds, RandomRows(rng, {"AAPL", "MSFT", "IBM"}, 2500, kMar15, 2 * kNsPerDay, 0), 90);
  Append(ds, RandomRows(rng, {"AAPL", "IBM", "Z"}, 2000, kMar15, 2 * kNsPerDay, 100000), 90);
  auto snap = ds->GetSnapshot();
  ASSERT_TRUE(snap.ok());
  ASSERT_GT(snap->files.size(), 40u);
  const auto want = Expected(appended_, kAll);
  for (int threads : {1, 2, 4}) {
    for (bool prefetch : {false, true}) {
      for (int64_t batch_size : {int64_t{7}, int64_t{1000}, int64_t{1} << 20}) {
        LakeReadOptions options;
        options.decode_threads = threads;
        options.prefetch = prefetch;
        options.coalesce = batch_size != 7;
        options.batch_size = batch_size;
        LakeReadStats stats;
        ASSERT_EQ(Read(ds, options, &stats), want)
            << threads << " threads, prefetch " << prefetch << ", batch " << batch_size;
        EXPECT_EQ(stats.files_read, stats.files_total);
        EXPECT_EQ(stats.scan.rows_matched, 4500);
        EXPECT_EQ(stats.scan.row_groups_read, stats.scan.row_groups_total);
      }
    }
    // A selection and a limit: same rows as the oracle, no more files opened than needed
    // plus the ones opened ahead.
    LakeReadOptions some;
    some.decode_threads = threads;
    some.symbols = {"IBM"};
    some.limit = 300;
    LakeReadStats stats;
    EXPECT_EQ(Read(ds, some, &stats),
              Expected(
                  appended_, [](const Row& r) { return r.symbol == "IBM"; }, 300));
    LakeReadOptions serial = some;
    serial.decode_threads = 0;
    LakeReadStats serial_stats;
    Read(ds, serial, &serial_stats);
    EXPECT_EQ(stats.files_read, serial_stats.files_read);
    EXPECT_EQ(stats.scan.rows_matched, serial_stats.scan.rows_matched);
    // Destroyed after one batch while files decode on the pool: no hang, no leak, no race.
    for (int k = 0; k < 10; ++k) {
      LakeReadOptions options;
      options.decode_threads = threads;
      options.prefetch = k % 2 == 0;
      options.batch_size = 5;
      auto reader = LakeReader::Open(ds, options);
      ASSERT_TRUE(reader.ok()) << reader.status().ToString();
      auto first = (*reader)->Next();
      ASSERT_TRUE(first.ok()) << first.status().ToString();
      ASSERT_NE(*first, nullptr);
    }
  }

  // A damaged file: the error names it, whether it was opened on the pool or not.
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path())) {
    if (e.path().extension() == ".parquet") files.push_back(e.path());
  }
  ASSERT_FALSE(files.empty());
  std::sort(files.begin(), files.end());
  const std::filesystem::path bad = files[files.size() / 2];
  const auto size = static_cast<int64_t>(std::filesystem::file_size(bad));
  {
    std::fstream f(bad, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4);
    const std::string junk(static_cast<size_t>(size / 3), '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  for (int threads : {0, 1, 2}) {
    for (bool prefetch : {false, true}) {
      LakeReadOptions options;
      options.decode_threads = threads;
      options.prefetch = prefetch;
      auto reader = LakeReader::Open(ds, options);
      ASSERT_TRUE(reader.ok()) << reader.status().ToString();
      Status st;
      int64_t rows = 0;
      while (true) {
        auto b = (*reader)->Next();
        if (!b.ok()) {
          st = b.status();
          break;
        }
        if (!*b) break;
        rows += (*b)->num_rows();
      }
      EXPECT_FALSE(st.ok()) << threads << " threads: " << rows << " rows and no error";
      EXPECT_EQ(CodeOf(st), ErrorCode::kCorruption) << st.ToString();
      EXPECT_NE(st.message().find(bad.filename().string()), std::string::npos) << st.ToString();
    }
  }
}

}  // namespace
}  // namespace marketlake
