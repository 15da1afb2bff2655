// Streaming quote sampling: SampleQuotes (bars.h) with bounded memory.
//
// SampleQuotes is this sampler fed the input sorted by (symbol, ts, arrival); fed a stream
// directly it gives the same rows (same columns, same values bit for bit) while holding one
// open interval per symbol instead of every quote. It needs each symbol's quotes in time order
// (symbols may interleave; equal timestamps keep arrival order, as in SampleQuotes); a quote
// older than its symbol's previous one is kInvalidArgument naming the symbol and both times.
//
// An interval is complete when a later quote of its symbol arrives (that quote also ends
// the last quote's time weight) or, for a stream ordered by symbol, when the next symbol
// starts. Completed rows are handed out by TakeCompleted() in the order they completed; with
// `ordered_by_symbol` (a LakeReader's (symbol, ts) order) that is SampleQuotes' order, and
// memory is one symbol's open interval.

// Thread safety: one thread at a time.
#pragma once

#include <arrow/record_batch.h>

#include <cstdint>
#include <memory>

#include "marketlake/bars.h"
#include "marketlake/status.h"

namespace marketlake {

class QuoteSampler {
 public:
  // kInvalidArgument for a bad interval. With `ordered_by_symbol`, rows must come ordered by
  // symbol (byte order; a symbol that sorts before the previous row's is kInvalidArgument)
  // and a symbol's intervals are all complete once the next symbol starts.
  static Result<std::unique_ptr<QuoteSampler>> Make(const QuoteOptions& options,
                                                    bool ordered_by_symbol = false);
  ~QuoteSampler();

  // The output schema (SampleQuotes' columns and metadata).
  std::shared_ptr<arrow::Schema> schema() const;

  // Adds quotes: ts, symbol, bid, ask required (kMissingColumn / kDataType), bid_size and
  // ask_size optional (null in the output when absent). Rows with a null ts, symbol, bid or
  // ask are skipped.
  Status Consume(const arrow::RecordBatch& batch);
  // The rows completed so far (possibly none), in completion order; they leave memory.
  Result<std::shared_ptr<arrow::RecordBatch>> TakeCompleted();
  // Completes every open interval (ordered by symbol) and returns all rows not yet taken.
  // The sampler is then empty and may be reused.
  Result<std::shared_ptr<arrow::RecordBatch>> Finish();

  int64_t open_symbols() const;

 private:
  struct Impl;
  explicit QuoteSampler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace marketlake
