// A thin S3 REST client for what Arrow's S3 filesystem does not expose: conditional writes
// (put-if-absent, replace-if-unchanged), server-side encryption and storage class on
// upload, and explicit control of addressing style, retries and timeouts. Reads of Parquet
// still go through Arrow (filesystem.h); this client is for the small metadata objects
// (manifests, locks, commit markers) whose atomicity the engine depends on.
//
// ObjectClient is an interface so engine code can be tested against an in-memory fake.
// MakeS3ObjectClient() returns the real one: SigV4 (sigv4.h) over libcurl, with retries
// (retry.h) and counters (request_metrics.h).
//
// Errors: every failure is a marketlake Error whose category comes from ONE table,
// ClassifyS3Response() below; transport failures (connect/reset/timeout/truncated body) are
// kUnavailable. Messages name the method and s3://bucket/key, the HTTP status and S3 error
// code; they never contain credentials, signatures or request headers.
//
// Thread safety: ObjectClient implementations must be safe to call concurrently; the S3
// client is (it keeps a pool of connections).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "marketlake/request_metrics.h"
#include "marketlake/retry.h"
#include "marketlake/sigv4.h"
#include "marketlake/status.h"

namespace marketlake {

// Which dialect of the XML API the store speaks where S3-compatibles differ.
enum class StoreProvider {
  kAws,      // Amazon S3
  kGeneric,  // MinIO, moto, Backblaze B2, Cloudflare R2, Ceph ... (S3 headers)
  kGcs,      // Google Cloud Storage XML API with HMAC keys (x-goog-* conditions)
};

enum class AddressingStyle {
  kAuto,           // virtual-hosted for AWS's own endpoint and DNS-safe buckets, else path
  kPath,           // http://endpoint/bucket/key
  kVirtualHosted,  // http://bucket.endpoint/key
};

struct S3ClientOptions {
  // scheme://host[:port]. Empty: https://s3.<region>.amazonaws.com (kAws) or
  // https://storage.googleapis.com (kGcs). A scheme-less value is taken as https.
  std::string endpoint;
  StoreProvider provider = StoreProvider::kAws;
  AddressingStyle addressing = AddressingStyle::kAuto;
  // Hash PUT bodies into the signature. false sends UNSIGNED-PAYLOAD (only sensible over
  // https, where TLS already protects the body).
  bool sign_payload = true;
  std::chrono::milliseconds connect_timeout{5000};
  // Limit on one whole attempt (connect + send + receive). A stalled server surfaces as
  // kUnavailable after this long and the attempt is retried.
  std::chrono::milliseconds request_timeout{30000};
  RetryOptions retry;
  std::string user_agent = "marketlake";
};

enum class WriteCondition {
  kNone,
  kIfAbsent,     // fail with kPreconditionFailed when the key exists
  kIfUnchanged,  // fail with kPreconditionFailed unless the current version matches
};

enum class ServerSideEncryption { kNone, kAes256, kAwsKms };

struct PutOptions {
  WriteCondition condition = WriteCondition::kNone;
  // For kIfUnchanged: the ETag read earlier (S3, quoted or not), or on kGcs the
  // generation number (ObjectInfo::generation).
  std::string expected_version;
  std::string content_type = "application/octet-stream";
  ServerSideEncryption sse = ServerSideEncryption::kNone;
  std::string kms_key_id;     // with kAwsKms; empty uses the bucket's default key
  std::string storage_class;  // e.g. "STANDARD_IA"; empty leaves the bucket default
};

struct PutResult {
  std::string etag;        // as returned, quotes included
  std::string version_id;  // when the bucket is versioned
  std::string generation;  // GCS only
};

struct ObjectInfo {
  uint64_t size = 0;  // whole object size
  std::string etag;
  std::string last_modified;  // HTTP date, as returned
  std::string content_type;
  std::string storage_class;
  std::string generation;  // GCS only
  // x-amz-server-side-encryption ("AES256", "aws:kms") and the KMS key id, as reported.
  std::string server_side_encryption;
  std::string kms_key_id;
};

// [offset, offset + length). length must be > 0. A range running past the end returns
// the bytes that exist; one starting at or past the end fails with kInvalidArgument.
struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;
};

struct GetResult {
  std::string data;
  ObjectInfo info;  // size is the whole object's size even for a ranged read
};

class ObjectClient {
 public:
  virtual ~ObjectClient() = default;

  // Uploads `body` as bucket/key in one request. With a condition, kPreconditionFailed
  // means the condition did not hold (another writer won); nothing was written.
  virtual Result<PutResult> PutObject(std::string_view bucket, std::string_view key,
                                      std::string_view body, const PutOptions& options) = 0;
  // Returns exactly the requested bytes, or an error: a short or truncated response body
  // is never returned as success. kNotFound when the key does not exist.
  virtual Result<GetResult> GetObject(std::string_view bucket, std::string_view key,
                                      std::optional<ByteRange> range) = 0;
  virtual Result<ObjectInfo> HeadObject(std::string_view bucket, std::string_view key) = 0;
  // Succeeds when the key is gone afterwards, including when it never existed.
  virtual Status DeleteObject(std::string_view bucket, std::string_view key) = 0;

  // Multipart upload (S3 CreateMultipartUpload / UploadPart / CompleteMultipartUpload /
  // AbortMultipartUpload). Nothing is visible at bucket/key until Complete succeeds; an
  // upload that is neither completed nor aborted keeps its parts (and their cost) in the
  // store, so callers must abort on every failure path (s3_output_stream.h does).
  // The default implementations fail with kNotImplemented (fakes need not support it).
  //
  // Starts an upload; `options` supplies content type, SSE (+ KMS key id) and storage
  // class, which apply to the completed object. options.condition must be kNone
  // (kInvalidArgument otherwise). Returns the upload id.
  virtual Result<std::string> CreateMultipartUpload(std::string_view bucket, std::string_view key,
                                                    const PutOptions& options);
  // Uploads part `part_number` (1..10000) of `upload_id`. All parts but the last must be at
  // least 5 MiB (the store rejects the completion otherwise). Returns the part's ETag.
  virtual Result<std::string> UploadPart(std::string_view bucket, std::string_view key,
                                         std::string_view upload_id, int part_number,
                                         std::string_view body);
  struct CompletedPart {
    int part_number = 0;
    std::string etag;  // as returned by UploadPart
  };
  // Assembles the parts (ascending part numbers) into the object. A 200 response whose
  // body is an S3 <Error> is an error, classified like a status response.
  virtual Result<PutResult> CompleteMultipartUpload(std::string_view bucket, std::string_view key,
                                                    std::string_view upload_id,
                                                    const std::vector<CompletedPart>& parts);
  // Discards the upload and its parts. Succeeds when the upload is gone afterwards,
  // including when it was already completed or aborted (404 NoSuchUpload).
  virtual Status AbortMultipartUpload(std::string_view bucket, std::string_view key,
                                      std::string_view upload_id);
};

// THE table from an S3/GCS/compatible error response to a marketlake category. Used for
// every non-2xx response; kUnavailable results are retried (retry.h).
//   404 (NoSuchKey, NoSuchBucket)              -> kNotFound
//   412 PreconditionFailed                     -> kPreconditionFailed
//   409 on a conditional write                 -> kUnavailable (S3's
//       ConditionalRequestConflict: a concurrent write is in flight; retry decides)
//   409 otherwise                              -> kAlreadyExists
//   416 InvalidRange, 400 (other than below)   -> kInvalidArgument
//   400 RequestTimeout / IncompleteBody        -> kUnavailable (the connection was slow)
//   401, 403 (AccessDenied, Signature...)      -> kIOError
//   429, 500, 502, 503 (SlowDown), 504, 5xx    -> kUnavailable
//   501 NotImplemented                         -> kNotImplemented
//   anything else                              -> kIOError
ErrorCode ClassifyS3Response(int http_status, std::string_view s3_error_code,
                             bool conditional_write);

// The real client. Fails with kInvalidArgument for a malformed endpoint or empty
// credentials. `metrics` may be shared between clients; null creates a private one
// (reachable through S3ObjectClientMetrics()).
Result<std::unique_ptr<ObjectClient>> MakeS3ObjectClient(
    S3ClientOptions options, SigningCredentials credentials,
    std::shared_ptr<RequestMetrics> metrics = nullptr);

// The metrics of a client made by MakeS3ObjectClient (null for other implementations).
std::shared_ptr<RequestMetrics> S3ObjectClientMetrics(const ObjectClient& client);

struct ConditionalWriteSupport {
  bool if_absent_honoured = false;     // a second put-if-absent was rejected with 412
  bool if_unchanged_honoured = false;  // a put with a stale version was rejected with 412
  std::string detail;                  // one line for humans
};

// Finds out whether the store enforces conditional writes instead of silently ignoring
// them (some S3-compatibles accept the headers and overwrite anyway). Writes a probe key
// under `prefix` with put-if-absent twice and once with a wrong version, then deletes it.
// Fails only when the store cannot be used at all (the first write or the delete fails).
Result<ConditionalWriteSupport> ProbeConditionalWrites(ObjectClient& client,
                                                       std::string_view bucket,
                                                       std::string_view prefix);

}  // namespace marketlake
