// Internal helpers of the import pipeline (deduplication and reading lake files back).
// Not a public header.
#pragma once

#include <arrow/record_batch.h>
#include <arrow/type_fwd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "marketlake/filesystem.h"
#include "marketlake/ingest.h"
#include "marketlake/lake.h"
#include "marketlake/schema.h"
#include "marketlake/status.h"

namespace marketlake {

// Keys of a dataset as byte strings: each key column's value, length-prefixed, typed by the
// dataset's canonical types, nulls marked (null equals null).
using KeySet = std::unordered_set<std::string>;

// Drops every row whose key equals an earlier row's in a batch sorted by SortBySymbolTs
// (lake.h) (the
// first occurrence stays). `dropped` receives the count.
Result<std::shared_ptr<arrow::RecordBatch>> DropAdjacentDuplicates(
    const std::shared_ptr<arrow::RecordBatch>& batch, const DatasetSpec& spec, int64_t* dropped);

// The keys held by `files` of the lake for rows whose ts lies within the ts range of `like`
// (the rows about to be written; only those can collide).
Result<std::shared_ptr<KeySet>> ReadKeys(const Lake& lake, const std::vector<DataFile>& files,
                                         const DatasetSpec& spec, const arrow::RecordBatch& like);

// Drops the rows of `batch` whose key is in `keys`.
Result<std::shared_ptr<arrow::RecordBatch>> DropKnownKeys(
    const std::shared_ptr<arrow::RecordBatch>& batch, const DatasetSpec& spec, const KeySet& keys,
    int64_t* dropped);

// Adds the keys of `batch` to `keys`.
Status AddKeys(const arrow::RecordBatch& batch, const DatasetSpec& spec, KeySet* keys);

// A whole data file of the lake, cast to `schema`.
Result<std::shared_ptr<arrow::RecordBatch>> ReadDataFile(
    const Lake& lake, const DataFile& file, const std::shared_ptr<arrow::Schema>& schema);

// The dataset a source goes to: options.type, else detected from its columns and path
// (bars: with an interval). `detected_by` says why. Returns (lake dataset name, spec).
Result<std::pair<std::string, DatasetSpec>> ResolveDataset(const ImportOptions& options,
                                                           const std::string& uri,
                                                           const arrow::Schema& schema,
                                                           std::string* detected_by);

// Whether the newest file of `snapshot` can take `incoming` (schema evolution rules);
// kSchemaMismatch naming the dataset and the offending columns otherwise.
Result<CompatibilityReport> CheckLakeSchema(const Lake& lake, const std::string& dataset,
                                            const Snapshot& snapshot,
                                            const arrow::Schema& incoming);

// Glob matching of import sources. MatchSegment: one '/'-free segment against a pattern of
// * (any run), ? (one byte), [abc] [a-z] [!x] [^x] (']' first is literal; an unterminated
// '[' is literal), bytes compared unsigned, like fnmatch(3) with FNM_NOESCAPE. GlobMatch: a
// '/'-separated path, segment by segment, where a "**" segment matches zero or more.
bool MatchSegment(std::string_view pattern, std::string_view segment);
bool GlobMatch(std::string_view pattern, std::string_view path);

// The Arrow schema stored in a Parquet file's footer.
Result<std::shared_ptr<arrow::Schema>> ReadFileSchema(const Location& loc);

}  // namespace marketlake
