// Internal: the bytes of a lake (data files, log entries) on its store, with the one
// primitive commits need, put-if-absent. Not a public header.
#pragma once

#include <arrow/buffer.h>
#include <arrow/filesystem/filesystem.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "marketlake/filesystem.h"
#include "marketlake/object_client.h"
#include "marketlake/status.h"

namespace marketlake {

struct StoredFile {
  std::string path;  // relative to the lake root
  int64_t size = -1;
  std::chrono::system_clock::time_point mtime;
  bool is_dir = false;
};

class LakeStore {
 public:
  explicit LakeStore(Location root) : root_(std::move(root)) {}

  const Location& root() const { return root_; }
  Location Child(std::string_view rel) const { return root_.Child(rel); }

  // Creates `rel` with `body` unless it exists: kPreconditionFailed when it does (another
  // writer won). The object is complete when visible (local: link() of a synced temporary
  // file; S3: a single PUT with If-None-Match: *). kNotImplemented for stores without it.
  Status PutIfAbsent(const std::string& rel, std::string_view body);
  // OK when PutIfAbsent can work here (S3: creates the client and probes the store once);
  // kNotImplemented otherwise. Commits call it before writing any data.
  Status CheckCommittable();
  // kNotFound when absent.
  Result<std::string> Read(const std::string& rel);
  // Files (and, when !recursive, directories) below `rel_dir`; empty when it does not exist.
  Result<std::vector<StoredFile>> List(const std::string& rel_dir, bool recursive);
  // Succeeds when absent.
  Status Delete(const std::string& rel);

 private:
  Status PutIfAbsentLocal(const std::string& rel, std::string_view body);
  Status PutIfAbsentS3(const std::string& rel, std::string_view body);
  Status EnsureS3Client();

  Location root_;
  std::mutex mu_;
  std::shared_ptr<ObjectClient> client_;  // S3, created and probed on first use
  std::string bucket_;
  std::string key_prefix_;
};

}  // namespace marketlake
