// Helpers shared by the time verbs (bars, sample-quotes, asof): the --columns projection,
// the last symbol of a (symbol, ts)-ordered batch, the time partitions a range covers, and the
// check that a derived dataset is rewritten with the parameters it was written with.
#pragma once

#include <arrow/record_batch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lake_flags.h"
#include "marketlake/lake.h"
#include "marketlake/status.h"

namespace marketlake::cli {

inline constexpr int64_t kNsPerSec = 1'000'000'000;
inline constexpr int64_t kNsPerDay = 86400 * kNsPerSec;

int64_t FloorDiv(int64_t a, int64_t b);
// The smallest multiple of `step` >= a.
int64_t CeilTo(int64_t a, int64_t step);

// --columns of a time verb: the indices of the comma-separated `columns` in `schema`, in
// that order (every field when empty). kNotFound for a name the schema lacks (the message
// lists those it has), kInvalidArgument for a name given twice.
Result<std::vector<int>> OutputProjection(const std::string& columns, const arrow::Schema& schema);

// Threads a time verb's LakeReader decodes files on (LakeReadOptions::decode_threads): the
// cores, at most 4.
int DecodeThreads();

// The symbol of the last row (utf8, large_utf8 or dictionary column "symbol").
std::string LastSymbol(const arrow::RecordBatch& batch);

// kInvalidArgument when an earlier commit of `target` recorded one of `keys` with another
// value than `params` has (bars of another interval or session must go to another dataset).
Status CheckParameters(Dataset& target, const std::map<std::string, std::string>& params,
                       const std::vector<std::string>& keys);

// What `--write` of a dataset derived from another (bars, sampled quotes) works from.
struct DerivedWrite {
  std::unique_ptr<Dataset> target;
  Snapshot source;      // the source version every partition is recomputed from
  int64_t from_ns = 0;  // --from, else the source's first ts
  int64_t to_ns = 0;    // --to, else one past the source's last ts
  // The target's partitions overlapping [from_ns, to_ns) (its one time field, in its zone).
  std::vector<TimeSlot> partitions;
  AppendOptions append;  // `params` + source_version, lineage "<from_dataset>@<version>"
};
// Opens `name` (layer cleaned) for a --write from `source`: refuses --symbol (partitions are
// recomputed whole), a target not partitioned by time alone, a source without data or
// recorded time ranges when --from/--to are absent, and parameters `fixed` that differ from
// what earlier commits recorded (CheckParameters).
Result<DerivedWrite> PrepareDerivedWrite(Lake& lake, Dataset& source,
                                         const std::string& from_dataset, const std::string& name,
                                         const Selection& sel,
                                         std::map<std::string, std::string> params,
                                         const std::vector<std::string>& fixed);

}  // namespace marketlake::cli
