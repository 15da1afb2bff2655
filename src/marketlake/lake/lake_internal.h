// Internal helpers shared by the lake's .cc files. Not a public header.
#pragma once

#include <arrow/array.h>
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
// sort.cc: the 'ts' column as nanoseconds (kMissingColumn / kDataType when absent or not a
// timestamp) and the 'symbol' column as utf8 (kMissingColumn when absent).
Result<std::shared_ptr<arrow::Array>> TsNanos(const arrow::RecordBatch& batch);
Result<std::shared_ptr<arrow::StringArray>> SymbolStrings(const arrow::RecordBatch& batch);

// Dense ids, in order of first appearance, for the distinct strings of a column with few
// distinct values (symbols): a flat open-addressing table, so a lookup per row is a hash of a
// few bytes and one probe. The views are not copied: the strings must outlive the table.
class SymbolIds {
 public:
  // The id of `s`, adding it when new.
  int32_t Intern(std::string_view s);
  // The distinct strings; id i is names()[i].
  const std::vector<std::string_view>& names() const { return names_; }

 private:
  void Grow();

  std::vector<int32_t> slots_;    // -1 when empty, else an id
  std::vector<uint64_t> hashes_;  // by id
  std::vector<uint64_t> heads_;   // by id: the first 8 bytes, zero-padded
  std::vector<std::string_view> names_;
  uint64_t mask_ = 0;
};

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
