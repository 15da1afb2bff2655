// Fuzzes the import glob matcher. Input: PATTERN '\n' TEXT. Oracle: for one segment (no '/'),
// the result equals glibc's fnmatch(3) with FNM_NOESCAPE. Not compared: POSIX classes like
// [[:alpha:]] (not implemented) and a '[' with no ']' after it, which the matcher takes
// literally while glibc's answer depends on what follows (e.g. "[@-" never matches itself).
// A path match must never crash or hang.
#include <fnmatch.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "marketlake/ingest/ingest_internal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto nl = in.find('\n');
  if (nl == std::string_view::npos) return 0;
  std::string pattern(in.substr(0, nl));
  std::string text(in.substr(nl + 1));
  (void)marketlake::GlobMatch(pattern, text);
  const bool simple =
      pattern.find('/') == std::string::npos && text.find('/') == std::string::npos &&
      pattern.find('\0') == std::string::npos && text.find('\0') == std::string::npos &&
      pattern.find("[:") == std::string::npos && pattern.find("[=") == std::string::npos &&
      pattern.find("[.") == std::string::npos;
  if (!simple) return 0;
  for (size_t i = pattern.find('['); i != std::string::npos; i = pattern.find('[', i + 1)) {
    if (pattern.find(']', i + 2) == std::string::npos) return 0;  // unterminated
  }
  const bool ours = marketlake::MatchSegment(pattern, text);
  const bool theirs = fnmatch(pattern.c_str(), text.c_str(), FNM_NOESCAPE) == 0;
  if (ours != theirs) {
    std::fprintf(stderr, "pattern '%s' text '%s': ours %d, fnmatch %d\n", pattern.c_str(),
                 text.c_str(), ours, theirs);
    std::abort();
  }
  return 0;
}
