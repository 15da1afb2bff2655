// Which dataset a source is, and whether it (and the lake's files) fit that dataset.
#include <arrow/api.h>
#include <fmt/format.h>

#include <string>
#include <utility>
#include <vector>

#include "marketlake/ingest.h"
#include "marketlake/ingest/ingest_internal.h"

namespace marketlake {

Result<std::pair<std::string, DatasetSpec>> ResolveDataset(const ImportOptions& options,
                                                           const std::string& uri,
                                                           const arrow::Schema& schema,
                                                           std::string* detected_by) {
  std::string type = options.type.empty() ? "auto" : options.type;
  std::string interval = options.interval;
  if (type == "auto") {
    std::vector<std::string> names;
    for (const auto& f : schema.fields()) names.push_back(f->name());
    auto detected = DetectDataset(names, uri);
    if (!detected.ok()) {
      return Error(ErrorCode::kSchemaMismatch, fmt::format("{}: {} (name the dataset with --type)",
                                                           uri, detected.status().message()));
    }
    type = detected->dataset;
    if (interval.empty()) interval = detected->interval;
    *detected_by = detected->reason;
  } else {
    *detected_by = "--type " + type;
  }
  std::string name = type;
  if (type == "bars") {
    if (interval.empty()) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("{}: bars need an interval: give --interval (e.g. 1m, 1d); the "
                               "path does not say",
                               uri));
    }
    name = "bars_" + interval;
  }
  DatasetRegistry builtins;
  const DatasetRegistry& registry = options.registry ? *options.registry : builtins;
  ML_ASSIGN_OR_RETURN(DatasetSpec spec, registry.Find(name));
  return std::make_pair(name, std::move(spec));
}

Result<CompatibilityReport> CheckLakeSchema(const Lake& lake, const std::string& dataset,
                                            const Snapshot& snapshot,
                                            const arrow::Schema& incoming) {
  if (snapshot.files.empty()) return CompatibilityReport{};
  const DataFile* newest = &snapshot.files[0];
  for (const auto& f : snapshot.files) {
    if (f.added_in_version > newest->added_in_version) newest = &f;
  }
  ML_ASSIGN_OR_RETURN(auto existing, ReadFileSchema(lake.root().Child(newest->path)));
  // A dataset's readers see the union of its files, so the question is whether existing
  // values are readable as the incoming types; nullability only widens (older files may
  // lack a column the new ones require).
  std::vector<std::shared_ptr<arrow::Field>> relaxed;
  for (const auto& f : incoming.fields()) relaxed.push_back(f->WithNullable(true));
  auto report = CheckCompatibility(*existing, arrow::Schema(relaxed));
  if (!report.ok()) {
    return Error(ErrorCode::kSchemaMismatch,
                 fmt::format("{}: the lake's files cannot take the incoming schema: {}", dataset,
                             report.status().message()));
  }
  return report;
}

Result<SchemaCheck> CheckSourceSchema(Lake* lake, const SourceFile& source,
                                      const ImportOptions& options) {
  SchemaCheck check;
  check.source = source.uri;
  ReadFileOptions read = options.read;
  read.text_columns = true;
  ML_ASSIGN_OR_RETURN(auto opened, OpenBatchReader(source.uri, read));
  ML_ASSIGN_OR_RETURN(auto named, ResolveDataset(options, source.uri, *opened.reader->schema(),
                                                 &check.detected_by));
  check.dataset = named.first;
  std::shared_ptr<arrow::RecordBatch> batch;
  ML_RETURN_NOT_OK(opened.reader->ReadNext(&batch));
  if (!batch) {
    ML_ASSIGN_OR_RETURN(batch, arrow::RecordBatch::MakeEmpty(opened.reader->schema()));
  }
  NormalizeOptions nopts;
  nopts.mode = ValidationMode::kIgnore;
  nopts.source_name = source.uri;
  nopts.tz = options.tz;
  nopts.epoch_unit = options.epoch_unit;
  auto norm = Normalize(named.second, batch, nopts);
  if (!norm.ok()) {
    check.source_error = norm.status().message();
    check.source_code = CodeOf(norm.status());
  } else {
    check.mapping = norm->stats;
  }
  if (lake) {
    ML_ASSIGN_OR_RETURN(auto ds, lake->OpenDataset(check.dataset));
    ML_ASSIGN_OR_RETURN(auto snap, ds->GetSnapshot());
    check.lake_files = static_cast<int64_t>(snap.files.size());
    auto lake_check = CheckLakeSchema(*lake, check.dataset, snap, *named.second.ArrowSchema());
    if (lake_check.ok()) {
      check.lake = *lake_check;
    } else {
      check.lake_error = lake_check.status().message();
    }
  }
  return check;
}

}  // namespace marketlake
