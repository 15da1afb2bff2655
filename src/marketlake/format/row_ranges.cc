#include <algorithm>

#include "marketlake/predicate.h"

namespace marketlake {

RowRanges RowRanges::All(int64_t num_rows) {
  RowRanges r;
  if (num_rows > 0) r.ranges_.push_back({0, num_rows});
  return r;
}

void RowRanges::Add(int64_t begin, int64_t end) {
  if (begin >= end) return;
  if (!ranges_.empty() && ranges_.back().end >= begin) {
    ranges_.back().end = std::max(ranges_.back().end, end);
    return;
  }
  ranges_.push_back({begin, end});
}

RowRanges RowRanges::Union(const RowRanges& a, const RowRanges& b) {
  RowRanges out;
  size_t i = 0, j = 0;
  while (i < a.ranges_.size() || j < b.ranges_.size()) {
    const Range* next;
    if (j >= b.ranges_.size() ||
        (i < a.ranges_.size() && a.ranges_[i].begin <= b.ranges_[j].begin)) {
      next = &a.ranges_[i++];
    } else {
      next = &b.ranges_[j++];
    }
    out.Add(next->begin, next->end);
  }
  return out;
}

RowRanges RowRanges::Intersect(const RowRanges& a, const RowRanges& b) {
  RowRanges out;
  size_t i = 0, j = 0;
  while (i < a.ranges_.size() && j < b.ranges_.size()) {
    int64_t lo = std::max(a.ranges_[i].begin, b.ranges_[j].begin);
    int64_t hi = std::min(a.ranges_[i].end, b.ranges_[j].end);
    if (lo < hi) out.Add(lo, hi);
    if (a.ranges_[i].end < b.ranges_[j].end) {
      ++i;
    } else {
      ++j;
    }
  }
  return out;
}

int64_t RowRanges::row_count() const {
  int64_t n = 0;
  for (const auto& r : ranges_) n += r.end - r.begin;
  return n;
}

bool RowRanges::Overlaps(int64_t begin, int64_t end) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), begin,
                             [](int64_t v, const Range& r) { return v < r.end; });
  return it != ranges_.end() && it->begin < end;
}

}  // namespace marketlake
