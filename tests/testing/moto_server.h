// moto's S3 server for the C++ tests: one per test binary, on a free loopback port, started
// on first use and stopped when the binary's tests end.
//
//   ML_MOTO_OR_SKIP();  // in a test's SetUp: skip when moto is missing (fail under CI)
//   auto& moto = marketlake::testing::MotoServer::Get();
//   ASSERT_TRUE(moto.CreateBucket("my-bucket").ok());
//   ... endpoint moto.endpoint() ...
//
// The server is found at $ML_MOTO_SERVER or <repo>/.venv/bin/moto_server. When
// $ML_REQUIRE_MOTO=1 (scripts/test.sh sets it) a missing or silent server fails the tests
// instead of skipping them, so CI cannot pass without having run them.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "marketlake/filesystem.h"
#include "marketlake/status.h"
#include "marketlake/store/http_transport.h"

extern char** environ;

namespace marketlake::testing {

// A loopback port nobody listens on right now.
inline int FreeLoopbackPort() {
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

class MotoServer {
 public:
  static MotoServer& Get() {
    static MotoServer* server = [] {
      Started() = true;
      return new MotoServer();  // stopped by MotoEnvironment
    }();
    return *server;
  }
  static bool& Started() {
    static bool started = false;
    return started;
  }

  bool available() const { return skip_reason_.empty(); }
  const std::string& skip_reason() const { return skip_reason_; }
  static bool Required() {
    const char* v = std::getenv("ML_REQUIRE_MOTO");
    return v != nullptr && std::string(v) == "1";
  }
  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Creates `bucket` (moto checks no signatures, so a bare PUT will do). Idempotent.
  Status CreateBucket(const std::string& bucket) {
    auto transport = internal::MakeCurlTransport({});
    internal::HttpRequest req;
    req.method = "PUT";
    req.url = endpoint() + "/" + bucket;
    ML_ASSIGN_OR_RETURN(auto resp, transport->Send(req));
    if (resp.status != 200 && resp.status != 409) {
      return Error(ErrorCode::kIOError, "moto: creating bucket " + bucket + ": HTTP " +
                                            std::to_string(resp.status) + " " + resp.body);
    }
    return Status::OK();
  }

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
    port_ = FreeLoopbackPort();
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
    if (MotoServer::Started()) MotoServer::Get().Stop();
    FinalizeFilesystems();
  }
};

// One registration per test binary, whichever files include this header.
inline const ::testing::Environment* const kMotoEnvironment =
    ::testing::AddGlobalTestEnvironment(new MotoEnvironment());

}  // namespace marketlake::testing

#define ML_MOTO_OR_SKIP()                                     \
  do {                                                        \
    auto& ml_moto = ::marketlake::testing::MotoServer::Get(); \
    if (!ml_moto.available()) {                               \
      if (::marketlake::testing::MotoServer::Required()) {    \
        FAIL() << ml_moto.skip_reason();                      \
      }                                                       \
      GTEST_SKIP() << ml_moto.skip_reason();                  \
    }                                                         \
  } while (0)
