// One way to name a place: a local path, file://, s3://bucket/key or gs://bucket/key.
// Resolution gives the Arrow filesystem that serves it and the path within that filesystem.
// Remote Parquet is read through arrow::io::RandomAccessFile, so only the byte ranges a
// reader asks for are fetched.
//
// Thread safety: the functions are thread-safe; the returned filesystems are too.
#pragma once

#include <arrow/filesystem/filesystem.h>
#include <arrow/io/interfaces.h>

#include <memory>
#include <string>
#include <string_view>

#include "marketlake/status.h"

namespace marketlake {

struct Location {
  std::shared_ptr<arrow::fs::FileSystem> fs;
  std::string path;     // within fs
  std::string display;  // what to show users: the URI as given, without credentials
};

// Fails with kInvalidArgument for an unknown scheme or malformed URI.
Result<Location> ResolveLocation(std::string_view uri);

// Opens for random access. kNotFound when absent; messages name `uri`.
Result<std::shared_ptr<arrow::io::RandomAccessFile>> OpenInputFile(std::string_view uri);

// Opens for writing, replacing what is there. The caller must Close() and check it.
Result<std::shared_ptr<arrow::io::OutputStream>> OpenOutputStream(std::string_view uri);

// Releases process-wide filesystem state (the AWS SDK). Call once before exit when any
// S3 location was used; harmless otherwise.
void FinalizeFilesystems();

}  // namespace marketlake
