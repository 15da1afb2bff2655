// Fuzzes custom dataset schema files (YAML or JSON): any input gives a spec or an error naming
// the source, never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "marketlake/schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto spec = marketlake::ParseDatasetSpec(text, "fuzz.yaml");
  if (!spec.ok() && spec.status().message().find("fuzz.yaml") == std::string::npos) std::abort();
  return 0;
}
