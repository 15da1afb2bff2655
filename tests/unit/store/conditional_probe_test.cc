// ProbeConditionalWrites against in-memory stores that do and do not enforce conditions.
#include <gtest/gtest.h>

#include <map>
#include <mutex>

#include "marketlake/object_client.h"

namespace marketlake {
namespace {

// An in-memory ObjectClient; `enforce` false models stores that accept conditional headers
// and overwrite anyway.
class MemoryObjectClient : public ObjectClient {
 public:
  explicit MemoryObjectClient(bool enforce) : enforce_(enforce) {}

  Result<PutResult> PutObject(std::string_view bucket, std::string_view key, std::string_view body,
                              const PutOptions& options) override {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string k = Join(bucket, key);
    auto it = objects_.find(k);
    if (enforce_) {
      if (options.condition == WriteCondition::kIfAbsent && it != objects_.end()) {
        return Error(ErrorCode::kPreconditionFailed, "exists");
      }
      if (options.condition == WriteCondition::kIfUnchanged &&
          (it == objects_.end() || it->second.second != options.expected_version)) {
        return Error(ErrorCode::kPreconditionFailed, "changed");
      }
    }
    std::string etag = std::to_string(++version_);
    etag.insert(etag.begin(), '"');
    etag.push_back('"');
    objects_[k] = {std::string(body), etag};
    ++puts;
    return PutResult{etag, "", ""};
  }
  Result<GetResult> GetObject(std::string_view bucket, std::string_view key,
                              std::optional<ByteRange>) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(Join(bucket, key));
    if (it == objects_.end()) return Error(ErrorCode::kNotFound, "missing");
    GetResult r;
    r.data = it->second.first;
    return r;
  }
  Result<ObjectInfo> HeadObject(std::string_view bucket, std::string_view key) override {
    ML_ASSIGN_OR_RETURN(auto r, GetObject(bucket, key, std::nullopt));
    return r.info;
  }
  Status DeleteObject(std::string_view bucket, std::string_view key) override {
    std::lock_guard<std::mutex> lock(mu_);
    objects_.erase(Join(bucket, key));
    ++deletes;
    return Status::OK();
  }

  size_t size() const { return objects_.size(); }
  int puts = 0;
  int deletes = 0;

 private:
  static std::string Join(std::string_view bucket, std::string_view key) {
    std::string out;
    out.reserve(bucket.size() + 1 + key.size());
    out.append(bucket).append(1, '/').append(key);
    return out;
  }

  bool enforce_;
  std::mutex mu_;
  int version_ = 0;
  std::map<std::string, std::pair<std::string, std::string>> objects_;
};

TEST(ConditionalProbeTest, EnforcingStoreIsHonoured) {
  MemoryObjectClient store(/*enforce=*/true);
  auto r = ProbeConditionalWrites(store, "b", "tables/trades");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->if_absent_honoured);
  EXPECT_TRUE(r->if_unchanged_honoured);
  EXPECT_NE(r->detail.find("s3://b/tables/trades/.marketlake-probe-"), std::string::npos);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.deletes, 1);
}

TEST(ConditionalProbeTest, IgnoringStoreIsNotHonoured) {
  MemoryObjectClient store(/*enforce=*/false);
  auto r = ProbeConditionalWrites(store, "b", "");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->if_absent_honoured);
  EXPECT_FALSE(r->if_unchanged_honoured);
  EXPECT_NE(r->detail.find("put-if-absent not honoured"), std::string::npos);
  EXPECT_EQ(store.size(), 0u);
}

}  // namespace
}  // namespace marketlake
