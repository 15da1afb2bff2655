#include "ordered_output.h"

#include <arrow/record_batch.h>
#include <arrow/type.h>

#include <utility>

namespace marketlake::cli {

AsyncBatchWriter::AsyncBatchWriter(std::unique_ptr<BatchWriter> inner, size_t max_queued)
    : inner_(std::move(inner)), max_queued_(max_queued > 0 ? max_queued : 1) {
  worker_ = std::thread([this] { Run(); });
}

AsyncBatchWriter::~AsyncBatchWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    queue_.clear();
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void AsyncBatchWriter::Run() {
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopped
      batch = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    changed_.notify_all();  // room in the queue
    Status st = error_.ok() ? inner_->Write(*batch) : Status::OK();
    batch.reset();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!st.ok() && error_.ok()) error_ = std::move(st);
      busy_ = false;
    }
    changed_.notify_all();
  }
}

Status AsyncBatchWriter::Write(const arrow::RecordBatch& batch) {
  auto shared = arrow::RecordBatch::Make(batch.schema(), batch.num_rows(), batch.columns());
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [this] { return queue_.size() < max_queued_ || !error_.ok(); });
  if (!error_.ok()) return error_;
  queue_.push_back(std::move(shared));
  lock.unlock();
  changed_.notify_all();
  return Status::OK();
}

Status AsyncBatchWriter::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [this] { return (queue_.empty() && !busy_) || !error_.ok(); });
  return error_;
}

Status AsyncBatchWriter::Close() {
  Status st = Drain();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    queue_.clear();
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
  ML_RETURN_NOT_OK(st);
  return inner_->Close();
}

std::unique_ptr<BatchWriter> WriteInBackground(std::unique_ptr<BatchWriter> writer) {
  return std::make_unique<AsyncBatchWriter>(std::move(writer));
}

Result<std::unique_ptr<BatchWriter>> OpenOrderedOutput(const OutputFlags& flags,
                                                       std::shared_ptr<arrow::Schema> schema,
                                                       const std::string& tz) {
  const bool to_stdout = flags.out.empty() || flags.out == "-";
  bool parquet = false;
  if (!flags.format.empty()) {
    auto ff = ParseFileFormat(flags.format);
    parquet = ff.ok() && *ff == FileFormat::kParquet;
  } else if (!to_stdout) {
    parquet = FormatFromPath(flags.out) == FileFormat::kParquet;
  }
  if (!parquet) {
    ML_ASSIGN_OR_RETURN(auto writer, OpenOutput(flags, std::move(schema), tz));
    return WriteInBackground(std::move(writer));
  }
  WriteOptions options;
  for (const auto& f : schema->fields()) {
    if (arrow::is_floating(f->type()->id())) options.encodings[f->name()] = "PLAIN";
  }
  ML_ASSIGN_OR_RETURN(auto writer, OpenBatchWriter(to_stdout ? "-" : flags.out, std::move(schema),
                                                   FileFormat::kParquet, options));
  return WriteInBackground(std::move(writer));
}

}  // namespace marketlake::cli
