// Counts the requests of Arrow's S3/GCS filesystems per store (metered_filesystem.h).
#include "marketlake/store/metered_filesystem.h"

#include <arrow/buffer.h>
#include <arrow/util/future.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace marketlake::internal {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::microseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
}

uint64_t Bytes(int64_t n) { return n > 0 ? static_cast<uint64_t>(n) : 0; }

// One timed operation; records one request when done.
class Op {
 public:
  explicit Op(RequestMetrics* metrics) : metrics_(metrics), start_(Clock::now()) {}
  void Done(bool ok, int64_t bytes_out = 0, int64_t bytes_in = 0) {
    metrics_->RecordRequest(Bytes(bytes_out), Bytes(bytes_in), Since(start_), !ok);
  }
  template <typename T>
  T Record(T result) {
    Done(result.ok());
    return result;
  }
  arrow::Status Record(arrow::Status st) {
    Done(st.ok());
    return st;
  }

 private:
  RequestMetrics* metrics_;
  Clock::time_point start_;
};

// A read: one ranged GET when it moved bytes or failed; nothing was sent for 0 bytes.
void RecordRead(RequestMetrics* m, Clock::time_point start, bool ok, int64_t n) {
  if (ok && n <= 0) return;
  m->RecordRequest(0, Bytes(n), Since(start), !ok);
}

int64_t SizeOf(int64_t n) { return n; }
int64_t SizeOf(const std::shared_ptr<arrow::Buffer>& b) { return b ? b->size() : 0; }

// Runs a read and records it.
template <typename F>
auto TimedRead(RequestMetrics* m, F&& read) -> decltype(read()) {
  const auto start = Clock::now();
  auto r = read();
  RecordRead(m, start, r.ok(), r.ok() ? SizeOf(*r) : 0);
  return r;
}

arrow::Future<std::shared_ptr<arrow::Buffer>> CountAsyncRead(
    std::shared_ptr<RequestMetrics> m, arrow::Future<std::shared_ptr<arrow::Buffer>> fut,
    Clock::time_point start) {
  return fut.Then(
      [m, start](const std::shared_ptr<arrow::Buffer>& b)
          -> arrow::Result<std::shared_ptr<arrow::Buffer>> {
        RecordRead(m.get(), start, true, SizeOf(b));
        return b;
      },
      [m, start](const arrow::Status& st) -> arrow::Result<std::shared_ptr<arrow::Buffer>> {
        RecordRead(m.get(), start, false, 0);
        return st;
      });
}

class MeteredRandomAccessFile final : public arrow::io::RandomAccessFile {
 public:
  MeteredRandomAccessFile(std::shared_ptr<arrow::io::RandomAccessFile> inner,
                          std::shared_ptr<RequestMetrics> metrics)
      : inner_(std::move(inner)), metrics_(std::move(metrics)) {}

  arrow::Status Close() override { return inner_->Close(); }
  arrow::Status Abort() override { return inner_->Abort(); }
  bool closed() const override { return inner_->closed(); }
  arrow::Result<int64_t> Tell() const override { return inner_->Tell(); }
  arrow::Status Seek(int64_t position) override { return inner_->Seek(position); }
  arrow::Result<int64_t> GetSize() override { return inner_->GetSize(); }
  bool supports_zero_copy() const override { return inner_->supports_zero_copy(); }
  const arrow::io::IOContext& io_context() const override { return inner_->io_context(); }
  arrow::Result<std::shared_ptr<const arrow::KeyValueMetadata>> ReadMetadata() override {
    return inner_->ReadMetadata();
  }
  arrow::Status WillNeed(const std::vector<arrow::io::ReadRange>& ranges) override {
    return inner_->WillNeed(ranges);
  }

  arrow::Result<int64_t> Read(int64_t nbytes, void* out) override {
    return TimedRead(metrics_.get(), [&] { return inner_->Read(nbytes, out); });
  }
  arrow::Result<std::shared_ptr<arrow::Buffer>> Read(int64_t nbytes) override {
    return TimedRead(metrics_.get(), [&] { return inner_->Read(nbytes); });
  }
  arrow::Result<int64_t> ReadAt(int64_t position, int64_t nbytes, bool allow_short_read,
                                void* out) override {
    return TimedRead(metrics_.get(),
                     [&] { return inner_->ReadAt(position, nbytes, allow_short_read, out); });
  }
  arrow::Result<int64_t> ReadAt(int64_t position, int64_t nbytes, void* out) override {
    return TimedRead(metrics_.get(), [&] { return inner_->ReadAt(position, nbytes, out); });
  }
  arrow::Result<std::shared_ptr<arrow::Buffer>> ReadAt(int64_t position, int64_t nbytes,
                                                       bool allow_short_read) override {
    return TimedRead(metrics_.get(),
                     [&] { return inner_->ReadAt(position, nbytes, allow_short_read); });
  }
  arrow::Result<std::shared_ptr<arrow::Buffer>> ReadAt(int64_t position, int64_t nbytes) override {
    return TimedRead(metrics_.get(), [&] { return inner_->ReadAt(position, nbytes); });
  }
  arrow::Future<std::shared_ptr<arrow::Buffer>> ReadAsync(const arrow::io::IOContext& ctx,
                                                          int64_t position, int64_t nbytes,
                                                          bool allow_short_read) override {
    const auto start = Clock::now();
    return CountAsyncRead(metrics_, inner_->ReadAsync(ctx, position, nbytes, allow_short_read),
                          start);
  }
  arrow::Future<std::shared_ptr<arrow::Buffer>> ReadAsync(const arrow::io::IOContext& ctx,
                                                          int64_t position,
                                                          int64_t nbytes) override {
    const auto start = Clock::now();
    return CountAsyncRead(metrics_, inner_->ReadAsync(ctx, position, nbytes), start);
  }

 private:
  std::shared_ptr<arrow::io::RandomAccessFile> inner_;
  std::shared_ptr<RequestMetrics> metrics_;
};

class MeteredInputStream final : public arrow::io::InputStream {
 public:
  MeteredInputStream(std::shared_ptr<arrow::io::InputStream> inner,
                     std::shared_ptr<RequestMetrics> metrics)
      : inner_(std::move(inner)), metrics_(std::move(metrics)) {}

  arrow::Status Close() override { return inner_->Close(); }
  arrow::Status Abort() override { return inner_->Abort(); }
  bool closed() const override { return inner_->closed(); }
  arrow::Result<int64_t> Tell() const override { return inner_->Tell(); }
  bool supports_zero_copy() const override { return inner_->supports_zero_copy(); }
  const arrow::io::IOContext& io_context() const override { return inner_->io_context(); }
  arrow::Result<std::shared_ptr<const arrow::KeyValueMetadata>> ReadMetadata() override {
    return inner_->ReadMetadata();
  }
  arrow::Result<int64_t> Read(int64_t nbytes, void* out) override {
    return TimedRead(metrics_.get(), [&] { return inner_->Read(nbytes, out); });
  }
  arrow::Result<std::shared_ptr<arrow::Buffer>> Read(int64_t nbytes) override {
    return TimedRead(metrics_.get(), [&] { return inner_->Read(nbytes); });
  }

 private:
  std::shared_ptr<arrow::io::InputStream> inner_;
  std::shared_ptr<RequestMetrics> metrics_;
};

// Arrow's writer uploads on background threads; the requests are derived at Close().
class MeteredOutputStream final : public arrow::io::OutputStream {
 public:
  MeteredOutputStream(std::shared_ptr<arrow::io::OutputStream> inner,
                      std::shared_ptr<RequestMetrics> metrics, int64_t part_size)
      : inner_(std::move(inner)), metrics_(std::move(metrics)), part_size_(part_size) {}

  ~MeteredOutputStream() override {
    // Arrow's streams close themselves when dropped open (CloseFromDestructor); do it here
    // so the requests are counted.
    if (!inner_->closed()) (void)Close();
  }

  arrow::Status Write(const void* data, int64_t nbytes) override {
    auto st = inner_->Write(data, nbytes);
    if (st.ok()) written_ += nbytes;
    return st;
  }
  arrow::Status Write(const std::shared_ptr<arrow::Buffer>& data) override {
    auto st = inner_->Write(data);
    if (st.ok()) written_ += data->size();
    return st;
  }
  arrow::Status Flush() override { return inner_->Flush(); }
  arrow::Result<int64_t> Tell() const override { return inner_->Tell(); }
  bool closed() const override { return inner_->closed(); }

  arrow::Status Close() override {
    if (inner_->closed()) return inner_->Close();
    const auto start = Clock::now();
    auto st = inner_->Close();
    if (!recorded_) {
      recorded_ = true;
      int64_t requests = 1;  // PutObject (or, without part size, the whole stream)
      if (part_size_ > 0 && written_ >= part_size_) {
        requests = 2 + (written_ + part_size_ - 1) / part_size_;  // create, parts, complete
      }
      // Close() is the one latency observed; it is recorded against the last request.
      for (int64_t i = 1; i < requests; ++i) {
        metrics_->RecordRequest(0, 0, std::chrono::microseconds(0), false);
      }
      metrics_->RecordRequest(Bytes(written_), 0, Since(start), !st.ok());
    }
    return st;
  }

  arrow::Status Abort() override {
    const auto start = Clock::now();
    auto st = inner_->Abort();
    if (!recorded_) RecordAbort(start);
    return st;
  }

 private:
  void RecordAbort(Clock::time_point start) {
    recorded_ = true;
    if (part_size_ <= 0 || written_ < part_size_) return;  // nothing was sent yet
    const int64_t parts = written_ / part_size_;           // full parts went up
    for (int64_t i = 0; i < parts + 1; ++i) {              // create + parts
      metrics_->RecordRequest(i == 0 ? 0 : Bytes(part_size_), 0, std::chrono::microseconds(0),
                              false);
    }
    metrics_->RecordRequest(0, 0, Since(start), false);  // abort
  }

  std::shared_ptr<arrow::io::OutputStream> inner_;
  std::shared_ptr<RequestMetrics> metrics_;
  const int64_t part_size_;
  int64_t written_ = 0;
  bool recorded_ = false;
};

class MeteredFileSystem final : public arrow::fs::FileSystem {
 public:
  MeteredFileSystem(std::shared_ptr<arrow::fs::FileSystem> base,
                    std::shared_ptr<RequestMetrics> metrics, int64_t part_size)
      : arrow::fs::FileSystem(base->io_context()),
        base_(std::move(base)),
        metrics_(std::move(metrics)),
        part_size_(part_size) {}

  using arrow::fs::FileSystem::GetFileInfo;
  using arrow::fs::FileSystem::OpenOutputStream;

  const std::shared_ptr<RequestMetrics>& metrics() const { return metrics_; }

  std::string type_name() const override { return base_->type_name(); }
  bool Equals(const arrow::fs::FileSystem& other) const override {
    if (this == &other) return true;
    const auto* o = dynamic_cast<const MeteredFileSystem*>(&other);
    return o != nullptr && base_->Equals(*o->base_);
  }
  arrow::Result<std::string> NormalizePath(std::string path) override {
    return base_->NormalizePath(std::move(path));
  }
  arrow::Result<std::string> PathFromUri(const std::string& uri) const override {
    return base_->PathFromUri(uri);
  }
  arrow::Result<std::string> MakeUri(std::string path) const override {
    return base_->MakeUri(std::move(path));
  }

  arrow::Result<arrow::fs::FileInfo> GetFileInfo(const std::string& path) override {
    return Op(metrics_.get()).Record(base_->GetFileInfo(path));
  }
  arrow::Result<arrow::fs::FileInfoVector> GetFileInfo(
      const arrow::fs::FileSelector& select) override {
    return Op(metrics_.get()).Record(base_->GetFileInfo(select));
  }
  arrow::fs::FileInfoGenerator GetFileInfoGenerator(
      const arrow::fs::FileSelector& select) override {
    // One ListObjectsV2 per page: the first page always (it may be empty), later ones
    // when they hold entries (the end marker is not a request).
    auto gen = base_->GetFileInfoGenerator(select);
    auto first = std::make_shared<bool>(true);
    std::shared_ptr<RequestMetrics> m = metrics_;
    return [gen, first, m]() -> arrow::Future<arrow::fs::FileInfoVector> {
      const auto start = Clock::now();
      const bool is_first = *first;
      *first = false;
      return gen().Then(
          [m, start, is_first](
              const arrow::fs::FileInfoVector& v) -> arrow::Result<arrow::fs::FileInfoVector> {
            if (is_first || !v.empty()) m->RecordRequest(0, 0, Since(start), false);
            return v;
          },
          [m, start](const arrow::Status& st) -> arrow::Result<arrow::fs::FileInfoVector> {
            m->RecordRequest(0, 0, Since(start), true);
            return st;
          });
    };
  }

  arrow::Status CreateDir(const std::string& path, bool recursive) override {
    return Op(metrics_.get()).Record(base_->CreateDir(path, recursive));
  }
  arrow::Status DeleteDir(const std::string& path) override {
    return Op(metrics_.get()).Record(base_->DeleteDir(path));
  }
  arrow::Status DeleteDirContents(const std::string& path, bool missing_dir_ok) override {
    return Op(metrics_.get()).Record(base_->DeleteDirContents(path, missing_dir_ok));
  }
  arrow::Status DeleteRootDirContents() override {
    return Op(metrics_.get()).Record(base_->DeleteRootDirContents());
  }
  arrow::Status DeleteFile(const std::string& path) override {
    return Op(metrics_.get()).Record(base_->DeleteFile(path));
  }
  arrow::Status DeleteFiles(const std::vector<std::string>& paths) override {
    return Op(metrics_.get()).Record(base_->DeleteFiles(paths));
  }
  arrow::Status Move(const std::string& src, const std::string& dest) override {
    return Op(metrics_.get()).Record(base_->Move(src, dest));
  }
  arrow::Status CopyFile(const std::string& src, const std::string& dest) override {
    return Op(metrics_.get()).Record(base_->CopyFile(src, dest));
  }

  arrow::Result<std::shared_ptr<arrow::io::InputStream>> OpenInputStream(
      const std::string& path) override {
    ARROW_ASSIGN_OR_RAISE(auto in, Op(metrics_.get()).Record(base_->OpenInputStream(path)));
    return std::make_shared<MeteredInputStream>(std::move(in), metrics_);
  }
  arrow::Result<std::shared_ptr<arrow::io::InputStream>> OpenInputStream(
      const arrow::fs::FileInfo& info) override {
    ARROW_ASSIGN_OR_RAISE(auto in, OpenByInfo([&] { return base_->OpenInputStream(info); }, info));
    return std::make_shared<MeteredInputStream>(std::move(in), metrics_);
  }
  arrow::Result<std::shared_ptr<arrow::io::RandomAccessFile>> OpenInputFile(
      const std::string& path) override {
    ARROW_ASSIGN_OR_RAISE(auto in, Op(metrics_.get()).Record(base_->OpenInputFile(path)));
    return std::make_shared<MeteredRandomAccessFile>(std::move(in), metrics_);
  }
  arrow::Result<std::shared_ptr<arrow::io::RandomAccessFile>> OpenInputFile(
      const arrow::fs::FileInfo& info) override {
    ARROW_ASSIGN_OR_RAISE(auto in, OpenByInfo([&] { return base_->OpenInputFile(info); }, info));
    return std::make_shared<MeteredRandomAccessFile>(std::move(in), metrics_);
  }

  arrow::Result<std::shared_ptr<arrow::io::OutputStream>> OpenOutputStream(
      const std::string& path,
      const std::shared_ptr<const arrow::KeyValueMetadata>& metadata) override {
    // With allow_delayed_open (MakeS3Options) opening sends nothing.
    ARROW_ASSIGN_OR_RAISE(auto out, base_->OpenOutputStream(path, metadata));
    return std::make_shared<MeteredOutputStream>(std::move(out), metrics_, part_size_);
  }
  arrow::Result<std::shared_ptr<arrow::io::OutputStream>> OpenAppendStream(
      const std::string& path,
      const std::shared_ptr<const arrow::KeyValueMetadata>& metadata) override {
    return base_->OpenAppendStream(path, metadata);  // S3 and GCS refuse: no request
  }

 private:
  // Opening from a FileInfo with a known size sends nothing; otherwise one HEAD.
  template <typename F>
  auto OpenByInfo(F&& open, const arrow::fs::FileInfo& info) -> decltype(open()) {
    if (info.type() == arrow::fs::FileType::File && info.size() >= 0) return open();
    return Op(metrics_.get()).Record(open());
  }

  std::shared_ptr<arrow::fs::FileSystem> base_;
  std::shared_ptr<RequestMetrics> metrics_;
  const int64_t part_size_;
};

class CountingRetryStrategy final : public arrow::fs::S3RetryStrategy {
 public:
  CountingRetryStrategy(std::shared_ptr<arrow::fs::S3RetryStrategy> inner,
                        std::shared_ptr<RequestMetrics> metrics)
      : inner_(std::move(inner)), metrics_(std::move(metrics)) {}

  bool ShouldRetry(const AWSErrorDetail& error, int64_t attempted_retries) override {
    const bool retry = inner_->ShouldRetry(error, attempted_retries);
    if (retry) {
      // The failed attempt is a request of its own; the operation that finally succeeds
      // or fails is counted by the filesystem decorator.
      metrics_->RecordRequest(0, 0, std::chrono::microseconds(0), true);
      metrics_->RecordRetry();
    }
    return retry;
  }
  int64_t CalculateDelayBeforeNextRetry(const AWSErrorDetail& error,
                                        int64_t attempted_retries) override {
    return inner_->CalculateDelayBeforeNextRetry(error, attempted_retries);
  }

 private:
  std::shared_ptr<arrow::fs::S3RetryStrategy> inner_;
  std::shared_ptr<RequestMetrics> metrics_;
};

}  // namespace

std::shared_ptr<arrow::fs::FileSystem> MakeMeteredFileSystem(
    std::shared_ptr<arrow::fs::FileSystem> base, std::shared_ptr<RequestMetrics> metrics,
    int64_t upload_part_size) {
  return std::make_shared<MeteredFileSystem>(std::move(base), std::move(metrics), upload_part_size);
}

std::shared_ptr<RequestMetrics> MeteredFileSystemMetrics(const arrow::fs::FileSystem& fs) {
  const auto* m = dynamic_cast<const MeteredFileSystem*>(&fs);
  return m == nullptr ? nullptr : m->metrics();
}

std::shared_ptr<arrow::fs::S3RetryStrategy> MakeCountingRetryStrategy(
    std::shared_ptr<arrow::fs::S3RetryStrategy> inner, std::shared_ptr<RequestMetrics> metrics) {
  return std::make_shared<CountingRetryStrategy>(std::move(inner), std::move(metrics));
}

}  // namespace marketlake::internal
