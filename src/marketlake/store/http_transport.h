// Private HTTP layer of the S3 object client. libcurl stays behind this header: nothing in
// include/marketlake/ sees it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "marketlake/object_client.h"
#include "marketlake/status.h"

namespace marketlake::internal {

struct HttpRequest {
  std::string method;  // GET, HEAD, PUT, DELETE
  std::string url;     // fully encoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;  // not owned; must outlive Send()
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  // The value of the first header named `lower_name`, or null.
  const std::string* Header(std::string_view lower_name) const;
};

struct HttpTimeouts {
  std::chrono::milliseconds connect{5000};
  std::chrono::milliseconds total{30000};
};

// Sends one request, no retries. A response with any HTTP status is success at this level.
// Failures to get a complete response (connect refused/reset, timeout, body shorter than
// Content-Length) are kUnavailable; other failures (bad URL, TLS setup) kIOError. Error
// messages carry curl's description and the URL (which holds no secrets), never headers.
// Thread-safe.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

std::unique_ptr<HttpTransport> MakeCurlTransport(HttpTimeouts timeouts);

// The S3 client on an injected transport and clock, for tests (fake transports) and for
// the real factory.
using WallClock = std::function<std::chrono::system_clock::time_point()>;
Result<std::unique_ptr<ObjectClient>> MakeS3ObjectClientWithTransport(
    S3ClientOptions options, SigningCredentials credentials,
    std::shared_ptr<RequestMetrics> metrics, std::shared_ptr<HttpTransport> transport,
    WallClock wall_clock = {}, RetryPolicy::Sleep sleep = {}, RetryPolicy::Random random = {});

}  // namespace marketlake::internal
