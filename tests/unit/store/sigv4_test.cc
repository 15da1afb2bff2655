#include "marketlake/sigv4.h"

#include <gtest/gtest.h>

#include <chrono>

namespace marketlake {
namespace {

// AWS's published example credentials (documentation-only, not a real secret).
SigningCredentials ExampleCredentials() {
  return {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "", "us-east-1"};
}
constexpr char kDate[] = "20130524T000000Z";
constexpr char kHost[] = "examplebucket.s3.amazonaws.com";

// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
// "Example: GET Object".
TEST(SigV4Test, AwsExampleGetObjectWithRange) {
  SigV4Request req;
  req.method = "GET";
  req.path = "/test.txt";
  req.headers = {{"Host", kHost}, {"Range", "bytes=0-9"}};
  req.payload_hash = std::string(kEmptyPayloadSha256);
  auto sig = SignV4(req, ExampleCredentials(), kDate);
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_EQ(sig->canonical_request,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            "\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sig->string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(sig->signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(sig->authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            "aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature="
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

// "Example: PUT Object": '$' in the key is encoded, Date and storage class are signed.
TEST(SigV4Test, AwsExamplePutObject) {
  const std::string body = "Welcome to Amazon S3.";
  SigV4Request req;
  req.method = "PUT";
  req.path = "/test$file.text";
  req.headers = {{"Host", kHost},
                 {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                 {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
  req.payload_hash = Sha256Hex(body);
  EXPECT_EQ(req.payload_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  auto sig = SignV4(req, ExampleCredentials(), kDate);
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_EQ(sig->canonical_request,
            "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
            "\nx-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  EXPECT_EQ(sig->signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

// "Example: GET Bucket Lifecycle": a parameter with no value signs as "lifecycle=".
TEST(SigV4Test, AwsExampleGetBucketLifecycle) {
  SigV4Request req;
  req.method = "GET";
  req.path = std::string("/");
  req.query = {{"lifecycle", ""}};
  req.headers = {{"Host", kHost}};
  auto sig = SignV4(req, ExampleCredentials(), kDate);
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_EQ(sig->signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

// "Example: Get Bucket (List Objects)": parameters are sorted.
TEST(SigV4Test, AwsExampleListObjects) {
  SigV4Request req;
  req.method = "GET";
  req.path = std::string("/");
  req.query = {{"prefix", "J"}, {"max-keys", "2"}};
  req.headers = {{"Host", kHost}};
  auto sig = SignV4(req, ExampleCredentials(), kDate);
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_EQ(sig->signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4Test, UriEncode) {
  EXPECT_EQ(UriEncode("/a b/c+d~e_f-g.h", false), "/a%20b/c%2Bd~e_f-g.h");
  EXPECT_EQ(UriEncode("/a b", true), "%2Fa%20b");
  EXPECT_EQ(UriEncode("\xC3\xA9", false), "%C3%A9");
  EXPECT_EQ(UriEncode("=&?*%", true), "%3D%26%3F%2A%25");
}

TEST(SigV4Test, QuerySortedByEncodedKeyThenValueAndHeadersTrimmed) {
  SigV4Request req;
  req.method = "get";
  req.path = "/k";
  req.query = {{"b", "2"}, {"a", "z"}, {"a", "y y"}, {"a/b", ""}};
  req.headers = {{"HOST", "h"}, {"X-Amz-Meta-A", "  x   y  "}, {"x-amz-meta-a", "z"}};
  auto sig = SignV4(req, ExampleCredentials(), kDate);
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_EQ(sig->canonical_request.rfind("GET\n/k\na=y%20y&a=z&a%2Fb=&b=2\nhost:h\n", 0), 0u)
      << sig->canonical_request;
  EXPECT_NE(sig->canonical_request.find("\nx-amz-meta-a:x y,z\n"), std::string::npos);
  EXPECT_EQ(sig->signed_headers, "host;x-amz-content-sha256;x-amz-date;x-amz-meta-a");
}

TEST(SigV4Test, SessionTokenSignedAndAdded) {
  SigningCredentials creds = ExampleCredentials();
  creds.session_token = "TOKEN/+=";
  SigV4Request req;
  req.method = "GET";
  req.path = "/k";
  req.headers = {{"host", "h"}};
  auto sig = SignV4(req, creds, kDate);
  ASSERT_TRUE(sig.ok());
  EXPECT_NE(sig->signed_headers.find("x-amz-security-token"), std::string::npos);
  bool found = false;
  for (const auto& [n, v] : sig->headers_to_add) found |= (n == "x-amz-security-token");
  EXPECT_TRUE(found);
}

TEST(SigV4Test, SecretNeverInOutputOrErrors) {
  const std::string secret = ExampleCredentials().secret_key;
  SigV4Request req;
  req.method = "GET";
  req.path = "/k";
  req.headers = {{"host", "h"}};
  auto sig = SignV4(req, ExampleCredentials(), kDate);
  ASSERT_TRUE(sig.ok());
  for (const std::string* s :
       {&sig->canonical_request, &sig->string_to_sign, &sig->authorization}) {
    EXPECT_EQ(s->find(secret), std::string::npos);
  }
  auto bad_date = SignV4(req, ExampleCredentials(), "yesterday");
  EXPECT_EQ(CodeOf(bad_date.status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad_date.status().ToString().find(secret), std::string::npos);
  SigV4Request no_host = req;
  no_host.headers.clear();
  auto nh = SignV4(no_host, ExampleCredentials(), kDate);
  EXPECT_EQ(CodeOf(nh.status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(nh.status().ToString().find(secret), std::string::npos);
}

TEST(SigV4Test, FormatAmzDate) {
  using namespace std::chrono;
  auto tp = system_clock::time_point(seconds(1369353600));  // 2013-05-24T00:00:00Z
  EXPECT_EQ(FormatAmzDate(tp), "20130524T000000Z");
}

}  // namespace
}  // namespace marketlake
