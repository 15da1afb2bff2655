// A RandomAccessFile that remembers whether a read of the underlying file failed.
// Private to the format module: the scanner and table I/O use it to tell an I/O failure from
// a corrupt file when Arrow reports both as IOError.
#pragma once

#include <arrow/buffer.h>
#include <arrow/io/interfaces.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "marketlake/status.h"

namespace marketlake::internal {

// Forwards to the caller's file and remembers whether a read inside the file failed. Arrow
// reports both a failing device and undecodable compressed bytes as IOError, so this is how
// an I/O error is told apart from a corrupt file. Reads beyond the end come from offsets in
// the file's own metadata: those are corruption, not I/O.
class TrackedFile final : public arrow::io::RandomAccessFile {
 public:
  explicit TrackedFile(std::shared_ptr<arrow::io::RandomAccessFile> inner)
      : inner_(std::move(inner)) {}
  bool failed() const { return failed_; }
  void set_size(int64_t size) { size_ = size; }

  Status Close() override { return inner_->Close(); }
  bool closed() const override { return inner_->closed(); }
  Result<int64_t> Tell() const override { return inner_->Tell(); }
  Status Seek(int64_t position) override { return inner_->Seek(position); }
  Result<int64_t> GetSize() override { return Track(inner_->GetSize(), 0, 0); }
  Result<int64_t> Read(int64_t nbytes, void* out) override {
    return Track(inner_->Read(nbytes, out), 0, 0);
  }
  Result<std::shared_ptr<arrow::Buffer>> Read(int64_t nbytes) override {
    return Track(inner_->Read(nbytes), 0, 0);
  }
  Result<int64_t> ReadAt(int64_t position, int64_t nbytes, void* out) override {
    return Track(inner_->ReadAt(position, nbytes, out), position, nbytes);
  }
  Result<std::shared_ptr<arrow::Buffer>> ReadAt(int64_t position, int64_t nbytes) override {
    return Track(inner_->ReadAt(position, nbytes), position, nbytes);
  }

 private:
  template <typename R>
  R Track(R r, int64_t position, int64_t nbytes) {
    const bool inside = size_ < 0 || (position >= 0 && nbytes >= 0 && position <= size_ &&
                                      nbytes <= size_ - position);
    if (!r.ok() && inside) failed_ = true;
    return r;
  }

  std::shared_ptr<arrow::io::RandomAccessFile> inner_;
  int64_t size_ = -1;
  bool failed_ = false;
};

// The category for an error met while reading or decoding `file`: I/O when a read of the file
// failed, otherwise corruption (the bytes do not form what they claim to be).
inline Status ReadOrDecodeError(const TrackedFile& file, const std::string& name,
                                std::string_view message) {
  return Error(file.failed() ? ErrorCode::kIOError : ErrorCode::kCorruption,
               name + ": " + std::string(message));
}

}  // namespace marketlake::internal
