// marketlake rm: delete a file/object, or a directory/prefix with --recursive.
#include <memory>
#include <string>

#include <fmt/core.h>

#include "command.h"
#include "marketlake/filesystem.h"

namespace marketlake::cli {
namespace {

struct RmOptions {
  std::string uri;
  bool recursive = false;
};

Status RunRm(const RmOptions& opts) {
  ML_ASSIGN_OR_RETURN(Location loc, ResolveLocation(opts.uri));
  ML_RETURN_NOT_OK(DeletePlace(loc, opts.recursive));
  if (Globals().verbose) fmt::print(stderr, "deleted {}\n", loc.display);
  return Status::OK();
}

CLI::App* Setup(CLI::App& app, Runner& run) {
  auto opts = std::make_shared<RmOptions>();
  auto* cmd = app.add_subcommand("rm",
                                 "Delete a file or object (a directory or prefix needs "
                                 "--recursive)");
  cmd->add_option("URI", opts->uri,
                  "A place: local path, file://, s3://bucket/key, gs://bucket/key or "
                  "SOURCE:key")
      ->required();
  cmd->add_flag("-r,--recursive", opts->recursive,
                "Delete a directory or prefix and everything below it");
  cmd->footer(
      "Examples:\n"
      "  marketlake rm s3://my-bucket/tmp/old.parquet\n"
      "  marketlake rm prod:scratch/ --recursive\n"
      "  marketlake rm ./out/run1 --recursive");
  run = [opts] { return RunRm(*opts); };
  return cmd;
}

}  // namespace
}  // namespace marketlake::cli

ML_REGISTER_COMMAND(marketlake::cli::Setup);
