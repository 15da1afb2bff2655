// An arrow::io::OutputStream that writes one S3 object through marketlake's own REST client
// (object_client.h) with multipart upload. It exists because Arrow 26's S3 writer cannot
// send x-amz-server-side-encryption (+ KMS key id) or x-amz-storage-class; this one sends
// them on PutObject / CreateMultipartUpload (S3WriteOptions::put).
//
// Contract:
//   - Bytes are buffered into parts of `part_size`. An object smaller than one part is sent
//     as a single PutObject at Close(); otherwise the upload is created when the first part
//     is full and parts are uploaded on background threads.
//   - At most `max_in_flight` parts are being uploaded at once; Write() blocks while that
//     many are in flight and a further part is full. Memory is therefore bounded by about
//     (max_in_flight + 1) * part_size.
//   - Nothing is visible at bucket/key before Close() returns OK. Close() uploads the last
//     part and completes the upload; on any failure it aborts the upload and returns the
//     error. Abort(), and destruction without Close(), abort the upload: no object and no
//     pending multipart upload are left behind (unless the abort request itself fails,
//     which is reported by Abort()).
//   - The first failed part upload (after the client's retries) fails every later Write(),
//     Flush() and Close(). Flush() waits for the parts in flight (it cannot upload a partial
//     part: S3 parts other than the last must be >= 5 MiB).
//   - Not thread-safe: one writer thread, like every Arrow OutputStream.
#pragma once

#include <arrow/io/interfaces.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "marketlake/filesystem.h"
#include "marketlake/object_client.h"
#include "marketlake/request_metrics.h"
#include "marketlake/status.h"

namespace marketlake {

inline constexpr int64_t kMinS3PartSize = 5 << 20;
inline constexpr int64_t kDefaultS3PartSize = 8 << 20;

struct S3WriteOptions {
  // Bytes per part; values below kMinS3PartSize (5 MiB) are raised to it. An object can
  // have at most 10,000 parts, so the largest object is 10,000 * part_size.
  int64_t part_size = kDefaultS3PartSize;
  // Parts uploading concurrently; values < 1 act as 1.
  int max_in_flight = 8;
  // Content type, SSE (+ KMS key id) and storage class of the object. condition must be
  // kNone.
  PutOptions put;
};

// Opens a stream writing bucket/key through `client` (which must outlive nothing: the
// stream keeps the shared_ptr). `display` names the object in error messages (no secrets).
Result<std::shared_ptr<arrow::io::OutputStream>> OpenS3OutputStream(
    std::shared_ptr<ObjectClient> client, std::string bucket, std::string key,
    S3WriteOptions options, std::string display);

// The write options a resolved place asks for: SSE, KMS key id and storage class from its
// source; part size and concurrency from $MARKETLAKE_S3_PART_SIZE (bytes, >= 5 MiB) and
// $MARKETLAKE_S3_MAX_IN_FLIGHT when set, else the defaults above. kInvalidArgument for an
// unknown sse value or malformed variables.
Result<S3WriteOptions> S3WriteOptionsFor(const Location& loc);

// The REST client for a place (S3AccessFor: endpoint, region, addressing, credentials,
// retry settings), shared per store within the process so connections are reused. Its
// requests are counted in StoreRequestMetrics() (request_metrics.h) under StoreLabel(loc).
Result<std::shared_ptr<ObjectClient>> ObjectClientFor(const Location& loc);

// Opens `loc` for writing through OpenS3OutputStream with S3WriteOptionsFor(loc).
Result<std::shared_ptr<arrow::io::OutputStream>> OpenS3OutputStream(const Location& loc);

}  // namespace marketlake
