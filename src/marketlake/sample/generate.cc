#include "marketlake/generate.h"

#include <arrow/array.h>
#include <arrow/builder.h>
#include <arrow/type.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/core.h>

namespace marketlake {
namespace {

constexpr int64_t kNanosPerSecond = 1000000000LL;
constexpr int64_t kSecondsPerDay = 86400;

// The most traded US tickers first, so small --symbols values look familiar.
constexpr std::array<const char*, 100> kTickers = {
    "AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "AVGO", "JPM",  "LLY",
    "V",    "UNH",  "XOM",  "MA",   "JNJ",   "PG",   "HD",   "COST", "MRK",  "ABBV",
    "CVX",  "CRM",  "BAC",  "NFLX", "AMD",   "PEP",  "KO",   "ADBE", "TMO",  "WMT",
    "LIN",  "MCD",  "CSCO", "ACN",  "ABT",   "ORCL", "INTC", "DIS",  "WFC",  "CMCSA",
    "DHR",  "VZ",   "TXN",  "INTU", "PFE",   "AMGN", "NKE",  "QCOM", "PM",   "IBM",
    "UNP",  "CAT",  "GE",   "SPGI", "NOW",   "HON",  "BA",   "AMAT", "LOW",  "GS",
    "RTX",  "ISRG", "BKNG", "ELV",  "MDT",   "PLD",  "DE",   "SBUX", "BLK",  "T",
    "UBER", "LMT",  "SYK",  "TJX",  "ADP",   "MDLZ", "GILD", "MMC",  "VRTX", "CVS",
    "ADI",  "REGN", "C",    "LRCX", "SCHW",  "CB",   "MU",   "ZTS",  "CI",   "BSX",
    "SO",   "FI",   "PANW", "MO",   "ETN",   "SNPS", "EQIX", "KLAC", "BDX",  "PGR"};

constexpr std::array<const char*, 6> kExchanges = {"Q", "N", "P", "Z", "K", "V"};

// xoshiro256** seeded by splitmix64: fast, good enough, and the same on every machine.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& s : s_) {
      seed += 0x9e3779b97f4a7c15ULL;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      s = z ^ (z >> 31);
    }
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  int64_t Below(int64_t n) { return static_cast<int64_t>(Uniform() * static_cast<double>(n)); }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// Days since 1970-01-01 for a civil date (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

int Weekday(int64_t days) {  // 0 = Sunday
  return static_cast<int>(days >= -4 ? (days + 4) % 7 : (days + 5) % 7 + 6);
}

// The n-th (1-based) Sunday of a month.
int64_t NthSunday(int64_t year, unsigned month, int n) {
  int64_t first = DaysFromCivil(year, month, 1);
  int64_t to_sunday = (7 - Weekday(first)) % 7;
  return first + to_sunday + 7 * (n - 1);
}

std::string SymbolName(int i) {
  if (i < static_cast<int>(kTickers.size())) return kTickers[i];
  std::string s;
  int n = i;
  do {
    s.insert(s.begin(), static_cast<char>('A' + n % 26));
    n /= 26;
  } while (n > 0);
  return "X" + s;
}

Result<int64_t> ParseDate(const std::string& text) {
  int y = 0;
  unsigned m = 0, d = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 ||
      d < 1 || d > 31 || y < 1970 || y > 2200) {
    return Error(
        ErrorCode::kInvalidArgument,
        fmt::format("--start '{}': expected a date YYYY-MM-DD between 1970 and 2200", text));
  }
  int64_t days = DaysFromCivil(y, m, d);
  int64_t yy;
  unsigned mm, dd;
  CivilFromDays(days, &yy, &mm, &dd);
  if (mm != m || dd != d) {
    return Error(ErrorCode::kInvalidArgument, fmt::format("--start '{}': no such date", text));
  }
  return days;
}

class SampleReader final : public arrow::RecordBatchReader {
 public:
  SampleReader(const GenerateOptions& options, int64_t first_day)
      : options_(options), rng_(options.seed) {
    const bool trades = options.kind == GenerateOptions::Kind::kTrades;
    auto dict = arrow::dictionary(arrow::int32(), arrow::utf8());
    std::vector<std::shared_ptr<arrow::Field>> fields = {
        arrow::field("ts", arrow::timestamp(arrow::TimeUnit::NANO, "UTC"), false),
        arrow::field("symbol", dict, false)};
    if (trades) {
      fields.push_back(arrow::field("price", arrow::float64(), false));
      fields.push_back(arrow::field("size", arrow::int64(), false));
      fields.push_back(arrow::field("exchange", dict, false));
      fields.push_back(arrow::field("trade_id", arrow::int64(), false));
    } else {
      fields.push_back(arrow::field("bid", arrow::float64(), false));
      fields.push_back(arrow::field("ask", arrow::float64(), false));
      fields.push_back(arrow::field("bid_size", arrow::int64(), false));
      fields.push_back(arrow::field("ask_size", arrow::int64(), false));
    }
    schema_ = arrow::schema(fields);

    arrow::StringBuilder names;
    for (int i = 0; i < options.symbols; ++i) (void)names.Append(SymbolName(i));
    symbol_dict_ = names.Finish().ValueOrDie();
    arrow::StringBuilder exch;
    for (const char* e : kExchanges) (void)exch.Append(e);
    exchange_dict_ = exch.Finish().ValueOrDie();

    // Zipf-like popularity: a few symbols trade far more than the rest.
    double total = 0;
    for (int i = 0; i < options.symbols; ++i) {
      total += 1.0 / std::pow(i + 1.0, 0.8);
      cumulative_.push_back(total);
    }
    for (auto& c : cumulative_) c /= total;
    for (int i = 0; i < options.symbols; ++i) {
      cents_.push_back(1000 + rng_.Below(49000));  // $10 .. $500
    }
    for (int64_t day = first_day; static_cast<int>(days_.size()) < options.days; ++day) {
      int wd = Weekday(day);
      if (wd != 0 && wd != 6) days_.push_back(day);
    }
    next_day_ = 0;
  }

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    if (emitted_ >= options_.rows) {
      *out = nullptr;
      return arrow::Status::OK();
    }
    const int64_t n = std::min(options_.batch_rows, options_.rows - emitted_);
    std::vector<int64_t> ts(n);
    std::vector<int32_t> sym(n);
    for (int64_t i = 0; i < n; ++i) {
      ts[i] = NextTimestamp();
      double u = rng_.Uniform();
      sym[i] = static_cast<int32_t>(std::lower_bound(cumulative_.begin(), cumulative_.end(), u) -
                                    cumulative_.begin());
      if (sym[i] >= options_.symbols) sym[i] = options_.symbols - 1;
    }
    std::vector<std::shared_ptr<arrow::Array>> columns;
    columns.push_back(MakeTimestamps(ts));
    ARROW_ASSIGN_OR_RAISE(auto symbols, MakeDictionary(sym, symbol_dict_));
    columns.push_back(symbols);
    if (options_.kind == GenerateOptions::Kind::kTrades) {
      std::vector<double> price(n);
      std::vector<int64_t> size(n), id(n);
      std::vector<int32_t> exch(n);
      for (int64_t i = 0; i < n; ++i) {
        int64_t& c = cents_[sym[i]];
        c = Step(c);
        price[i] = static_cast<double>(c) / 100.0;
        size[i] = rng_.Uniform() < 0.7 ? 100 * (1 + rng_.Below(10)) : 1 + rng_.Below(99);
        exch[i] = static_cast<int32_t>(rng_.Below(static_cast<int64_t>(kExchanges.size())));
        id[i] = ++trade_id_;
      }
      columns.push_back(MakeNumbers<arrow::DoubleType>(price));
      columns.push_back(MakeNumbers<arrow::Int64Type>(size));
      ARROW_ASSIGN_OR_RAISE(auto exchanges, MakeDictionary(exch, exchange_dict_));
      columns.push_back(exchanges);
      columns.push_back(MakeNumbers<arrow::Int64Type>(id));
    } else {
      std::vector<double> bid(n), ask(n);
      std::vector<int64_t> bid_size(n), ask_size(n);
      for (int64_t i = 0; i < n; ++i) {
        int64_t& c = cents_[sym[i]];
        c = Step(c);
        double u = rng_.Uniform();
        int64_t spread = u < 0.6 ? 1 : u < 0.85 ? 2 : u < 0.95 ? 3 : 5;
        int64_t bid_cents = c - spread / 2;
        bid[i] = static_cast<double>(bid_cents) / 100.0;
        ask[i] = static_cast<double>(bid_cents + spread) / 100.0;
        bid_size[i] = 100 * (1 + rng_.Below(20));
        ask_size[i] = 100 * (1 + rng_.Below(20));
      }
      columns.push_back(MakeNumbers<arrow::DoubleType>(bid));
      columns.push_back(MakeNumbers<arrow::DoubleType>(ask));
      columns.push_back(MakeNumbers<arrow::Int64Type>(bid_size));
      columns.push_back(MakeNumbers<arrow::Int64Type>(ask_size));
    }
    emitted_ += n;
    *out = arrow::RecordBatch::Make(schema_, n, std::move(columns));
    return arrow::Status::OK();
  }

 private:
  // A random walk on the cent grid that never goes below $1.
  int64_t Step(int64_t cents) {
    double u = rng_.Uniform();
    if (u < 0.5) return cents;
    int64_t move = 1 + rng_.Below(3);
    cents += u < 0.75 ? move : -move;
    return std::max<int64_t>(cents, 100);
  }

  // Timestamps of one day are spread evenly over three segments (pre-market, regular,
  // after-hours) with a random offset inside each slot, so they never go backwards.
  int64_t NextTimestamp() {
    while (in_day_ >= day_rows_) StartDay();
    const int64_t i = in_day_++;
    int64_t seg_begin, seg_len, seg_first, seg_rows;
    if (i < pre_rows_) {
      seg_begin = 4 * 3600;
      seg_len = 5 * 3600 + 1800;
      seg_first = 0;
      seg_rows = pre_rows_;
    } else if (i < pre_rows_ + regular_rows_) {
      seg_begin = 9 * 3600 + 1800;
      seg_len = 6 * 3600 + 1800;
      seg_first = pre_rows_;
      seg_rows = regular_rows_;
    } else {
      seg_begin = 16 * 3600;
      seg_len = 4 * 3600;
      seg_first = pre_rows_ + regular_rows_;
      seg_rows = day_rows_ - seg_first;
    }
    const int64_t len_ns = seg_len * kNanosPerSecond;
    const int64_t k = i - seg_first;
    const int64_t slot_begin = static_cast<int64_t>(static_cast<__int128>(len_ns) * k / seg_rows);
    const int64_t slot_end =
        static_cast<int64_t>(static_cast<__int128>(len_ns) * (k + 1) / seg_rows);
    const int64_t offset =
        slot_begin + (slot_end > slot_begin ? rng_.Below(slot_end - slot_begin) : 0);
    return day_base_ns_ + seg_begin * kNanosPerSecond + offset;
  }

  void StartDay() {
    const int64_t d = next_day_++ % static_cast<int64_t>(days_.size());
    const int64_t total_days = static_cast<int64_t>(days_.size());
    const int64_t day_index = next_day_ - 1;
    day_rows_ = options_.rows / total_days + (day_index < options_.rows % total_days ? 1 : 0);
    pre_rows_ = day_rows_ * 5 / 100;
    regular_rows_ = day_rows_ * 90 / 100;
    in_day_ = 0;
    const int64_t day = days_[d];
    // Local midnight in New York, in UTC nanoseconds.
    day_base_ns_ = (day * kSecondsPerDay - NewYorkUtcOffsetSeconds(day)) * kNanosPerSecond;
  }

  static std::shared_ptr<arrow::Array> MakeTimestamps(const std::vector<int64_t>& v) {
    auto buf = arrow::Buffer::FromVector(v);
    return std::make_shared<arrow::TimestampArray>(arrow::timestamp(arrow::TimeUnit::NANO, "UTC"),
                                                   static_cast<int64_t>(v.size()), buf);
  }
  template <typename T, typename V>
  static std::shared_ptr<arrow::Array> MakeNumbers(const std::vector<V>& v) {
    return std::make_shared<arrow::NumericArray<T>>(static_cast<int64_t>(v.size()),
                                                    arrow::Buffer::FromVector(v));
  }
  static arrow::Result<std::shared_ptr<arrow::Array>> MakeDictionary(
      const std::vector<int32_t>& idx, const std::shared_ptr<arrow::Array>& dict) {
    auto indices = std::make_shared<arrow::Int32Array>(static_cast<int64_t>(idx.size()),
                                                       arrow::Buffer::FromVector(idx));
    return arrow::DictionaryArray::FromArrays(arrow::dictionary(arrow::int32(), arrow::utf8()),
                                              indices, dict);
  }

  GenerateOptions options_;
  Rng rng_;
  std::shared_ptr<arrow::Schema> schema_;
  std::shared_ptr<arrow::Array> symbol_dict_;
  std::shared_ptr<arrow::Array> exchange_dict_;
  std::vector<double> cumulative_;
  std::vector<int64_t> cents_;
  std::vector<int64_t> days_;
  int64_t next_day_ = 0;
  int64_t day_rows_ = 0, pre_rows_ = 0, regular_rows_ = 0, in_day_ = 0;
  int64_t day_base_ns_ = 0;
  int64_t emitted_ = 0;
  int64_t trade_id_ = 0;
};

}  // namespace

int NewYorkUtcOffsetSeconds(int64_t days) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  // Daylight time from the second Sunday of March to the first Sunday of November.
  const int64_t start = NthSunday(y, 3, 2);
  const int64_t end = NthSunday(y, 11, 1);
  return days >= start && days < end ? -4 * 3600 : -5 * 3600;
}

Result<std::shared_ptr<arrow::RecordBatchReader>> MakeSampleReader(const GenerateOptions& options) {
  if (options.symbols < 1 || options.symbols > 100000) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("--symbols {}: expected 1..100000", options.symbols));
  }
  if (options.days < 1 || options.days > 100000) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("--days {}: expected 1..100000", options.days));
  }
  if (options.rows < 0 || options.rows > (int64_t{1} << 40)) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("--rows {}: expected 0..2^40", options.rows));
  }
  if (options.batch_rows < 1) {
    return Error(ErrorCode::kInvalidArgument, "batch rows must be positive");
  }
  ML_ASSIGN_OR_RETURN(int64_t first_day, ParseDate(options.start_date));
  return std::make_shared<SampleReader>(options, first_day);
}

}  // namespace marketlake
