// Realistic sample market data for demos, tests and benchmarks.
//
// Trades: ts (timestamp[ns, UTC]), symbol, price (float64 dollars on a cent grid), size
// (int64), exchange, trade_id (int64, increasing). Quotes: ts, symbol, bid, ask, bid_size,
// ask_size. Rows come in time order with symbols interleaved; each symbol's price follows
// its own random walk in cents; timestamps fall on weekdays in New York trading hours (5%
// pre-market 04:00-09:30, 90% regular 09:30-16:00, 5% after-hours 16:00-20:00, with daylight saving
// applied), stored in UTC. The same options and seed always give the same rows.
//
// Memory is one batch at a time, whatever `rows` is.
#pragma once

#include <arrow/record_batch.h>

#include <cstdint>
#include <memory>
#include <string>

#include "marketlake/status.h"

namespace marketlake {

struct GenerateOptions {
  enum class Kind { kTrades, kQuotes };
  Kind kind = Kind::kTrades;
  int symbols = 20;        // 1..100000
  int days = 5;            // weekdays, from start_date on
  int64_t rows = 1000000;  // total, spread evenly over the days
  uint64_t seed = 42;
  std::string start_date = "2024-03-04";  // YYYY-MM-DD; weekends are skipped
  int64_t batch_rows = 64 * 1024;
};

// kInvalidArgument for out-of-range options (naming the option and its range).
Result<std::shared_ptr<arrow::RecordBatchReader>> MakeSampleReader(const GenerateOptions& options);

// UTC offset of New York, in seconds (-14400 or -18000), on the civil date `days` since the
// epoch, for times of day between 03:00 and 24:00 (US rules since 2007).
int NewYorkUtcOffsetSeconds(int64_t days);

}  // namespace marketlake
