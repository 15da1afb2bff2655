// The S3 REST object client: builds requests, signs them (sigv4.h), sends them through an
// HttpTransport with retries, and maps failures through ClassifyS3Response.
#include <openssl/crypto.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <utility>

#include "marketlake/object_client.h"
#include "marketlake/store/http_transport.h"

namespace marketlake {

ErrorCode ClassifyS3Response(int http_status, std::string_view s3_error_code,
                             bool conditional_write) {
  if (http_status >= 200 && http_status < 300) return ErrorCode::kOk;
  switch (http_status) {
    case 404:
      return ErrorCode::kNotFound;
    case 412:
      return ErrorCode::kPreconditionFailed;
    case 409:
      // S3 answers 409 ConditionalRequestConflict when a conditional write races another
      // in-flight write to the same key; the outcome is undecided, so try again.
      return conditional_write ? ErrorCode::kUnavailable : ErrorCode::kAlreadyExists;
    case 416:
      return ErrorCode::kInvalidArgument;
    case 400:
      if (s3_error_code == "RequestTimeout" || s3_error_code == "IncompleteBody") {
        return ErrorCode::kUnavailable;
      }
      return ErrorCode::kInvalidArgument;
    case 401:
    case 403:
      return ErrorCode::kIOError;
    case 429:
      return ErrorCode::kUnavailable;
    case 501:
      return ErrorCode::kNotImplemented;
    default:
      break;
  }
  if (http_status >= 500 && http_status < 600) return ErrorCode::kUnavailable;
  return ErrorCode::kIOError;
}

namespace internal {
namespace {

// The text of the first <tag>...</tag> in a (small) S3 XML error body.
std::string XmlField(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  const size_t b = xml.find(open);
  if (b == std::string_view::npos) return "";
  const size_t s = b + open.size();
  const size_t e = xml.find(close, s);
  if (e == std::string_view::npos) return "";
  return std::string(xml.substr(s, std::min<size_t>(e - s, 512)));
}

std::string DefaultCodeFor(int status) {
  switch (status) {
    case 404:
      return "NoSuchKey";
    case 412:
      return "PreconditionFailed";
    case 403:
      return "AccessDenied";
    case 503:
      return "ServiceUnavailable";
    default:
      return "";
  }
}

bool DnsSafeBucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      return false;
    }
  }
  return b.front() != '-' && b.back() != '-';
}

struct Endpoint {
  std::string scheme;     // http / https
  std::string authority;  // host[:port]
};

Result<Endpoint> ParseEndpoint(std::string_view raw) {
  Endpoint ep;
  const size_t sep = raw.find("://");
  if (sep == std::string_view::npos) {
    ep.scheme = "https";
  } else {
    ep.scheme = std::string(raw.substr(0, sep));
    raw.remove_prefix(sep + 3);
  }
  if (ep.scheme != "http" && ep.scheme != "https") {
    return Error(ErrorCode::kInvalidArgument,
                 "S3 endpoint scheme must be http or https, got '" + ep.scheme + "'");
  }
  while (!raw.empty() && raw.back() == '/') raw.remove_suffix(1);
  if (raw.empty() || raw.find_first_of("/?#@ ") != std::string_view::npos) {
    return Error(ErrorCode::kInvalidArgument,
                 "S3 endpoint must be scheme://host[:port] without path or user info");
  }
  ep.authority = std::string(raw);
  return ep;
}

struct Call {
  std::string method;
  std::string bucket;
  std::string key;  // empty: bucket-level request
  QueryList query;
  HeaderList headers;
  std::string_view body;
  std::string payload_hash;  // set by Execute
  bool conditional_write = false;
  WriteCondition condition = WriteCondition::kNone;
  std::string expected_version;
  // Op-specific check of a 2xx response, run inside the retry loop so a response that is
  // incomplete (kUnavailable) is retried.
  std::function<Status(const HttpResponse&)> validate;
};

class S3ObjectClient final : public ObjectClient {
 public:
  S3ObjectClient(S3ClientOptions options, SigningCredentials credentials, Endpoint endpoint,
                 std::shared_ptr<RequestMetrics> metrics, std::shared_ptr<HttpTransport> transport,
                 WallClock wall_clock, RetryPolicy::Sleep sleep, RetryPolicy::Random random)
      : options_(std::move(options)),
        credentials_(std::move(credentials)),
        endpoint_(std::move(endpoint)),
        metrics_(std::move(metrics)),
        transport_(std::move(transport)),
        wall_clock_(std::move(wall_clock)),
        retry_(options_.retry, std::move(random), std::move(sleep)) {}

  ~S3ObjectClient() override {
    // The secret should not linger in freed memory longer than needed.
    OPENSSL_cleanse(credentials_.secret_key.data(), credentials_.secret_key.size());
  }

  const std::shared_ptr<RequestMetrics>& metrics() const { return metrics_; }

  Result<PutResult> PutObject(std::string_view bucket, std::string_view key, std::string_view body,
                              const PutOptions& opts) override {
    Call call;
    call.method = "PUT";
    call.bucket = std::string(bucket);
    call.key = std::string(key);
    call.body = body;
    call.headers.emplace_back(
        "Content-Type", opts.content_type.empty() ? "application/octet-stream" : opts.content_type);
    const bool gcs = options_.provider == StoreProvider::kGcs;
    switch (opts.condition) {
      case WriteCondition::kNone:
        break;
      case WriteCondition::kIfAbsent:
        if (gcs) {
          call.headers.emplace_back("x-goog-if-generation-match", "0");
        } else {
          call.headers.emplace_back("If-None-Match", "*");
        }
        break;
      case WriteCondition::kIfUnchanged:
        if (opts.expected_version.empty()) {
          return Error(ErrorCode::kInvalidArgument,
                       "PUT " + Display(bucket, key) +
                           ": replace-if-unchanged needs the expected ETag/generation");
        }
        if (gcs) {
          call.headers.emplace_back("x-goog-if-generation-match", opts.expected_version);
        } else {
          call.headers.emplace_back("If-Match", opts.expected_version);
        }
        break;
    }
    call.conditional_write = opts.condition != WriteCondition::kNone;
    call.condition = opts.condition;
    call.expected_version = opts.expected_version;
    AddWriteHeaders(opts, &call.headers);
    ML_ASSIGN_OR_RETURN(HttpResponse resp, Execute(call));
    PutResult out;
    if (const auto* v = resp.Header("etag")) out.etag = *v;
    if (const auto* v = resp.Header("x-amz-version-id")) out.version_id = *v;
    if (const auto* v = resp.Header("x-goog-generation")) out.generation = *v;
    return out;
  }

  Result<GetResult> GetObject(std::string_view bucket, std::string_view key,
                              std::optional<ByteRange> range) override {
    Call call;
    call.method = "GET";
    call.bucket = std::string(bucket);
    call.key = std::string(key);
    const std::string display = Display(bucket, key);
    if (range) {
      if (range->length == 0) {
        return Error(ErrorCode::kInvalidArgument, "GET " + display + ": empty byte range");
      }
      call.headers.emplace_back("Range", "bytes=" + std::to_string(range->offset) + "-" +
                                             std::to_string(range->offset + range->length - 1));
      call.validate = [range, display](const HttpResponse& r) {
        return ValidateRange(r, *range, display);
      };
    }
    ML_ASSIGN_OR_RETURN(HttpResponse resp, Execute(call));
    GetResult out;
    out.info = InfoFrom(resp);
    if (range && resp.status == 200) {
      // The server ignored Range and sent the whole object: cut the window ourselves.
      out.info.size = resp.body.size();
      const uint64_t end = std::min<uint64_t>(resp.body.size(), range->offset + range->length);
      out.data = resp.body.substr(range->offset, end - range->offset);
    } else {
      out.data = std::move(resp.body);
      if (!range) out.info.size = out.data.size();
    }
    return out;
  }

  Result<ObjectInfo> HeadObject(std::string_view bucket, std::string_view key) override {
    Call call;
    call.method = "HEAD";
    call.bucket = std::string(bucket);
    call.key = std::string(key);
    ML_ASSIGN_OR_RETURN(HttpResponse resp, Execute(call));
    ObjectInfo info = InfoFrom(resp);
    return info;
  }

  Status DeleteObject(std::string_view bucket, std::string_view key) override {
    Call call;
    call.method = "DELETE";
    call.bucket = std::string(bucket);
    call.key = std::string(key);
    Result<HttpResponse> resp = Execute(call);
    if (!resp.ok() && CodeOf(resp.status()) == ErrorCode::kNotFound) return Status::OK();
    return resp.status();
  }

  Result<std::string> CreateMultipartUpload(std::string_view bucket, std::string_view key,
                                            const PutOptions& opts) override {
    const std::string display = Display(bucket, key);
    if (opts.condition != WriteCondition::kNone) {
      return Error(ErrorCode::kInvalidArgument,
                   "POST " + display + ": conditional multipart uploads are not supported");
    }
    Call call;
    call.method = "POST";
    call.bucket = std::string(bucket);
    call.key = std::string(key);
    call.query.emplace_back("uploads", "");
    call.headers.emplace_back(
        "Content-Type", opts.content_type.empty() ? "application/octet-stream" : opts.content_type);
    AddWriteHeaders(opts, &call.headers);
    call.validate = [display](const HttpResponse& r) -> Status {
      if (XmlField(r.body, "UploadId").empty()) {
        return Error(ErrorCode::kUnavailable,
                     "POST " + display + "?uploads: response without an UploadId");
      }
      return Status::OK();
    };
    ML_ASSIGN_OR_RETURN(HttpResponse resp, Execute(call));
    return XmlField(resp.body, "UploadId");
  }

  Result<std::string> UploadPart(std::string_view bucket, std::string_view key,
                                 std::string_view upload_id, int part_number,
                                 std::string_view body) override {
    const std::string display = Display(bucket, key);
    if (part_number < 1 || part_number > 10000) {
      return Error(
          ErrorCode::kInvalidArgument,
          "PUT " + display + ": part number " + std::to_string(part_number) + " outside 1..10000");
    }
    Call call;
    call.method = "PUT";
    call.bucket = std::string(bucket);
    call.key = std::string(key);
    call.body = body;
    call.query.emplace_back("partNumber", std::to_string(part_number));
    call.query.emplace_back("uploadId", std::string(upload_id));
    call.validate = [display, part_number](const HttpResponse& r) -> Status {
      if (r.Header("etag") == nullptr) {
        return Error(ErrorCode::kUnavailable, "PUT " + display + " part " +
                                                  std::to_string(part_number) +
                                                  ": response without an ETag");
      }
      return Status::OK();
    };
    ML_ASSIGN_OR_RETURN(HttpResponse resp, Execute(call));
    return *resp.Header("etag");
  }

  Result<PutResult> CompleteMultipartUpload(std::string_view bucket, std::string_view key,
                                            std::string_view upload_id,
                                            const std::vector<CompletedPart>& parts) override {
    const std::string display = Display(bucket, key);
    std::string xml = "<CompleteMultipartUpload>";
    for (const auto& p : parts) {
      xml += "<Part><PartNumber>" + std::to_string(p.part_number) + "</PartNumber><ETag>" +
             XmlEscape(p.etag) + "</ETag></Part>";
    }
    xml += "</CompleteMultipartUpload>";
    Call call;
    call.method = "POST";
    call.bucket = std::string(bucket);
    call.key = std::string(key);
    call.body = xml;
    call.query.emplace_back("uploadId", std::string(upload_id));
    call.headers.emplace_back("Content-Type", "application/xml");
    // S3 may answer 200 and report a failure in the body (the status line goes out before
    // the parts are assembled): classify it like a status response, inside the retry loop.
    call.validate = [display](const HttpResponse& r) -> Status {
      if (r.body.find("<Error>") == std::string::npos) return Status::OK();
      std::string code = XmlField(r.body, "Code");
      const std::string message = XmlField(r.body, "Message");
      const int status = code == "InternalError" || code == "SlowDown" ? 500 : 400;
      std::string text = "POST " + display + "?uploadId: completion failed: " + code;
      if (!message.empty()) text += ": " + message;
      return Error(ClassifyS3Response(status, code, false), std::move(text));
    };
    ML_ASSIGN_OR_RETURN(HttpResponse resp, Execute(call));
    PutResult out;
    out.etag = XmlField(resp.body, "ETag");
    // The XML carries the ETag entity-encoded ("&quot;...&quot;").
    for (size_t p; (p = out.etag.find("&quot;")) != std::string::npos;) {
      out.etag.replace(p, 6, "\"");
    }
    if (const auto* v = resp.Header("x-amz-version-id")) out.version_id = *v;
    return out;
  }

  Status AbortMultipartUpload(std::string_view bucket, std::string_view key,
                              std::string_view upload_id) override {
    Call call;
    call.method = "DELETE";
    call.bucket = std::string(bucket);
    call.key = std::string(key);
    call.query.emplace_back("uploadId", std::string(upload_id));
    Result<HttpResponse> resp = Execute(call);
    if (!resp.ok() && CodeOf(resp.status()) == ErrorCode::kNotFound) return Status::OK();
    return resp.status();
  }

 private:
  static std::string XmlEscape(std::string_view in) {
    std::string out;
    for (char c : in) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        default:
          out += c;
      }
    }
    return out;
  }

  // SSE (+ KMS key) and storage class headers of an upload (PutObject and
  // CreateMultipartUpload alike).
  void AddWriteHeaders(const PutOptions& opts, HeaderList* headers) const {
    const bool gcs = options_.provider == StoreProvider::kGcs;
    switch (opts.sse) {
      case ServerSideEncryption::kNone:
        break;
      case ServerSideEncryption::kAes256:
        // GCS always encrypts at rest with Google-managed keys; it has no such header.
        if (!gcs) headers->emplace_back("x-amz-server-side-encryption", "AES256");
        break;
      case ServerSideEncryption::kAwsKms:
        if (gcs) {
          if (!opts.kms_key_id.empty()) {
            headers->emplace_back("x-goog-encryption-kms-key-name", opts.kms_key_id);
          }
        } else {
          headers->emplace_back("x-amz-server-side-encryption", "aws:kms");
          if (!opts.kms_key_id.empty()) {
            headers->emplace_back("x-amz-server-side-encryption-aws-kms-key-id", opts.kms_key_id);
          }
        }
        break;
    }
    if (!opts.storage_class.empty()) {
      headers->emplace_back(gcs ? "x-goog-storage-class" : "x-amz-storage-class",
                            opts.storage_class);
    }
  }

  static std::string Display(std::string_view bucket, std::string_view key) {
    return "s3://" + std::string(bucket) + "/" + std::string(key);
  }

  static ObjectInfo InfoFrom(const HttpResponse& r) {
    ObjectInfo info;
    if (const auto* v = r.Header("content-length"))
      info.size = std::strtoull(v->c_str(), nullptr, 10);
    if (const auto* v = r.Header("content-range")) {
      // "bytes 0-9/443": the total follows the slash ("*" when unknown).
      const size_t slash = v->rfind('/');
      if (slash != std::string::npos && slash + 1 < v->size() && (*v)[slash + 1] != '*') {
        info.size = std::strtoull(v->c_str() + slash + 1, nullptr, 10);
      }
    }
    if (const auto* v = r.Header("etag")) info.etag = *v;
    if (const auto* v = r.Header("last-modified")) info.last_modified = *v;
    if (const auto* v = r.Header("content-type")) info.content_type = *v;
    if (const auto* v = r.Header("x-amz-storage-class")) info.storage_class = *v;
    if (const auto* v = r.Header("x-goog-storage-class")) info.storage_class = *v;
    if (const auto* v = r.Header("x-goog-generation")) info.generation = *v;
    if (const auto* v = r.Header("x-amz-server-side-encryption")) {
      info.server_side_encryption = *v;
    }
    if (const auto* v = r.Header("x-amz-server-side-encryption-aws-kms-key-id")) {
      info.kms_key_id = *v;
    }
    return info;
  }

  // A 206 must carry exactly the bytes asked for (or up to the end of the object); anything
  // shorter is a truncated transfer and is retried rather than handed to a reader.
  static Status ValidateRange(const HttpResponse& r, const ByteRange& range,
                              const std::string& display) {
    if (r.status == 200) {
      if (range.offset >= r.body.size()) {
        return Error(ErrorCode::kInvalidArgument,
                     "GET " + display + ": range starts at " + std::to_string(range.offset) +
                         " but the object has " + std::to_string(r.body.size()) + " bytes");
      }
      return Status::OK();
    }
    const std::string* cr = r.Header("content-range");
    unsigned long long start = 0, end = 0, total = 0;
    if (cr == nullptr ||
        std::sscanf(cr->c_str(), "bytes %llu-%llu/%llu", &start, &end, &total) < 2) {
      return Error(ErrorCode::kIOError,
                   "GET " + display + ": 206 response without a usable Content-Range");
    }
    const uint64_t want_end = range.offset + range.length - 1;
    if (start != range.offset || end > want_end || end - start + 1 != r.body.size() ||
        (end < want_end && total != 0 && end + 1 != total)) {
      return Error(ErrorCode::kUnavailable,
                   "GET " + display + ": asked for bytes " + std::to_string(range.offset) + "-" +
                       std::to_string(want_end) + ", got " + *cr + " with " +
                       std::to_string(r.body.size()) + " body bytes (truncated response)");
    }
    return Status::OK();
  }

  bool UseVirtualHost(std::string_view bucket) const {
    switch (options_.addressing) {
      case AddressingStyle::kPath:
        return false;
      case AddressingStyle::kVirtualHosted:
        return true;
      case AddressingStyle::kAuto:
        // Dotted buckets break TLS wildcard certificates, so they always go path-style.
        return options_.provider == StoreProvider::kAws && options_.endpoint.empty() &&
               DnsSafeBucket(bucket);
    }
    return false;
  }

  Result<HttpResponse> Attempt(const Call& call, int attempt) {
    const bool vhost = UseVirtualHost(call.bucket);
    const std::string host = vhost ? call.bucket + "." + endpoint_.authority : endpoint_.authority;
    std::string path =
        vhost ? "/" + call.key : "/" + call.bucket + (call.key.empty() ? "" : "/" + call.key);

    SigV4Request sreq;
    sreq.method = call.method;
    sreq.path = path;
    sreq.query = call.query;
    sreq.headers = call.headers;
    sreq.headers.emplace_back("Host", host);
    sreq.payload_hash = call.payload_hash;
    const std::string amz_date =
        FormatAmzDate(wall_clock_ ? wall_clock_() : std::chrono::system_clock::now());
    ML_ASSIGN_OR_RETURN(SigV4Signature sig, SignV4(sreq, credentials_, amz_date, "s3"));

    HttpRequest hreq;
    hreq.method = call.method;
    hreq.url = endpoint_.scheme + "://" + host + UriEncode(path, false);
    for (size_t i = 0; i < call.query.size(); ++i) {
      hreq.url += (i == 0 ? "?" : "&") + UriEncode(call.query[i].first, true) + "=" +
                  UriEncode(call.query[i].second, true);
    }
    hreq.headers = std::move(sreq.headers);
    for (auto& h : sig.headers_to_add) hreq.headers.push_back(std::move(h));
    hreq.headers.emplace_back("Authorization", std::move(sig.authorization));
    if (!options_.user_agent.empty()) hreq.headers.emplace_back("User-Agent", options_.user_agent);
    hreq.body = call.body;

    const std::string display = call.method + " " + Display(call.bucket, call.key);
    const auto t0 = std::chrono::steady_clock::now();
    Result<HttpResponse> sent = transport_->Send(hreq);
    const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - t0);
    if (!sent.ok()) {
      metrics_->RecordRequest(call.body.size(), 0, latency, true);
      // The transport's message names the URL; ours names the object. Keep the category.
      return Error(CodeOf(sent.status()),
                   display + ": " + TransportDetail(sent.status().message()));
    }
    HttpResponse resp = std::move(sent).ValueUnsafe();
    const bool ok2xx = resp.status >= 200 && resp.status < 300;
    Status st = ok2xx ? (call.validate ? call.validate(resp) : Status::OK())
                      : ErrorFor(call, resp, display);
    metrics_->RecordRequest(call.body.size(), resp.body.size(), latency, !st.ok());
    if (!st.ok()) return st;
    return resp;
  }

  // Drops the URL curl's message starts with (already named by `display`).
  static std::string TransportDetail(const std::string& msg) {
    const size_t p = msg.find(": ");
    return p == std::string::npos ? msg : msg.substr(p + 2);
  }

  static Status ErrorFor(const Call& call, const HttpResponse& resp, const std::string& display) {
    std::string code = XmlField(resp.body, "Code");
    if (code.empty()) code = DefaultCodeFor(resp.status);
    const std::string message = XmlField(resp.body, "Message");
    const ErrorCode category = ClassifyS3Response(resp.status, code, call.conditional_write);
    std::string text = display + ": HTTP " + std::to_string(resp.status);
    if (!code.empty()) text += " " + code;
    if (!message.empty()) text += ": " + message;
    if (category == ErrorCode::kPreconditionFailed) {
      if (call.condition == WriteCondition::kIfAbsent) {
        text += " (lost the race: the object already exists)";
      } else if (call.condition == WriteCondition::kIfUnchanged) {
        text += " (lost the race: the object changed since version " + call.expected_version +
                " was read)";
      }
    }
    if (const auto* rid = resp.Header("x-amz-request-id")) text += " [request id " + *rid + "]";
    return Error(category, std::move(text));
  }

  Result<HttpResponse> Execute(Call& call) {
    // Hashed once, not per attempt: bodies can be large.
    if (call.method == "PUT" || call.method == "POST") {
      call.payload_hash =
          options_.sign_payload ? Sha256Hex(call.body) : std::string(kUnsignedPayload);
    } else {
      call.payload_hash = std::string(kEmptyPayloadSha256);
    }
    std::function<Result<HttpResponse>(int)> attempt = [&](int n) { return Attempt(call, n); };
    return retry_.Run<HttpResponse>(attempt,
                                    [this](int, const Status&) { metrics_->RecordRetry(); });
  }

  S3ClientOptions options_;
  SigningCredentials credentials_;
  Endpoint endpoint_;
  std::shared_ptr<RequestMetrics> metrics_;
  std::shared_ptr<HttpTransport> transport_;
  WallClock wall_clock_;
  RetryPolicy retry_;
};

}  // namespace

Result<std::unique_ptr<ObjectClient>> MakeS3ObjectClientWithTransport(
    S3ClientOptions options, SigningCredentials credentials,
    std::shared_ptr<RequestMetrics> metrics, std::shared_ptr<HttpTransport> transport,
    WallClock wall_clock, RetryPolicy::Sleep sleep, RetryPolicy::Random random) {
  if (credentials.access_key.empty() || credentials.secret_key.empty()) {
    return Error(ErrorCode::kInvalidArgument, "S3 client: access key or secret key is empty");
  }
  if (credentials.region.empty()) {
    credentials.region = options.provider == StoreProvider::kGcs ? "auto" : "us-east-1";
  }
  if (options.endpoint.empty()) {
    options.endpoint = options.provider == StoreProvider::kGcs
                           ? "https://storage.googleapis.com"
                           : "https://s3." + credentials.region + ".amazonaws.com";
    ML_ASSIGN_OR_RETURN(Endpoint ep, ParseEndpoint(options.endpoint));
    options.endpoint.clear();  // remembered as "AWS's own endpoint" for addressing
    if (!metrics) metrics = std::make_shared<RequestMetrics>();
    return std::unique_ptr<ObjectClient>(std::make_unique<S3ObjectClient>(
        std::move(options), std::move(credentials), std::move(ep), std::move(metrics),
        std::move(transport), std::move(wall_clock), std::move(sleep), std::move(random)));
  }
  ML_ASSIGN_OR_RETURN(Endpoint ep, ParseEndpoint(options.endpoint));
  if (!metrics) metrics = std::make_shared<RequestMetrics>();
  return std::unique_ptr<ObjectClient>(std::make_unique<S3ObjectClient>(
      std::move(options), std::move(credentials), std::move(ep), std::move(metrics),
      std::move(transport), std::move(wall_clock), std::move(sleep), std::move(random)));
}

}  // namespace internal

Result<std::unique_ptr<ObjectClient>> MakeS3ObjectClient(S3ClientOptions options,
                                                         SigningCredentials credentials,
                                                         std::shared_ptr<RequestMetrics> metrics) {
  internal::HttpTimeouts timeouts{options.connect_timeout, options.request_timeout};
  return internal::MakeS3ObjectClientWithTransport(std::move(options), std::move(credentials),
                                                   std::move(metrics),
                                                   internal::MakeCurlTransport(timeouts));
}

std::shared_ptr<RequestMetrics> S3ObjectClientMetrics(const ObjectClient& client) {
  if (const auto* s3 = dynamic_cast<const internal::S3ObjectClient*>(&client)) return s3->metrics();
  return nullptr;
}

namespace {

std::string ProbeSuffix() {
  static std::atomic<uint64_t> counter{0};
  std::random_device rd;
  const uint64_t r = (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ counter.fetch_add(1);
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(r));
  return buf;
}

}  // namespace

Result<ConditionalWriteSupport> ProbeConditionalWrites(ObjectClient& client,
                                                       std::string_view bucket,
                                                       std::string_view prefix) {
  std::string key(prefix);
  if (!key.empty() && key.back() != '/') key += '/';
  key += ".marketlake-probe-" + ProbeSuffix();

  PutOptions if_absent;
  if_absent.condition = WriteCondition::kIfAbsent;
  ML_ASSIGN_OR_RETURN(PutResult first, client.PutObject(bucket, key, "probe-1", if_absent));

  ConditionalWriteSupport out;
  Status problem;
  Result<PutResult> second = client.PutObject(bucket, key, "probe-2", if_absent);
  if (second.ok()) {
    out.if_absent_honoured = false;
  } else if (CodeOf(second.status()) == ErrorCode::kPreconditionFailed) {
    out.if_absent_honoured = true;
  } else {
    problem = second.status();
  }

  if (problem.ok()) {
    PutOptions stale;
    stale.condition = WriteCondition::kIfUnchanged;
    // A version that cannot be current: no object has this ETag, and as a GCS generation
    // it reads as 0 ("must not exist"), which fails too because the key exists.
    stale.expected_version = "00000000000000000000000000000000";
    Result<PutResult> third = client.PutObject(bucket, key, "probe-3", stale);
    if (third.ok()) {
      out.if_unchanged_honoured = false;
    } else if (CodeOf(third.status()) == ErrorCode::kPreconditionFailed) {
      out.if_unchanged_honoured = true;
    } else {
      // GCS rejects a non-numeric generation with 400; treat as "not established".
      out.if_unchanged_honoured = false;
    }
  }

  Status deleted = client.DeleteObject(bucket, key);
  if (!problem.ok()) return problem;
  ML_RETURN_NOT_OK(WithContext(deleted, "conditional-write probe cleanup"));
  out.detail = std::string("put-if-absent ") +
               (out.if_absent_honoured ? "honoured" : "not honoured") + ", replace-if-unchanged " +
               (out.if_unchanged_honoured ? "honoured" : "not honoured") + " (probe s3://" +
               std::string(bucket) + "/" + key + ", etag " + first.etag + ")";
  return out;
}

}  // namespace marketlake
