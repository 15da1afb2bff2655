// marketlake's own S3 writer: multipart upload over ObjectClient with bounded concurrency,
// for writes Arrow's S3 writer cannot express (SSE-S3/SSE-KMS, storage class).
#include "marketlake/s3_output_stream.h"

#include <arrow/buffer.h>
#include <openssl/evp.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace marketlake {
namespace {

class S3OutputStream final : public arrow::io::OutputStream {
 public:
  S3OutputStream(std::shared_ptr<ObjectClient> client, std::string bucket, std::string key,
                 S3WriteOptions options, std::string display)
      : client_(std::move(client)),
        bucket_(std::move(bucket)),
        key_(std::move(key)),
        options_(std::move(options)),
        display_(std::move(display)) {
    options_.part_size = std::max<int64_t>(options_.part_size, kMinS3PartSize);
    options_.max_in_flight = std::max(options_.max_in_flight, 1);
    buffer_.reserve(static_cast<size_t>(options_.part_size));
  }

  ~S3OutputStream() override {
    if (!closed_) (void)DoAbort();
  }

  arrow::Status Write(const void* data, int64_t nbytes) override {
    if (closed_) return Error(ErrorCode::kInvalidArgument, display_ + ": write after close");
    ML_RETURN_NOT_OK(FirstError());
    const char* p = static_cast<const char*>(data);
    while (nbytes > 0) {
      const int64_t room = options_.part_size - static_cast<int64_t>(buffer_.size());
      const int64_t n = std::min(room, nbytes);
      buffer_.append(p, static_cast<size_t>(n));
      p += n;
      nbytes -= n;
      position_ += n;
      if (static_cast<int64_t>(buffer_.size()) == options_.part_size) {
        Status st = SubmitPart();
        if (!st.ok()) {
          // Sticky: a later Close() must not publish a partial object.
          std::lock_guard<std::mutex> lock(mu_);
          if (error_.ok()) error_ = st;
          return st;
        }
      }
    }
    return arrow::Status::OK();
  }

  arrow::Status Write(const std::shared_ptr<arrow::Buffer>& data) override {
    return Write(data->data(), data->size());
  }

  // Waits for the parts in flight; reports the first failure.
  arrow::Status Flush() override {
    if (closed_) return arrow::Status::OK();
    std::unique_lock<std::mutex> lock(mu_);
    idle_.wait(lock, [&] { return in_flight_ == 0 && queue_.empty(); });
    return error_;
  }

  arrow::Status Close() override {
    if (closed_) return arrow::Status::OK();
    Status st = FirstError();
    if (st.ok() && upload_id_.empty()) {
      // Smaller than one part: a single PutObject.
      auto put = client_->PutObject(bucket_, key_, buffer_, options_.put);
      StopWorkers();
      closed_ = true;
      buffer_.clear();
      buffer_.shrink_to_fit();
      if (!put.ok()) return WithContext(put.status(), display_);
      return arrow::Status::OK();
    }
    if (st.ok() && !buffer_.empty()) st = SubmitPart();
    if (st.ok()) st = Flush();
    if (st.ok()) {
      std::vector<ObjectClient::CompletedPart> parts;
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (const auto& [n, etag] : etags_) parts.push_back({n, etag});
      }
      auto done = client_->CompleteMultipartUpload(bucket_, key_, upload_id_, parts);
      if (!done.ok() && CodeOf(done.status()) == ErrorCode::kNotFound && CompletedAlready(parts)) {
        // A retried completion whose first attempt succeeded but whose response was lost:
        // S3 answers NoSuchUpload, yet the object is there with our multipart ETag.
        done = PutResult{};
      }
      if (done.ok()) {
        StopWorkers();
        closed_ = true;
        return arrow::Status::OK();
      }
      st = WithContext(done.status(), display_);
    }
    // Failure: leave nothing behind.
    (void)DoAbort();
    return st;
  }

  arrow::Status Abort() override {
    if (closed_) return arrow::Status::OK();
    return DoAbort();
  }

  arrow::Result<int64_t> Tell() const override { return position_; }
  bool closed() const override { return closed_; }

 private:
  struct Part {
    int number = 0;
    std::string data;
  };

  // True when bucket/key holds the object these parts complete to: its ETag is the
  // multipart ETag of `parts` (MD5 of the parts' binary MD5s, "-N"), or, when the part ETags
  // are not MD5s (SSE-KMS), at least ends in "-N".
  bool CompletedAlready(const std::vector<ObjectClient::CompletedPart>& parts) {
    auto head = client_->HeadObject(bucket_, key_);
    if (!head.ok()) return false;
    auto unquote = [](std::string e) {
      if (e.size() >= 2 && e.front() == '"' && e.back() == '"') e = e.substr(1, e.size() - 2);
      return e;
    };
    const std::string suffix = "-" + std::to_string(parts.size());
    const std::string have = unquote(head->etag);
    std::string digests;
    for (const auto& p : parts) {
      const std::string e = unquote(p.etag);
      if (e.size() != 32) return have.ends_with(suffix);
      for (size_t i = 0; i < 32; i += 2) {
        digests += static_cast<char>(std::stoi(e.substr(i, 2), nullptr, 16));
      }
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (EVP_Digest(digests.data(), digests.size(), md, &md_len, EVP_md5(), nullptr) != 1) {
      return false;
    }
    std::string want;
    char hex[3];
    for (unsigned int i = 0; i < md_len; ++i) {
      std::snprintf(hex, sizeof(hex), "%02x", md[i]);
      want += hex;
    }
    return have == want + suffix;
  }

  Status FirstError() {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }

  // Hands the full buffer to the workers; blocks while max_in_flight parts are in flight.
  Status SubmitPart() {
    if (upload_id_.empty()) {
      auto id = client_->CreateMultipartUpload(bucket_, key_, options_.put);
      if (!id.ok()) return WithContext(id.status(), display_);
      upload_id_ = *id;
    }
    if (next_part_ > 10000) {
      return Error(ErrorCode::kInvalidArgument,
                   display_ + ": more than 10000 parts; use a larger part size");
    }
    Part part{next_part_++, std::move(buffer_)};
    buffer_ = std::string();
    {
      std::unique_lock<std::mutex> lock(mu_);
      slot_free_.wait(lock, [&] {
        return in_flight_ + static_cast<int>(queue_.size()) < options_.max_in_flight ||
               !error_.ok();
      });
      if (!error_.ok()) return error_;
      queue_.push_back(std::move(part));
      if (static_cast<int>(workers_.size()) < options_.max_in_flight) {
        workers_.emplace_back([this] { WorkerLoop(); });
      }
    }
    work_.notify_one();
    buffer_.reserve(static_cast<size_t>(options_.part_size));
    return Status::OK();
  }

  void WorkerLoop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and nothing left
      Part part = std::move(queue_.front());
      queue_.pop_front();
      if (!error_.ok() || stopping_) {
        // A failed or aborted upload: drop the part without sending it.
        NotifyIfIdle();
        continue;
      }
      ++in_flight_;
      lock.unlock();
      auto etag = client_->UploadPart(bucket_, key_, upload_id_, part.number, part.data);
      part.data = std::string();
      lock.lock();
      --in_flight_;
      if (etag.ok()) {
        etags_[part.number] = *etag;
      } else if (error_.ok()) {
        error_ = WithContext(etag.status(), display_ + " part " + std::to_string(part.number));
      }
      NotifyIfIdle();
    }
  }

  // Called with mu_ held.
  void NotifyIfIdle() {
    slot_free_.notify_all();
    if (in_flight_ == 0 && queue_.empty()) idle_.notify_all();
  }

  void StopWorkers() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    work_.notify_all();
    for (auto& t : workers_) {
      if (t.joinable()) t.join();
    }
    workers_.clear();
  }

  Status DoAbort() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (error_.ok()) error_ = Error(ErrorCode::kIOError, display_ + ": upload aborted");
    }
    StopWorkers();  // parts still queued are dropped; parts in flight finish first
    closed_ = true;
    buffer_ = std::string();
    if (upload_id_.empty()) return Status::OK();
    return WithContext(client_->AbortMultipartUpload(bucket_, key_, upload_id_), display_);
  }

  std::shared_ptr<ObjectClient> client_;
  const std::string bucket_;
  const std::string key_;
  S3WriteOptions options_;
  const std::string display_;

  // Writer-thread state.
  std::string buffer_;
  int64_t position_ = 0;
  int next_part_ = 1;
  std::string upload_id_;
  bool closed_ = false;

  // Shared with the workers, under mu_.
  std::mutex mu_;
  std::condition_variable work_;       // a part was queued, or stopping_
  std::condition_variable slot_free_;  // in flight + queued dropped
  std::condition_variable idle_;       // nothing queued or in flight
  std::deque<Part> queue_;
  int in_flight_ = 0;
  bool stopping_ = false;
  Status error_;
  std::map<int, std::string> etags_;
  std::vector<std::thread> workers_;
};

// Process-wide clients, one per store; their metrics live in StoreMetrics().
struct ClientRegistry {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<ObjectClient>> clients;  // key holds secrets
};

ClientRegistry& Registry() {
  static ClientRegistry* registry = new ClientRegistry();  // leaked: outlives static dtors
  return *registry;
}

Result<int64_t> EnvInt(const char* name, int64_t min) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return int64_t{-1};
  char* end = nullptr;
  const long long n = std::strtoll(v, &end, 10);
  if (*end != '\0' || n < min) {
    return Error(ErrorCode::kInvalidArgument,
                 std::string("$") + name + " must be an integer >= " + std::to_string(min));
  }
  return static_cast<int64_t>(n);
}

}  // namespace

Result<std::shared_ptr<arrow::io::OutputStream>> OpenS3OutputStream(
    std::shared_ptr<ObjectClient> client, std::string bucket, std::string key,
    S3WriteOptions options, std::string display) {
  if (client == nullptr) {
    return Error(ErrorCode::kInvalidArgument, display + ": no object client");
  }
  if (key.empty()) {
    return Error(ErrorCode::kInvalidArgument, display + ": names a bucket, not an object");
  }
  if (options.put.condition != WriteCondition::kNone) {
    return Error(ErrorCode::kInvalidArgument,
                 display + ": the multipart writer does not support conditional writes");
  }
  return std::shared_ptr<arrow::io::OutputStream>(
      std::make_shared<S3OutputStream>(std::move(client), std::move(bucket), std::move(key),
                                       std::move(options), std::move(display)));
}

Result<S3WriteOptions> S3WriteOptionsFor(const Location& loc) {
  S3WriteOptions out;
  if (loc.sse.empty()) {
    out.put.sse = ServerSideEncryption::kNone;
  } else if (loc.sse == "AES256") {
    out.put.sse = ServerSideEncryption::kAes256;
  } else if (loc.sse == "aws:kms") {
    out.put.sse = ServerSideEncryption::kAwsKms;
    out.put.kms_key_id = loc.kms_key_id;
  } else {
    return Error(ErrorCode::kInvalidArgument,
                 loc.display + ": sse must be AES256 or aws:kms, got '" + loc.sse + "'");
  }
  out.put.storage_class = loc.storage_class;
  ML_ASSIGN_OR_RETURN(int64_t part, EnvInt("MARKETLAKE_S3_PART_SIZE", kMinS3PartSize));
  if (part > 0) out.part_size = part;
  ML_ASSIGN_OR_RETURN(int64_t inflight, EnvInt("MARKETLAKE_S3_MAX_IN_FLIGHT", 1));
  if (inflight > 0) out.max_in_flight = static_cast<int>(std::min<int64_t>(inflight, 64));
  return out;
}

Result<std::shared_ptr<ObjectClient>> ObjectClientFor(const Location& loc) {
  ML_ASSIGN_OR_RETURN(S3Access access, S3AccessFor(loc));
  S3ClientOptions options;
  options.endpoint = access.endpoint;
  options.provider =
      access.provider == StorageProvider::kGcs ? StoreProvider::kGcs
      : access.provider == StorageProvider::kAws ||
              (access.provider == StorageProvider::kUnspecified && access.endpoint.empty())
          ? StoreProvider::kAws
          : StoreProvider::kGeneric;
  options.addressing =
      access.path_style
          ? AddressingStyle::kPath
          : (access.endpoint.empty() ? AddressingStyle::kAuto : AddressingStyle::kVirtualHosted);
  // Parts are large: over https TLS protects the body, so skip hashing it twice.
  options.sign_payload = !access.endpoint.starts_with("https://") && !access.endpoint.empty();
  if (loc.s3_options && loc.s3_options->connect_timeout > 0) {
    options.connect_timeout =
        std::chrono::milliseconds(static_cast<int64_t>(loc.s3_options->connect_timeout * 1000));
  }
  // Whole attempts carry up to a part (8 MiB by default): allow for slow links.
  options.request_timeout = std::chrono::milliseconds(300000);
  if (loc.retry_max_attempts > 0) options.retry.max_attempts = loc.retry_max_attempts;

  SigningCredentials creds;
  creds.access_key = access.access_key;
  creds.secret_key = access.secret_key;
  creds.session_token = access.session_token;
  creds.region = access.region;
  if (creds.access_key.empty() || creds.secret_key.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 loc.display +
                     ": marketlake's own S3 client (conditional writes, SSE and storage-class "
                     "uploads) needs access keys (source keys or "
                     "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)");
  }

  // One client per store (the label names endpoint and bucket or source), so requests are
  // counted under the store they went to.
  const std::string label = StoreLabel(loc);
  const std::string key = label + "|" + access.endpoint + "|" + access.region + "|" +
                          (access.path_style ? "p" : "v") + "|" + creds.access_key + "|" +
                          creds.secret_key + "|" + creds.session_token + "|" +
                          std::to_string(options.retry.max_attempts);

  auto& reg = Registry();
  std::lock_guard<std::mutex> lock(reg.mu);
  auto it = reg.clients.find(key);
  if (it != reg.clients.end()) return it->second;
  std::shared_ptr<RequestMetrics> metrics = StoreMetrics(label);
  ML_ASSIGN_OR_RETURN(auto client,
                      MakeS3ObjectClient(std::move(options), std::move(creds), metrics));
  std::shared_ptr<ObjectClient> shared(std::move(client));
  reg.clients.emplace(key, shared);
  return shared;
}

Result<std::shared_ptr<arrow::io::OutputStream>> OpenS3OutputStream(const Location& loc) {
  ML_ASSIGN_OR_RETURN(S3WriteOptions options, S3WriteOptionsFor(loc));
  ML_ASSIGN_OR_RETURN(S3Access access, S3AccessFor(loc));
  ML_ASSIGN_OR_RETURN(auto client, ObjectClientFor(loc));
  return OpenS3OutputStream(std::move(client), access.bucket, access.key, std::move(options),
                            loc.display);
}

}  // namespace marketlake
