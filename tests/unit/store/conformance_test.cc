// One behavioural suite for every backend a place can live on: a local temp directory,
// Arrow's in-memory MockFileSystem, and S3 (moto's server on a loopback port, reached
// through a configured source exactly as users do). Each test gets a fresh root.
//
// The S3 backend is skipped, with a message, only when moto_server is not installed
// (ML_MOTO_SERVER or <repo>/.venv/bin/moto_server).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arrow/buffer.h>
#include <arrow/filesystem/mockfs.h>
#include <arrow/filesystem/s3fs.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "marketlake/config.h"
#include "marketlake/filesystem.h"
#include "testing/moto_server.h"

extern char** environ;

namespace marketlake {
namespace {

constexpr char kBucket[] = "ml-conformance";

using ::marketlake::testing::MotoServer;

EnvLookup NoEnv() {
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

// A backend hands out fresh, empty roots.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string skip_reason() { return ""; }
  virtual Result<Location> NewRoot(const std::string& name) = 0;
};

class LocalBackend : public Backend {
 public:
  LocalBackend() {
    base_ =
        std::filesystem::temp_directory_path() / ("ml-conformance-" + std::to_string(::getpid()));
  }
  ~LocalBackend() override { std::filesystem::remove_all(base_); }
  Result<Location> NewRoot(const std::string& name) override {
    std::filesystem::create_directories(base_ / name);
    return ResolveLocation((base_ / name).string(), Config{}, NoEnv());
  }

 private:
  std::filesystem::path base_;
};

class MemoryBackend : public Backend {
 public:
  Result<Location> NewRoot(const std::string& name) override {
    Location loc;
    loc.fs =
        std::make_shared<arrow::fs::internal::MockFileSystem>(std::chrono::system_clock::now());
    ML_RETURN_NOT_OK(loc.fs->CreateDir("root/" + name, true));
    loc.path = "root/" + name;
    loc.display = "mock://root/" + name;
    loc.kind = "mock";
    return loc;
  }
};

class S3Backend : public Backend {
 public:
  std::string skip_reason() override { return MotoServer::Get().skip_reason(); }
  Result<Location> NewRoot(const std::string& name) override {
    if (!bucket_created_) {
      ML_RETURN_NOT_OK(CreateBucket());
      bucket_created_ = true;
    }
    return ResolveLocation("moto:" + name, config_, NoEnv());
  }

 private:
  Status CreateBucket() {
    const std::string text =
        "sources:\n  moto:\n    bucket: " + std::string(kBucket) + "\n    prefix: run-" +
        std::to_string(::getpid()) +
        "\n    endpoint_url: http://127.0.0.1:" + std::to_string(MotoServer::Get().port()) +
        "\n    access_key_id: testing\n    secret_access_key: testing\n"
        "    region: us-east-1\n    retry: {max_attempts: 2}\n";
    ML_ASSIGN_OR_RETURN(config_, ParseConfig(text, "conformance.yaml", NoEnv()));
    ML_ASSIGN_OR_RETURN(
        auto options, MakeS3Options(*config_.FindSource("moto"), NoEnv(), false, nullptr, nullptr));
    options.allow_bucket_creation = true;
    ML_RETURN_NOT_OK(arrow::fs::EnsureS3Initialized());
    ML_ASSIGN_OR_RETURN(auto fs, arrow::fs::S3FileSystem::Make(options));
    return fs->CreateDir(kBucket, false);
  }

  Config config_;
  bool bucket_created_ = false;
};

Backend& GetBackend(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Backend>>* backends = [] {
    auto* m = new std::map<std::string, std::unique_ptr<Backend>>();
    (*m)["local"] = std::make_unique<LocalBackend>();
    (*m)["memory"] = std::make_unique<MemoryBackend>();
    (*m)["s3"] = std::make_unique<S3Backend>();
    return m;
  }();
  return *backends->at(name);
}

Status WriteString(const Location& loc, const std::string& data) {
  ML_ASSIGN_OR_RETURN(auto out, OpenOutputStream(loc));
  ML_RETURN_NOT_OK(out->Write(data.data(), static_cast<int64_t>(data.size())));
  return out->Close();
}

Result<std::string> ReadString(const Location& loc) {
  ML_ASSIGN_OR_RETURN(auto in, OpenInputFile(loc));
  ML_ASSIGN_OR_RETURN(int64_t size, in->GetSize());
  ML_ASSIGN_OR_RETURN(auto buf, in->ReadAt(0, size));
  return buf->ToString();
}

std::vector<std::string> ListRel(const Location& loc, bool recursive) {
  std::vector<std::string> out;
  Status st = ListEntries(
      loc, recursive, [&](const arrow::fs::FileInfo& info, std::string_view rel) -> Result<bool> {
        out.push_back(std::string(rel) +
                      (info.type() == arrow::fs::FileType::Directory ? "/" : ""));
        return true;
      });
  EXPECT_TRUE(st.ok()) << st.ToString();
  std::sort(out.begin(), out.end());
  return out;
}

class StoreConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    Backend& backend = GetBackend(GetParam());
    std::string reason = backend.skip_reason();
    if (!reason.empty()) {
      if (MotoServer::Required()) FAIL() << reason;
      GTEST_SKIP() << reason;
    }
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = info->name();
    name = name.substr(0, name.find('/'));
    auto root = backend.NewRoot(name);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    root_ = *root;
  }
  Location root_;
};

TEST_P(StoreConformance, WriteThenRead) {
  Location f = root_.Child("a.bin");
  ASSERT_TRUE(WriteString(f, "hello, lake").ok());
  auto text = ReadString(f);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, "hello, lake");
  auto info = Stat(f);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->type(), arrow::fs::FileType::File);
  EXPECT_EQ(info->size(), 11);
}

TEST_P(StoreConformance, EmptyFile) {
  Location f = root_.Child("empty");
  ASSERT_TRUE(WriteString(f, "").ok());
  auto text = ReadString(f);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, "");
}

TEST_P(StoreConformance, RangeReads) {
  std::string data(300000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 7919) % 251);
  Location f = root_.Child("ranges.bin");
  ASSERT_TRUE(WriteString(f, data).ok());
  auto in = OpenInputFile(f);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  for (auto [off, len] : std::vector<std::pair<int64_t, int64_t>>{
           {0, 1}, {1, 100}, {65536, 4096}, {299990, 10}, {299990, 100}, {12345, 0}}) {
    auto buf = (*in)->ReadAt(off, len);
    ASSERT_TRUE(buf.ok()) << buf.status().ToString();
    int64_t expect = std::min<int64_t>(len, static_cast<int64_t>(data.size()) - off);
    EXPECT_EQ((*buf)->ToString(), data.substr(off, expect)) << off << "+" << len;
  }
  auto size = (*in)->GetSize();
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, static_cast<int64_t>(data.size()));
}

TEST_P(StoreConformance, Overwrite) {
  Location f = root_.Child("over.txt");
  ASSERT_TRUE(WriteString(f, "first version, long").ok());
  ASSERT_TRUE(WriteString(f, "second").ok());
  EXPECT_EQ(*ReadString(f), "second");
}

TEST_P(StoreConformance, NestedDirectoriesAndListing) {
  ASSERT_TRUE(WriteString(root_.Child("a/1.txt"), "1").ok());
  ASSERT_TRUE(WriteString(root_.Child("a/2.txt"), "22").ok());
  ASSERT_TRUE(WriteString(root_.Child("b/c/d/3.txt"), "333").ok());
  ASSERT_TRUE(WriteString(root_.Child("top.txt"), "t").ok());

  EXPECT_EQ(ListRel(root_, false), (std::vector<std::string>{"a/", "b/", "top.txt"}));
  EXPECT_EQ(ListRel(root_, true),
            (std::vector<std::string>{"a/", "a/1.txt", "a/2.txt", "b/", "b/c/", "b/c/d/",
                                      "b/c/d/3.txt", "top.txt"}));
  auto dir = Stat(root_.Child("b/c"));
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir->type(), arrow::fs::FileType::Directory);
  // Listing a file lists itself; a limit stops early.
  EXPECT_EQ(ListRel(root_.Child("a/2.txt"), false), (std::vector<std::string>{"2.txt"}));
  int n = 0;
  ASSERT_TRUE(ListEntries(root_, true, [&](const arrow::fs::FileInfo&, std::string_view) {
                return Result<bool>(++n < 2);
              }).ok());
  EXPECT_EQ(n, 2);
}

TEST_P(StoreConformance, KeysWithSpacesPlusAndUnicode) {
  const std::vector<std::string> names = {"with space.txt", "plus+sign.txt", "ünï cødé/日本語.txt",
                                          "pct%20literal.txt"};
  for (const auto& n : names) {
    ASSERT_TRUE(WriteString(root_.Child(n), "data:" + n).ok()) << n;
  }
  for (const auto& n : names) {
    auto text = ReadString(root_.Child(n));
    ASSERT_TRUE(text.ok()) << n << ": " << text.status().ToString();
    EXPECT_EQ(*text, "data:" + n);
  }
  auto listed = ListRel(root_, true);
  std::set<std::string> got(listed.begin(), listed.end());
  for (const auto& n : names) EXPECT_TRUE(got.count(n)) << n;
}

TEST_P(StoreConformance, MissingFilesAreNotFoundNamingThePlace) {
  Location f = root_.Child("no/such.parquet");
  auto in = OpenInputFile(f);
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(CodeOf(in.status()), ErrorCode::kNotFound);
  EXPECT_NE(in.status().message().find(f.display), std::string::npos) << in.status().message();

  auto info = Stat(f);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->type(), arrow::fs::FileType::NotFound);

  Status del = DeletePlace(f, false);
  EXPECT_EQ(CodeOf(del), ErrorCode::kNotFound);
  EXPECT_NE(del.message().find(f.display), std::string::npos);

  Status ls = ListEntries(root_.Child("nothing-here"), false,
                          [](const arrow::fs::FileInfo&, std::string_view) { return true; });
  EXPECT_EQ(CodeOf(ls), ErrorCode::kNotFound);

  Status cp = CopyFile(f, root_.Child("dst"));
  EXPECT_EQ(CodeOf(cp), ErrorCode::kNotFound);
  EXPECT_EQ(Stat(root_.Child("dst"))->type(), arrow::fs::FileType::NotFound);
}

TEST_P(StoreConformance, Delete) {
  ASSERT_TRUE(WriteString(root_.Child("d/x.txt"), "x").ok());
  ASSERT_TRUE(WriteString(root_.Child("d/sub/y.txt"), "y").ok());
  ASSERT_TRUE(WriteString(root_.Child("keep.txt"), "k").ok());

  Status refused = DeletePlace(root_.Child("d"), false);
  EXPECT_EQ(CodeOf(refused), ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("--recursive"), std::string::npos);
  EXPECT_EQ(Stat(root_.Child("d/x.txt"))->type(), arrow::fs::FileType::File);

  ASSERT_TRUE(DeletePlace(root_.Child("d/x.txt"), false).ok());
  EXPECT_EQ(Stat(root_.Child("d/x.txt"))->type(), arrow::fs::FileType::NotFound);
  ASSERT_TRUE(DeletePlace(root_.Child("d"), true).ok());
  EXPECT_EQ(Stat(root_.Child("d/sub/y.txt"))->type(), arrow::fs::FileType::NotFound);
  EXPECT_EQ(Stat(root_.Child("d"))->type(), arrow::fs::FileType::NotFound);
  EXPECT_EQ(*ReadString(root_.Child("keep.txt")), "k");
}

TEST_P(StoreConformance, CopyWithinAndAcrossBackends) {
  std::string data(3 << 20, 'x');
  for (size_t i = 0; i < data.size(); i += 4096) data[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(WriteString(root_.Child("src.bin"), data).ok());

  CopyOptions options;
  options.chunk_bytes = 1 << 20;
  int64_t last = -1, total_seen = 0;
  options.progress = [&](int64_t done, int64_t total) {
    EXPECT_GT(done, last);
    last = done;
    total_seen = total;
  };
  ASSERT_TRUE(CopyFile(root_.Child("src.bin"), root_.Child("copy/dst.bin"), options).ok());
  EXPECT_EQ(last, static_cast<int64_t>(data.size()));
  EXPECT_EQ(total_seen, static_cast<int64_t>(data.size()));
  EXPECT_EQ(*ReadString(root_.Child("copy/dst.bin")), data);

  // To and from local disk.
  auto local = GetBackend("local").NewRoot(std::string("cross-") + GetParam());
  ASSERT_TRUE(local.ok());
  ASSERT_TRUE(CopyFile(root_.Child("src.bin"), local->Child("down.bin")).ok());
  EXPECT_EQ(*ReadString(local->Child("down.bin")), data);
  ASSERT_TRUE(CopyFile(local->Child("down.bin"), root_.Child("up.bin")).ok());
  EXPECT_EQ(*ReadString(root_.Child("up.bin")), data);
  // No temporary names left behind on local disk.
  EXPECT_EQ(ListRel(*local, true), (std::vector<std::string>{"down.bin"}));

  Status dir = CopyFile(root_.Child("copy"), root_.Child("x"));
  EXPECT_EQ(CodeOf(dir), ErrorCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance, ::testing::Values("local", "memory", "s3"),
                         [](const auto& info) { return info.param; });

// A multipart upload (> Arrow's 10 MiB part size) with bounded in-flight buffering.
TEST(StoreConformanceS3, MultipartCopy) {
  Backend& backend = GetBackend("s3");
  if (!backend.skip_reason().empty()) {
    if (MotoServer::Required()) FAIL() << backend.skip_reason();
    GTEST_SKIP() << backend.skip_reason();
  }
  auto root = backend.NewRoot("multipart");
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  auto local = GetBackend("local").NewRoot("multipart-src");
  ASSERT_TRUE(local.ok());
  std::string data(23 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31 + (i >> 12));
  ASSERT_TRUE(WriteString(local->Child("big.bin"), data).ok());
  CopyOptions options;
  options.max_buffered_bytes = 12 << 20;
  ASSERT_TRUE(CopyFile(local->Child("big.bin"), root->Child("big.bin"), options).ok());
  auto info = Stat(root->Child("big.bin"));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size(), static_cast<int64_t>(data.size()));
  auto in = OpenInputFile(root->Child("big.bin"));
  ASSERT_TRUE(in.ok());
  auto tail = (*in)->ReadAt(static_cast<int64_t>(data.size()) - 1000, 1000);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ((*tail)->ToString(), data.substr(data.size() - 1000));
}

// A copy into a bucket that does not exist fails and leaves nothing anywhere.
TEST(StoreConformanceS3, FailedCopyLeavesNothing) {
  Backend& backend = GetBackend("s3");
  if (!backend.skip_reason().empty()) {
    if (MotoServer::Required()) FAIL() << backend.skip_reason();
    GTEST_SKIP() << backend.skip_reason();
  }
  auto root = backend.NewRoot("failed-copy");  // makes sure the server and bucket are up
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  auto local = GetBackend("local").NewRoot("failed-copy-src");
  ASSERT_TRUE(local.ok());
  ASSERT_TRUE(WriteString(local->Child("f.bin"), std::string(1 << 20, 'z')).ok());

  Location missing_bucket = *root;
  missing_bucket.path = "ml-no-such-bucket/x/f.bin";
  missing_bucket.display = "s3://ml-no-such-bucket/x/f.bin";
  Status st = CopyFile(local->Child("f.bin"), missing_bucket);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("s3://ml-no-such-bucket/x/f.bin"), std::string::npos) << st.message();

  // And the other way: a failed download leaves no file or temporary behind.
  Status down = CopyFile(root->Child("absent.bin"), local->Child("down.bin"));
  EXPECT_EQ(CodeOf(down), ErrorCode::kNotFound);
  EXPECT_EQ(ListRel(*local, true), (std::vector<std::string>{"f.bin"}));
}

}  // namespace
}  // namespace marketlake
