// The CLI's command registry. Each verb lives in its own cmd_<verb>.cc and registers itself:
//
//   namespace {
//   CLI::App* Setup(CLI::App& app, marketlake::cli::Runner& run) {
//     auto* cmd = app.add_subcommand("verb", "What it does");
//     ... options, cmd->footer("Examples: ...") ...
//     run = [opts] { return DoVerb(*opts); };
//     return cmd;
//   }
//   }  // namespace
//   ML_REGISTER_COMMAND(Setup);
//
// Setup adds a subcommand to `app` (with a description and examples in its footer), sets
// `run` to the function that executes it and returns the subcommand. Options live in a
// shared_ptr captured by `run`. Commands return a Status; main() prints a failed
// one as a single line "marketlake: error: <category>: <message>" on stderr and exits with
// ExitCodeFor(category). Commands use only the public API (include/marketlake).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "marketlake/status.h"

namespace marketlake::cli {

using Runner = std::function<Status()>;
using SetupFn = CLI::App* (*)(CLI::App& app, Runner& run);

struct CommandRegistration {
  SetupFn setup;
  std::string file;  // for stable ordering and diagnostics
};

std::vector<CommandRegistration>& Registry();

struct Registrar {
  Registrar(SetupFn fn, const char* file) { Registry().push_back({fn, file}); }
};

// Global flags shared by every command.
struct GlobalOptions {
  bool verbose = false;
  bool quiet = false;
};
GlobalOptions& Globals();

// True when stderr is a terminal and --quiet was not given: show progress.
bool ShowProgress();

}  // namespace marketlake::cli

#define ML_CLI_CONCAT_INNER(a, b) a##b
#define ML_CLI_CONCAT(a, b) ML_CLI_CONCAT_INNER(a, b)
#define ML_REGISTER_COMMAND(fn) \
  static ::marketlake::cli::Registrar ML_CLI_CONCAT(ml_registrar_, __LINE__)(fn, __FILE__)
