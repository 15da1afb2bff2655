// The lake on S3 (moto_server on a loopback port, reached through a configured source as
// users do): append, snapshot, concurrent commits through put-if-absent, import stats.
// Skipped, with a message, only when moto_server is not installed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arrow/filesystem/s3fs.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "lake_test_util.h"
#include "marketlake/config.h"
#include "marketlake/lake.h"

extern char** environ;

namespace marketlake {
namespace {

using testing::kMar15;
using testing::kNsPerSec;
using testing::MakeTrades;
using testing::ReadAll;
using testing::Sorted;

constexpr char kBucket[] = "ml-lake";

// moto_server for the whole test binary, started on first use.
class MotoServer {
 public:
  static MotoServer& Get() {
    static MotoServer* server = new MotoServer();
    return *server;
  }
  bool available() const { return skip_reason_.empty(); }
  const std::string& skip_reason() const { return skip_reason_; }
  int port() const { return port_; }
  void Stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

 private:
  MotoServer() { Start(); }

  static int FreePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    int port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
  }

  static bool CanConnect(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    return ok;
  }

  void Start() {
    std::string moto = std::getenv("ML_MOTO_SERVER") != nullptr
                           ? std::getenv("ML_MOTO_SERVER")
                           : std::string(ML_TEST_DATA_DIR) + "/../../.venv/bin/moto_server";
    if (!std::filesystem::exists(moto)) {
      skip_reason_ = "moto_server not found at " + moto +
                     " (pip install 'moto[server]' into .venv or set ML_MOTO_SERVER)";
      return;
    }
    port_ = FreePort();
    std::string port = std::to_string(port_);
    const char* argv[] = {moto.c_str(), "-H", "127.0.0.1", "-p", port.c_str(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawn(&pid_, moto.c_str(), &actions, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      skip_reason_ = "could not start " + moto;
      pid_ = -1;
      return;
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!CanConnect(port_)) {
      if (std::chrono::steady_clock::now() > deadline) {
        Stop();
        skip_reason_ = "moto_server did not listen on port " + port + " within 30 s";
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  pid_t pid_ = -1;
  int port_ = 0;
  std::string skip_reason_;
};

class MotoEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    MotoServer::Get().Stop();
    FinalizeFilesystems();
  }
};
const auto* const kMotoEnv = ::testing::AddGlobalTestEnvironment(new MotoEnvironment());

EnvLookup NoEnv() {
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

class LakeS3Test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!MotoServer::Get().available()) GTEST_SKIP() << MotoServer::Get().skip_reason();
    static bool created = false;
    const std::string text =
        "sources:\n  moto:\n    bucket: " + std::string(kBucket) + "\n    prefix: run-" +
        std::to_string(::getpid()) +
        "\n    endpoint_url: http://127.0.0.1:" + std::to_string(MotoServer::Get().port()) +
        "\n    access_key_id: testing\n    secret_access_key: testing\n"
        "    region: us-east-1\n    retry: {max_attempts: 2}\n";
    auto config = ParseConfig(text, "lake-s3.yaml", NoEnv());
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    config_ = *config;
    if (!created) {
      auto options = MakeS3Options(*config_.FindSource("moto"), NoEnv(), false, nullptr, nullptr);
      ASSERT_TRUE(options.ok());
      options->allow_bucket_creation = true;
      ASSERT_TRUE(arrow::fs::EnsureS3Initialized().ok());
      auto fs = arrow::fs::S3FileSystem::Make(*options);
      ASSERT_TRUE(fs.ok());
      ASSERT_TRUE((*fs)->CreateDir(kBucket, false).ok());
      created = true;
    }
    static int run = 0;  // a fresh root per run (--gtest_repeat)
    auto root = ResolveLocation(
        std::string("moto:") + ::testing::UnitTest::GetInstance()->current_test_info()->name() +
            "-" + std::to_string(run++),
        config_, NoEnv());
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    root_ = *root;
  }

  std::unique_ptr<Lake> NewLake() {
    auto lake = Lake::Open(root_);
    EXPECT_TRUE(lake.ok());
    return std::move(*lake);
  }

  Config config_;
  Location root_;
};

TEST_F(LakeS3Test, AppendSnapshotTimeTravel) {
  auto lake = NewLake();
  auto ds = lake->OpenDataset("trades");
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  auto b1 = MakeTrades({"MSFT", "AAPL"}, 400, kMar15, 400 * kNsPerSec);
  auto b2 = MakeTrades({"TSLA"}, 100, kMar15, 30 * kNsPerSec, 5000);
  auto c1 = (*ds)->Append({b1});
  ASSERT_TRUE(c1.ok()) << c1.status().ToString();
  ASSERT_TRUE((*ds)->Append({b2}).ok());
  auto snap = (*ds)->GetSnapshot();
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_EQ(snap->version, 2);
  EXPECT_EQ(snap->TotalRows(), 500);
  EXPECT_TRUE(ReadAll(lake->root(), *snap)->Equals(*Sorted({b1, b2})));
  EXPECT_TRUE(ReadAll(lake->root(), *(*ds)->GetSnapshot(1))->Equals(*Sorted({b1})));
  auto rm = (*ds)->RemovePartition({{"year", "2024"}, {"month", "03"}, {"day", "15"}});
  ASSERT_TRUE(rm.ok()) << rm.status().ToString();
  EXPECT_LT((*ds)->GetSnapshot()->TotalRows(), 500);
  auto names = lake->ListDatasets();
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_EQ(*names, std::vector<std::string>{"trades"});
  ImportRecord rec;
  rec.source = "s3://vendor/x.csv";
  rec.rows = 500;
  ASSERT_TRUE(lake->RecordImport("trades", rec).ok());
  EXPECT_EQ(lake->ReadImports("trades")->rows, 500);
}

TEST_F(LakeS3Test, ConcurrentCommitsAllLand) {
  constexpr int kWriters = 3, kAppends = 4;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      auto lake = Lake::Open(root_);
      auto ds = (*lake)->OpenDataset("trades");
      if (!ds.ok()) {
        ++failures;
        return;
      }
      for (int i = 0; i < kAppends; ++i) {
        auto r = (*ds)->Append(
            {MakeTrades({"W" + std::to_string(w)}, 10, kMar15 + i * 10 * kNsPerSec, kNsPerSec)});
        if (!r.ok()) {
          ADD_FAILURE() << r.status().ToString();
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto snap = (*NewLake()->OpenDataset("trades"))->GetSnapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->version, kWriters * kAppends);
  EXPECT_EQ(snap->TotalRows(), kWriters * kAppends * 10);
  EXPECT_EQ(ReadAll(root_, *snap)->num_rows(), kWriters * kAppends * 10);
}

}  // namespace
}  // namespace marketlake
