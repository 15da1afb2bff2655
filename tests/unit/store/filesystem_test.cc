// Naming places: local paths, file://, s3://, gs://, SOURCE:key; the S3 options they
// resolve to; credentials order; displays without secrets. No network.
#include "marketlake/filesystem.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "marketlake/credentials.h"

namespace marketlake {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Config TestConfig() {
  const char* text = R"(sources:
  minio:
    bucket: lake
    prefix: base/
    endpoint_url: http://127.0.0.1:9000
    access_key_id: cfgkey
    secret_access_key: cfgsecret
    provider: minio
    retry: {max_attempts: 3, connect_timeout: 1.5, request_timeout: 20}
  aws:
    bucket: aws-bucket
    region: eu-central-1
  enc:
    bucket: enc-bucket
    region: us-east-1
    sse: aws:kms
  gcshmac:
    type: gcs
    bucket: gb
    access_key_id: GOOG1
    secret_access_key: gsecret
  scratch:
    path: /tmp/ml-scratch-root
    prefix: sub
)";
  auto config = ParseConfig(text, "test.yaml", Env({}));
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return *config;
}

TEST(ResolvePlace, LocalPathsAndFileUris) {
  Config config;
  auto rel = ResolveLocation("data/x.parquet", config, Env({}));
  ASSERT_TRUE(rel.ok()) << rel.status().ToString();
  EXPECT_EQ(rel->kind, "local");
  EXPECT_EQ(rel->path, (std::filesystem::current_path() / "data/x.parquet").string());
  EXPECT_EQ(rel->display, "data/x.parquet");

  auto abs = ResolveLocation("file:///tmp/a/../b/", config, Env({}));
  ASSERT_TRUE(abs.ok());
  EXPECT_EQ(abs->path, "/tmp/b");

  auto colon = ResolveLocation("./odd:name", config, Env({}));
  ASSERT_TRUE(colon.ok());
  EXPECT_EQ(colon->kind, "local");

  EXPECT_FALSE(ResolveLocation("", config, Env({})).ok());
  EXPECT_FALSE(ResolveLocation("file://host/x", config, Env({})).ok());
  auto unknown = ResolveLocation("ftp://x/y", config, Env({}));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(CodeOf(unknown.status()), ErrorCode::kInvalidArgument);
}

TEST(ResolvePlace, SourcesByName) {
  Config config = TestConfig();
  auto env = Env({});
  auto loc = ResolveLocation("minio:trades/2024.parquet", config, env);
  ASSERT_TRUE(loc.ok()) << loc.status().ToString();
  EXPECT_EQ(loc->kind, "s3");
  EXPECT_EQ(loc->source, "minio");
  EXPECT_EQ(loc->path, "lake/base/trades/2024.parquet");
  EXPECT_EQ(loc->display, "minio:trades/2024.parquet");
  EXPECT_EQ(loc->endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(loc->region, "us-east-1");  // non-AWS endpoint without region
  EXPECT_NE(loc->credentials.find("configuration file"), std::string::npos);
  EXPECT_TRUE(loc->write_refusal.empty());

  auto root = ResolveLocation("minio:", config, env);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->path, "lake/base");
  EXPECT_FALSE(root->IsBucketRoot());
  EXPECT_EQ(root->Child("a/b").display, "minio:a/b");
  EXPECT_EQ(root->Child("a/b").path, "lake/base/a/b");

  auto local = ResolveLocation("scratch:x/y.txt", config, env);
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->kind, "local");
  EXPECT_EQ(local->path, "/tmp/ml-scratch-root/sub/x/y.txt");

  auto missing = ResolveLocation("nosuch:thing", config, env);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(CodeOf(missing.status()), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nosuch"), std::string::npos);
  EXPECT_NE(missing.status().message().find("test.yaml"), std::string::npos);
}

TEST(ResolvePlace, S3UrisUseMatchingSourceOrEnvironment) {
  Config config = TestConfig();
  // The bucket of the 'minio' source: its endpoint and keys, without its prefix.
  auto loc = ResolveLocation("s3://lake/k with space+plus/é.parquet", config, Env({}));
  ASSERT_TRUE(loc.ok()) << loc.status().ToString();
  EXPECT_EQ(loc->source, "minio");
  EXPECT_EQ(loc->path, "lake/k with space+plus/é.parquet");
  EXPECT_EQ(loc->endpoint, "http://127.0.0.1:9000");

  // Another bucket: endpoint, region and keys from the environment.
  auto env = Env({{"AWS_ENDPOINT_URL", "http://127.0.0.1:9999"},
                  {"AWS_REGION", "ap-south-1"},
                  {"AWS_ACCESS_KEY_ID", "envkey"},
                  {"AWS_SECRET_ACCESS_KEY", "envsecret"}});
  auto other = ResolveLocation("s3://other/x", config, env);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_EQ(other->source, "");
  EXPECT_EQ(other->endpoint, "http://127.0.0.1:9999");
  EXPECT_EQ(other->region, "ap-south-1");
  EXPECT_NE(other->credentials.find("environment"), std::string::npos);
  EXPECT_TRUE(other->IsBucketRoot() == false);
  EXPECT_TRUE(ResolveLocation("s3://other", config, env)->IsBucketRoot());

  EXPECT_FALSE(ResolveLocation("s3:///nobucket", config, env).ok());
  EXPECT_FALSE(ResolveLocation("s3://b/k?region=x", config, env).ok());
}

TEST(ResolvePlace, DisplayNeverShowsUserinfo) {
  Config config;
  auto env = Env({{"AWS_ENDPOINT_URL", "http://127.0.0.1:9999"}, {"AWS_REGION", "us-east-1"}});
  auto loc = ResolveLocation("s3://AKIDEXAMPLE:SeCrEt@bucket/key.parquet", config, env);
  ASSERT_TRUE(loc.ok()) << loc.status().ToString();
  EXPECT_EQ(loc->display, "s3://bucket/key.parquet");
  EXPECT_EQ(loc->path, "bucket/key.parquet");
  EXPECT_EQ(loc->credentials.find("SeCrEt"), std::string::npos);
  EXPECT_EQ(loc->s3_options->GetAccessKey(), "AKIDEXAMPLE");
  auto access = S3AccessFor(*loc);
  ASSERT_TRUE(access.ok());
  EXPECT_EQ(access->bucket, "bucket");
  EXPECT_EQ(access->key, "key.parquet");
  EXPECT_EQ(access->secret_key, "SeCrEt");

  auto bad = ResolveLocation("s3://onlykey@bucket/x", config, env);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find("onlykey"), std::string::npos);

  auto mock = ResolveLocation("mock://user:pw@x/y", config, env);
  if (mock.ok()) {
    EXPECT_EQ(mock->display.find("pw"), std::string::npos);
  } else {
    EXPECT_EQ(mock.status().message().find("pw"), std::string::npos);
  }
}

TEST(S3OptionsFromSource, EndpointAddressingRegionRetry) {
  Config config = TestConfig();
  std::string creds, refusal;
  auto o = MakeS3Options(*config.FindSource("minio"), Env({}), false, &creds, &refusal);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->endpoint_override, "127.0.0.1:9000");
  EXPECT_EQ(o->scheme, "http");
  EXPECT_FALSE(o->force_virtual_addressing);
  EXPECT_EQ(o->region, "us-east-1");
  EXPECT_EQ(o->credentials_kind, arrow::fs::S3CredentialsKind::Explicit);
  EXPECT_EQ(o->GetAccessKey(), "cfgkey");
  EXPECT_NE(o->retry_strategy, nullptr);
  EXPECT_DOUBLE_EQ(o->connect_timeout, 1.5);
  EXPECT_DOUBLE_EQ(o->request_timeout, 20);
  EXPECT_EQ(creds.find("cfgsecret"), std::string::npos);

  // AWS: explicit region, no endpoint, default chain when nothing else is set.
  auto aws = MakeS3Options(*config.FindSource("aws"), Env({}), false, &creds, &refusal);
  ASSERT_TRUE(aws.ok());
  EXPECT_EQ(aws->endpoint_override, "");
  EXPECT_EQ(aws->scheme, "https");
  EXPECT_EQ(aws->region, "eu-central-1");
  EXPECT_EQ(aws->credentials_kind, arrow::fs::S3CredentialsKind::Default);
  EXPECT_NE(creds.find("default chain"), std::string::npos);

  // Region from AWS_DEFAULT_REGION when AWS_REGION is unset; an explicit region wins.
  SourceConfig bare;
  bare.bucket = "b";
  auto r = MakeS3Options(bare, Env({{"AWS_DEFAULT_REGION", "sa-east-1"}}), false, &creds, &refusal);
  EXPECT_EQ(r->region, "sa-east-1");
  r = MakeS3Options(bare, Env({{"AWS_REGION", "us-west-2"}, {"AWS_DEFAULT_REGION", "x"}}), false,
                    &creds, &refusal);
  EXPECT_EQ(r->region, "us-west-2");

  // Virtual-hosted style on request.
  SourceConfig virt = *config.FindSource("minio");
  virt.path_style = false;
  EXPECT_TRUE(MakeS3Options(virt, Env({}), false, &creds, &refusal)->force_virtual_addressing);
}

TEST(S3OptionsFromSource, CredentialOrder) {
  SourceConfig s;
  s.bucket = "b";
  s.region = "us-east-1";
  auto full_env = Env({{"AWS_ACCESS_KEY_ID", "envkey"},
                       {"AWS_SECRET_ACCESS_KEY", "envsecret"},
                       {"AWS_SESSION_TOKEN", "envtoken"},
                       {"AWS_PROFILE", "dev"}});
  // 2. environment keys beat the profile
  arrow::fs::S3Options o;
  auto choice = ApplyS3Credentials(s, full_env, &o).ValueOrDie();
  EXPECT_EQ(choice.source, CredentialSource::kEnvironment);
  EXPECT_EQ(o.GetAccessKey(), "envkey");
  EXPECT_EQ(o.GetSessionToken(), "envtoken");
  // 1. the source's keys beat the environment
  s.access_key_id = "cfgkey";
  s.secret_access_key = "cfgsecret";
  s.name = "src";
  arrow::fs::S3Options o2;
  choice = ApplyS3Credentials(s, full_env, &o2).ValueOrDie();
  EXPECT_EQ(choice.source, CredentialSource::kConfig);
  EXPECT_EQ(o2.GetAccessKey(), "cfgkey");
  EXPECT_EQ(choice.description.find("cfgsecret"), std::string::npos);
  // 3. the SDK chain, naming the profile
  SourceConfig none;
  none.bucket = "b";
  arrow::fs::S3Options o3;
  choice = ApplyS3Credentials(none, Env({{"AWS_PROFILE", "dev"}}), &o3).ValueOrDie();
  EXPECT_EQ(choice.source, CredentialSource::kDefaultChain);
  EXPECT_NE(choice.description.find("'dev'"), std::string::npos);
}

TEST(S3OptionsFromSource, GcsHmacGoesThroughInteropEndpoint) {
  Config config = TestConfig();
  auto loc = ResolveLocation("gs://gb/data/x.parquet", config, Env({}));
  ASSERT_TRUE(loc.ok()) << loc.status().ToString();
  EXPECT_EQ(loc->kind, "s3");
  EXPECT_EQ(loc->endpoint, "https://storage.googleapis.com");
  EXPECT_EQ(loc->region, "auto");
  EXPECT_EQ(loc->provider, StorageProvider::kGcs);
  EXPECT_EQ(loc->path, "gb/data/x.parquet");
  auto named = ResolveLocation("gcshmac:data/x.parquet", config, Env({}));
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->path, "gb/data/x.parquet");
}

TEST(ResolvePlace, GcsWithoutHmacKeysUsesArrowsNativeFilesystem) {
  Config config;
  auto loc = ResolveLocation("gs://public-bucket/a/b.parquet", config, Env({}));
  ASSERT_TRUE(loc.ok()) << loc.status().ToString();
  EXPECT_EQ(loc->kind, "gcs");
  EXPECT_EQ(loc->fs->type_name(), "gcs");
  EXPECT_EQ(loc->path, "public-bucket/a/b.parquet");
  EXPECT_FALSE(S3AccessFor(*loc).ok());
}

TEST(S3OptionsFromSource, SseAndStorageClassGoThroughMarketlakesWriter) {
  Config config = TestConfig();
  auto loc = ResolveLocation("enc:x.parquet", config, Env({}));
  ASSERT_TRUE(loc.ok()) << loc.status().ToString();
  // No longer refused: OpenOutputStream uses the multipart writer (s3_output_stream.h).
  EXPECT_TRUE(loc->write_refusal.empty());
  EXPECT_FALSE(loc->sse.empty());

  SourceConfig cls = *config.FindSource("aws");
  cls.storage_class = "GLACIER";
  std::string creds, refusal;
  ASSERT_TRUE(MakeS3Options(cls, Env({}), false, &creds, &refusal).ok());
  EXPECT_TRUE(refusal.empty());
}

}  // namespace
}  // namespace marketlake
