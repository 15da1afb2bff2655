// marketlake cp: copy one file or object between places, streaming.
#include <chrono>
#include <memory>
#include <string>

#include <fmt/core.h>

#include "command.h"
#include "marketlake/filesystem.h"

namespace marketlake::cli {
namespace {

struct CpOptions {
  std::string src;
  std::string dst;
};

std::string Basename(const std::string& path) {
  auto slash = path.find_last_of("/:");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Status RunCp(const CpOptions& opts) {
  ML_ASSIGN_OR_RETURN(Location src, ResolveLocation(opts.src));
  ML_ASSIGN_OR_RETURN(Location dst, ResolveLocation(opts.dst));
  // Into a directory (existing, or named with a trailing '/'): keep the source's name.
  bool into_dir = opts.dst.ends_with('/') || opts.dst.ends_with(':');
  if (!into_dir) {
    ML_ASSIGN_OR_RETURN(auto info, Stat(dst));
    into_dir = info.type() == arrow::fs::FileType::Directory;
  }
  if (into_dir) dst = dst.Child(Basename(src.path));

  CopyOptions copy;
  const bool show = ShowProgress();
  auto start = std::chrono::steady_clock::now();
  auto last = start;
  if (show) {
    copy.progress = [&](int64_t done, int64_t total) {
      auto now = std::chrono::steady_clock::now();
      if (now - last < std::chrono::milliseconds(200) && done != total) return;
      last = now;
      double secs = std::chrono::duration<double>(now - start).count();
      double mib = static_cast<double>(done) / (1 << 20);
      if (total > 0) {
        fmt::print(stderr, "\r{:.1f} / {:.1f} MiB ({:.0f}%), {:.1f} MiB/s   ", mib,
                   static_cast<double>(total) / (1 << 20), 100.0 * done / total,
                   secs > 0 ? mib / secs : 0.0);
      } else {
        fmt::print(stderr, "\r{:.1f} MiB   ", mib);
      }
    };
  }
  Status st = CopyFile(src, dst, copy);
  if (show) fmt::print(stderr, "\n");
  ML_RETURN_NOT_OK(st);
  if (Globals().verbose) fmt::print(stderr, "copied {} -> {}\n", src.display, dst.display);
  return Status::OK();
}

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto opts = std::make_shared<CpOptions>();
  auto* cmd = app.add_subcommand(
      "cp", "Copy one file or object: local and S3-compatible places in any direction");
  cmd->add_option("SRC", opts->src, "The file or object to copy")->required();
  cmd->add_option("DST", opts->dst,
                  "Where to: a file/object name, or a directory/prefix (existing, or ending "
                  "in '/') to copy into under the source's name")
      ->required();
  cmd->footer(
      "Copies stream with bounded memory: S3 uploads are multipart (8 MiB parts, 8 in\n"
      "flight), S3 downloads read 16 MiB ranges, 8 at once, written in order. A failed\n"
      "copy leaves nothing at DST: local files are written under a temporary name and\n"
      "renamed, S3 objects appear only when the upload completes.\n"
      "Examples:\n"
      "  marketlake cp trades.parquet s3://my-bucket/lake/trades.parquet\n"
      "  marketlake cp prod:trades/2024.parquet ./local-copy/\n"
      "  marketlake cp s3://bucket-a/x.parquet s3://bucket-b/y.parquet");
  run = [opts] { return RunCp(*opts); };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
