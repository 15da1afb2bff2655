// Internal helpers shared by the lake's .cc files. Not a public header.
#pragma once

#include <arrow/record_batch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "marketlake/lake.h"
#include "marketlake/status.h"

namespace marketlake {

struct Civil {
  int64_t year;
  int month;
  int day;
};
Civil LakeCivilFromDays(int64_t days);
int64_t LakeDaysFromCivil(int64_t year, int month, int day);

// The range name a symbol falls in (ranges sorted, first lower bound "").
const std::string& RangeOf(const std::vector<SymbolRange>& ranges, std::string_view symbol);
std::string BucketValue(uint64_t bucket);
// kInvalidArgument unless `spec` survives its text form.
Status ValidateSpec(const PartitionSpec& spec);
// Stable sort by (symbol, ts), using whichever of the two columns exist.
Result<std::shared_ptr<arrow::RecordBatch>> SortBySymbolTs(
    const std::shared_ptr<arrow::RecordBatch>& batch);

// The root of the lake a dataset lives in (data file paths are relative to it).
const Location& DatasetRoot(const Dataset& dataset);

// Tests only: called by every commit attempt just before it publishes its log entry (with
// the dataset's lock held), so a test can land a competing commit deterministically. Pass
// nullptr to remove. Not thread-safe against concurrent commits.
using PublishHook = std::function<void(std::string_view dataset, int64_t version, int attempt)>;
void SetPublishHookForTesting(PublishHook hook);

// Publishes `commit` (operation, read_version, added and removed set), taking the dataset's
// lock: the rules of lake.h, and an intervening commit that added files to one of
// `partitions` (prefixes) conflicts, as for RemovePartition. For lake_replace.cc.
Result<CommitResult> CommitRemovingPartitions(Dataset& d, CommitInfo commit,
                                              const CommitOptions& options,
                                              const std::vector<PartitionValues>& partitions);

}  // namespace marketlake
