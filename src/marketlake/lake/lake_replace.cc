// Dataset::ReplacePartitions: remove a set of partitions' files and add their new contents
// in one commit, so a re-aggregation (bars after late ticks) is never seen half done and
// never counted twice. Writing goes through the streaming-write path (BeginWrite,
// WriteFiles) and publication through lake.cc's commit loop with RemovePartition's conflict
// rule extended to several partitions.
#include <arrow/api.h>
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "marketlake/lake.h"
#include "marketlake/lake/lake_internal.h"

namespace marketlake {
namespace {

bool StartsWithValues(const PartitionValues& values, const PartitionValues& prefix) {
  return prefix.size() <= values.size() && std::equal(prefix.begin(), prefix.end(), values.begin());
}

std::string PartitionText(const PartitionValues& values) {
  std::string out;
  for (const auto& [k, v] : values) {
    if (!out.empty()) out += "/";
    out += k + "=" + v;
  }
  return out.empty() ? "(all)" : out;
}

}  // namespace

Result<CommitResult> Dataset::ReplacePartitions(
    const std::vector<PartitionValues>& partitions,
    const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches, const AppendOptions& options) {
  if (partitions.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("{}: replace: no partitions given", name_));
  }
  std::vector<std::shared_ptr<arrow::RecordBatch>> non_empty;
  for (const auto& b : batches) {
    if (b && b->num_rows() > 0) non_empty.push_back(b);
  }
  for (const auto& b : non_empty) {
    if (!b->schema()->Equals(*non_empty[0]->schema(), false)) {
      return Error(ErrorCode::kSchemaMismatch,
                   fmt::format("{}: replacing batches differ in schema: {} vs {}", name_,
                               non_empty[0]->schema()->ToString(), b->schema()->ToString()));
    }
  }
  // The snapshot the replacement is computed against (refreshes the log, checks the store).
  ML_ASSIGN_OR_RETURN(int64_t base, BeginWrite());
  ML_ASSIGN_OR_RETURN(Snapshot snap, GetSnapshot(base));
  std::vector<PartitionedBatch> parts;
  if (!non_empty.empty()) {
    ML_ASSIGN_OR_RETURN(auto table, arrow::Table::FromRecordBatches(non_empty));
    ML_ASSIGN_OR_RETURN(auto batch, table->CombineChunksToBatch());
    ML_ASSIGN_OR_RETURN(parts, Partitioner(snap.partition_spec).Split(batch, options.sort));
  }
  for (const auto& part : parts) {
    bool covered = std::any_of(partitions.begin(), partitions.end(),
                               [&](const auto& p) { return StartsWithValues(part.values, p); });
    if (!covered) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("{}: replace: {} rows fall in partition {}, which is not being "
                               "replaced",
                               name_, part.batch->num_rows(), PartitionText(part.values)));
    }
  }
  CommitInfo commit;
  commit.operation = "replace";
  commit.read_version = base;
  for (const auto& f : snap.files) {
    bool hit = std::any_of(partitions.begin(), partitions.end(),
                           [&](const auto& p) { return StartsWithValues(f.partition, p); });
    if (hit) commit.removed.push_back(f.path);
  }
  for (const auto& part : parts) {
    auto files = WriteFiles(part.values, part.batch, options, base);
    if (!files.ok()) {
      DeleteFiles(commit.added);
      return files.status();
    }
    commit.added.insert(commit.added.end(), files->begin(), files->end());
  }
  if (commit.added.empty() && commit.removed.empty()) return CommitResult{};
  CommitOptions opts = options;
  std::string replaced;
  for (const auto& p : partitions) {
    if (!replaced.empty()) replaced += ",";
    replaced += PartitionText(p);
  }
  opts.parameters["replaced"] = replaced;
  std::vector<DataFile> added = commit.added;
  auto result = CommitRemovingPartitions(*this, std::move(commit), opts, partitions);
  if (!result.ok()) DeleteFiles(added);
  return result;
}

}  // namespace marketlake
