// libcurl transport. One easy handle per request, taken from a small pool so connections
// (and TLS sessions) are reused across requests without sharing a handle between threads.
#include <curl/curl.h>

#include <strings.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "marketlake/store/http_transport.h"

namespace marketlake::internal {

const std::string* HttpResponse::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return &value;
  }
  return nullptr;
}

namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t OnBody(char* data, size_t size, size_t nmemb, void* user) {
  static_cast<HttpResponse*>(user)->body.append(data, size * nmemb);
  return size * nmemb;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

size_t OnHeader(char* data, size_t size, size_t nmemb, void* user) {
  auto* resp = static_cast<HttpResponse*>(user);
  std::string_view line(data, size * nmemb);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new status line (e.g. after "100 Continue"): forget the previous response's headers.
    resp->headers.clear();
    return size * nmemb;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * nmemb;
  std::string name = Trim(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  resp->headers.emplace_back(std::move(name), Trim(line.substr(colon + 1)));
  return size * nmemb;
}

bool IsTransient(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:  // DNS blips are common in containers
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP2:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
      return true;
    default:
      return false;
  }
}

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(HttpTimeouts timeouts) : timeouts_(timeouts) { GlobalInitOnce(); }
  ~CurlTransport() override {
    for (CURL* h : pool_) curl_easy_cleanup(h);
  }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    CURL* h = Acquire();
    if (h == nullptr) return Error(ErrorCode::kInternal, "curl_easy_init failed");
    Result<HttpResponse> result = SendWith(h, request);
    Release(h, result.ok());
    return result;
  }

 private:
  CURL* Acquire() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!pool_.empty()) {
        CURL* h = pool_.back();
        pool_.pop_back();
        curl_easy_reset(h);  // keeps the connection cache
        return h;
      }
    }
    return curl_easy_init();
  }

  void Release(CURL* h, bool healthy) {
    if (healthy) {
      std::lock_guard<std::mutex> lock(mu_);
      if (pool_.size() < 16) {
        pool_.push_back(h);
        return;
      }
    }
    // After a transport failure the handle's connection is suspect: drop it.
    curl_easy_cleanup(h);
  }

  Result<HttpResponse> SendWith(CURL* h, const HttpRequest& request) {
    HttpResponse response;
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_slist* headers = nullptr;
    for (const auto& [name, value] : request.headers) {
      std::string line = name + ": " + value;
      headers = curl_slist_append(headers, line.c_str());
    }
    // No "Expect: 100-continue" round trip, and no curl-invented Content-Type.
    headers = curl_slist_append(headers, "Expect:");
    bool has_content_type = false;
    for (const auto& [name, value] : request.headers) {
      if (strcasecmp(name.c_str(), "content-type") == 0) has_content_type = true;
    }
    if (!has_content_type) headers = curl_slist_append(headers, "Content-Type:");

    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);  // S3 keys may contain "/./" or "//"
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeouts_.connect.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeouts_.total.count()));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &response);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    // Content-Encoding is not decoded: S3 objects are returned byte for byte.
    if (request.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (request.method == "GET") {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
      if (request.method == "PUT" || request.method == "POST") {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size()));
        curl_easy_setopt(h, CURLOPT_POSTFIELDS,
                         request.body.data() != nullptr ? request.body.data() : "");
      }
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }

    const CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) {
      std::string msg = request.method + " " + request.url + ": " +
                        (errbuf[0] != '\0' ? std::string(errbuf) : curl_easy_strerror(rc));
      if (rc == CURLE_PARTIAL_FILE) msg += " (truncated response body)";
      return Error(IsTransient(rc) ? ErrorCode::kUnavailable : ErrorCode::kIOError, msg);
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    // Belt and braces: curl reports short bodies as CURLE_PARTIAL_FILE, but a body that
    // does not match Content-Length must never pass as complete.
    if (request.method != "HEAD") {
      if (const std::string* cl = response.Header("content-length")) {
        char* end = nullptr;
        const unsigned long long n = std::strtoull(cl->c_str(), &end, 10);
        if (end != cl->c_str() && n != response.body.size()) {
          return Error(ErrorCode::kUnavailable,
                       request.method + " " + request.url + ": response body has " +
                           std::to_string(response.body.size()) + " bytes, Content-Length " + *cl +
                           " (truncated response body)");
        }
      }
    }
    return response;
  }

  HttpTimeouts timeouts_;
  std::mutex mu_;
  std::vector<CURL*> pool_;
};

}  // namespace

std::unique_ptr<HttpTransport> MakeCurlTransport(HttpTimeouts timeouts) {
  return std::make_unique<CurlTransport>(timeouts);
}

}  // namespace marketlake::internal
