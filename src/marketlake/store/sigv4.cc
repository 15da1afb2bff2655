#include "marketlake/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <map>
#include <string>
#include <vector>

namespace marketlake {
namespace {

constexpr char kHexLower[] = "0123456789abcdef";
constexpr char kHexUpper[] = "0123456789ABCDEF";
constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

using Digest = std::array<unsigned char, 32>;

std::string ToHex(const unsigned char* data, size_t n) {
  std::string out(n * 2, '\0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kHexLower[data[i] >> 4];
    out[2 * i + 1] = kHexLower[data[i] & 0xF];
  }
  return out;
}

Digest HmacSha256(std::string_view key, std::string_view msg) {
  Digest out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), out.data(), &len);
  return out;
}

std::string_view AsView(const Digest& d) {
  return std::string_view(reinterpret_cast<const char*>(d.data()), d.size());
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// AWS "Trimall": strip leading/trailing whitespace, collapse internal runs to one space.
// botocore collapses any whitespace run (' '.join(v.split())), so we do the same.
std::string TrimAll(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool pending_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

bool ValidAmzDate(std::string_view d) {
  if (d.size() != 16 || d[8] != 'T' || d[15] != 'Z') return false;
  for (size_t i = 0; i < 15; ++i) {
    if (i == 8) continue;
    if (!std::isdigit(static_cast<unsigned char>(d[i]))) return false;
  }
  return true;
}

}  // namespace

std::string UriEncode(std::string_view input, bool encode_slash) {
  std::string out;
  out.reserve(input.size() * 3);
  for (unsigned char c : input) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || (c == '/' && !encode_slash)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHexUpper[c >> 4]);
      out.push_back(kHexUpper[c & 0xF]);
    }
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return ToHex(out.data(), out.size());
}

std::string FormatAmzDate(std::chrono::system_clock::time_point when) {
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

Result<SigV4Signature> SignV4(const SigV4Request& request, const SigningCredentials& credentials,
                              std::string_view amz_date, std::string_view service) {
  if (!ValidAmzDate(amz_date)) {
    return Error(
        ErrorCode::kInvalidArgument,
        "SigV4: x-amz-date must look like 20130524T000000Z, got '" + std::string(amz_date) + "'");
  }
  if (credentials.access_key.empty() || credentials.secret_key.empty()) {
    return Error(ErrorCode::kInvalidArgument, "SigV4: access key or secret key is empty");
  }
  if (credentials.region.empty()) {
    return Error(ErrorCode::kInvalidArgument, "SigV4: region is empty");
  }
  if (request.path.empty() || request.path[0] != '/') {
    return Error(ErrorCode::kInvalidArgument,
                 "SigV4: path must start with '/', got '" + request.path + "'");
  }

  // Headers: lower-case names, trimmed values; repeats joined with ',' in order.
  std::map<std::string, std::string> canon;
  for (const auto& [name, value] : request.headers) {
    std::string lname = ToLower(TrimAll(name));
    std::string v = TrimAll(value);
    auto [it, inserted] = canon.emplace(lname, v);
    if (!inserted) it->second += "," + v;
  }
  if (canon.find("host") == canon.end()) {
    return Error(ErrorCode::kInvalidArgument, "SigV4: request has no host header");
  }
  SigV4Signature sig;
  auto add_if_absent = [&](std::string_view wire_name, const std::string& value) {
    std::string lname = ToLower(wire_name);
    if (canon.emplace(lname, value).second) {
      sig.headers_to_add.emplace_back(std::string(wire_name), value);
    }
  };
  add_if_absent("x-amz-date", std::string(amz_date));
  add_if_absent("x-amz-content-sha256", request.payload_hash);
  if (!credentials.session_token.empty()) {
    add_if_absent("x-amz-security-token", credentials.session_token);
  }

  // Query: encode key and value (including '/'), then sort by key, then value.
  std::vector<std::pair<std::string, std::string>> query;
  query.reserve(request.query.size());
  for (const auto& [k, v] : request.query) {
    query.emplace_back(UriEncode(k, true), UriEncode(v, true));
  }
  std::sort(query.begin(), query.end());

  std::string method = request.method;
  for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));

  std::string cr;
  cr.reserve(512);
  cr += method;
  cr += '\n';
  cr += UriEncode(request.path, false);
  cr += '\n';
  for (size_t i = 0; i < query.size(); ++i) {
    if (i > 0) cr += '&';
    cr += query[i].first;
    cr += '=';
    cr += query[i].second;
  }
  cr += '\n';
  for (const auto& [name, value] : canon) {
    cr += name;
    cr += ':';
    cr += value;
    cr += '\n';
  }
  cr += '\n';
  for (const auto& [name, value] : canon) {
    if (!sig.signed_headers.empty()) sig.signed_headers += ';';
    sig.signed_headers += name;
  }
  cr += sig.signed_headers;
  cr += '\n';
  cr += canon["x-amz-content-sha256"];

  const std::string date(amz_date.substr(0, 8));
  const std::string scope =
      date + "/" + credentials.region + "/" + std::string(service) + "/aws4_request";
  sig.string_to_sign =
      std::string(kAlgorithm) + "\n" + std::string(amz_date) + "\n" + scope + "\n" + Sha256Hex(cr);
  sig.canonical_request = std::move(cr);

  // Key derivation. The secret and every derived key are wiped once used.
  std::string k_secret = "AWS4" + credentials.secret_key;
  Digest k_date = HmacSha256(k_secret, date);
  OPENSSL_cleanse(k_secret.data(), k_secret.size());
  Digest k_region = HmacSha256(AsView(k_date), credentials.region);
  Digest k_service = HmacSha256(AsView(k_region), service);
  Digest k_signing = HmacSha256(AsView(k_service), "aws4_request");
  Digest signature = HmacSha256(AsView(k_signing), sig.string_to_sign);
  for (Digest* d : {&k_date, &k_region, &k_service, &k_signing}) {
    OPENSSL_cleanse(d->data(), d->size());
  }
  sig.signature = ToHex(signature.data(), signature.size());
  sig.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key + "/" +
                      scope + ",SignedHeaders=" + sig.signed_headers +
                      ",Signature=" + sig.signature;
  return sig;
}

}  // namespace marketlake
