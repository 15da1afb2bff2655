// OHLCV bars from trades or from finer bars, and per-interval quote sampling.
//
// Bar ts is the bar START (docs/schemas.md), ns UTC. Intraday intervals (< 1 day; any
// multiple of 1 ns, e.g. "1s", "5s", "1m", "15m", "1h", "90m") are aligned to the Unix epoch
// in UTC, like kdb+ `xbar` and DuckDB `time_bucket` without an origin: bucket =
// floor(ts / interval) * interval. So 1h bars start on the UTC hour (in New York that is
// hh:00 local too, but e.g. 4h bars start at 00:00/04:00/... UTC, not at local midnight).
// Daily bars ("1d") are one per trading day of the calendar, in its time zone (a New York
// bar for 2024-03-11 starts at 2024-03-11T04:00Z local midnight, 2024-03-08's at 05:00Z);
// rows on non-trading days are dropped. Multi-day intervals are kNotImplemented.
//
// Trades: ts (timestamp, any unit, read as ns), symbol (utf8, large_utf8 or dictionary of
// them), price (float64), size (int64). Rows with a null ts, symbol, price or size are
// skipped. Input may be unsorted, in any number of batches, with equal timestamps: open is
// the first trade by (ts, arrival order), close the last; high/low max/min; volume sum of
// size; trade_count rows; vwap = notional / volume (null when volume is 0); notional =
// sum(price * size) accumulated with Neumaier compensation so that re-aggregating bars
// (which sums the notional column) agrees with aggregating trades to within an ulp or two.
//
// Bars as input (bars-from-bars): ts (bar start), symbol, open, high, low, close, volume,
// trade_count and either notional or vwap (notional = vwap * volume then, within float
// error). Input bars with trade_count == 0 are fills and are ignored, so re-aggregating
// filled bars gives the unfilled result. A finer bar is put in the coarser bar containing
// its start, which is exact when the coarse interval is a multiple of the fine one (1s ->
// 1m -> 1h) and, for daily bars, when session bounds fall on fine-bar boundaries.
//
// Output columns: symbol (utf8), ts (timestamp[ns, UTC]), open, high, low, close (float64),
// volume (int64), trade_count (int64), vwap (float64), and notional (float64) unless
// BarOptions::notional is false. Rows are ordered by (symbol, ts). Schema metadata:
// marketlake.interval = the interval text.
//
// Fill: with fill = true, every missing bucket between a symbol's first and last bar (for
// daily bars: every trading day in between) gets a bar with open = high = low = close = the
// previous close, volume 0, trade_count 0, vwap and notional null. Intraday fill covers
// nights and weekends too (a 1s fill over a weekend is ~200k rows per symbol); combine with
// a session filter to keep them out.
//
// Memory: one state (~100 bytes) per (symbol, bar) held, independent of trades per bar;
// TakeCompleted() releases finished bars of a time-ordered stream.
// Consume() hashes each symbol once per batch for dictionary columns (per distinct run for
// strings); the row loop has no virtual calls or allocations except a new bar's state.
#pragma once

#include <arrow/record_batch.h>
#include <arrow/table.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "marketlake/sessions.h"
#include "marketlake/status.h"

namespace marketlake {

struct BarOptions {
  std::string interval = "1m";  // ParseBarInterval syntax: <n>{s,m,h,d}; "1d" is daily
  bool fill = false;
  bool notional = true;  // emit the notional column
  // Which rows count. Intraday: all rows unless a calendar is given, then rows in `sessions`.
  // Daily: the calendar decides the days (UsEquitiesCalendar() when null) and `sessions`
  // which rows of a trading day count (regular session only by default; kExtendedHours for
  // 04:00-20:00; kAllSessions for the whole local day).
  const TradingCalendar* calendar = nullptr;
  SessionMask sessions = kRegularOnly;
  std::string ts_column = "ts", symbol_column = "symbol", price_column = "price",
              size_column = "size";
};

class BarAggregator {
 public:
  enum class Input { kTrades, kBars };
  static Result<std::unique_ptr<BarAggregator>> Make(const BarOptions& options,
                                                     Input input = Input::kTrades);
  ~BarAggregator();

  // Adds a batch. kMissingColumn / kDataType when a required column is absent or mistyped.
  Status Consume(const arrow::RecordBatch& batch);
  // All bars, ordered by (symbol, ts). The aggregator is reset afterwards.
  Result<std::shared_ptr<arrow::Table>> Finish();
  // For streams: hands out (ordered by (symbol, ts)) and forgets the bars that end at or
  // before `watermark_nanos` (bar start + interval; daily: the next local midnight), keeping
  // memory to the open bars. The caller promises that later rows are not older than the
  // watermark; rows that fall into a bar already handed out are dropped and counted in
  // late_rows(). Fill continues across calls. Concatenating the results of TakeCompleted()
  // calls and Finish() gives the same bars as one Finish(), ordered by time chunk then symbol.
  Result<std::shared_ptr<arrow::Table>> TakeCompleted(int64_t watermark_nanos);
  // For streams ordered by (symbol, ts), e.g. a LakeReader: hands out (ordered by (symbol,
  // ts)) and forgets every bar of the symbols that sort before `symbol` (byte order), which
  // such a stream has finished once it reaches `symbol`. Call it with the last symbol of each
  // batch; memory is then the bars of about one symbol. Later rows of a handed-out symbol are
  // late (dropped and counted) unless they start a later bar. Concatenating the results and
  // Finish() gives exactly one Finish()'s bars, fills included.
  Result<std::shared_ptr<arrow::Table>> TakeSymbolsBefore(std::string_view symbol);
  int64_t late_rows() const;

  int64_t interval_nanos() const;
  size_t open_bars() const;  // states held

 private:
  struct Impl;
  explicit BarAggregator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// One-shot helpers.
Result<std::shared_ptr<arrow::Table>> AggregateTrades(const arrow::Table& trades,
                                                      const BarOptions& options);
Result<std::shared_ptr<arrow::Table>> AggregateBars(const arrow::Table& bars,
                                                    const BarOptions& options);
Result<std::shared_ptr<arrow::Table>> AggregateReader(arrow::RecordBatchReader* reader,
                                                      const BarOptions& options,
                                                      BarAggregator::Input input);

// Quotes: ts, symbol, bid, ask (float64), bid_size, ask_size (int64, optional). Rows with a
// null ts, symbol, bid or ask are skipped. Per symbol and epoch-aligned interval:
//   kTightest: the quote with the smallest ask - bid (ties: earliest by (ts, arrival));
//   kLast: the last quote by (ts, arrival).
// Output: symbol, ts (interval start), quote_ts (the chosen quote's ts), bid, ask, bid_size,
// ask_size (null when absent), spread (ask - bid), quote_count, twa_spread, twa_mid.
// Time weights: each quote counts for min(next quote of the symbol, interval end) - its ts;
// the last quote of a symbol counts until its interval ends. A quote carried over from an
// earlier interval does not count in later ones. twa_* is null when all weights are 0.
// Any row order: the rows are sorted by (symbol, ts, arrival) (O(rows) memory) and sampled
// by QuoteSampler (quotes.h), the streaming form.
// `columns` chooses the output columns and their order (empty: all of the above); a column
// left out is not built at all. An unknown name is kNotFound listing the columns, a name
// given twice kInvalidArgument.
struct QuoteOptions {
  enum class Pick { kTightest, kLast };
  std::string interval = "1s";
  Pick pick = Pick::kTightest;
  std::string ts_column = "ts", symbol_column = "symbol";
  std::vector<std::string> columns;
};

Result<std::shared_ptr<arrow::Table>> SampleQuotes(const arrow::Table& quotes,
                                                   const QuoteOptions& options);

}  // namespace marketlake
