#include "marketlake/config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <utility>

namespace marketlake {
namespace {

class Parser {
 public:
  Parser(std::string_view file, const EnvLookup& env) : file_(file), env_(env) {}

  Status Fail(const YAML::Node& node, std::string_view key, std::string message) const {
    return Fail(node.Mark(), key, std::move(message));
  }
  Status Fail(const YAML::Mark& mark, std::string_view key, std::string message) const {
    std::string where = file_;
    if (mark.line >= 0) where += ":" + std::to_string(mark.line + 1);
    if (!key.empty()) where += ": " + std::string(key);
    return Error(ErrorCode::kInvalidArgument, where + ": " + message);
  }

  Result<std::string> Scalar(const YAML::Node& node, std::string_view key) const {
    if (!node.IsScalar()) {
      return Fail(node, key, node.IsNull() ? "expected a value" : "expected a single value");
    }
    auto expanded = Interpolate(node.Scalar(), env_);
    if (!expanded.ok()) return Fail(node, key, expanded.status().message());
    return *expanded;
  }

  Result<bool> Bool(const YAML::Node& node, std::string_view key) const {
    ML_ASSIGN_OR_RETURN(std::string v, Scalar(node, key));
    if (v == "true" || v == "True" || v == "yes" || v == "on" || v == "1") return true;
    if (v == "false" || v == "False" || v == "no" || v == "off" || v == "0") return false;
    return Fail(node, key, "expected true or false");
  }

  Result<double> Number(const YAML::Node& node, std::string_view key, bool integer) const {
    ML_ASSIGN_OR_RETURN(std::string v, Scalar(node, key));
    char* end = nullptr;
    errno = 0;
    double d = std::strtod(v.c_str(), &end);
    if (v.empty() || end != v.c_str() + v.size() || errno != 0 || d < 0 || d > 1e6 ||
        (integer && d != static_cast<double>(static_cast<int64_t>(d)))) {
      return Fail(node, key,
                  std::string("expected a non-negative ") + (integer ? "integer" : "number"));
    }
    return d;
  }

  Status ParseRetry(const YAML::Node& node, std::string_view ctx, RetryConfig* out) const {
    if (!node.IsMap()) return Fail(node, ctx, "expected a mapping");
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::string key = it->first.Scalar();
      std::string full = std::string(ctx) + "." + key;
      if (key == "max_attempts") {
        ML_ASSIGN_OR_RETURN(double d, Number(it->second, full, true));
        if (d < 1 || d > 100) return Fail(it->second, full, "expected 1..100");
        out->max_attempts = static_cast<int>(d);
      } else if (key == "connect_timeout") {
        ML_ASSIGN_OR_RETURN(out->connect_timeout, Number(it->second, full, false));
      } else if (key == "request_timeout") {
        ML_ASSIGN_OR_RETURN(out->request_timeout, Number(it->second, full, false));
      } else {
        return Fail(it->first, full,
                    "unknown key (expected max_attempts, connect_timeout, request_timeout)");
      }
    }
    return Status::OK();
  }

  Status ParseSource(const std::string& name, const YAML::Node& name_node, const YAML::Node& node,
                     std::optional<SourceType> implied_type, SourceConfig* out) const {
    const std::string ctx = "sources." + name;
    out->name = name;
    out->line = name_node.Mark().line + 1;
    if (!node.IsMap()) return Fail(node, ctx, "expected a mapping of settings");
    std::optional<bool> path_style;
    std::optional<SourceType> type = implied_type;
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) return Fail(it->first, ctx, "expected a key");
      const std::string key = it->first.Scalar();
      const std::string full = ctx + "." + key;
      const YAML::Node v = it->second;  // a copy: it-> yields a temporary proxy
      if (!seen.insert(key).second) return Fail(it->first, full, "given twice");
      if (key == "type") {
        ML_ASSIGN_OR_RETURN(std::string t, Scalar(v, full));
        if (t == "s3") {
          type = SourceType::kS3;
        } else if (t == "gcs" || t == "gs") {
          type = SourceType::kGcs;
        } else if (t == "local" || t == "file") {
          type = SourceType::kLocal;
        } else {
          // Quote the file's text, not the expansion: ${VAR} must not reveal its value.
          return Fail(
              v, full,
              "unknown type '" + v.Scalar().substr(0, 64) + "' (expected s3, gcs or local)");
        }
      } else if (key == "bucket") {
        ML_ASSIGN_OR_RETURN(out->bucket, Scalar(v, full));
        if (out->bucket.find('/') != std::string::npos || out->bucket.empty()) {
          return Fail(v, full, "a bucket name has no '/' (put the rest in prefix)");
        }
      } else if (key == "prefix") {
        ML_ASSIGN_OR_RETURN(out->prefix, Scalar(v, full));
        while (out->prefix.starts_with('/')) out->prefix.erase(0, 1);
        if (!out->prefix.empty() && !out->prefix.ends_with('/')) out->prefix += '/';
      } else if (key == "path") {
        ML_ASSIGN_OR_RETURN(out->path, Scalar(v, full));
      } else if (key == "region") {
        ML_ASSIGN_OR_RETURN(out->region, Scalar(v, full));
      } else if (key == "endpoint_url" || key == "endpoint") {
        ML_ASSIGN_OR_RETURN(out->endpoint_url, Scalar(v, full));
        auto pos = out->endpoint_url.find("://");
        if (!out->endpoint_url.empty() && (pos == std::string::npos ||
                                           (out->endpoint_url.compare(0, pos, "http") != 0 &&
                                            out->endpoint_url.compare(0, pos, "https") != 0) ||
                                           out->endpoint_url.find('@') != std::string::npos)) {
          return Fail(v, full, "expected http://host[:port] or https://host[:port]");
        }
        while (out->endpoint_url.ends_with('/')) out->endpoint_url.pop_back();
        if (!out->endpoint_url.empty() &&
            out->endpoint_url.find('/', pos + 3) != std::string::npos) {
          return Fail(v, full, "an endpoint has no path (expected scheme://host[:port])");
        }
      } else if (key == "access_key_id" || key == "aws_access_key_id") {
        ML_ASSIGN_OR_RETURN(out->access_key_id, Scalar(v, full));
      } else if (key == "secret_access_key" || key == "aws_secret_access_key") {
        ML_ASSIGN_OR_RETURN(out->secret_access_key, Scalar(v, full));
      } else if (key == "session_token" || key == "aws_session_token") {
        ML_ASSIGN_OR_RETURN(out->session_token, Scalar(v, full));
      } else if (key == "path_style") {
        ML_ASSIGN_OR_RETURN(path_style, Bool(v, full));
      } else if (key == "provider") {
        ML_ASSIGN_OR_RETURN(std::string p, Scalar(v, full));
        if (p == "aws") {
          out->provider = StorageProvider::kAws;
        } else if (p == "minio") {
          out->provider = StorageProvider::kMinio;
        } else if (p == "b2" || p == "backblaze") {
          out->provider = StorageProvider::kB2;
        } else if (p == "gcs" || p == "gcp") {
          out->provider = StorageProvider::kGcs;
        } else {
          return Fail(v, full,
                      "unknown provider '" + v.Scalar().substr(0, 64) +
                          "' (expected aws, minio, b2 or gcs)");
        }
      } else if (key == "sse") {
        ML_ASSIGN_OR_RETURN(out->sse, Scalar(v, full));
        if (out->sse == "none") out->sse.clear();
        if (!out->sse.empty() && out->sse != "AES256" && out->sse != "aws:kms") {
          return Fail(v, full, "expected AES256 or aws:kms");
        }
      } else if (key == "kms_key_id") {
        ML_ASSIGN_OR_RETURN(out->kms_key_id, Scalar(v, full));
      } else if (key == "storage_class") {
        ML_ASSIGN_OR_RETURN(out->storage_class, Scalar(v, full));
      } else if (key == "retry") {
        ML_RETURN_NOT_OK(ParseRetry(v, full, &out->retry));
      } else {
        return Fail(it->first, full, "unknown key");
      }
    }
    if (!type) type = out->path.empty() ? SourceType::kS3 : SourceType::kLocal;
    out->type = *type;
    if (out->type == SourceType::kLocal) {
      if (out->path.empty()) return Fail(node, ctx, "a local source needs 'path'");
    } else {
      if (out->bucket.empty()) return Fail(node, ctx, "missing 'bucket'");
      if (!out->path.empty()) return Fail(node, ctx + ".path", "only local sources have 'path'");
    }
    if (out->access_key_id.empty() != out->secret_access_key.empty()) {
      return Fail(node, ctx,
                  "access_key_id and secret_access_key must be given together (one is empty)");
    }
    if (!out->kms_key_id.empty() && out->sse != "aws:kms") {
      return Fail(node, ctx + ".kms_key_id", "only meaningful with sse: aws:kms");
    }
    if (out->type == SourceType::kGcs && out->provider == StorageProvider::kUnspecified) {
      out->provider = StorageProvider::kGcs;
    }
    out->path_style = path_style.value_or(!out->endpoint_url.empty());
    return Status::OK();
  }

  Status ParseSources(const YAML::Node& node, std::optional<SourceType> implied_type,
                      Config* config) const {
    if (node.IsNull()) return Status::OK();
    if (!node.IsMap()) return Fail(node, "sources", "expected a mapping of source names");
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) return Fail(it->first, "sources", "expected a source name");
      std::string name = it->first.Scalar();
      if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0]))) ||
          name.find_first_not_of(
              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
              std::string::npos) {
        return Fail(it->first, "sources",
                    "bad source name (letters, digits, '_' and '-', starting with a letter)");
      }
      if (config->sources.count(name) != 0) {
        return Fail(it->first, "sources." + name, "defined twice");
      }
      SourceConfig source;
      ML_RETURN_NOT_OK(ParseSource(name, it->first, it->second, implied_type, &source));
      config->sources.emplace(name, std::move(source));
    }
    return Status::OK();
  }

  Result<Config> Parse(std::string_view text) const {
    Config config;
    config.file = file_;
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      // yaml-cpp's messages describe the syntax problem, not the content.
      return Fail(e.mark, "", "bad YAML: " + e.msg);
    } catch (const std::exception& e) {
      return Error(ErrorCode::kInvalidArgument, file_ + ": bad YAML: " + e.what());
    }
    try {
      if (root.IsNull()) return config;
      if (!root.IsMap()) return Fail(root, "", "expected a mapping at the top level");
      for (auto it = root.begin(); it != root.end(); ++it) {
        std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
        if (key == "sources") {
          ML_RETURN_NOT_OK(ParseSources(it->second, std::nullopt, &config));
        } else if (key == "s3") {
          // The older layout: s3: {sources: {...}}.
          if (!it->second.IsMap()) return Fail(it->second, "s3", "expected a mapping");
          for (auto jt = it->second.begin(); jt != it->second.end(); ++jt) {
            if (jt->first.Scalar() != "sources") {
              return Fail(jt->first, "s3." + jt->first.Scalar(), "unknown key");
            }
            ML_RETURN_NOT_OK(ParseSources(jt->second, SourceType::kS3, &config));
          }
        } else if (key == "default_lake") {
          ML_ASSIGN_OR_RETURN(config.default_lake, Scalar(it->second, key));
        } else {
          return Fail(it->first, key, "unknown key (expected sources or default_lake)");
        }
      }
    } catch (const YAML::Exception& e) {
      return Fail(e.mark, "", "bad configuration: " + e.msg);
    }
    return config;
  }

 private:
  std::string file_;
  const EnvLookup& env_;
};

struct ConfigState {
  std::mutex mu;
  std::string override_path;
  std::shared_ptr<const Config> cached;
};

ConfigState& State() {
  static ConfigState state;
  return state;
}

}  // namespace

std::string_view SourceTypeName(SourceType type) {
  switch (type) {
    case SourceType::kS3:
      return "s3";
    case SourceType::kGcs:
      return "gcs";
    case SourceType::kLocal:
      return "local";
  }
  return "?";
}

std::string_view ProviderName(StorageProvider provider) {
  switch (provider) {
    case StorageProvider::kUnspecified:
      return "";
    case StorageProvider::kAws:
      return "aws";
    case StorageProvider::kMinio:
      return "minio";
    case StorageProvider::kB2:
      return "b2";
    case StorageProvider::kGcs:
      return "gcs";
  }
  return "?";
}

const SourceConfig* Config::FindSource(std::string_view name) const {
  auto it = sources.find(name);
  return it == sources.end() ? nullptr : &it->second;
}

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

Result<std::string> Interpolate(std::string_view value, const EnvLookup& env) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c != '$') {
      out += c;
      continue;
    }
    if (i + 1 < value.size() && value[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (i + 1 >= value.size() || value[i + 1] != '{') {
      out += c;
      continue;
    }
    size_t close = value.find('}', i + 2);
    if (close == std::string_view::npos) {
      return Error(ErrorCode::kInvalidArgument, "unterminated ${...}");
    }
    std::string_view inner = value.substr(i + 2, close - i - 2);
    std::string_view name = inner;
    std::optional<std::string_view> fallback;
    if (auto pos = inner.find(":-"); pos != std::string_view::npos) {
      name = inner.substr(0, pos);
      fallback = inner.substr(pos + 2);
    }
    if (name.empty() ||
        name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                               "0123456789_") != std::string_view::npos ||
        std::isdigit(static_cast<unsigned char>(name[0]))) {
      return Error(ErrorCode::kInvalidArgument,
                   "bad variable reference (expected ${NAME} or ${NAME:-default})");
    }
    auto v = env(std::string(name));
    if (v && !(v->empty() && fallback)) {
      out += *v;
    } else if (fallback) {
      out += *fallback;
    } else {
      return Error(ErrorCode::kInvalidArgument, "environment variable " + std::string(name) +
                                                    " is not set (use ${" + std::string(name) +
                                                    ":-default} for a default)");
    }
    i = close;
  }
  return out;
}

Result<Config> ParseConfig(std::string_view text, std::string_view file_name,
                           const EnvLookup& env) {
  if (text.size() > kMaxConfigBytes) {
    return Error(ErrorCode::kInvalidArgument,
                 std::string(file_name) + ": larger than 1 MiB; not a configuration file?");
  }
  Parser parser(file_name, env);
  return parser.Parse(text);
}

Result<Config> LoadConfigFile(const std::string& path, const EnvLookup& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return Error(ErrorCode::kNotFound, path + ": no such file");
    return Error(ErrorCode::kIOError, path + ": cannot open: " + std::strerror(errno));
  }
  std::string text(kMaxConfigBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return Error(ErrorCode::kIOError, path + ": read failed");
  text.resize(static_cast<size_t>(in.gcount()));
  return ParseConfig(text, path, env);
}

void SetConfigPath(std::string path) {
  auto& state = State();
  std::lock_guard<std::mutex> lock(state.mu);
  state.override_path = std::move(path);
  state.cached.reset();
}

std::string ConfigPath(bool* is_explicit) {
  auto& state = State();
  {
    std::lock_guard<std::mutex> lock(state.mu);
    if (!state.override_path.empty()) {
      if (is_explicit) *is_explicit = true;
      return state.override_path;
    }
  }
  if (const char* env = std::getenv("MARKETLAKE_CONFIG"); env != nullptr && *env != '\0') {
    if (is_explicit) *is_explicit = true;
    return env;
  }
  if (is_explicit) *is_explicit = false;
  std::string base;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    base = xdg;
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    base = std::string(home) + "/.config";
  } else {
    return "";
  }
  return base + "/marketlake/config.yaml";
}

Result<std::shared_ptr<const Config>> CurrentConfig() {
  auto& state = State();
  {
    std::lock_guard<std::mutex> lock(state.mu);
    if (state.cached) return state.cached;
  }
  bool is_explicit = false;
  std::string path = ConfigPath(&is_explicit);
  std::shared_ptr<const Config> config;
  if (path.empty()) {
    config = std::make_shared<Config>();
  } else {
    auto loaded = LoadConfigFile(path);
    if (!loaded.ok()) {
      if (CodeOf(loaded.status()) == ErrorCode::kNotFound && !is_explicit) {
        config = std::make_shared<Config>();
      } else if (CodeOf(loaded.status()) == ErrorCode::kNotFound) {
        return Error(ErrorCode::kNotFound, "configuration file " + path +
                                               " does not exist (from --config or "
                                               "MARKETLAKE_CONFIG)");
      } else {
        return loaded.status();
      }
    } else {
      config = std::make_shared<Config>(std::move(*loaded));
    }
  }
  std::lock_guard<std::mutex> lock(state.mu);
  if (!state.cached) state.cached = config;
  return state.cached;
}

}  // namespace marketlake
