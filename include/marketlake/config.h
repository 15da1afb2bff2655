// The marketlake configuration file: named sources (places in object stores or on local
// disk) that commands can refer to as SOURCE:prefix.
//
// Where it is read from, first match wins:
//   1. SetConfigPath(path) (the CLI's global --config flag),
//   2. $MARKETLAKE_CONFIG,
//   3. ~/.config/marketlake/config.yaml (absent is fine: no sources).
// An explicitly named file (1 or 2) that does not exist is an error (kNotFound).
//
// Format (YAML, at most 1 MiB; see docs/storage.md):
//
//   default_lake: prod:lake/          # optional: where a lake lives when none is named
//   sources:
//     prod:
//       type: s3                      # s3 | gcs | local (default: s3, or local with `path`)
//       bucket: my-market-data        # required for s3 and gcs
//       prefix: marketlake/           # optional key prefix under the bucket
//       region: us-east-1
//       endpoint_url: http://localhost:9000
//       access_key_id: ${AWS_ACCESS_KEY_ID}
//       secret_access_key: ${AWS_SECRET_ACCESS_KEY:-}
//       session_token: ...
//       path_style: true              # default: true when endpoint_url is set
//       provider: minio               # aws | minio | b2 | gcs (a hint)
//       sse: aws:kms                  # AES256 | aws:kms (+ kms_key_id)
//       kms_key_id: arn:aws:kms:...
//       storage_class: STANDARD_IA
//       retry: {max_attempts: 5, connect_timeout: 2, request_timeout: 30}
//     scratch:
//       type: local
//       path: /data/scratch
//
// Values may use ${VAR} (the variable must be set) and ${VAR:-default}; "$$" is a literal
// "$". The names used by the older `s3: {sources: ...}` layout and the aws_ prefixed key
// names (aws_access_key_id, aws_secret_access_key, aws_session_token) are accepted too.
//
// Errors are kInvalidArgument and name the file, the line and the key
// ("config.yaml:7: sources.prod.bukcet: unknown key"). They never contain the value of a
// credential.
//
// Thread safety: ParseConfig/LoadConfigFile are pure. SetConfigPath must be called before
// any other thread uses CurrentConfig().
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "marketlake/status.h"

namespace marketlake {

enum class SourceType { kS3, kGcs, kLocal };
enum class StorageProvider { kUnspecified, kAws, kMinio, kB2, kGcs };

std::string_view SourceTypeName(SourceType type);
std::string_view ProviderName(StorageProvider provider);

struct RetryConfig {
  int max_attempts = 0;         // 0: the SDK's default
  double connect_timeout = -1;  // seconds; negative: the SDK's default
  double request_timeout = -1;  // seconds; negative: the SDK's default
};

struct SourceConfig {
  std::string name;
  SourceType type = SourceType::kS3;
  std::string bucket;  // s3, gcs
  std::string prefix;  // key prefix (no leading '/', '/'-terminated when not empty)
  std::string path;    // local: the root directory
  std::string region;
  std::string endpoint_url;  // scheme://host[:port]
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  bool path_style = false;  // resolved: explicit, else true when endpoint_url is set
  StorageProvider provider = StorageProvider::kUnspecified;
  std::string sse;  // "", "AES256" or "aws:kms"
  std::string kms_key_id;
  std::string storage_class;
  RetryConfig retry;
  int line = 0;  // 1-based line of the source's name in the file

  bool has_keys() const { return !access_key_id.empty(); }
};

struct Config {
  std::string file;  // the file it came from; empty when there was none
  std::map<std::string, SourceConfig, std::less<>> sources;
  std::string default_lake;

  // nullptr when there is no source of that name.
  const SourceConfig* FindSource(std::string_view name) const;
};

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup ProcessEnvironment();

// Expands ${VAR}, ${VAR:-default} and $$ in `value`. Fails with kInvalidArgument (naming
// the variable, never a value) for an unset variable without default or bad syntax.
Result<std::string> Interpolate(std::string_view value, const EnvLookup& env);

// Parses configuration text. `file_name` is used in messages only.
Result<Config> ParseConfig(std::string_view text, std::string_view file_name,
                           const EnvLookup& env = ProcessEnvironment());

// Reads and parses a file (kNotFound when absent; kInvalidArgument when over 1 MiB).
Result<Config> LoadConfigFile(const std::string& path, const EnvLookup& env = ProcessEnvironment());

inline constexpr size_t kMaxConfigBytes = 1 << 20;

// Overrides where the configuration is read from (empty: back to the default order) and
// drops the cached configuration.
void SetConfigPath(std::string path);

// The path in effect and whether it was named explicitly (SetConfigPath or
// $MARKETLAKE_CONFIG) rather than the default location.
std::string ConfigPath(bool* is_explicit = nullptr);

// The configuration in effect, loaded once and cached. An absent default file gives an
// empty Config.
Result<std::shared_ptr<const Config>> CurrentConfig();

}  // namespace marketlake
