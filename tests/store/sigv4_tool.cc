// Test helper: signs requests read as JSON lines on stdin and prints one JSON line per
// request, so tests/store/test_sigv4_botocore.py can compare our signer with botocore's.
//
// In:  {"method","path" (decoded),"query":[[k,v],...],"headers":[[k,v],...],
//       "payload_hash","access_key","secret_key","session_token","region","amz_date"}
// Out: {"signature","canonical_request","string_to_sign","signed_headers","authorization"}
//      or {"error": message}
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "marketlake/sigv4.h"

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    nlohmann::json out;
    try {
      const nlohmann::json in = nlohmann::json::parse(line);
      marketlake::SigV4Request req;
      req.method = in.at("method").get<std::string>();
      req.path = in.at("path").get<std::string>();
      for (const auto& kv : in.value("query", nlohmann::json::array())) {
        req.query.emplace_back(kv.at(0).get<std::string>(), kv.at(1).get<std::string>());
      }
      for (const auto& kv : in.value("headers", nlohmann::json::array())) {
        req.headers.emplace_back(kv.at(0).get<std::string>(), kv.at(1).get<std::string>());
      }
      req.payload_hash = in.value("payload_hash", std::string(marketlake::kEmptyPayloadSha256));
      marketlake::SigningCredentials creds{
          in.at("access_key").get<std::string>(), in.at("secret_key").get<std::string>(),
          in.value("session_token", std::string()), in.at("region").get<std::string>()};
      auto sig = marketlake::SignV4(req, creds, in.at("amz_date").get<std::string>(),
                                    in.value("service", std::string("s3")));
      if (!sig.ok()) {
        out["error"] = sig.status().ToString();
      } else {
        out["signature"] = sig->signature;
        out["canonical_request"] = sig->canonical_request;
        out["string_to_sign"] = sig->string_to_sign;
        out["signed_headers"] = sig->signed_headers;
        out["authorization"] = sig->authorization;
      }
    } catch (const std::exception& e) {
      out["error"] = std::string("bad input: ") + e.what();
    }
    std::cout << out.dump() << "\n" << std::flush;
  }
  return 0;
}
