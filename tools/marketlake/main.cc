// marketlake: the command-line tool. Each verb is a cmd_<verb>.cc; see command.h.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <arrow/memory_pool.h>
#include <fmt/core.h>

#include "command.h"
#include "marketlake/config.h"
#include "marketlake/filesystem.h"
#include "marketlake/s3_output_stream.h"

namespace marketlake::cli {

std::vector<CommandRegistration>& Registry() {
  static std::vector<CommandRegistration> registry;
  return registry;
}

GlobalOptions& Globals() {
  static GlobalOptions globals;
  return globals;
}

bool ShowProgress() { return !Globals().quiet && isatty(STDERR_FILENO) == 1; }

}  // namespace marketlake::cli

namespace {

// Errors are one line: newlines and other control bytes (which a corrupt file can put into
// a decoder's message) become spaces.
std::string OneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) out.push_back(c < 0x20 || c == 0x7f ? ' ' : static_cast<char>(c));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  // Arrow's default allocator in the wheel's build is mimalloc, which hands freed pages back
  // to the kernel eagerly: on a 10M-row import that was 3-4 s of page faults and madvise
  // against about 2 s with jemalloc (bench/README.md, "Allocator"). Read by Arrow when the
  // default pool is first used; a user's own ARROW_DEFAULT_MEMORY_POOL wins.
  setenv("ARROW_DEFAULT_MEMORY_POOL", "jemalloc", /*overwrite=*/0);
  using marketlake::cli::Registry;
  CLI::App app{"marketlake: keep market data as partitioned, versioned Parquet.", "marketlake"};
  app.require_subcommand(1);
  // Global flags may also follow the verb: marketlake ls s3://b --config my.yaml -v
  app.fallthrough();
  app.set_version_flag("--version", std::string("marketlake ") + ML_VERSION + " (Arrow C++ " +
                                        ML_ARROW_VERSION + ")");
  app.add_flag("-v,--verbose", marketlake::cli::Globals().verbose, "More detail on stderr");
  app.add_flag("-q,--quiet", marketlake::cli::Globals().quiet, "No progress output");
  app.add_option_function<std::string>(
      "--config", [](const std::string& path) { marketlake::SetConfigPath(path); },
      "Configuration file naming sources (default: $MARKETLAKE_CONFIG, else "
      "~/.config/marketlake/config.yaml)");
  app.footer(
      "Examples:\n"
      "  marketlake generate trades --symbols 20 --days 5 --rows 1000000 --out trades.parquet\n"
      "  marketlake inspect trades.parquet\n"
      "  marketlake cat trades.parquet --where \"symbol = 'AAPL'\" --limit 10\n"
      "Run 'marketlake COMMAND --help' for a command's options and examples.");

  auto& registry = Registry();
  std::sort(registry.begin(), registry.end(),
            [](const auto& a, const auto& b) { return a.file < b.file; });
  std::vector<std::pair<CLI::App*, marketlake::cli::Runner>> commands(registry.size());
  for (size_t i = 0; i < registry.size(); ++i) {
    commands[i].first = registry[i].setup(app, commands[i].second);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Usage errors keep the one-line contract too; --help says the rest.
    fmt::print(stderr, "marketlake: error: {}: {} (see --help)\n",
               marketlake::CodeName(marketlake::ErrorCode::kInvalidArgument), OneLine(e.what()));
    return marketlake::ExitCodeFor(marketlake::ErrorCode::kInvalidArgument);
  }

  marketlake::Status status = marketlake::Error(marketlake::ErrorCode::kInternal, "no command ran");
  for (auto& [cmd, run] : commands) {
    if (cmd != nullptr && cmd->parsed() && run) {
      status = run();
      break;
    }
  }
  if (marketlake::cli::Globals().verbose) {
    arrow::MemoryPool* pool = arrow::default_memory_pool();
    fmt::print(stderr, "marketlake: memory pool: {}, peak {} bytes\n", pool->backend_name(),
               pool->max_memory());
    // Per-store counters (request_metrics.h): marketlake's own S3 client (SSE/storage-class
    // writes, conditional writes, cp uploads) and the data path through Arrow's S3/GCS
    // filesystems (ranged reads, listings, HEADs, Arrow's writer). Numbers and store labels
    // only, never credentials.
    for (const auto& [store, m] : marketlake::StoreRequestMetrics()) {
      fmt::print(stderr,
                 "marketlake: s3 requests [{}]: requests={} errors={} retries={} bytes_out={} "
                 "bytes_in={} latency_mean_ms={:.2f} latency_max_ms={:.2f}\n",
                 store, m.requests, m.errors, m.retries, m.bytes_out, m.bytes_in,
                 m.requests == 0 ? 0.0 : m.latency_sum_us / 1000.0 / m.requests,
                 m.latency_max_us / 1000.0);
    }
  }
  marketlake::FinalizeFilesystems();
  if (!status.ok()) {
    auto code = marketlake::CodeOf(status);
    fmt::print(stderr, "marketlake: error: {}: {}\n", marketlake::CodeName(code),
               OneLine(status.message()));
    return marketlake::ExitCodeFor(code);
  }
  return 0;
}
