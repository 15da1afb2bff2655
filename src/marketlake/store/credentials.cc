#include "marketlake/credentials.h"

#include <string>

namespace marketlake {
namespace {

std::string Get(const EnvLookup& env, const char* name) {
  auto v = env(name);
  return v ? *v : std::string();
}

}  // namespace

Result<CredentialChoice> ApplyS3Credentials(const SourceConfig& source, const EnvLookup& env,
                                            arrow::fs::S3Options* options) {
  // Building credential providers without an initialised SDK crashes inside it.
  ML_RETURN_NOT_OK(WithContext(arrow::fs::EnsureS3Initialized(), "initialising S3"));
  CredentialChoice choice;
  if (source.has_keys()) {
    options->ConfigureAccessKey(source.access_key_id, source.secret_access_key,
                                source.session_token);
    choice.source = CredentialSource::kConfig;
    choice.description = source.name.empty()
                             ? std::string("keys given in the URI")
                             : "keys of source '" + source.name + "' in the configuration file";
    if (!source.session_token.empty()) choice.description += " (with session token)";
    return choice;
  }
  std::string key = Get(env, "AWS_ACCESS_KEY_ID");
  std::string secret = Get(env, "AWS_SECRET_ACCESS_KEY");
  if (!key.empty() && !secret.empty()) {
    std::string token = Get(env, "AWS_SESSION_TOKEN");
    options->ConfigureAccessKey(key, secret, token);
    choice.source = CredentialSource::kEnvironment;
    choice.description = token.empty() ? "environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"
                                       : "environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
                                         "AWS_SESSION_TOKEN)";
    return choice;
  }
  options->ConfigureDefaultCredentials();
  choice.source = CredentialSource::kDefaultChain;
  std::string profile = Get(env, "AWS_PROFILE");
  choice.description =
      "AWS SDK default chain (profile '" + (profile.empty() ? std::string("default") : profile) +
      "' in shared credentials/config files, web identity, ECS/EC2 instance metadata)";
  return choice;
}

std::string EffectiveEndpoint(const SourceConfig& source, const EnvLookup& env) {
  if (!source.endpoint_url.empty()) return source.endpoint_url;
  if (source.type == SourceType::kGcs) return "https://storage.googleapis.com";
  std::string v = Get(env, "AWS_ENDPOINT_URL_S3");
  if (v.empty()) v = Get(env, "AWS_ENDPOINT_URL");
  while (v.ends_with('/')) v.pop_back();
  return v;
}

std::string ConfiguredRegion(const SourceConfig& source, const EnvLookup& env) {
  if (!source.region.empty()) return source.region;
  std::string v = Get(env, "AWS_REGION");
  if (v.empty()) v = Get(env, "AWS_DEFAULT_REGION");
  return v;
}

}  // namespace marketlake
