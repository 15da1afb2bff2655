// The configuration file: sources, defaults, ${VAR} interpolation, bounded parsing and
// errors that name file, line and key but never a secret.
#include "marketlake/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace marketlake {
namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

constexpr char kFull[] = R"(# marketlake sources
default_lake: prod:lake/
sources:
  prod:
    type: s3
    bucket: market-data
    prefix: /marketlake
    region: eu-west-1
    sse: aws:kms
    kms_key_id: arn:aws:kms:eu-west-1:111:key/abc
    storage_class: STANDARD_IA
    retry:
      max_attempts: 7
      connect_timeout: 2.5
      request_timeout: 30
  minio:
    bucket: local-bucket
    endpoint_url: http://localhost:9000/
    access_key_id: ${MINIO_USER}
    secret_access_key: ${MINIO_PASSWORD:-minioadmin}
    provider: minio
  b2:
    bucket: backup
    endpoint_url: https://s3.us-west-000.backblazeb2.com
    path_style: false
    provider: b2
  gcs:
    type: gcs
    bucket: gbucket
  scratch:
    path: /tmp/scratch
)";

TEST(ConfigParse, FullExample) {
  auto config = ParseConfig(kFull, "ml.yaml", FakeEnv({{"MINIO_USER", "admin"}}));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->default_lake, "prod:lake/");
  ASSERT_EQ(config->sources.size(), 5u);

  const SourceConfig* prod = config->FindSource("prod");
  ASSERT_NE(prod, nullptr);
  EXPECT_EQ(prod->type, SourceType::kS3);
  EXPECT_EQ(prod->bucket, "market-data");
  EXPECT_EQ(prod->prefix, "marketlake/");
  EXPECT_EQ(prod->region, "eu-west-1");
  EXPECT_FALSE(prod->path_style);  // no endpoint: AWS virtual hosts
  EXPECT_EQ(prod->sse, "aws:kms");
  EXPECT_EQ(prod->storage_class, "STANDARD_IA");
  EXPECT_EQ(prod->retry.max_attempts, 7);
  EXPECT_DOUBLE_EQ(prod->retry.connect_timeout, 2.5);
  EXPECT_DOUBLE_EQ(prod->retry.request_timeout, 30);
  EXPECT_EQ(prod->line, 4);

  const SourceConfig* minio = config->FindSource("minio");
  ASSERT_NE(minio, nullptr);
  EXPECT_EQ(minio->type, SourceType::kS3);  // the default type
  EXPECT_EQ(minio->endpoint_url, "http://localhost:9000");
  EXPECT_TRUE(minio->path_style);  // default with an endpoint
  EXPECT_EQ(minio->access_key_id, "admin");
  EXPECT_EQ(minio->secret_access_key, "minioadmin");  // the ${:-default}
  EXPECT_EQ(minio->provider, StorageProvider::kMinio);

  EXPECT_FALSE(config->FindSource("b2")->path_style);
  EXPECT_EQ(config->FindSource("gcs")->provider, StorageProvider::kGcs);
  EXPECT_EQ(config->FindSource("scratch")->type, SourceType::kLocal);
  EXPECT_EQ(config->FindSource("nope"), nullptr);
}

TEST(ConfigParse, EmptyAndCommentOnlyFilesHaveNoSources) {
  for (const char* text : {"", "# nothing\n", "sources:\n"}) {
    auto config = ParseConfig(text, "c.yaml", FakeEnv({}));
    ASSERT_TRUE(config.ok()) << text << ": " << config.status().ToString();
    EXPECT_TRUE(config->sources.empty());
  }
}

TEST(ConfigParse, AcceptsTheOlderS3SourcesLayoutAndAwsKeyNames) {
  const char* text = R"(s3:
  sources:
    local-minio:
      bucket: colosseum-local
      region: us-east-1
      endpoint_url: http://localhost:9000
      aws_access_key_id: minioadmin
      aws_secret_access_key: ${B2_APPLICATION_KEY}
)";
  auto config = ParseConfig(text, "c.yaml", FakeEnv({{"B2_APPLICATION_KEY", "k"}}));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const SourceConfig* s = config->FindSource("local-minio");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->access_key_id, "minioadmin");
  EXPECT_EQ(s->secret_access_key, "k");
  EXPECT_TRUE(s->path_style);
}

TEST(ConfigInterpolate, Forms) {
  auto env = FakeEnv({{"A", "alpha"}, {"EMPTY", ""}});
  EXPECT_EQ(*Interpolate("x${A}y", env), "xalphay");
  EXPECT_EQ(*Interpolate("${B:-dflt}", env), "dflt");
  EXPECT_EQ(*Interpolate("${B:-}", env), "");
  EXPECT_EQ(*Interpolate("${EMPTY:-fallback}", env), "fallback");
  EXPECT_EQ(*Interpolate("${EMPTY}", env), "");
  EXPECT_EQ(*Interpolate("cost $5 and $${A}", env), "cost $5 and ${A}");
  EXPECT_EQ(*Interpolate("${A}${A}", env), "alphaalpha");

  auto unset = Interpolate("${NOT_SET_VAR}", env);
  ASSERT_FALSE(unset.ok());
  EXPECT_EQ(CodeOf(unset.status()), ErrorCode::kInvalidArgument);
  EXPECT_NE(unset.status().message().find("NOT_SET_VAR"), std::string::npos);
  EXPECT_FALSE(Interpolate("${A", env).ok());
  EXPECT_FALSE(Interpolate("${1A}", env).ok());
  EXPECT_FALSE(Interpolate("${}", env).ok());
}

struct BadCase {
  const char* text;
  const char* expect;  // must appear in the message
};

TEST(ConfigParse, ErrorsNameFileLineAndKey) {
  const BadCase cases[] = {
      {"sources:\n  prod:\n    bucket: b\n    bukcet: c\n",
       "c.yaml:4: sources.prod.bukcet: unknown key"},
      {"sources:\n  prod:\n    region: us-east-1\n", "c.yaml:3: sources.prod: missing 'bucket'"},
      {"sources:\n  prod:\n    bucket: [a, b]\n",
       "c.yaml:3: sources.prod.bucket: expected a single value"},
      {"sources:\n  prod:\n    bucket: b\n    type: ftp\n",
       "c.yaml:4: sources.prod.type: unknown type 'ftp'"},
      {"sources:\n  prod:\n    bucket: b\n    retry:\n      max_attempts: many\n",
       "c.yaml:5: sources.prod.retry.max_attempts"},
      {"sources:\n  prod:\n    bucket: b\n    retry:\n      backoff: 1\n",
       "c.yaml:5: sources.prod.retry.backoff: unknown key"},
      {"sources:\n  prod:\n    bucket: b\n    path_style: maybe\n",
       "c.yaml:4: sources.prod.path_style"},
      {"sources:\n  prod:\n    bucket: b\n    sse: rot13\n", "c.yaml:4: sources.prod.sse"},
      {"sources:\n  prod:\n    bucket: b\n    endpoint_url: localhost:9000\n",
       "c.yaml:4: sources.prod.endpoint_url"},
      {"sources:\n  prod:\n    bucket: b\n    bucket: c\n",
       "c.yaml:4: sources.prod.bucket: given twice"},
      {"sources:\n  9bad:\n    bucket: b\n", "c.yaml:2: sources: bad source name"},
      {"sources:\n  loc:\n    type: local\n", "c.yaml:3: sources.loc: a local source needs 'path'"},
      {"lakes: {}\n", "c.yaml:1: lakes: unknown key"},
      {"sources:\n  prod:\n    bucket: b\n   region: x\n", "c.yaml:4: bad YAML"},
      {"sources: [1, 2\n", "c.yaml:"},
      {"- a\n- b\n", "c.yaml:1: expected a mapping at the top level"},
      {"sources:\n  prod:\n    bucket: ${NOPE_NOT_SET}\n",
       "c.yaml:3: sources.prod.bucket: environment variable NOPE_NOT_SET is not set"},
  };
  for (const auto& c : cases) {
    auto config = ParseConfig(c.text, "c.yaml", FakeEnv({}));
    ASSERT_FALSE(config.ok()) << c.text;
    EXPECT_EQ(CodeOf(config.status()), ErrorCode::kInvalidArgument) << c.text;
    EXPECT_NE(config.status().message().find(c.expect), std::string::npos)
        << "text:\n"
        << c.text << "message: " << config.status().message() << "\nexpected: " << c.expect;
  }
}

TEST(ConfigParse, SecretsNeverAppearInErrors) {
  const std::string secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  const std::string key_id = "AKIAIOSFODNN7EXAMPLE";
  const std::string texts[] = {
      // only one half of the key pair
      "sources:\n  p:\n    bucket: b\n    secret_access_key: " + secret + "\n",
      "sources:\n  p:\n    bucket: b\n    access_key_id: " + key_id + "\n",
      // a credential in the wrong shape
      "sources:\n  p:\n    bucket: b\n    access_key_id: [" + key_id + "]\n",
      "sources:\n  p:\n    bucket: b\n    secret_access_key: {k: " + secret + "}\n",
      // a later error in a source that carries keys
      "sources:\n  p:\n    access_key_id: " + key_id + "\n    secret_access_key: " + secret +
          "\n    bucket: b\n    wrong: 1\n",
      // broken YAML right after a secret
      "sources:\n  p:\n    secret_access_key: " + secret + "\n     : [\n",
      "sources:\n  p:\n    secret_access_key: \"" + secret + "\n",
      // an environment variable holding a secret, expanded into a bad place
      "sources:\n  p:\n    bucket: ${SECRET_VAR}/x\n",
      "sources:\n  p:\n    bucket: b\n    region: ${SECRET_VAR}\n    bogus: ${SECRET_VAR}\n",
      // ... and into settings whose errors quote the value (found by config_fuzz)
      "sources:\n  p:\n    bucket: b\n    type: ${SECRET_VAR}\n",
      "sources:\n  p:\n    bucket: b\n    provider: ${SECRET_VAR}\n",
  };
  auto env = FakeEnv({{"SECRET_VAR", secret}});
  for (const auto& text : texts) {
    auto config = ParseConfig(text, "c.yaml", env);
    ASSERT_FALSE(config.ok()) << text;
    const std::string message = config.status().ToString();
    EXPECT_EQ(message.find(secret), std::string::npos) << message;
    EXPECT_EQ(message.find("wJalrXUtnFEMI"), std::string::npos) << message;
    EXPECT_EQ(message.find(key_id), std::string::npos) << message;
    EXPECT_NE(message.find("c.yaml"), std::string::npos) << message;
  }
}

TEST(ConfigParse, SizeCap) {
  std::string big = "sources:\n" + std::string(kMaxConfigBytes, '#');
  auto config = ParseConfig(big, "big.yaml", FakeEnv({}));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("1 MiB"), std::string::npos);
}

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("ml-config-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    SetConfigPath("");
    ::unsetenv("MARKETLAKE_CONFIG");
    std::filesystem::remove_all(dir_);
  }
  std::string Write(const std::string& name, const std::string& text) {
    auto p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  std::filesystem::path dir_;
};

TEST_F(ConfigFileTest, LoadsAndRejectsOversizedFiles) {
  auto ok = LoadConfigFile(Write("a.yaml", "sources:\n  s:\n    bucket: b\n"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->file, (dir_ / "a.yaml").string());

  auto big = LoadConfigFile(Write("big.yaml", std::string(kMaxConfigBytes + 10, '#')));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(CodeOf(big.status()), ErrorCode::kInvalidArgument);

  auto missing = LoadConfigFile((dir_ / "missing.yaml").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(CodeOf(missing.status()), ErrorCode::kNotFound);

  auto bad = LoadConfigFile(Write("bad.yaml", "sources:\n  s:\n    bucket: b\n    x: 1\n"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.yaml:4: sources.s.x"), std::string::npos)
      << bad.status().message();
}

TEST_F(ConfigFileTest, PathPrecedence) {
  std::string from_env = Write("env.yaml", "sources:\n  fromenv:\n    bucket: b\n");
  std::string explicit_path = Write("flag.yaml", "sources:\n  fromflag:\n    bucket: b\n");

  ::setenv("MARKETLAKE_CONFIG", from_env.c_str(), 1);
  SetConfigPath("");
  bool is_explicit = false;
  EXPECT_EQ(ConfigPath(&is_explicit), from_env);
  EXPECT_TRUE(is_explicit);
  auto config = CurrentConfig();
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_NE((*config)->FindSource("fromenv"), nullptr);

  SetConfigPath(explicit_path);  // the --config flag wins over the environment
  config = CurrentConfig();
  ASSERT_TRUE(config.ok());
  EXPECT_NE((*config)->FindSource("fromflag"), nullptr);

  SetConfigPath((dir_ / "absent.yaml").string());  // named explicitly: must exist
  config = CurrentConfig();
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(CodeOf(config.status()), ErrorCode::kNotFound);

  ::unsetenv("MARKETLAKE_CONFIG");
  SetConfigPath("");
  std::string old_home = std::getenv("HOME") ? std::getenv("HOME") : "";
  std::string old_xdg = std::getenv("XDG_CONFIG_HOME") ? std::getenv("XDG_CONFIG_HOME") : "";
  ::unsetenv("XDG_CONFIG_HOME");
  ::setenv("HOME", dir_.c_str(), 1);
  EXPECT_EQ(ConfigPath(&is_explicit), (dir_ / ".config/marketlake/config.yaml").string());
  EXPECT_FALSE(is_explicit);
  config = CurrentConfig();  // absent default file: no sources, no error
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_TRUE((*config)->sources.empty());
  ::setenv("HOME", old_home.c_str(), 1);
  if (!old_xdg.empty()) ::setenv("XDG_CONFIG_HOME", old_xdg.c_str(), 1);
  SetConfigPath("");
}

}  // namespace
}  // namespace marketlake
