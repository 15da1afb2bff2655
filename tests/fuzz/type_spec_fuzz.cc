// Fuzzes the --schema type-spec parser: any input gives a schema or an error, never a crash,
// and a parsed schema has no duplicate or empty names.
#include <arrow/type.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

#include "marketlake/type_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto schema = marketlake::ParseSchemaSpec(text);
  if (schema.ok()) {
    std::set<std::string> names;
    for (const auto& f : (*schema)->fields()) {
      if (f->name().empty() || !names.insert(f->name()).second) std::abort();
    }
  }
  (void)marketlake::ParseTypeName(text);
  return 0;
}
