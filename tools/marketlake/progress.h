// Progress on a terminal: a single line on stderr, redrawn at most five times a second, only
// when cli::ShowProgress() says stderr is a terminal and --quiet was not given.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace marketlake::cli {

class Progress {
 public:
  // `total_bytes` < 0 when unknown: then only counts are shown.
  Progress(std::string label, int64_t total_bytes);
  ~Progress();
  void Update(int64_t rows, int64_t bytes);
  void Finish();

 private:
  std::string label_;
  int64_t total_bytes_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace marketlake::cli
