#include "marketlake/filesystem.h"

#include <arrow/buffer.h>
#include <arrow/filesystem/gcsfs.h>
#include <arrow/filesystem/localfs.h>
#include <arrow/filesystem/s3fs.h>
#include <arrow/util/async_generator.h>

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "marketlake/credentials.h"
#include "marketlake/request_metrics.h"
#include "marketlake/s3_output_stream.h"
#include "marketlake/store/metered_filesystem.h"

namespace marketlake {
namespace {

bool HasScheme(std::string_view uri) {
  auto pos = uri.find("://");
  return pos != std::string_view::npos && pos > 0;
}

// "name:rest" where name is a plausible source name and the whole is not a path.
bool LooksLikeSourceRef(std::string_view uri, std::string_view* name, std::string_view* key) {
  auto colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view n = uri.substr(0, colon);
  if (!std::isalpha(static_cast<unsigned char>(n[0]))) return false;
  for (char c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  *name = n;
  *key = uri.substr(colon + 1);
  return true;
}

std::string StripSlashes(std::string_view s) {
  while (s.starts_with('/')) s.remove_prefix(1);
  while (s.ends_with('/')) s.remove_suffix(1);
  return std::string(s);
}

std::string JoinKey(std::string_view a, std::string_view b) {
  std::string left = StripSlashes(a);
  std::string right = StripSlashes(b);
  if (left.empty()) return right;
  if (right.empty()) return left;
  return left + "/" + right;
}

// Process-wide cache of S3/GCS filesystems, keyed by everything that configures them.
struct FsCache {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<arrow::fs::FileSystem>> filesystems;
  std::map<std::string, std::string> bucket_regions;
};

FsCache& Cache() {
  static FsCache* cache = new FsCache();  // leaked: outlives static destructors
  return *cache;
}

std::string CacheKey(const arrow::fs::S3Options& o, const SourceConfig& s) {
  // Secrets stay inside the process; the key is never shown.
  return o.endpoint_override + "|" + o.scheme + "|" + o.region + "|" +
         (o.force_virtual_addressing ? "v" : "p") + "|" + o.GetAccessKey() + "|" +
         o.GetSecretKey() + "|" + o.GetSessionToken() + "|" +
         std::to_string(static_cast<int>(o.credentials_kind)) + "|" +
         std::to_string(s.retry.max_attempts) + "|" + std::to_string(o.connect_timeout) + "|" +
         std::to_string(o.request_timeout);
}

// One metered filesystem per store (`label`) and settings: its requests, and the retries
// of the retry strategy marketlake supplies, are counted under the store.
Result<std::shared_ptr<arrow::fs::FileSystem>> S3FileSystemFor(arrow::fs::S3Options o,
                                                               const SourceConfig& s,
                                                               const std::string& label) {
  auto st = arrow::fs::EnsureS3Initialized();
  if (!st.ok()) return WithContext(st, "initialising S3");
  std::string key = label + "|" + CacheKey(o, s);
  auto& cache = Cache();
  std::lock_guard<std::mutex> lock(cache.mu);
  auto it = cache.filesystems.find(key);
  if (it != cache.filesystems.end()) return it->second;
  std::shared_ptr<RequestMetrics> metrics = StoreMetrics(label);
  if (o.retry_strategy) {
    o.retry_strategy = internal::MakeCountingRetryStrategy(o.retry_strategy, metrics);
  }
  auto fs = arrow::fs::S3FileSystem::Make(o);
  if (!fs.ok()) return WithContext(fs.status(), "creating the S3 client");
  auto metered =
      internal::MakeMeteredFileSystem(*fs, std::move(metrics), internal::kArrowS3PartSize);
  cache.filesystems.emplace(key, metered);
  return metered;
}

// The AWS SDK (1.11.900 in Arrow 26) by default sends every upload body as aws-chunked
// with a trailing CRC checksum. Several S3-compatible stores reject that, and emulators
// decode it slowly (moto: half the upload throughput). Checksums only where the API
// requires them, as before the SDK changed its default, unless the user chose otherwise.
void PreferChecksumsWhenRequired() {
  static std::once_flag once;
  std::call_once(once, [] { ::setenv("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required", 0); });
}

// Finds the one configured source of `type` for `bucket`; nullptr when none or several.
const SourceConfig* SourceForBucket(const Config& config, SourceType type,
                                    std::string_view bucket) {
  const SourceConfig* found = nullptr;
  for (const auto& [name, s] : config.sources) {
    if (s.type == type && s.bucket == bucket) {
      if (found != nullptr) return nullptr;
      found = &s;
    }
  }
  return found;
}

Result<Location> ResolveObjectStore(const SourceConfig& source, std::string_view key,
                                    const EnvLookup& env, Location loc) {
  if (source.type == SourceType::kGcs && !source.has_keys()) {
    // Native GCS with Google's default credentials.
    auto options = arrow::fs::GcsOptions::Defaults();
    if (!source.endpoint_url.empty()) {
      auto pos = source.endpoint_url.find("://");
      options.scheme = source.endpoint_url.substr(0, pos);
      options.endpoint_override = source.endpoint_url.substr(pos + 3);
    }
    if (source.retry.request_timeout > 0) {
      options.retry_limit_seconds = source.retry.request_timeout;
    }
    loc.kind = "gcs";
    loc.credentials = "Google application default credentials";
    loc.path = JoinKey(source.bucket, JoinKey(source.prefix, key));
    const std::string label = StoreLabel(loc);
    std::string cache_key = label + "|gcs|" + options.scheme + "|" + options.endpoint_override;
    auto& cache = Cache();
    std::lock_guard<std::mutex> lock(cache.mu);
    auto it = cache.filesystems.find(cache_key);
    if (it == cache.filesystems.end()) {
      auto fs = arrow::fs::GcsFileSystem::Make(options);
      if (!fs.ok()) return WithContext(fs.status(), "creating the GCS client");
      it = cache.filesystems
               .emplace(cache_key, internal::MakeMeteredFileSystem(*fs, StoreMetrics(label),
                                                                   /*upload_part_size=*/0))
               .first;
    }
    loc.fs = it->second;
    return loc;
  }
  ML_ASSIGN_OR_RETURN(auto options, MakeS3Options(source, env, /*allow_network=*/true,
                                                  &loc.credentials, &loc.write_refusal));
  loc.kind = "s3";
  loc.provider = source.provider;
  loc.s3_options = std::make_shared<arrow::fs::S3Options>(options);
  loc.endpoint = options.endpoint_override.empty()
                     ? std::string()
                     : options.scheme + "://" + options.endpoint_override;
  loc.region = options.region;
  loc.path = JoinKey(source.bucket, JoinKey(source.prefix, key));
  ML_ASSIGN_OR_RETURN(loc.fs, S3FileSystemFor(options, source, StoreLabel(loc)));
  loc.sse = source.sse;
  loc.kms_key_id = source.kms_key_id;
  loc.storage_class = source.storage_class;
  loc.retry_max_attempts = source.retry.max_attempts;
  return loc;
}

// Splits "scheme://[userinfo@]bucket/key" into its parts.
Status SplitBucketUri(std::string_view uri, std::string_view scheme, std::string* userinfo,
                      std::string* bucket, std::string* key, std::string* display) {
  std::string_view rest = uri.substr(scheme.size() + 3);
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    *userinfo = std::string(authority.substr(0, at));
    authority = authority.substr(at + 1);
  }
  *display = std::string(scheme) + "://" + std::string(authority) +
             (slash == std::string_view::npos ? "" : "/" + std::string(path));
  if (authority.empty()) {
    return Error(ErrorCode::kInvalidArgument, *display + ": missing bucket name");
  }
  if (path.find('?') != std::string_view::npos || authority.find(':') != std::string_view::npos) {
    return Error(ErrorCode::kInvalidArgument,
                 *display +
                     ": query parameters and ports are not part of a place; name a "
                     "source in the configuration file for endpoints and options");
  }
  *bucket = std::string(authority);
  *key = std::string(path);
  return Status::OK();
}

Status NotFound(const Location& loc, std::string_view what = "no such file or object") {
  return Error(ErrorCode::kNotFound, loc.display + ": " + std::string(what));
}

std::string RandomSuffix() {
  static std::atomic<uint64_t> counter{0};
  std::random_device rd;
  uint64_t v = (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ (counter++ << 48) ^
               static_cast<uint64_t>(getpid());
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

Location Location::Child(std::string_view relative) const {
  Location child = *this;
  std::string rel = StripSlashes(relative);
  if (rel.empty()) return child;
  child.path = path.empty() ? rel : (path.ends_with('/') ? path + rel : path + "/" + rel);
  if (display.empty() || display.ends_with('/') || display.ends_with(':')) {
    child.display = display + rel;
  } else {
    child.display = display + "/" + rel;
  }
  return child;
}

std::string StoreLabel(const Location& loc) {
  std::string p = StripSlashes(loc.path);
  const std::string bucket = p.substr(0, p.find('/'));
  std::string label;
  if (!loc.source.empty()) {
    label = "source " + loc.source;
  } else {
    label = (loc.kind == "gcs" ? "gs://" : "s3://") + bucket;
  }
  if (!loc.endpoint.empty()) return label + " at " + loc.endpoint;
  return label + (loc.kind == "gcs" ? " at GCS" : " at AWS " + loc.region);
}

bool Location::IsBucketRoot() const {
  if (kind != "s3" && kind != "gcs") return false;
  return StripSlashes(path).find('/') == std::string::npos;
}

Result<arrow::fs::S3Options> MakeS3Options(const SourceConfig& source, const EnvLookup& env,
                                           bool allow_network, std::string* credentials,
                                           std::string* refusal) {
  PreferChecksumsWhenRequired();
  // The AWS SDK must be up before any of its objects (credential providers, retry
  // strategies) are created.
  auto init = arrow::fs::EnsureS3Initialized();
  if (!init.ok()) return WithContext(init, "initialising S3");
  arrow::fs::S3Options options;
  std::string endpoint = EffectiveEndpoint(source, env);
  if (!endpoint.empty()) {
    auto pos = endpoint.find("://");
    if (pos == std::string::npos) {
      options.scheme = "https";
      options.endpoint_override = endpoint;
    } else {
      options.scheme = endpoint.substr(0, pos);
      options.endpoint_override = endpoint.substr(pos + 3);
    }
    if (options.scheme != "http" && options.scheme != "https") {
      return Error(ErrorCode::kInvalidArgument,
                   "endpoint must start with http:// or https:// (source '" + source.name + "')");
    }
    // Path style unless the source asks for virtual hosts (GCS interop, B2 and MinIO all
    // accept path style).
    options.force_virtual_addressing =
        !source.path_style && !(source.endpoint_url.empty() && source.type != SourceType::kGcs);
  }
  options.region = ConfiguredRegion(source, env);
  if (options.region.empty()) {
    if (source.type == SourceType::kGcs) {
      options.region = "auto";
    } else if (endpoint.empty() && allow_network &&
               (source.provider == StorageProvider::kUnspecified ||
                source.provider == StorageProvider::kAws)) {
      auto& cache = Cache();
      std::unique_lock<std::mutex> lock(cache.mu);
      auto it = cache.bucket_regions.find(source.bucket);
      if (it != cache.bucket_regions.end()) {
        options.region = it->second;
      } else {
        lock.unlock();
        auto st = arrow::fs::EnsureS3Initialized();
        if (!st.ok()) return WithContext(st, "initialising S3");
        auto region = arrow::fs::ResolveS3BucketRegion(source.bucket);
        // Unresolvable (offline, no permission): let the SDK choose; requests then report
        // the real problem.
        options.region = region.ok() ? *region : "us-east-1";
        lock.lock();
        cache.bucket_regions[source.bucket] = options.region;
      }
    } else {
      options.region = "us-east-1";
    }
  }
  // Objects smaller than one part (10 MiB) go up in a single PutObject on Close() instead
  // of create/upload/complete; larger ones are multipart with parts uploaded in the
  // background. Errors (e.g. a missing bucket) then surface at Close(), which every writer
  // must check anyway.
  options.allow_delayed_open = true;
  options.background_writes = true;
  ML_ASSIGN_OR_RETURN(CredentialChoice choice, ApplyS3Credentials(source, env, &options));
  if (credentials != nullptr) *credentials = choice.description;
  if (source.retry.max_attempts > 0) {
    options.retry_strategy =
        arrow::fs::S3RetryStrategy::GetAwsStandardRetryStrategy(source.retry.max_attempts);
  }
  if (source.retry.connect_timeout >= 0) options.connect_timeout = source.retry.connect_timeout;
  if (source.retry.request_timeout >= 0) options.request_timeout = source.retry.request_timeout;
  // Arrow 26's S3 writer passes only ACL, Cache-Control, Content-Type, Content-Language,
  // Content-Encoding and Expires from metadata: SSE-S3/SSE-KMS and storage class cannot be
  // requested per object through it. Such sources are written by marketlake's own
  // multipart writer instead (OpenOutputStream, s3_output_stream.h), so nothing is refused.
  if (refusal != nullptr) refusal->clear();
  return options;
}

Result<Location> ResolveLocation(std::string_view uri) {
  ML_ASSIGN_OR_RETURN(auto config, CurrentConfig());
  return ResolveLocation(uri, *config, ProcessEnvironment());
}

Result<Location> ResolveLocation(std::string_view uri, const Config& config, const EnvLookup& env) {
  if (uri.empty()) return Error(ErrorCode::kInvalidArgument, "empty path");
  Location loc;
  loc.display = std::string(uri);

  std::string_view source_name, source_key;
  if (!HasScheme(uri) && LooksLikeSourceRef(uri, &source_name, &source_key)) {
    const SourceConfig* source = config.FindSource(source_name);
    if (source == nullptr) {
      std::string where = config.file.empty() ? std::string("no configuration file")
                                              : "configuration " + config.file;
      return Error(ErrorCode::kNotFound, "unknown source '" + std::string(source_name) + "' (" +
                                             where + "); write ./" + std::string(uri) +
                                             " for a local path");
    }
    loc.source = source->name;
    if (source->type == SourceType::kLocal) {
      std::error_code ec;
      auto root = std::filesystem::absolute(source->path, ec);
      if (ec) return Error(ErrorCode::kInvalidArgument, loc.display + ": " + ec.message());
      std::string rel = JoinKey(source->prefix, source_key);
      loc.fs = std::make_shared<arrow::fs::LocalFileSystem>();
      loc.kind = "local";
      loc.path = (rel.empty() ? root : root / rel).lexically_normal().string();
      while (loc.path.size() > 1 && loc.path.ends_with('/')) loc.path.pop_back();
      return loc;
    }
    return ResolveObjectStore(*source, source_key, env, std::move(loc));
  }

  if (!HasScheme(uri) || uri.starts_with("file://")) {
    std::string p(uri);
    if (uri.starts_with("file://")) {
      p = std::string(uri.substr(7));
      if (p.starts_with("localhost/")) p = p.substr(9);
      if (!p.starts_with('/')) {
        return Error(ErrorCode::kInvalidArgument, loc.display + ": expected file:///absolute/path");
      }
    }
    std::error_code ec;
    auto abs = std::filesystem::absolute(std::filesystem::path(p), ec);
    if (ec) return Error(ErrorCode::kInvalidArgument, loc.display + ": " + ec.message());
    loc.fs = std::make_shared<arrow::fs::LocalFileSystem>();
    loc.kind = "local";
    loc.path = abs.lexically_normal().string();
    while (loc.path.size() > 1 && loc.path.ends_with('/')) loc.path.pop_back();
    return loc;
  }

  if (uri.starts_with("s3://") || uri.starts_with("gs://")) {
    bool gcs = uri.starts_with("gs://");
    std::string userinfo, bucket, key;
    ML_RETURN_NOT_OK(
        SplitBucketUri(uri, gcs ? "gs" : "s3", &userinfo, &bucket, &key, &loc.display));
    SourceConfig adhoc;
    const SourceConfig* source =
        SourceForBucket(config, gcs ? SourceType::kGcs : SourceType::kS3, bucket);
    if (source != nullptr) {
      adhoc = *source;
      adhoc.prefix.clear();  // the URI names the full key
      loc.source = source->name;
    } else {
      adhoc.type = gcs ? SourceType::kGcs : SourceType::kS3;
      adhoc.bucket = bucket;
      adhoc.path_style = true;
      if (gcs) adhoc.provider = StorageProvider::kGcs;
    }
    if (!userinfo.empty()) {
      auto colon = userinfo.find(':');
      if (colon == std::string::npos) {
        return Error(ErrorCode::kInvalidArgument,
                     loc.display + ": credentials in a URI must be key:secret@");
      }
      adhoc.access_key_id = userinfo.substr(0, colon);
      adhoc.secret_access_key = userinfo.substr(colon + 1);
      adhoc.session_token.clear();
      adhoc.name.clear();
    }
    return ResolveObjectStore(adhoc, key, env, std::move(loc));
  }

  // Any other scheme Arrow knows (mock://, hdfs:// ...). Strip userinfo from the display.
  auto scheme_end = uri.find("://");
  std::string scheme(uri.substr(0, scheme_end));
  auto rest = uri.substr(scheme_end + 3);
  auto at = rest.find('@');
  auto slash = rest.find('/');
  if (at != std::string_view::npos && (slash == std::string_view::npos || at < slash)) {
    loc.display = scheme + "://" + std::string(rest.substr(at + 1));
  }
  std::string path;
  auto fs = arrow::fs::FileSystemFromUri(std::string(uri), &path);
  if (!fs.ok()) {
    return Error(ErrorCode::kInvalidArgument,
                 loc.display +
                     ": cannot resolve (expected a path, file://, s3://, gs:// or "
                     "SOURCE:key)");
  }
  loc.fs = *fs;
  loc.kind = scheme;
  loc.path = path;
  return loc;
}

Result<arrow::fs::FileInfo> Stat(const Location& loc) {
  auto info = loc.fs->GetFileInfo(loc.path);
  if (!info.ok()) return WithContext(info.status(), loc.display);
  return *info;
}

Result<S3Access> S3AccessFor(const Location& loc) {
  if (loc.kind != "s3" || !loc.s3_options) {
    return Error(ErrorCode::kInvalidArgument, loc.display + ": not an S3-compatible place");
  }
  const auto& o = *loc.s3_options;
  S3Access access;
  if (!o.endpoint_override.empty()) access.endpoint = o.scheme + "://" + o.endpoint_override;
  access.region = o.region;
  std::string p = StripSlashes(loc.path);
  auto slash = p.find('/');
  access.bucket = p.substr(0, slash);
  access.key = slash == std::string::npos ? "" : p.substr(slash + 1);
  access.path_style = !o.force_virtual_addressing && !o.endpoint_override.empty();
  access.provider = loc.provider;
  access.access_key = o.GetAccessKey();
  access.secret_key = o.GetSecretKey();
  access.session_token = o.GetSessionToken();
  return access;
}

Result<std::shared_ptr<arrow::io::RandomAccessFile>> OpenInputFile(const Location& loc) {
  ML_ASSIGN_OR_RETURN(auto info, Stat(loc));
  if (info.type() == arrow::fs::FileType::NotFound) return NotFound(loc);
  if (info.type() == arrow::fs::FileType::Directory) {
    return Error(ErrorCode::kInvalidArgument, loc.display + ": is a directory");
  }
  auto file = loc.fs->OpenInputFile(info);
  if (!file.ok()) return WithContext(file.status(), loc.display);
  return *file;
}

Result<std::shared_ptr<arrow::io::RandomAccessFile>> OpenInputFile(std::string_view uri) {
  ML_ASSIGN_OR_RETURN(Location loc, ResolveLocation(uri));
  return OpenInputFile(loc);
}

Result<std::shared_ptr<arrow::io::OutputStream>> OpenOutputStream(const Location& loc) {
  if (!loc.write_refusal.empty()) {
    return Error(ErrorCode::kNotImplemented, loc.display + ": " + loc.write_refusal);
  }
  if (loc.IsBucketRoot()) {
    return Error(ErrorCode::kInvalidArgument, loc.display + ": names a bucket, not an object");
  }
  if (loc.kind != "s3" && loc.kind != "gcs") {
    // Stores with real directories need the parent to exist; object stores do not.
    auto slash = loc.path.rfind('/');
    if (slash != std::string::npos && slash > 0) {
      (void)loc.fs->CreateDir(loc.path.substr(0, slash), /*recursive=*/true);
    }
  }
  if (loc.kind == "s3" && (!loc.sse.empty() || !loc.storage_class.empty())) {
    // Arrow's writer cannot send SSE or storage-class headers; ours can.
    return OpenS3OutputStream(loc);
  }
  auto out = loc.fs->OpenOutputStream(loc.path);
  if (!out.ok()) return WithContext(out.status(), loc.display);
  return *out;
}

Result<std::shared_ptr<arrow::io::OutputStream>> OpenOutputStream(std::string_view uri) {
  ML_ASSIGN_OR_RETURN(Location loc, ResolveLocation(uri));
  return OpenOutputStream(loc);
}

Status ListEntries(const Location& dir, bool recursive,
                   const std::function<Result<bool>(const arrow::fs::FileInfo& info,
                                                    std::string_view relative)>& visit) {
  ML_ASSIGN_OR_RETURN(auto info, Stat(dir));
  if (info.type() == arrow::fs::FileType::NotFound) {
    return NotFound(dir, "no such file, directory or prefix");
  }
  if (info.type() == arrow::fs::FileType::File) {
    auto slash = dir.path.rfind('/');
    std::string name = slash == std::string::npos ? dir.path : dir.path.substr(slash + 1);
    return visit(info, name).status();
  }
  arrow::fs::FileSelector selector;
  selector.base_dir = dir.path;
  selector.recursive = recursive;
  selector.allow_not_found = false;
  std::string base = dir.path;
  while (base.ends_with('/')) base.pop_back();
  // S3 streams listing pages through an async generator. Other filesystems list in one
  // call anyway, and their default generator (a background thread) must not be abandoned
  // half-consumed: that deadlocks Arrow's IO pool at process exit.
  std::function<arrow::Future<arrow::fs::FileInfoVector>()> gen;
  bool listed_once = false;
  if (dir.kind == "s3") gen = dir.fs->GetFileInfoGenerator(selector);
  while (true) {
    arrow::Result<arrow::fs::FileInfoVector> batch;
    if (gen) {
      batch = gen().result();
    } else if (!listed_once) {
      batch = dir.fs->GetFileInfo(selector);
      listed_once = true;
    } else {
      batch = arrow::fs::FileInfoVector{};
    }
    if (!batch.ok()) return WithContext(batch.status(), dir.display);
    if (batch->empty()) break;  // end of iteration
    std::sort(batch->begin(), batch->end(),
              [](const auto& a, const auto& b) { return a.path() < b.path(); });
    for (const auto& entry : *batch) {
      std::string_view rel = entry.path();
      if (rel.starts_with(base)) rel.remove_prefix(base.size());
      while (rel.starts_with('/')) rel.remove_prefix(1);
      ML_ASSIGN_OR_RETURN(bool more, visit(entry, rel));
      if (!more) return Status::OK();
    }
  }
  return Status::OK();
}

namespace {

bool IsObjectStore(const Location& loc) { return loc.kind == "s3" || loc.kind == "gcs"; }

// Reads `src` (of `total` bytes) in order and hands each chunk to `sink`. Object stores
// are read with up to `reads_in_flight` ranged GETs at once (S3 serves a range per request;
// one at a time leaves the link idle between them); other places sequentially.
Status ReadChunks(const Location& src, const arrow::fs::FileInfo& info, int64_t total,
                  const CopyOptions& options,
                  const std::function<Status(const std::shared_ptr<arrow::Buffer>&)>& sink) {
  if (IsObjectStore(src) && total > 0 && options.reads_in_flight > 1) {
    auto file_r = src.fs->OpenInputFile(info);
    if (!file_r.ok()) return WithContext(file_r.status(), src.display);
    auto file = *file_r;
    const int64_t chunk = std::max<int64_t>(options.remote_chunk_bytes, 1 << 20);
    std::deque<std::pair<int64_t, arrow::Future<std::shared_ptr<arrow::Buffer>>>> pending;
    int64_t next = 0;
    auto issue = [&] {
      while (next < total && static_cast<int>(pending.size()) < options.reads_in_flight) {
        const int64_t n = std::min(chunk, total - next);
        pending.emplace_back(n, file->ReadAsync(file->io_context(), next, n));
        next += n;
      }
    };
    issue();
    Status failed;
    while (!pending.empty()) {
      auto [want, fut] = std::move(pending.front());
      pending.pop_front();
      auto buf = fut.result();
      if (failed.ok() && !buf.ok()) failed = WithContext(buf.status(), src.display);
      if (failed.ok() && (*buf)->size() != want) {
        failed = Error(ErrorCode::kIOError, src.display + ": short read (object changed?)");
      }
      if (failed.ok()) failed = sink(*buf);
      if (failed.ok()) issue();  // on failure, drain what is in flight and stop
    }
    (void)file->Close();
    return failed;
  }
  auto in_r = src.fs->OpenInputStream(info);
  if (!in_r.ok()) return WithContext(in_r.status(), src.display);
  auto in = *in_r;
  const int64_t chunk = std::max<int64_t>(options.chunk_bytes, 64 << 10);
  while (true) {
    auto buf = in->Read(chunk);
    if (!buf.ok()) return WithContext(buf.status(), src.display);
    if ((*buf)->size() == 0) break;
    ML_RETURN_NOT_OK(sink(*buf));
  }
  (void)in->Close();
  return Status::OK();
}

// S3 destinations with access keys are written by marketlake's multipart writer: parts
// uploaded concurrently with memory bounded by (max_in_flight + 1) parts. Arrow's writer
// (background uploads, no bound) needs the copy to Flush() now and then, which drains the
// pipeline each time.
bool UseOwnWriter(const Location& dst) {
  return dst.kind == "s3" && dst.s3_options != nullptr && !dst.s3_options->GetAccessKey().empty() &&
         !dst.s3_options->GetSecretKey().empty();
}

}  // namespace

Status CopyFile(const Location& src, const Location& dst, const CopyOptions& options) {
  ML_ASSIGN_OR_RETURN(auto info, Stat(src));
  if (info.type() == arrow::fs::FileType::NotFound) return NotFound(src);
  if (info.type() == arrow::fs::FileType::Directory) {
    return Error(ErrorCode::kInvalidArgument,
                 src.display + ": is a directory (cp copies one file or object)");
  }
  if (!dst.write_refusal.empty()) {
    return Error(ErrorCode::kNotImplemented, dst.display + ": " + dst.write_refusal);
  }
  const int64_t total = info.size();

  // Local destinations: a temporary sibling, renamed into place when complete.
  Location target = dst;
  bool via_temp = dst.kind == "local";
  if (via_temp) {
    auto p = std::filesystem::path(dst.path);
    target.path =
        (p.parent_path() / ("." + p.filename().string() + ".marketlake-tmp-" + RandomSuffix()))
            .string();
  }
  std::shared_ptr<arrow::io::OutputStream> out;
  const bool own_writer = UseOwnWriter(target);
  if (own_writer) {
    ML_ASSIGN_OR_RETURN(out, OpenS3OutputStream(target));
  } else {
    ML_ASSIGN_OR_RETURN(out, OpenOutputStream(target));
  }
  int64_t done = 0;
  int64_t since_flush = 0;
  Status write_error;  // set when the failure is on the destination side
  Status st = ReadChunks(src, info, total, options, [&](const std::shared_ptr<arrow::Buffer>& b) {
    Status w = out->Write(b);
    if (w.ok() && !own_writer && dst.kind != "local") {
      since_flush += b->size();
      if (since_flush >= options.max_buffered_bytes) {
        // Waits for Arrow's background part uploads: bounds memory.
        w = out->Flush();
        since_flush = 0;
      }
    }
    if (!w.ok()) {
      write_error = WithContext(w, dst.display);
      return write_error;
    }
    done += b->size();
    if (options.progress) options.progress(done, total);
    return Status::OK();
  });
  if (!st.ok()) {
    (void)out->Abort();
    if (via_temp) (void)dst.fs->DeleteFile(target.path);
    return st;
  }
  st = out->Close();
  if (!st.ok()) {
    if (via_temp) (void)dst.fs->DeleteFile(target.path);
    return WithContext(st, dst.display);
  }
  if (via_temp) {
    st = dst.fs->Move(target.path, dst.path);
    if (!st.ok()) {
      (void)dst.fs->DeleteFile(target.path);
      return WithContext(st, dst.display);
    }
  }
  if (total >= 0 && done != total) {
    return Error(ErrorCode::kIOError, src.display + ": read " + std::to_string(done) +
                                          " bytes, expected " + std::to_string(total));
  }
  return Status::OK();
}

Status DeletePlace(const Location& loc, bool recursive) {
  ML_ASSIGN_OR_RETURN(auto info, Stat(loc));
  switch (info.type()) {
    case arrow::fs::FileType::NotFound:
      return NotFound(loc, "nothing to delete");
    case arrow::fs::FileType::Directory: {
      if (loc.kind == "local" && loc.path == "/") {
        return Error(ErrorCode::kInvalidArgument, loc.display + ": refusing to delete /");
      }
      if (!recursive) {
        return Error(ErrorCode::kInvalidArgument,
                     loc.display +
                         ": is a directory or prefix; use --recursive to delete it "
                         "and everything below it");
      }
      Status st = loc.IsBucketRoot() ? loc.fs->DeleteDirContents(loc.path, /*missing_dir_ok=*/true)
                                     : loc.fs->DeleteDir(loc.path);
      return WithContext(st, loc.display);
    }
    default:
      return WithContext(loc.fs->DeleteFile(loc.path), loc.display);
  }
}

void FinalizeFilesystems() {
  {
    auto& cache = Cache();
    std::lock_guard<std::mutex> lock(cache.mu);
    cache.filesystems.clear();
  }
  if (arrow::fs::IsS3Initialized()) (void)arrow::fs::FinalizeS3();
}

}  // namespace marketlake
