// Fuzzes import on untrusted CSV bytes: the text-column CSV read (header read-ahead, quoting),
// normalisation (times, numbers, lists), validation in each mode, partitioning and dedup,
// as `marketlake validate` runs them. Oracle: never a crash, hang or unbounded allocation, and
// a failure is one of the categories bad data may produce, with the file named.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "marketlake/ingest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const std::string kPath = "/tmp/ml-import-fuzz-" + std::to_string(::getpid()) + ".csv";
  {
    std::ofstream out(kPath, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
  }
  marketlake::ImportOptions options;
  options.dry_run = true;
  options.parallelism = 1;
  options.read.block_bytes = 1024;  // many blocks, long lines cross them
  options.read.use_threads = false;
  const int mode = data[0] % 3;
  options.mode = mode == 0   ? marketlake::ValidationMode::kStrict
                 : mode == 1 ? marketlake::ValidationMode::kCoerce
                             : marketlake::ValidationMode::kIgnore;
  options.type = (data[0] / 3) % 2 == 0 ? "trades" : "quotes";
  options.tz = (data[0] / 6) % 2 == 0 ? "UTC" : "America/New_York";
  auto report = marketlake::Import(nullptr, {marketlake::SourceFile{kPath, -1}}, options);
  if (!report.ok()) {
    using marketlake::ErrorCode;
    const ErrorCode code = marketlake::CodeOf(report.status());
    const bool expected = code == ErrorCode::kCorruption || code == ErrorCode::kDataType ||
                          code == ErrorCode::kMissingColumn || code == ErrorCode::kSchemaMismatch ||
                          code == ErrorCode::kInvalidArgument;
    if (!expected || report.status().message().find(kPath) == std::string::npos) {
      std::fprintf(stderr, "unexpected failure: %s\n", report.status().ToString().c_str());
      std::abort();
    }
  }
  return 0;
}
