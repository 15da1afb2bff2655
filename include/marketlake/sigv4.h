// AWS Signature Version 4 for S3-compatible REST requests (header-based auth).
//
// Arrow's S3 filesystem signs inside the AWS SDK and exposes none of it; marketlake's own
// object client (object_client.h) needs conditional-write headers the SDK path cannot send,
// so it signs requests itself with this code. The canonical request follows
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html exactly,
// including S3's rule that paths are not normalised (no "." / ".." collapsing, no double
// encoding).
//
// Secrets: SigningCredentials::secret_key only ever feeds the HMAC key derivation. No
// function here puts it (or the derived signing key) into a returned string or a message.
//
// Thread safety: all functions are pure and thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "marketlake/status.h"

namespace marketlake {

// What a request is signed with. Resolving these from the environment or a config file is
// the caller's business. `session_token` is empty for long-term keys; when set it is sent
// (and signed) as x-amz-security-token. `region` is e.g. "us-east-1" ("auto" for GCS/R2).
struct SigningCredentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;
  std::string region;
};

// Payload hash used when the body is not hashed (streaming, or trusted TLS transport).
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// SHA-256 of the empty string: the payload hash of GET/HEAD/DELETE.
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

using HeaderList = std::vector<std::pair<std::string, std::string>>;
using QueryList = std::vector<std::pair<std::string, std::string>>;

// A request as the signer sees it. Everything is given *unencoded*; the signer encodes.
struct SigV4Request {
  std::string method;  // "GET", "PUT", ... (upper-cased by the signer)
  // The decoded absolute path, e.g. "/bucket/my key+1.parquet" (path style) or
  // "/my key+1.parquet" (virtual-hosted). Each segment is URI-encoded, '/' kept.
  std::string path;
  // Decoded query parameters in any order; repeats allowed; an empty value signs as "k=".
  QueryList query;
  // Every header to sign, any case, any order. Must include "host". Repeated names are
  // joined with ',' in order, as AWS specifies. x-amz-date, x-amz-content-sha256 and (with
  // a session token) x-amz-security-token are added by the signer when absent.
  HeaderList headers;
  // Lower-case hex SHA-256 of the body, kUnsignedPayload, or kEmptyPayloadSha256.
  std::string payload_hash = std::string(kEmptyPayloadSha256);
};

struct SigV4Signature {
  std::string canonical_request;  // for debugging signature mismatches; holds no secret
  std::string string_to_sign;
  std::string signed_headers;  // "host;range;x-amz-content-sha256;x-amz-date"
  std::string signature;       // 64 lower-case hex digits
  std::string authorization;   // the complete Authorization header value
  // Headers the caller must send in addition to SigV4Request::headers (the ones the signer
  // added) plus "Authorization". Names are as they should go on the wire.
  HeaderList headers_to_add;
};

// AWS's UriEncode: every byte except A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex);
// '/' is kept when `encode_slash` is false (paths) and encoded when true (query parts).
std::string UriEncode(std::string_view input, bool encode_slash);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// "20130524T000000Z" for the given instant (UTC).
std::string FormatAmzDate(std::chrono::system_clock::time_point when);

// Signs `request` for `service` ("s3") at `amz_date` ("YYYYMMDDTHHMMSSZ").
// Fails with kInvalidArgument when the date is malformed, the host header is missing, or a
// credential field is empty; messages never contain the secret key.
Result<SigV4Signature> SignV4(const SigV4Request& request, const SigningCredentials& credentials,
                              std::string_view amz_date, std::string_view service = "s3");

}  // namespace marketlake
