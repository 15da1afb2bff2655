// Which credentials an S3-compatible place is accessed with.
//
// Order, first that applies wins:
//   1. access_key_id / secret_access_key (/ session_token) of the configured source,
//      or user:secret@ in an s3:// URI;
//   2. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN) in the environment;
//   3. the AWS SDK's default chain, through Arrow's S3Options::ConfigureDefaultCredentials():
//      AWS_PROFILE (default "default") in the shared credentials and config files
//      (~/.aws/credentials, ~/.aws/config, or AWS_SHARED_CREDENTIALS_FILE /
//      AWS_CONFIG_FILE), SSO and process credentials from the profile, web identity
//      (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN), the ECS container endpoint
//      (AWS_CONTAINER_CREDENTIALS_*), and the EC2 instance metadata service
//      (disable with AWS_EC2_METADATA_DISABLED=true).
//
// Nothing here returns or logs a secret: descriptions name where credentials come from.
#pragma once

#include <arrow/filesystem/s3fs.h>

#include <string>

#include "marketlake/config.h"
#include "marketlake/status.h"

namespace marketlake {

enum class CredentialSource { kConfig, kEnvironment, kDefaultChain };

struct CredentialChoice {
  CredentialSource source = CredentialSource::kDefaultChain;
  std::string description;  // e.g. "environment (AWS_ACCESS_KEY_ID)"; never a secret
};

// Sets options->credentials_* according to the order above. Initialises the AWS SDK first
// (credential providers are SDK objects); fails only when that initialisation fails.
Result<CredentialChoice> ApplyS3Credentials(const SourceConfig& source, const EnvLookup& env,
                                            arrow::fs::S3Options* options);

// The endpoint in effect: the source's endpoint_url, else AWS_ENDPOINT_URL_S3, else
// AWS_ENDPOINT_URL; empty for AWS itself.
std::string EffectiveEndpoint(const SourceConfig& source, const EnvLookup& env);

// The region in effect without network access: the source's region, else AWS_REGION,
// else AWS_DEFAULT_REGION; empty when none is given.
std::string ConfiguredRegion(const SourceConfig& source, const EnvLookup& env);

}  // namespace marketlake
