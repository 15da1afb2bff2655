// The S3 client against a scripted fake transport: request shape (addressing, conditional
// and upload headers, signing), the error table, retries, truncation, secrets.
#include <gtest/gtest.h>

#include <deque>
#include <mutex>

#include "marketlake/object_client.h"
#include "marketlake/store/http_transport.h"

namespace marketlake {
namespace {

using internal::HttpRequest;
using internal::HttpResponse;
using internal::HttpTransport;

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

SigningCredentials Creds() { return {"AKIAIOSFODNN7EXAMPLE", kSecret, "", "us-east-1"}; }

class FakeTransport : public HttpTransport {
 public:
  Result<HttpResponse> Send(const HttpRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    Sent s{request.method, request.url, request.headers, std::string(request.body)};
    sent.push_back(std::move(s));
    if (script.empty()) return Reply(200, "");
    Result<HttpResponse> r = std::move(script.front());
    script.pop_front();
    return r;
  }

  static HttpResponse Reply(int status, std::string body,
                            std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
  }
  static HttpResponse S3Error(int status, const std::string& code) {
    return Reply(status,
                 "<?xml version=\"1.0\"?><Error><Code>" + code + "</Code><Message>msg for " + code +
                     "</Message><RequestId>RID</RequestId></Error>",
                 {{"x-amz-request-id", "RID"}});
  }

  struct Sent {
    std::string method, url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string Header(std::string_view name) const {
      for (const auto& [n, v] : headers) {
        if (strcasecmp(n.c_str(), std::string(name).c_str()) == 0) return v;
      }
      return "<absent>";
    }
  };
  std::mutex mu_;
  std::deque<Result<HttpResponse>> script;
  std::vector<Sent> sent;
};

struct Harness {
  std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
  std::shared_ptr<RequestMetrics> metrics = std::make_shared<RequestMetrics>();
  std::vector<std::chrono::milliseconds> sleeps;
  std::unique_ptr<ObjectClient> client;

  explicit Harness(S3ClientOptions options = Custom()) {
    options.retry.max_attempts = 4;
    auto c = internal::MakeS3ObjectClientWithTransport(
        options, Creds(), metrics, transport,
        [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1369353600)); },
        [this](std::chrono::milliseconds d) { sleeps.push_back(d); }, [] { return 0.5; });
    EXPECT_TRUE(c.ok()) << c.status();
    client = std::move(c).ValueUnsafe();
  }
  static S3ClientOptions Custom() {
    S3ClientOptions o;
    o.endpoint = "http://127.0.0.1:9000";
    o.provider = StoreProvider::kGeneric;
    return o;
  }
};

TEST(S3ErrorTableTest, OnePlaceMapsStatuses) {
  struct Row {
    int status;
    const char* code;
    bool conditional;
    ErrorCode want;
  };
  const Row rows[] = {
      {200, "", false, ErrorCode::kOk},
      {206, "", false, ErrorCode::kOk},
      {404, "NoSuchKey", false, ErrorCode::kNotFound},
      {404, "NoSuchBucket", false, ErrorCode::kNotFound},
      {412, "PreconditionFailed", true, ErrorCode::kPreconditionFailed},
      {409, "ConditionalRequestConflict", true, ErrorCode::kUnavailable},
      {409, "BucketAlreadyOwnedByYou", false, ErrorCode::kAlreadyExists},
      {416, "InvalidRange", false, ErrorCode::kInvalidArgument},
      {400, "InvalidArgument", false, ErrorCode::kInvalidArgument},
      {400, "RequestTimeout", false, ErrorCode::kUnavailable},
      {400, "IncompleteBody", false, ErrorCode::kUnavailable},
      {403, "AccessDenied", false, ErrorCode::kIOError},
      {403, "SignatureDoesNotMatch", false, ErrorCode::kIOError},
      {401, "", false, ErrorCode::kIOError},
      {429, "SlowDown", false, ErrorCode::kUnavailable},
      {500, "InternalError", false, ErrorCode::kUnavailable},
      {502, "", false, ErrorCode::kUnavailable},
      {503, "SlowDown", false, ErrorCode::kUnavailable},
      {504, "", false, ErrorCode::kUnavailable},
      {501, "NotImplemented", false, ErrorCode::kNotImplemented},
      {301, "PermanentRedirect", false, ErrorCode::kIOError},
      {405, "MethodNotAllowed", false, ErrorCode::kIOError},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(ClassifyS3Response(r.status, r.code, r.conditional), r.want)
        << r.status << " " << r.code;
  }
}

TEST(S3ClientTest, PathStyleForCustomEndpointAndSignedHeaders) {
  Harness h;
  h.transport->script.push_back(FakeTransport::Reply(200, "", {{"etag", "\"abc\""}}));
  PutOptions opts;
  auto r = h.client->PutObject("bkt", "dir/a b+c~ü.parquet", "hello", opts);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->etag, "\"abc\"");
  ASSERT_EQ(h.transport->sent.size(), 1u);
  const auto& s = h.transport->sent[0];
  EXPECT_EQ(s.method, "PUT");
  EXPECT_EQ(s.url, "http://127.0.0.1:9000/bkt/dir/a%20b%2Bc~%C3%BC.parquet");
  EXPECT_EQ(s.Header("host"), "127.0.0.1:9000");
  EXPECT_EQ(s.Header("x-amz-date"), "20130524T000000Z");
  EXPECT_EQ(s.Header("x-amz-content-sha256"),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_EQ(s.Header("content-type"), "application/octet-stream");
  EXPECT_EQ(s.Header("if-none-match"), "<absent>");
  EXPECT_NE(s.Header("authorization")
                .find("SignedHeaders=content-type;host;x-amz-content-sha256;"
                      "x-amz-date,Signature="),
            std::string::npos)
      << s.Header("authorization");
  EXPECT_EQ(s.body, "hello");
}

TEST(S3ClientTest, VirtualHostedForAwsPathForDottedBucketsAndSettable) {
  S3ClientOptions aws;  // AWS default endpoint
  Harness h(aws);
  ASSERT_TRUE(h.client->HeadObject("examplebucket", "k").ok());
  ASSERT_TRUE(h.client->HeadObject("my.dotted.bucket", "k").ok());
  EXPECT_EQ(h.transport->sent[0].url, "https://examplebucket.s3.us-east-1.amazonaws.com/k");
  EXPECT_EQ(h.transport->sent[0].Header("host"), "examplebucket.s3.us-east-1.amazonaws.com");
  EXPECT_EQ(h.transport->sent[1].url, "https://s3.us-east-1.amazonaws.com/my.dotted.bucket/k");

  S3ClientOptions forced = Harness::Custom();
  forced.addressing = AddressingStyle::kVirtualHosted;
  Harness v(forced);
  ASSERT_TRUE(v.client->HeadObject("b", "k").ok());
  EXPECT_EQ(v.transport->sent[0].url, "http://b.127.0.0.1:9000/k");

  S3ClientOptions path = aws;
  path.addressing = AddressingStyle::kPath;
  Harness p(path);
  ASSERT_TRUE(p.client->HeadObject("examplebucket", "k").ok());
  EXPECT_EQ(p.transport->sent[0].url, "https://s3.us-east-1.amazonaws.com/examplebucket/k");
}

TEST(S3ClientTest, PutIfAbsentLostRaceIsPreconditionFailed) {
  Harness h;
  h.transport->script.push_back(FakeTransport::S3Error(412, "PreconditionFailed"));
  PutOptions opts;
  opts.condition = WriteCondition::kIfAbsent;
  auto r = h.client->PutObject("bkt", "manifest.json", "x", opts);
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kPreconditionFailed);
  EXPECT_NE(r.status().message().find("lost the race"), std::string::npos);
  EXPECT_NE(r.status().message().find("s3://bkt/manifest.json"), std::string::npos);
  EXPECT_EQ(h.transport->sent.size(), 1u);  // 412 is final
  EXPECT_EQ(h.transport->sent[0].Header("If-None-Match"), "*");
  EXPECT_NE(h.transport->sent[0].Header("authorization").find("if-none-match"), std::string::npos);
}

TEST(S3ClientTest, PutIfAbsent409IsRetried) {
  Harness h;
  h.transport->script.push_back(FakeTransport::S3Error(409, "ConditionalRequestConflict"));
  h.transport->script.push_back(FakeTransport::S3Error(409, "ConditionalRequestConflict"));
  h.transport->script.push_back(FakeTransport::Reply(200, "", {{"etag", "\"e\""}}));
  PutOptions opts;
  opts.condition = WriteCondition::kIfAbsent;
  auto r = h.client->PutObject("bkt", "k", "x", opts);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(h.transport->sent.size(), 3u);
  EXPECT_EQ(h.metrics->Snapshot().retries, 2u);
  EXPECT_EQ(h.metrics->Snapshot().errors, 2u);
  // Full jitter with r=0.5 and the default 50ms base: 25ms, then 50ms.
  EXPECT_EQ(h.sleeps, (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(25),
                                                              std::chrono::milliseconds(50)}));
}

TEST(S3ClientTest, ReplaceIfUnchangedSendsIfMatch) {
  Harness h;
  h.transport->script.push_back(FakeTransport::S3Error(412, "PreconditionFailed"));
  PutOptions opts;
  opts.condition = WriteCondition::kIfUnchanged;
  opts.expected_version = "\"etag1\"";
  auto r = h.client->PutObject("bkt", "k", "x", opts);
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kPreconditionFailed);
  EXPECT_EQ(h.transport->sent[0].Header("If-Match"), "\"etag1\"");
  PutOptions missing;
  missing.condition = WriteCondition::kIfUnchanged;
  EXPECT_EQ(CodeOf(h.client->PutObject("bkt", "k", "x", missing).status()),
            ErrorCode::kInvalidArgument);
}

TEST(S3ClientTest, GcsUsesGenerationHeaders) {
  S3ClientOptions gcs;
  gcs.provider = StoreProvider::kGcs;
  Harness h(gcs);
  h.transport->script.push_back(FakeTransport::Reply(200, "", {{"x-goog-generation", "17"}}));
  PutOptions opts;
  opts.condition = WriteCondition::kIfAbsent;
  opts.storage_class = "NEARLINE";
  auto r = h.client->PutObject("bkt", "k", "x", opts);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->generation, "17");
  const auto& s = h.transport->sent[0];
  EXPECT_EQ(s.url, "https://storage.googleapis.com/bkt/k");
  EXPECT_EQ(s.Header("x-goog-if-generation-match"), "0");
  EXPECT_EQ(s.Header("If-None-Match"), "<absent>");
  EXPECT_EQ(s.Header("x-goog-storage-class"), "NEARLINE");
  opts.condition = WriteCondition::kIfUnchanged;
  opts.expected_version = "17";
  ASSERT_TRUE(h.client->PutObject("bkt", "k", "x", opts).ok());
  EXPECT_EQ(h.transport->sent[1].Header("x-goog-if-generation-match"), "17");
}

TEST(S3ClientTest, SseAndStorageClassHeaders) {
  Harness h;
  PutOptions aes;
  aes.sse = ServerSideEncryption::kAes256;
  aes.storage_class = "STANDARD_IA";
  ASSERT_TRUE(h.client->PutObject("b", "k", "x", aes).ok());
  PutOptions kms;
  kms.sse = ServerSideEncryption::kAwsKms;
  kms.kms_key_id = "arn:aws:kms:us-east-1:111122223333:key/abc";
  ASSERT_TRUE(h.client->PutObject("b", "k", "x", kms).ok());
  const auto& a = h.transport->sent[0];
  EXPECT_EQ(a.Header("x-amz-server-side-encryption"), "AES256");
  EXPECT_EQ(a.Header("x-amz-storage-class"), "STANDARD_IA");
  EXPECT_EQ(a.Header("x-amz-server-side-encryption-aws-kms-key-id"), "<absent>");
  const auto& k = h.transport->sent[1];
  EXPECT_EQ(k.Header("x-amz-server-side-encryption"), "aws:kms");
  EXPECT_EQ(k.Header("x-amz-server-side-encryption-aws-kms-key-id"), kms.kms_key_id);
  EXPECT_NE(k.Header("authorization").find("x-amz-server-side-encryption-aws-kms-key-id"),
            std::string::npos);
}

TEST(S3ClientTest, RetriesSlowDownThenGivesUpUnavailable) {
  Harness h;
  for (int i = 0; i < 4; ++i)
    h.transport->script.push_back(FakeTransport::S3Error(503, "SlowDown"));
  auto r = h.client->GetObject("b", "k", std::nullopt);
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kUnavailable);
  EXPECT_NE(r.status().message().find("gave up after 4 attempts"), std::string::npos);
  EXPECT_NE(r.status().message().find("SlowDown"), std::string::npos);
  EXPECT_EQ(h.transport->sent.size(), 4u);
  EXPECT_EQ(h.metrics->Snapshot().retries, 3u);
}

TEST(S3ClientTest, NoRetryOn4xx) {
  Harness h;
  h.transport->script.push_back(FakeTransport::S3Error(403, "AccessDenied"));
  auto r = h.client->GetObject("b", "k", std::nullopt);
  EXPECT_EQ(CodeOf(r.status()), ErrorCode::kIOError);
  EXPECT_EQ(h.transport->sent.size(), 1u);
  h.transport->script.push_back(FakeTransport::Reply(404, ""));  // HEAD has no body
  auto head = h.client->HeadObject("b", "missing");
  EXPECT_EQ(CodeOf(head.status()), ErrorCode::kNotFound);
  EXPECT_NE(head.status().message().find("NoSuchKey"), std::string::npos);
  EXPECT_EQ(h.transport->sent.size(), 2u);
}

TEST(S3ClientTest, TransportFailuresRetried) {
  Harness h;
  h.transport->script.push_back(Error(ErrorCode::kUnavailable, "GET http://x/b/k: reset"));
  h.transport->script.push_back(FakeTransport::Reply(200, "data", {{"etag", "\"e\""}}));
  auto r = h.client->GetObject("b", "k", std::nullopt);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->data, "data");
  EXPECT_EQ(r->info.size, 4u);
}

TEST(S3ClientTest, RangeValidatedAndShortBodyRetried) {
  Harness h;
  // First: Content-Range claims 10 bytes but only 4 arrived -> retried.
  h.transport->script.push_back(
      FakeTransport::Reply(206, "0123", {{"content-range", "bytes 0-9/100"}}));
  h.transport->script.push_back(
      FakeTransport::Reply(206, "0123456789", {{"content-range", "bytes 0-9/100"}}));
  auto r = h.client->GetObject("b", "k", ByteRange{0, 10});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->data, "0123456789");
  EXPECT_EQ(r->info.size, 100u);
  EXPECT_EQ(h.transport->sent[0].Header("Range"), "bytes=0-9");
  EXPECT_EQ(h.transport->sent.size(), 2u);

  // A range past the end is clamped by the server.
  h.transport->script.push_back(
      FakeTransport::Reply(206, "89", {{"content-range", "bytes 98-99/100"}}));
  auto tail = h.client->GetObject("b", "k", ByteRange{98, 10});
  ASSERT_TRUE(tail.ok()) << tail.status();
  EXPECT_EQ(tail->data, "89");

  // A server that ignores Range: we cut the window.
  h.transport->script.push_back(FakeTransport::Reply(200, "abcdefghij"));
  auto whole = h.client->GetObject("b", "k", ByteRange{2, 3});
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->data, "cde");

  EXPECT_EQ(CodeOf(h.client->GetObject("b", "k", ByteRange{0, 0}).status()),
            ErrorCode::kInvalidArgument);
  // Every attempt always returns truncated data: give up, never succeed with it.
  for (int i = 0; i < 4; ++i) {
    h.transport->script.push_back(
        FakeTransport::Reply(206, "01", {{"content-range", "bytes 0-9/100"}}));
  }
  auto bad = h.client->GetObject("b", "k", ByteRange{0, 10});
  EXPECT_EQ(CodeOf(bad.status()), ErrorCode::kUnavailable);
}

TEST(S3ClientTest, DeleteOfMissingKeySucceeds) {
  Harness h;
  h.transport->script.push_back(FakeTransport::S3Error(404, "NoSuchKey"));
  EXPECT_TRUE(h.client->DeleteObject("b", "k").ok());
  h.transport->script.push_back(FakeTransport::Reply(204, ""));
  EXPECT_TRUE(h.client->DeleteObject("b", "k").ok());
  EXPECT_EQ(h.transport->sent[1].method, "DELETE");
}

TEST(S3ClientTest, SecretNeverInErrorsOrMetrics) {
  Harness h;
  // An error body that echoes request details, as SignatureDoesNotMatch does.
  h.transport->script.push_back(FakeTransport::S3Error(403, "SignatureDoesNotMatch"));
  h.transport->script.push_back(Error(ErrorCode::kIOError, "GET http://127.0.0.1:9000/b/k: TLS"));
  for (int i = 0; i < 4; ++i)
    h.transport->script.push_back(FakeTransport::S3Error(500, "InternalError"));
  std::vector<Status> errors;
  errors.push_back(h.client->GetObject("b", "k", std::nullopt).status());
  errors.push_back(h.client->GetObject("b", "k", std::nullopt).status());
  errors.push_back(h.client->HeadObject("b", "k").status());
  PutOptions bad;
  bad.condition = WriteCondition::kIfUnchanged;
  errors.push_back(h.client->PutObject("b", "k", "x", bad).status());
  for (const Status& st : errors) {
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.ToString().find(kSecret), std::string::npos) << st.ToString();
    EXPECT_EQ(st.ToString().find("Signature="), std::string::npos) << st.ToString();
  }
  EXPECT_EQ(h.metrics->ToString().find(kSecret), std::string::npos);
  EXPECT_EQ(h.metrics->ToJson().find(kSecret), std::string::npos);
  for (const auto& s : h.transport->sent) {
    for (const auto& [n, v] : s.headers) EXPECT_EQ(v.find(kSecret), std::string::npos) << n;
    EXPECT_EQ(s.url.find(kSecret), std::string::npos);
  }
  // Bad construction arguments do not echo the secret either.
  S3ClientOptions o = Harness::Custom();
  o.endpoint = "ftp://nope";
  auto c = MakeS3ObjectClient(o, Creds());
  EXPECT_EQ(CodeOf(c.status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(c.status().ToString().find(kSecret), std::string::npos);
}

TEST(S3ClientTest, SessionTokenSent) {
  S3ClientOptions o = Harness::Custom();
  auto transport = std::make_shared<FakeTransport>();
  SigningCredentials creds = Creds();
  creds.session_token = "FwoGZXIvYXdzEXAMPLETOKEN";
  auto c = internal::MakeS3ObjectClientWithTransport(o, creds, nullptr, transport);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->HeadObject("b", "k").ok());
  EXPECT_EQ(transport->sent[0].Header("x-amz-security-token"), creds.session_token);
  EXPECT_NE(S3ObjectClientMetrics(**c), nullptr);
  EXPECT_EQ(S3ObjectClientMetrics(**c)->Snapshot().requests, 1u);
}

}  // namespace
}  // namespace marketlake
