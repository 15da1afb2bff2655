// Expanding import sources: files, directories/prefixes and glob patterns.
#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "marketlake/common/ascii.h"
#include "marketlake/filesystem.h"
#include "marketlake/ingest.h"
#include "marketlake/table_io.h"

namespace marketlake {
namespace {

bool HasGlob(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

// fnmatch-style match of one path segment: * (any run), ? (one byte), [abc] [a-z] [!x].
// Iterative with one backtrack point, so linear-ish and never recursive.
}  // namespace

bool MatchSegment(std::string_view pat, std::string_view s) {
  size_t p = 0, i = 0, star_p = std::string_view::npos, star_i = 0;
  auto match_class = [&](size_t& pp, char c) -> bool {
    // pat[pp] == '['; on return pp is past ']'. An unterminated class matches '[' literally.
    size_t q = pp + 1;
    bool negate = q < pat.size() && (pat[q] == '!' || pat[q] == '^');
    if (negate) ++q;
    bool found = false;
    bool first = true;
    while (q < pat.size() && (first || pat[q] != ']')) {
      first = false;
      if (q + 2 < pat.size() && pat[q + 1] == '-' && pat[q + 2] != ']') {
        const auto lo = static_cast<unsigned char>(pat[q]);
        const auto hi = static_cast<unsigned char>(pat[q + 2]);
        const auto uc = static_cast<unsigned char>(c);
        if (lo <= uc && uc <= hi) found = true;
        q += 3;
      } else {
        if (pat[q] == c) found = true;
        ++q;
      }
    }
    if (q >= pat.size()) {  // unterminated: literal '['
      ++pp;
      return c == '[';
    }
    pp = q + 1;
    return found != negate;
  };
  while (i < s.size()) {
    if (p < pat.size() && pat[p] == '*') {
      star_p = p++;
      star_i = i;
      continue;
    }
    if (p < pat.size()) {
      size_t next = p;
      bool ok;
      if (pat[p] == '?') {
        ok = true;
        next = p + 1;
      } else if (pat[p] == '[') {
        ok = match_class(next, s[i]);
      } else {
        ok = pat[p] == s[i];
        next = p + 1;
      }
      if (ok) {
        p = next;
        ++i;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p + 1;
    i = ++star_i;
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

// Whether the '/'-separated `path` matches the segment patterns; "**" matches zero or more
// segments. Dynamic programming over (pattern, path) segment positions.
bool MatchPath(const std::vector<std::string_view>& pat,
               const std::vector<std::string_view>& path) {
  const size_t np = pat.size(), ns = path.size();
  std::vector<char> prev(ns + 1, 0), cur(ns + 1, 0);
  prev[0] = 1;  // empty pattern matches empty path
  for (size_t a = 1; a <= np; ++a) {
    const bool globstar = pat[a - 1] == "**";
    cur.assign(ns + 1, 0);
    cur[0] = globstar && prev[0];
    for (size_t b = 1; b <= ns; ++b) {
      if (globstar) {
        cur[b] = prev[b] || cur[b - 1];
      } else {
        cur[b] = prev[b - 1] && MatchSegment(pat[a - 1], path[b - 1]);
      }
    }
    std::swap(prev, cur);
  }
  return prev[ns] != 0;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view path) {
  return MatchPath(Segments(pattern), Segments(path));
}

namespace {

bool IsDataFileName(std::string_view name) {
  if (name.empty() || name[0] == '.' || name[0] == '_') return false;
  return FormatFromPath(name) != FileFormat::kAuto;
}

std::string_view BaseName(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Joins a place as the user wrote it with a relative key.
std::string JoinUri(std::string_view base, std::string_view rel) {
  if (base.empty()) return std::string(rel);
  if (base.back() == '/' || base.back() == ':') return std::string(base) + std::string(rel);
  return std::string(base) + "/" + std::string(rel);
}

// Lists the data files below `base_uri` whose path relative to it matches `pattern`
// (segments; empty: every data file).
Status ListBelow(std::string_view spec, std::string_view base_uri,
                 const std::vector<std::string_view>& pattern, std::vector<SourceFile>* out) {
  ML_ASSIGN_OR_RETURN(Location loc, ResolveLocation(base_uri.empty() ? "." : base_uri));
  const bool recursive = pattern.empty() || pattern.size() > 1 ||
                         std::find(pattern.begin(), pattern.end(), "**") != pattern.end();
  size_t found = 0;
  Status st = ListEntries(
      loc, recursive, [&](const arrow::fs::FileInfo& info, std::string_view rel) -> Result<bool> {
        if (info.type() != arrow::fs::FileType::File) return true;
        if (pattern.empty()) {
          // A directory: data files only, nothing hidden on the way down.
          for (auto seg : Segments(rel)) {
            if (seg.starts_with('.') || seg.starts_with('_')) return true;
          }
          if (!IsDataFileName(BaseName(rel))) return true;
        } else if (!MatchPath(pattern, Segments(rel))) {
          return true;
        }
        out->push_back(SourceFile{JoinUri(base_uri, rel), info.size()});
        ++found;
        return true;
      });
  if (!st.ok() && CodeOf(st) != ErrorCode::kNotFound) return st;
  if (found == 0) {
    return Error(ErrorCode::kNotFound,
                 pattern.empty() ? fmt::format("{}: no data files (.csv, .jsonl, .parquet, "
                                               "optionally .gz) below it",
                                               spec)
                                 : fmt::format("{}: no file matches the pattern", spec));
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<SourceFile>> ExpandSources(const std::vector<std::string>& specs) {
  std::vector<SourceFile> out;
  for (const auto& spec : specs) {
    if (spec.empty()) return Error(ErrorCode::kInvalidArgument, "an empty source name");
    if (!HasGlob(spec)) {
      ML_ASSIGN_OR_RETURN(Location loc, ResolveLocation(spec));
      ML_ASSIGN_OR_RETURN(auto info, Stat(loc));
      if (info.type() == arrow::fs::FileType::File) {
        out.push_back(SourceFile{spec, info.size()});
      } else if (info.type() == arrow::fs::FileType::Directory) {
        ML_RETURN_NOT_OK(ListBelow(spec, spec, {}, &out));
      } else {
        return Error(ErrorCode::kNotFound, fmt::format("{}: no such file or directory", spec));
      }
      continue;
    }
    // The literal part before the first segment with a pattern is listed; the rest matches.
    size_t glob = spec.find_first_of("*?[");
    size_t cut = spec.rfind('/', glob);
    // Keep a scheme's "s3://bucket/" or a source's "name:" in the base.
    std::string base = cut == std::string::npos ? "" : spec.substr(0, cut);
    std::string rest = cut == std::string::npos ? spec : spec.substr(cut + 1);
    if (cut == std::string::npos) {
      size_t colon = spec.find(':');
      if (colon != std::string::npos && colon < glob) {
        base = spec.substr(0, colon + 1);
        rest = spec.substr(colon + 1);
      }
    }
    std::vector<std::string_view> pattern = Segments(rest);
    ML_RETURN_NOT_OK(ListBelow(spec, base, pattern, &out));
  }
  std::sort(out.begin(), out.end(),
            [](const SourceFile& a, const SourceFile& b) { return a.uri < b.uri; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const SourceFile& a, const SourceFile& b) { return a.uri == b.uri; }),
            out.end());
  return out;
}

}  // namespace marketlake
