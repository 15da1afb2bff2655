// Flags shared by `import` and `validate`, and the report they print.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "marketlake/ingest.h"
#include "marketlake/schema.h"
#include "marketlake/status.h"

namespace marketlake::cli {

struct ImportFlags {
  std::vector<std::string> sources;
  std::string type = "auto";
  std::string interval;
  std::string mode = "strict";
  std::string tz = "UTC";
  std::string epoch_unit = "auto";
  std::vector<std::string> schema_files;  // custom dataset schema files
  std::string format;                     // input format; empty: from the name
  std::string delimiter = ",";
  std::string rejects;
  int parallel = 0;
  std::string memory_limit = "1GiB";
  bool json = false;
};

// SRC..., --type, --interval, --mode, --tz, --epoch-unit, --schema, --from, --delimiter,
// --rejects, --parallel, --memory-limit, --json.
void AddImportFlags(CLI::App* cmd, ImportFlags* flags);

// Options from the flags; `registry` receives the custom schemas and must outlive them.
Result<ImportOptions> MakeImportOptions(const ImportFlags& flags, DatasetRegistry* registry);

// Expands the sources and runs the import with progress on a terminal.
Result<ImportReport> RunImport(Lake* lake, const ImportFlags& flags, ImportOptions options);

// Prints the report: text (one line per source and dataset) or one JSON object.
void PrintImportReport(const ImportReport& report, bool json, bool dry_run);

}  // namespace marketlake::cli
