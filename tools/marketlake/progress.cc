#include "progress.h"

#include <cstdio>

#include <fmt/core.h>

#include "command.h"

namespace marketlake::cli {

Progress::Progress(std::string label, int64_t total_bytes)
    : label_(std::move(label)),
      total_bytes_(total_bytes),
      enabled_(ShowProgress()),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

Progress::~Progress() { Finish(); }

void Progress::Update(int64_t rows, int64_t bytes) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  std::string pct;
  if (total_bytes_ > 0 && bytes >= 0) {
    pct = fmt::format(" {:5.1f}%",
                      100.0 * static_cast<double>(bytes) / static_cast<double>(total_bytes_));
  }
  fmt::print(stderr, "\r{}:{} {} rows, {:.1f} MB, {:.0f} rows/s   ", label_, pct, rows,
             static_cast<double>(std::max<int64_t>(bytes, 0)) / 1e6,
             secs > 0 ? static_cast<double>(rows) / secs : 0.0);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::Finish() {
  if (drawn_) {
    fmt::print(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }
}

}  // namespace marketlake::cli
