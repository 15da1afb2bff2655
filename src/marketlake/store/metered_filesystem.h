// Request metrics for the data path that goes through Arrow's S3 and GCS filesystems.
//
// Arrow has no per-request hook, so ResolveLocation wraps the S3/GCS filesystem of each
// store in a decorating arrow::fs::FileSystem (and wraps the files and streams it opens)
// that records, into the store's RequestMetrics (request_metrics.h), one request per
// filesystem operation that reaches the store, with its latency, payload bytes and whether
// it failed. What is counted is the filesystem operation; for Arrow 26's S3 filesystem
// each corresponds to S3 requests as follows:
//   - RandomAccessFile::ReadAt / Read / ReadAsync returning n > 0 bytes: one ranged
//     GetObject; bytes_in += n. A read at or past the end sends nothing and is not counted.
//   - InputStream::Read (OpenInputStream): the same, one ranged GetObject per call.
//   - OpenInputFile / OpenInputStream by path: one HeadObject (for the size). By FileInfo
//     with a known size: no request, not counted.
//   - GetFileInfo(path): one request. Arrow sends one HeadObject for an object (or
//     HeadBucket for a bucket); for a key that is not an object it may go on to HEAD
//     "key/" and list one key to tell a directory from nothing: up to 3 requests counted
//     as 1.
//   - GetFileInfo(selector) and each page of GetFileInfoGenerator: one ListObjectsV2 per
//     page (1000 keys); the synchronous selector form counts the whole listing as one.
//   - DeleteFile, CopyFile (CopyObject), CreateDir: one each. Move (copy + delete) and
//     DeleteDir / DeleteDirContents (listing + batch deletes) count as one operation.
//   - Output streams (Arrow's writer, with allow_delayed_open): bytes_out += bytes written;
//     at Close() the requests Arrow 26 sent for them are recorded, derived from the size,
//     because they happen on Arrow's background threads: below one part (10 MiB) one
//     PutObject; else CreateMultipartUpload + one UploadPart per 10 MiB (last may be
//     shorter) + CompleteMultipartUpload. Latency is that of Close(). Abort() records the
//     create, the parts already full and the abort.
//   - GCS (native): the same operation counting; requests there map to JSON API calls
//     (uploads are resumable sessions, counted as one request per stream).
// Payload bytes only: headers and XML bodies of HEAD/List responses are not counted (the
// REST client's counts, by contrast, are whole response bodies).
//
// Retries: the AWS SDK retries inside one operation. When marketlake supplies the retry
// strategy (a source's retry.max_attempts), CountingRetryStrategy records each attempt that
// is retried as a failed request and a retry. With the SDK's default strategy retries are
// not visible and are not counted.
//
// Thread safety: as the wrapped filesystem (thread-safe); the metrics are atomic.
#pragma once

#include <arrow/filesystem/filesystem.h>
#include <arrow/filesystem/s3fs.h>

#include <cstdint>
#include <memory>

#include "marketlake/request_metrics.h"

namespace marketlake::internal {

// Arrow 26's S3 writer part size (S3 UploadPart), used to derive output-stream requests.
inline constexpr int64_t kArrowS3PartSize = 10 << 20;

// Wraps `base`. `upload_part_size` > 0: output streams are counted as Arrow's S3 writer
// (see above) with that part size; 0: one request per stream (GCS).
std::shared_ptr<arrow::fs::FileSystem> MakeMeteredFileSystem(
    std::shared_ptr<arrow::fs::FileSystem> base, std::shared_ptr<RequestMetrics> metrics,
    int64_t upload_part_size);

// The metrics a filesystem made by MakeMeteredFileSystem records into; null for others.
std::shared_ptr<RequestMetrics> MeteredFileSystemMetrics(const arrow::fs::FileSystem& fs);

// Delegates to `inner`; each time it decides to retry, records a failed request and a
// retry in `metrics`.
std::shared_ptr<arrow::fs::S3RetryStrategy> MakeCountingRetryStrategy(
    std::shared_ptr<arrow::fs::S3RetryStrategy> inner, std::shared_ptr<RequestMetrics> metrics);

}  // namespace marketlake::internal
