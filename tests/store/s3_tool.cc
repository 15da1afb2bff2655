// Test helper: drives marketlake's S3 object client from the command line so pytest can
// test it against moto, boto3 and the fault-injecting proxy. Prints one JSON object:
//   {"ok": bool, "code": "<category>", "message": ..., "etag": ..., "size": ...,
//    "bytes": <body bytes>, "metrics": {...}, ...}
// and exits with marketlake's exit code for the category. GET bodies are written to --out
// only on success, so a truncated transfer can never masquerade as a file.
//
// ml_s3_tool --endpoint URL --bucket B [--access-key K --secret-key S --session-token T
//            --region R --provider aws|generic|gcs --addressing auto|path|virtual
//            --attempts N --backoff-ms MS --timeout-ms MS --connect-timeout-ms MS]
//            put KEY --in FILE [--if-absent | --if-match ETAG] [--sse AES256|aws:kms
//                --kms-key-id ID] [--storage-class C] [--content-type T]
//          | get KEY --out FILE [--range OFFSET LENGTH]
//          | head KEY | delete KEY | probe PREFIX
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "marketlake/object_client.h"

namespace ml = marketlake;

namespace {

int Finish(nlohmann::json out, const ml::Status& st, const ml::ObjectClient* client) {
  out["ok"] = st.ok();
  out["code"] = std::string(ml::CodeName(ml::CodeOf(st)));
  if (!st.ok()) out["message"] = st.message();
  if (client != nullptr) {
    if (auto m = ml::S3ObjectClientMetrics(*client)) {
      out["metrics"] = nlohmann::json::parse(m->ToJson());
    }
  }
  std::cout << out.dump() << std::endl;
  return ml::ExitCodeFor(ml::CodeOf(st));
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  std::vector<std::string> positional;
  bool if_absent = false;
  std::vector<std::string> range;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--if-absent") {
      if_absent = true;
    } else if (a == "--range" && i + 2 < argc) {
      range = {argv[i + 1], argv[i + 2]};
      i += 2;
    } else if (a.rfind("--", 0) == 0 && i + 1 < argc) {
      flags[a.substr(2)] = argv[++i];
    } else {
      positional.push_back(a);
    }
  }
  auto flag = [&](const std::string& name, const std::string& def = "") {
    auto it = flags.find(name);
    return it == flags.end() ? def : it->second;
  };
  if (positional.size() < 2 || flag("bucket").empty()) {
    return Finish({}, ml::Error(ml::ErrorCode::kInvalidArgument, "usage: see s3_tool.cc"), nullptr);
  }
  ml::S3ClientOptions options;
  options.endpoint = flag("endpoint");
  const std::string provider = flag("provider", options.endpoint.empty() ? "aws" : "generic");
  options.provider = provider == "gcs"   ? ml::StoreProvider::kGcs
                     : provider == "aws" ? ml::StoreProvider::kAws
                                         : ml::StoreProvider::kGeneric;
  const std::string addressing = flag("addressing", "auto");
  options.addressing = addressing == "path"      ? ml::AddressingStyle::kPath
                       : addressing == "virtual" ? ml::AddressingStyle::kVirtualHosted
                                                 : ml::AddressingStyle::kAuto;
  options.retry.max_attempts = std::stoi(flag("attempts", "5"));
  options.retry.initial_backoff = std::chrono::milliseconds(std::stoi(flag("backoff-ms", "20")));
  options.request_timeout = std::chrono::milliseconds(std::stoi(flag("timeout-ms", "10000")));
  options.connect_timeout =
      std::chrono::milliseconds(std::stoi(flag("connect-timeout-ms", "2000")));
  ml::SigningCredentials creds{flag("access-key", "testing"), flag("secret-key", "testing"),
                               flag("session-token"), flag("region", "us-east-1")};
  auto made = ml::MakeS3ObjectClient(options, creds);
  if (!made.ok()) return Finish({}, made.status(), nullptr);
  std::unique_ptr<ml::ObjectClient> client = std::move(made).ValueUnsafe();
  const std::string bucket = flag("bucket");
  const std::string op = positional[0];
  const std::string key = positional[1];
  nlohmann::json out;

  if (op == "put") {
    std::ifstream in(flag("in"), std::ios::binary);
    if (!in) {
      return Finish({}, ml::Error(ml::ErrorCode::kNotFound, "cannot read --in"), client.get());
    }
    const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ml::PutOptions po;
    if (if_absent) po.condition = ml::WriteCondition::kIfAbsent;
    if (!flag("if-match").empty()) {
      po.condition = ml::WriteCondition::kIfUnchanged;
      po.expected_version = flag("if-match");
    }
    const std::string sse = flag("sse");
    if (sse == "AES256") po.sse = ml::ServerSideEncryption::kAes256;
    if (sse == "aws:kms") po.sse = ml::ServerSideEncryption::kAwsKms;
    po.kms_key_id = flag("kms-key-id");
    po.storage_class = flag("storage-class");
    if (!flag("content-type").empty()) po.content_type = flag("content-type");
    auto r = client->PutObject(bucket, key, body, po);
    if (r.ok()) {
      out["etag"] = r->etag;
      out["bytes"] = body.size();
    }
    return Finish(out, r.status(), client.get());
  }
  if (op == "get") {
    std::optional<ml::ByteRange> br;
    if (!range.empty()) br = ml::ByteRange{std::stoull(range[0]), std::stoull(range[1])};
    auto r = client->GetObject(bucket, key, br);
    if (r.ok()) {
      std::ofstream f(flag("out"), std::ios::binary | std::ios::trunc);
      f.write(r->data.data(), static_cast<std::streamsize>(r->data.size()));
      f.close();
      out["bytes"] = r->data.size();
      out["size"] = r->info.size;
      out["etag"] = r->info.etag;
    }
    return Finish(out, r.status(), client.get());
  }
  if (op == "head") {
    auto r = client->HeadObject(bucket, key);
    if (r.ok()) {
      out["size"] = r->size;
      out["etag"] = r->etag;
      out["storage_class"] = r->storage_class;
      out["content_type"] = r->content_type;
    }
    return Finish(out, r.status(), client.get());
  }
  if (op == "delete") return Finish(out, client->DeleteObject(bucket, key), client.get());
  if (op == "probe") {
    auto r = ml::ProbeConditionalWrites(*client, bucket, key);
    if (r.ok()) {
      out["if_absent_honoured"] = r->if_absent_honoured;
      out["if_unchanged_honoured"] = r->if_unchanged_honoured;
      out["detail"] = r->detail;
    }
    return Finish(out, r.status(), client.get());
  }
  return Finish({}, ml::Error(ml::ErrorCode::kInvalidArgument, "unknown op " + op), client.get());
}
