// The one place that builds and parses lake paths (see lake_layout.h).
#include "marketlake/lake_layout.h"

#include <fmt/format.h>

#include <unistd.h>

#include <charconv>
#include <random>

namespace marketlake {
namespace {

constexpr size_t kMaxNameLength = 64;
constexpr size_t kMaxValueBytes = 256;
constexpr char kMetadataDir[] = "_marketlake";

bool IsLowerAlpha(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength || !IsLowerAlpha(name[0])) return false;
  for (char c : name) {
    if (!IsLowerAlpha(c) && !IsDigit(c) && c != '_') return false;
  }
  return true;
}

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    int n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (int k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

bool Unreserved(char c, bool first) {
  if (c == '.') return !first;
  return (c >= 'A' && c <= 'Z') || IsLowerAlpha(c) || IsDigit(c) || c == '_' || c == '-';
}

int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // lowercase is not canonical
}

Status Corrupt(std::string_view path, std::string_view why) {
  return Error(ErrorCode::kCorruption, fmt::format("'{}' is not a valid lake path: {}", path, why));
}

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

bool AllLowerHex(std::string_view s) {
  for (char c : s) {
    if (!IsDigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

std::string Padded(int64_t n) { return fmt::format("{:020d}", n); }

}  // namespace

std::string_view LayerName(Layer layer) {
  switch (layer) {
    case Layer::kRaw:
      return "raw";
    case Layer::kCleaned:
      return "cleaned";
    case Layer::kFeatures:
      return "features";
  }
  return "raw";
}

Result<Layer> ParseLayer(std::string_view name) {
  if (name == "raw") return Layer::kRaw;
  if (name == "cleaned" || name == "processed") return Layer::kCleaned;
  if (name == "features" || name == "analytics") return Layer::kFeatures;
  return Error(ErrorCode::kInvalidArgument,
               fmt::format("unknown lake layer '{}' (expected raw, cleaned or features)", name));
}

Status ValidateDatasetName(std::string_view name) {
  if (name == "stats" || name == "rejects") {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("invalid dataset name '{}': reserved for the lake's metadata", name));
  }
  if (ValidName(name)) return Status::OK();
  return Error(ErrorCode::kInvalidArgument,
               fmt::format("invalid dataset name '{}': expected [a-z][a-z0-9_]*, at most 64 "
                           "characters",
                           name));
}

Status ValidatePartitionKey(std::string_view key) {
  if (ValidName(key)) return Status::OK();
  return Error(ErrorCode::kInvalidArgument,
               fmt::format("invalid partition key '{}': expected [a-z][a-z0-9_]*, at most 64 "
                           "characters",
                           key));
}

Result<std::string> EncodePartitionValue(std::string_view value) {
  if (value.empty()) {
    return Error(ErrorCode::kInvalidArgument, "empty partition value");
  }
  if (value.size() > kMaxValueBytes) {
    return Error(
        ErrorCode::kInvalidArgument,
        fmt::format("partition value of {} bytes (at most {})", value.size(), kMaxValueBytes));
  }
  if (value.find('\0') != std::string_view::npos) {
    return Error(ErrorCode::kInvalidArgument, "partition value contains a NUL byte");
  }
  if (!ValidUtf8(value)) {
    return Error(ErrorCode::kInvalidArgument, "partition value is not valid UTF-8");
  }
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (Unreserved(c, i == 0)) {
      out.push_back(c);
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

Result<std::string> DecodePartitionValue(std::string_view encoded) {
  auto bad = [&](std::string_view why) {
    return Error(ErrorCode::kCorruption,
                 fmt::format("partition value '{}' is not canonically encoded: {}", encoded, why));
  };
  if (encoded.empty()) return bad("empty");
  std::string out;
  for (size_t i = 0; i < encoded.size(); ++i) {
    char c = encoded[i];
    if (c == '%') {
      if (i + 2 >= encoded.size()) return bad("truncated %XX");
      int hi = HexValue(encoded[i + 1]);
      int lo = HexValue(encoded[i + 2]);
      if (hi < 0 || lo < 0) return bad("bad %XX");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  auto again = EncodePartitionValue(out);
  if (!again.ok()) return bad(again.status().message());
  if (*again != encoded) return bad("not canonical");
  return out;
}

Result<std::string> PartitionDir(const PartitionValues& values) {
  std::string out;
  for (const auto& [key, value] : values) {
    ML_RETURN_NOT_OK(ValidatePartitionKey(key));
    ML_ASSIGN_OR_RETURN(std::string enc, EncodePartitionValue(value));
    if (!out.empty()) out.push_back('/');
    out += key;
    out.push_back('=');
    out += enc;
  }
  return out;
}

std::string NewDataFileName(int64_t version) {
  // Fresh entropy per name: a generator seeded once would repeat its sequence in every
  // process fork()ed after seeding, and two writers would then pick the same name.
  std::random_device rd;
  auto word = [&rd] { return (static_cast<uint64_t>(rd()) << 32) | rd(); };
  uint64_t hi = word();
  uint64_t lo = word() ^ static_cast<uint64_t>(::getpid());
  return fmt::format("{}-{:016x}{:016x}.parquet", Padded(version), hi, lo);
}

Result<std::string> DatasetDataDir(Layer layer, std::string_view dataset) {
  ML_RETURN_NOT_OK(ValidateDatasetName(dataset));
  return fmt::format("{}/{}", LayerName(layer), dataset);
}

Result<std::string> DataFilePath(Layer layer, std::string_view dataset,
                                 const PartitionValues& values, std::string_view file_name) {
  ML_ASSIGN_OR_RETURN(std::string dir, DatasetDataDir(layer, dataset));
  ML_ASSIGN_OR_RETURN(std::string parts, PartitionDir(values));
  std::string path = dir + "/";
  if (!parts.empty()) path += parts + "/";
  path += file_name;
  ML_RETURN_NOT_OK(ParseDataFilePath(path).status());  // the name must parse back
  return path;
}

Result<ParsedDataPath> ParseDataFilePath(std::string_view path) {
  auto parts = Split(path);
  if (parts.size() < 3) return Corrupt(path, "expected LAYER/DATASET/.../FILE.parquet");
  ParsedDataPath out;
  auto layer = ParseLayer(parts[0]);
  if (!layer.ok() || parts[0] != LayerName(*layer)) return Corrupt(path, "unknown layer");
  out.layer = *layer;
  if (!ValidName(parts[1])) return Corrupt(path, "invalid dataset name");
  out.dataset = std::string(parts[1]);
  for (size_t i = 2; i + 1 < parts.size(); ++i) {
    std::string_view seg = parts[i];
    size_t eq = seg.find('=');
    if (eq == std::string_view::npos) return Corrupt(path, "partition segment without '='");
    std::string_view key = seg.substr(0, eq);
    if (!ValidName(key)) return Corrupt(path, "invalid partition key");
    auto value = DecodePartitionValue(seg.substr(eq + 1));
    if (!value.ok()) return Corrupt(path, value.status().message());
    out.partition.emplace_back(std::string(key), std::move(*value));
  }
  std::string_view name = parts.back();
  // <20 digits>-<32 hex>.parquet
  constexpr std::string_view kExt = ".parquet";
  if (name.size() != 20 + 1 + 32 + kExt.size() || !name.ends_with(kExt) || name[20] != '-' ||
      !AllDigits(name.substr(0, 20)) || !AllLowerHex(name.substr(21, 32))) {
    return Corrupt(path, "data file name is not <20-digit version>-<32 hex>.parquet");
  }
  auto [ptr, ec] = std::from_chars(name.data(), name.data() + 20, out.version);
  if (ec != std::errc() || ptr != name.data() + 20) return Corrupt(path, "version out of range");
  out.file_name = std::string(name);
  return out;
}

std::string_view MetadataDir() { return kMetadataDir; }

Result<std::string> LogDir(std::string_view dataset) {
  ML_RETURN_NOT_OK(ValidateDatasetName(dataset));
  return fmt::format("{}/{}/_log", kMetadataDir, dataset);
}

Result<std::string> LogEntryPath(std::string_view dataset, int64_t version) {
  ML_ASSIGN_OR_RETURN(std::string dir, LogDir(dataset));
  if (version < 0) return Error(ErrorCode::kInvalidArgument, "negative log version");
  return fmt::format("{}/{}.json", dir, Padded(version));
}

Result<std::string> StatsDir(std::string_view dataset) {
  ML_RETURN_NOT_OK(ValidateDatasetName(dataset));
  return fmt::format("{}/stats/{}", kMetadataDir, dataset);
}

Result<std::string> StatsEntryPath(std::string_view dataset, int64_t sequence) {
  ML_ASSIGN_OR_RETURN(std::string dir, StatsDir(dataset));
  if (sequence < 0) return Error(ErrorCode::kInvalidArgument, "negative stats sequence");
  return fmt::format("{}/{}.json", dir, Padded(sequence));
}

Result<std::string> RejectsFilePath(std::string_view dataset, std::string_view import_id,
                                    std::string_view source_name) {
  ML_RETURN_NOT_OK(ValidateDatasetName(dataset));
  ML_ASSIGN_OR_RETURN(std::string id, EncodePartitionValue(import_id));
  ML_ASSIGN_OR_RETURN(std::string name, EncodePartitionValue(source_name));
  return fmt::format("{}/rejects/{}/{}/{}.rejects.csv", MetadataDir(), dataset, id, name);
}

Result<int64_t> ParseLogEntryName(std::string_view file_name) {
  if (file_name.size() != 25 || !file_name.ends_with(".json") ||
      !AllDigits(file_name.substr(0, 20))) {
    return Corrupt(file_name, "log entry name is not <20-digit version>.json");
  }
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(file_name.data(), file_name.data() + 20, v);
  if (ec != std::errc() || ptr != file_name.data() + 20) {
    return Corrupt(file_name, "version out of range");
  }
  return v;
}

}  // namespace marketlake
