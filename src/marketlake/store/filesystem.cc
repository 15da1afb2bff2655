#include "marketlake/filesystem.h"

#include <arrow/filesystem/localfs.h>
#include <arrow/filesystem/s3fs.h>

#include <filesystem>
#include <string>

namespace marketlake {
namespace {

bool HasScheme(std::string_view uri) {
  auto pos = uri.find("://");
  return pos != std::string_view::npos && pos > 0;
}

}  // namespace

Result<Location> ResolveLocation(std::string_view uri) {
  if (uri.empty()) return Error(ErrorCode::kInvalidArgument, "empty path");
  Location loc;
  loc.display = std::string(uri);
  if (!HasScheme(uri)) {
    std::error_code ec;
    auto abs = std::filesystem::absolute(std::filesystem::path(std::string(uri)), ec);
    if (ec) return Error(ErrorCode::kInvalidArgument, std::string(uri) + ": " + ec.message());
    loc.fs = std::make_shared<arrow::fs::LocalFileSystem>();
    loc.path = abs.lexically_normal().string();
    return loc;
  }
  if (uri.starts_with("s3://")) {
    auto st = arrow::fs::EnsureS3Initialized();
    if (!st.ok()) return WithContext(st, "initialising S3");
  }
  std::string path;
  auto fs = arrow::fs::FileSystemFromUri(std::string(uri), &path);
  if (!fs.ok()) {
    return Error(ErrorCode::kInvalidArgument,
                 std::string(uri) + ": cannot resolve: " + fs.status().message());
  }
  loc.fs = *fs;
  loc.path = path;
  return loc;
}

Result<std::shared_ptr<arrow::io::RandomAccessFile>> OpenInputFile(std::string_view uri) {
  ML_ASSIGN_OR_RETURN(Location loc, ResolveLocation(uri));
  auto info = loc.fs->GetFileInfo(loc.path);
  if (!info.ok()) return WithContext(info.status(), loc.display);
  if (info->type() == arrow::fs::FileType::NotFound) {
    return Error(ErrorCode::kNotFound, loc.display + ": no such file");
  }
  if (info->type() == arrow::fs::FileType::Directory) {
    return Error(ErrorCode::kInvalidArgument, loc.display + ": is a directory");
  }
  auto file = loc.fs->OpenInputFile(*info);
  if (!file.ok()) return WithContext(file.status(), loc.display);
  return *file;
}

Result<std::shared_ptr<arrow::io::OutputStream>> OpenOutputStream(std::string_view uri) {
  ML_ASSIGN_OR_RETURN(Location loc, ResolveLocation(uri));
  auto out = loc.fs->OpenOutputStream(loc.path);
  if (!out.ok()) return WithContext(out.status(), loc.display);
  return *out;
}

void FinalizeFilesystems() {
  if (arrow::fs::IsS3Initialized()) (void)arrow::fs::FinalizeS3();
}

}  // namespace marketlake
