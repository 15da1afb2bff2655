// One way to name a place. A place is one of
//   - a local path ("data/trades.parquet", "/abs/dir") or file:///abs/path;
//   - s3://bucket/key (AWS S3 or, with AWS_ENDPOINT_URL or a matching configured source,
//     any S3-compatible store);
//   - gs://bucket/key (Google Cloud Storage: through the S3 interoperability endpoint when
//     a configured gcs source for that bucket has HMAC keys, else Arrow's native
//     GcsFileSystem with Google default credentials);
//   - SOURCE:key, a source named in the configuration file (see config.h) and a key
//     under its bucket and prefix ("prod:trades/2024/", "prod:" for the source's root).
//     A relative local path containing ':' must be written as ./name:with:colons.
//   - any other scheme Arrow's FileSystemFromUri knows (e.g. mock://), passed through.
// Keys are taken literally (no percent-decoding): spaces, '+' and UTF-8 are fine.
// s3:// places whose bucket is the bucket of exactly one configured s3 source use that
// source's endpoint, region, credentials and retry settings.
//
// Resolution gives the Arrow filesystem that serves it and the path within that
// filesystem. Remote Parquet is read through arrow::io::RandomAccessFile, so only the byte
// ranges a reader asks for are fetched. S3 filesystems are created once per store
// (endpoint and bucket or source), settings and credentials, and shared. For s3 and gcs
// places the filesystem is a decorator that counts the requests it makes in the store's
// request metrics (request_metrics.h, StoreLabel below).
//
// Thread safety: the functions are thread-safe; the returned filesystems are too.
#pragma once

#include <arrow/filesystem/filesystem.h>
#include <arrow/filesystem/s3fs.h>
#include <arrow/io/interfaces.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "marketlake/config.h"
#include "marketlake/status.h"

namespace marketlake {

struct Location {
  std::shared_ptr<arrow::fs::FileSystem> fs;
  std::string path;         // within fs
  std::string display;      // what to show users: the place as given, without credentials
  std::string kind;         // "local", "s3", "gcs" (native), or the Arrow scheme passed through
  std::string source;       // the configured source used, if any
  std::string endpoint;     // S3: scheme://host[:port] in use; empty for AWS
  std::string region;       // S3: the region in use
  std::string credentials;  // S3: where credentials come from (never a secret)
  // Non-empty when writes must be refused because a configured write option (sse,
  // storage_class) cannot be honoured by Arrow's S3 writer; says which and why.
  std::string write_refusal;
  // S3 (also GCS through HMAC keys): what the filesystem was made with, for clients other
  // than Arrow's (see S3AccessFor). Null for other kinds.
  std::shared_ptr<const arrow::fs::S3Options> s3_options;
  StorageProvider provider = StorageProvider::kUnspecified;
  // S3: what the source asks for on writes ("" = bucket default): sse ("AES256" or
  // "aws:kms"), kms_key_id, storage_class. When sse or storage_class is set,
  // OpenOutputStream writes through marketlake's own multipart writer
  // (s3_output_stream.h), because Arrow 26's S3 writer cannot send these headers.
  std::string sse;
  std::string kms_key_id;
  std::string storage_class;
  int retry_max_attempts = 0;  // the source's retry.max_attempts; 0: default

  // The place `relative` ('/'-separated) below this one.
  Location Child(std::string_view relative) const;
  // True for the root of a bucket (nothing can be written or deleted there as an object).
  bool IsBucketRoot() const;
};

// The label a remote place's request metrics are kept under: "source NAME at ENDPOINT" for
// a configured source, else "s3://BUCKET at ENDPOINT" (gs:// for native GCS); ENDPOINT is
// "AWS REGION" for AWS and "GCS" for native GCS. Never contains credentials.
std::string StoreLabel(const Location& loc);

// Resolves with the configuration in effect (CurrentConfig()).
// kInvalidArgument for an unknown scheme or malformed place; kNotFound for an unknown
// source name.
Result<Location> ResolveLocation(std::string_view uri);
Result<Location> ResolveLocation(std::string_view uri, const Config& config,
                                 const EnvLookup& env = ProcessEnvironment());

// The Arrow S3 options a source resolves to: endpoint_override and scheme from
// endpoint_url, force_virtual_addressing = !path_style, region (explicit, AWS_REGION,
// AWS_DEFAULT_REGION, else detected with arrow::fs::ResolveS3BucketRegion for AWS when
// `allow_network`, else us-east-1), credentials (credentials.h), retry strategy and
// timeouts. `refusal` (optional) receives Location::write_refusal.
Result<arrow::fs::S3Options> MakeS3Options(const SourceConfig& source, const EnvLookup& env,
                                           bool allow_network, std::string* credentials,
                                           std::string* refusal);

// How to reach an S3-compatible place with another client (object_client.h), e.g. for
// conditional writes. Contains secrets: never print them.
struct S3Access {
  std::string endpoint;  // scheme://host[:port]; empty for AWS
  std::string region;
  std::string bucket;
  std::string key;  // the place's key within the bucket ("" for the bucket root)
  bool path_style = true;
  StorageProvider provider = StorageProvider::kUnspecified;
  std::string access_key;
  std::string secret_key;
  std::string session_token;
};
// kInvalidArgument when `loc` is not an S3-compatible place; the credentials are
// resolved through the provider (may contact the instance metadata service).
Result<S3Access> S3AccessFor(const Location& loc);

// Opens for random access. kNotFound when absent; messages name the place.
Result<std::shared_ptr<arrow::io::RandomAccessFile>> OpenInputFile(std::string_view uri);
Result<std::shared_ptr<arrow::io::RandomAccessFile>> OpenInputFile(const Location& loc);

// Opens for writing, replacing what is there. The caller must Close() and check it (for S3
// nothing is visible before a successful Close(); Abort() discards). kNotImplemented when
// the place's write_refusal is set. S3 places whose source sets sse or storage_class are
// written by marketlake's multipart writer (s3_output_stream.h), others by Arrow's.
Result<std::shared_ptr<arrow::io::OutputStream>> OpenOutputStream(std::string_view uri);
Result<std::shared_ptr<arrow::io::OutputStream>> OpenOutputStream(const Location& loc);

// What is at the place: type NotFound (not an error) when nothing is.
Result<arrow::fs::FileInfo> Stat(const Location& loc);

// Calls `visit` for each entry below `dir` (a directory or prefix), in batches as the store
// returns them (S3: 1000 keys per request), sorted within a batch. `visit` returns false to
// stop. kNotFound when `dir` does not exist; a file is visited as itself.
Status ListEntries(const Location& dir, bool recursive,
                   const std::function<Result<bool>(const arrow::fs::FileInfo& info,
                                                    std::string_view relative)>& visit);

struct CopyOptions {
  // Read size for local and other sequentially read sources.
  int64_t chunk_bytes = 8 << 20;
  // S3/GCS sources are read as ranged GETs of remote_chunk_bytes, up to reads_in_flight at
  // once (memory: about their product), and written in order. reads_in_flight <= 1 reads
  // sequentially in chunk_bytes.
  int64_t remote_chunk_bytes = 16 << 20;
  int reads_in_flight = 8;
  // S3 destinations with access keys are written by marketlake's multipart writer
  // (s3_output_stream.h: concurrent parts, bounded memory). Others go through Arrow's
  // writer, which uploads 10 MiB parts in the background without a bound: the copy waits
  // for them (Flush) after every max_buffered_bytes.
  int64_t max_buffered_bytes = 64 << 20;
  // Called after each chunk with bytes copied so far and the total (-1 when unknown).
  std::function<void(int64_t done, int64_t total)> progress;
};

// Copies one file/object, streaming with bounded memory (CopyOptions). Local destinations are
// written to a temporary name in the destination directory and renamed into place; S3 destinations
// become visible only when complete. On failure nothing is left at `dst`.
// kNotFound when `src` does not exist; kInvalidArgument when it is a directory.
Status CopyFile(const Location& src, const Location& dst, const CopyOptions& options = {});

// Deletes a file/object, or with `recursive` a directory/prefix and all below it.
// kNotFound when nothing is there; kInvalidArgument for a directory without `recursive`.
Status DeletePlace(const Location& loc, bool recursive);

// Releases process-wide filesystem state (the AWS SDK) and the cached filesystems. Call
// once before exit when any S3 location was used; harmless otherwise.
void FinalizeFilesystems();

}  // namespace marketlake
