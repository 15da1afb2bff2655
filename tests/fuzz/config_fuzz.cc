// Fuzzes the sources config parser (YAML with ${VAR} interpolation): any input gives a
// config or an error naming the file, never a crash, a hang or a secret in the message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "marketlake/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  marketlake::EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "SECRET") return std::string("s3cr3t-fuzz-value");
    return std::nullopt;
  };
  auto config = marketlake::ParseConfig(text, "fuzz.yaml", env);
  if (!config.ok()) {
    const auto& message = config.status().message();
    if (message.rfind("fuzz.yaml", 0) != 0) std::abort();
    // Values from the environment never show; text the file itself holds may be quoted.
    if (message.find("s3cr3t-fuzz-value") != std::string::npos &&
        text.find("s3cr3t-fuzz-value") == std::string_view::npos) {
      std::abort();
    }
  }
  return 0;
}
