#include "marketlake/lake/lake_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include "marketlake/s3_output_stream.h"

namespace marketlake {
namespace {

Status Errno(std::string_view what, const std::string& path) {
  return Error(ErrorCode::kIOError, fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Errno("open directory", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("fsync directory", dir);
  return Status::OK();
}

Status NoPutIfAbsent(const Location& root) {
  return Error(ErrorCode::kNotImplemented,
               fmt::format("{}: commits need put-if-absent, which marketlake only has for local "
                           "disks and S3-compatible stores (this place is '{}')",
                           root.display, root.kind));
}

}  // namespace

Status LakeStore::PutIfAbsent(const std::string& rel, std::string_view body) {
  if (root_.kind == "local") return PutIfAbsentLocal(rel, body);
  if (root_.kind == "s3") return PutIfAbsentS3(rel, body);
  return NoPutIfAbsent(root_);
}

Status LakeStore::PutIfAbsentLocal(const std::string& rel, std::string_view body) {
  std::filesystem::path target(Child(rel).path);
  std::error_code ec;
  std::filesystem::create_directories(target.parent_path(), ec);
  if (ec) {
    return Error(ErrorCode::kIOError, fmt::format("create directory {}: {}",
                                                  target.parent_path().string(), ec.message()));
  }
  std::random_device rng;
  std::string tmp =
      (target.parent_path() /
       fmt::format(".{}.tmp-{}-{:08x}{:08x}", target.filename().string(), ::getpid(), rng(), rng()))
          .string();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("create", tmp);
  size_t done = 0;
  while (done < body.size()) {
    ssize_t n = ::write(fd, body.data() + done, body.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status st = Errno("write", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return st;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status st = Errno("fsync", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return st;
  }
  ::close(fd);
  // link() never replaces an existing name: exactly one of several racing writers wins.
  int rc = ::link(tmp.c_str(), target.c_str());
  int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0) {
    if (err == EEXIST) {
      return Error(
          ErrorCode::kPreconditionFailed,
          fmt::format("{} already exists (another writer committed it)", Child(rel).display));
    }
    errno = err;
    return Errno("link", target.string());
  }
  return SyncDir(target.parent_path().string());
}

Status LakeStore::CheckCommittable() {
  if (root_.kind == "local") return Status::OK();
  if (root_.kind == "s3") return EnsureS3Client();
  return NoPutIfAbsent(root_);
}

Status LakeStore::EnsureS3Client() {
  std::lock_guard<std::mutex> lock(mu_);
  {
    if (!client_) {
      ML_ASSIGN_OR_RETURN(S3Access access, S3AccessFor(root_));
      // The store's shared client: same settings and request metrics as every other user.
      ML_ASSIGN_OR_RETURN(std::shared_ptr<ObjectClient> client, ObjectClientFor(root_));
      std::string prefix = access.key;
      if (!prefix.empty() && !prefix.ends_with('/')) prefix += '/';
      prefix += "_marketlake/";
      ML_ASSIGN_OR_RETURN(auto support, ProbeConditionalWrites(*client, access.bucket, prefix));
      if (!support.if_absent_honoured) {
        return Error(ErrorCode::kNotImplemented,
                     fmt::format("{}: the store does not honour put-if-absent (If-None-Match: "
                                 "*), so commits cannot be atomic; refusing to write ({})",
                                 root_.display, support.detail));
      }
      bucket_ = access.bucket;
      key_prefix_ = access.key;
      if (!key_prefix_.empty() && !key_prefix_.ends_with('/')) key_prefix_ += '/';
      client_ = std::move(client);
    }
  }
  return Status::OK();
}

Status LakeStore::PutIfAbsentS3(const std::string& rel, std::string_view body) {
  ML_RETURN_NOT_OK(EnsureS3Client());
  PutOptions options;
  options.condition = WriteCondition::kIfAbsent;
  options.content_type = "application/json";
  auto put = client_->PutObject(bucket_, key_prefix_ + rel, body, options);
  if (!put.ok()) {
    if (CodeOf(put.status()) == ErrorCode::kPreconditionFailed) {
      return Error(
          ErrorCode::kPreconditionFailed,
          fmt::format("{} already exists (another writer committed it)", Child(rel).display));
    }
    return put.status();
  }
  return Status::OK();
}

Result<std::string> LakeStore::Read(const std::string& rel) {
  Location loc = Child(rel);
  ML_ASSIGN_OR_RETURN(auto in, OpenInputFile(loc));
  ML_ASSIGN_OR_RETURN(int64_t size, in->GetSize());
  if (size > (64 << 20)) {
    return Error(ErrorCode::kCorruption,
                 fmt::format("{}: {} bytes, more than a log entry may have", loc.display, size));
  }
  ML_ASSIGN_OR_RETURN(auto buf, in->ReadAt(0, size));
  ML_RETURN_NOT_OK(in->Close());
  return buf->ToString();
}

Result<std::vector<StoredFile>> LakeStore::List(const std::string& rel_dir, bool recursive) {
  std::vector<StoredFile> out;
  Location dir = Child(rel_dir);
  Status st = ListEntries(
      dir, recursive, [&](const arrow::fs::FileInfo& info, std::string_view rel) -> Result<bool> {
        StoredFile f;
        std::string r(rel);
        while (r.starts_with('/')) r.erase(0, 1);
        f.path = rel_dir.empty() ? r : rel_dir + "/" + r;
        f.size = info.size();
        f.mtime = std::chrono::time_point_cast<std::chrono::system_clock::duration>(info.mtime());
        f.is_dir = info.type() == arrow::fs::FileType::Directory;
        out.push_back(std::move(f));
        return true;
      });
  if (!st.ok()) {
    if (CodeOf(st) == ErrorCode::kNotFound) return out;
    return st;
  }
  return out;
}

Status LakeStore::Delete(const std::string& rel) {
  Status st = DeletePlace(Child(rel), false);
  if (!st.ok() && CodeOf(st) == ErrorCode::kNotFound) return Status::OK();
  return st;
}

}  // namespace marketlake
