// Output of the verbs whose rows come ordered by (symbol, ts): read and the time verbs (bars,
// sample-quotes, asof).
//
// OpenOrderedOutput is OpenOutput (lake_flags.h) with two differences: the writer runs on
// its own thread (AsyncBatchWriter below), and Parquet output writes floating-point columns
// PLAIN rather than dictionary-with-fallback, which is the lake writer's own default for
// files sorted by symbol (docs/parquet-defaults.md: PLAIN + zstd is the smaller there, and
// bar prices, sampled quotes and joined bid/ask are mostly distinct values, for which a
// dictionary is built only to be abandoned). Values and types are unchanged.
//
// AsyncBatchWriter: a BatchWriter that writes on its own thread, so encoding and compressing the
// output (a Parquet file, say) overlaps with reading and computing the next batches.
//
// Write() queues the batch (its arrays are shared, not copied) and returns at once unless
// `max_queued` batches are waiting; an error of the inner writer is returned by the next
// Write() or by Close(). Close() waits for the queue to drain, then closes the inner writer
// (publishing the file). Destroying the writer without Close() stops the thread and
// destroys the inner writer unclosed (nothing is published).
//
// Thread safety: one thread at a time calls Write and Close.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include <string>

#include "lake_flags.h"
#include "marketlake/status.h"
#include "marketlake/table_io.h"

namespace marketlake::cli {

class AsyncBatchWriter : public BatchWriter {
 public:
  explicit AsyncBatchWriter(std::unique_ptr<BatchWriter> inner, size_t max_queued = 4);
  ~AsyncBatchWriter() override;
  AsyncBatchWriter(const AsyncBatchWriter&) = delete;
  AsyncBatchWriter& operator=(const AsyncBatchWriter&) = delete;

  Status Write(const arrow::RecordBatch& batch) override;
  Status Close() override;

 private:
  void Run();
  // Waits until the worker has written everything queued; the first error, if any.
  Status Drain();

  std::unique_ptr<BatchWriter> inner_;
  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::shared_ptr<arrow::RecordBatch>> queue_;
  bool busy_ = false;  // the worker is writing a batch
  bool stop_ = false;
  Status error_;
  std::thread worker_;
};

// `writer` wrapped in an AsyncBatchWriter.
std::unique_ptr<BatchWriter> WriteInBackground(std::unique_ptr<BatchWriter> writer);

// The writer for a time verb's output flags (see above); text formats show timestamps in `tz`.
Result<std::unique_ptr<BatchWriter>> OpenOrderedOutput(const OutputFlags& flags,
                                                       std::shared_ptr<arrow::Schema> schema,
                                                       const std::string& tz = "UTC");

}  // namespace marketlake::cli
