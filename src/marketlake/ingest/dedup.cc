// Deduplication on a dataset's key, within a batch and against files of the lake.
#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <fmt/format.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/file_reader.h>

#include <cstring>
#include <string>
#include <vector>

#include "marketlake/ingest/ingest_internal.h"
#include "marketlake/lake_read.h"
#include "marketlake/predicate.h"
#include "marketlake/scan.h"
#include "marketlake/timestamp.h"

namespace marketlake {
namespace {

// The key columns of `batch` as the dataset's types; null where the batch lacks one.
Result<std::vector<std::shared_ptr<arrow::Array>>> KeyColumns(const arrow::RecordBatch& batch,
                                                              const DatasetSpec& spec) {
  std::vector<std::shared_ptr<arrow::Field>> fields;
  for (const auto& k : spec.key) {
    const ColumnSpec* c = spec.FindColumn(k);
    fields.push_back(arrow::field(k, c ? ArrowTypeOf(c->type) : arrow::utf8()));
  }
  auto view = arrow::RecordBatch::Make(batch.schema(), batch.num_rows(), batch.columns());
  ML_ASSIGN_OR_RETURN(auto keys,
                      ConformToSchema(view, arrow::schema(fields), spec.name + " key columns"));
  return keys->columns();
}

void AppendBytes(std::string* out, const void* data, size_t n) {
  out->append(static_cast<const char*>(data), n);
}

// One value, typed: a marker byte, then the value's bytes (length-prefixed when variable).
void AppendValue(const arrow::Array& a, int64_t row, std::string* out) {
  if (a.IsNull(row)) {
    out->push_back('\0');
    return;
  }
  out->push_back('\1');
  switch (a.type_id()) {
    case arrow::Type::STRING: {
      auto v = static_cast<const arrow::StringArray&>(a).GetView(row);
      uint32_t n = static_cast<uint32_t>(v.size());
      AppendBytes(out, &n, sizeof n);
      out->append(v);
      return;
    }
    case arrow::Type::INT32: {
      int32_t v = static_cast<const arrow::Int32Array&>(a).Value(row);
      AppendBytes(out, &v, sizeof v);
      return;
    }
    case arrow::Type::INT64:
    case arrow::Type::TIMESTAMP: {
      int64_t v = a.data()->GetValues<int64_t>(1)[row];
      AppendBytes(out, &v, sizeof v);
      return;
    }
    case arrow::Type::DOUBLE: {
      double v = static_cast<const arrow::DoubleArray&>(a).Value(row);
      if (v == 0) v = 0;  // -0 == 0
      AppendBytes(out, &v, sizeof v);
      return;
    }
    default: {
      auto scalar = a.GetScalar(row);
      std::string text = scalar.ok() ? (*scalar)->ToString() : std::string();
      uint32_t n = static_cast<uint32_t>(text.size());
      AppendBytes(out, &n, sizeof n);
      out->append(text);
      return;
    }
  }
}

std::string EncodeKey(const std::vector<std::shared_ptr<arrow::Array>>& cols, int64_t row) {
  std::string key;
  for (const auto& c : cols) AppendValue(*c, row, &key);
  return key;
}

Result<std::shared_ptr<arrow::RecordBatch>> FilterRows(
    const std::shared_ptr<arrow::RecordBatch>& batch, const std::vector<bool>& keep, int64_t kept) {
  if (kept == batch->num_rows()) return batch;
  arrow::BooleanBuilder mask;
  ML_RETURN_NOT_OK(mask.Reserve(batch->num_rows()));
  for (bool k : keep) mask.UnsafeAppend(k);
  ML_ASSIGN_OR_RETURN(auto m, mask.Finish());
  ML_ASSIGN_OR_RETURN(auto filtered, arrow::compute::Filter(batch, m));
  return filtered.record_batch();
}

}  // namespace

Result<std::shared_ptr<arrow::RecordBatch>> DropAdjacentDuplicates(
    const std::shared_ptr<arrow::RecordBatch>& batch, const DatasetSpec& spec, int64_t* dropped) {
  *dropped = 0;
  const int64_t n = batch->num_rows();
  if (spec.key.empty() || n < 2) return batch;
  ML_ASSIGN_OR_RETURN(auto keys, KeyColumns(*batch, spec));
  // Runs of equal (symbol, ts) hold every candidate duplicate; compare full keys inside.
  auto sym = batch->GetColumnByName("symbol");
  auto ts = batch->GetColumnByName("ts");
  std::shared_ptr<arrow::Array> ts_ns;
  if (ts && ts->type_id() == arrow::Type::TIMESTAMP) ts_ns = ts;
  const int64_t* ts_values = ts_ns ? ts_ns->data()->GetValues<int64_t>(1) : nullptr;
  const bool ts_nulls = ts_ns && ts_ns->null_count() > 0;
  auto same_run = [&](int64_t a, int64_t b) {
    if (ts_ns) {
      const bool null_a = ts_nulls && ts_ns->IsNull(a);
      if (ts_nulls && null_a != ts_ns->IsNull(b)) return false;
      if (!null_a && ts_values[a] != ts_values[b]) return false;
    }
    if (sym) return sym->RangeEquals(a, a + 1, b, *sym);
    return ts_ns != nullptr;
  };
  std::vector<bool> keep(static_cast<size_t>(n), true);
  int64_t kept = n;
  KeySet run_keys;
  int64_t run_start = 0;
  for (int64_t i = 1; i <= n; ++i) {
    if (i < n && same_run(run_start, i)) continue;
    if (i - run_start > 1) {
      run_keys.clear();
      for (int64_t r = run_start; r < i; ++r) {
        if (!run_keys.insert(EncodeKey(keys, r)).second) {
          keep[r] = false;
          --kept;
        }
      }
    }
    run_start = i;
  }
  *dropped = n - kept;
  return FilterRows(batch, keep, kept);
}

Result<std::shared_ptr<KeySet>> ReadKeys(const Lake& lake, const std::vector<DataFile>& files,
                                         const DatasetSpec& spec, const arrow::RecordBatch& like) {
  auto out = std::make_shared<KeySet>();
  if (like.num_rows() == 0) return out;
  std::optional<PredicateNode> where;
  auto ts = like.GetColumnByName("ts");
  int64_t lo = 0, hi = 0;
  if (ts && ts->type_id() == arrow::Type::TIMESTAMP && ts->null_count() == 0) {
    ML_ASSIGN_OR_RETURN(auto minmax, arrow::compute::MinMax(*ts));
    const auto& s = static_cast<const arrow::StructScalar&>(*minmax.scalar());
    lo = static_cast<const arrow::TimestampScalar&>(*s.value[0]).value;
    hi = static_cast<const arrow::TimestampScalar&>(*s.value[1]).value;
  }
  for (const auto& f : files) {
    if (ts && f.min_ts <= f.max_ts && (f.max_ts < lo || f.min_ts > hi)) continue;
    Location loc = lake.root().Child(f.path);
    ML_ASSIGN_OR_RETURN(auto file, OpenInputFile(loc));
    ML_ASSIGN_OR_RETURN(auto schema, ReadFileSchema(loc));
    ScanOptions scan;
    for (const auto& k : spec.key) {
      if (schema->GetFieldByName(k)) scan.columns.push_back(k);
    }
    if (scan.columns.empty()) continue;
    if (ts && schema->GetFieldByName("ts")) {
      ML_ASSIGN_OR_RETURN(
          where, ParsePredicate(fmt::format("ts >= '{}' AND ts <= '{}'", FormatTimestampNanos(lo),
                                            FormatTimestampNanos(hi))));
      scan.where = where;
    }
    ML_ASSIGN_OR_RETURN(auto scanner, ParquetScanner::Open(file, loc.display, scan));
    while (true) {
      ML_ASSIGN_OR_RETURN(auto batch, scanner->Next());
      if (!batch) break;
      ML_RETURN_NOT_OK(AddKeys(*batch, spec, out.get()));
    }
  }
  return out;
}

Result<std::shared_ptr<arrow::RecordBatch>> DropKnownKeys(
    const std::shared_ptr<arrow::RecordBatch>& batch, const DatasetSpec& spec, const KeySet& keys,
    int64_t* dropped) {
  *dropped = 0;
  if (keys.empty() || batch->num_rows() == 0) return batch;
  ML_ASSIGN_OR_RETURN(auto cols, KeyColumns(*batch, spec));
  const int64_t n = batch->num_rows();
  std::vector<bool> keep(static_cast<size_t>(n), true);
  int64_t kept = n;
  for (int64_t i = 0; i < n; ++i) {
    if (keys.count(EncodeKey(cols, i))) {
      keep[i] = false;
      --kept;
    }
  }
  *dropped = n - kept;
  return FilterRows(batch, keep, kept);
}

Status AddKeys(const arrow::RecordBatch& batch, const DatasetSpec& spec, KeySet* keys) {
  ML_ASSIGN_OR_RETURN(auto cols, KeyColumns(batch, spec));
  for (int64_t i = 0; i < batch.num_rows(); ++i) keys->insert(EncodeKey(cols, i));
  return Status::OK();
}

Result<std::shared_ptr<arrow::RecordBatch>> ReadDataFile(
    const Lake& lake, const DataFile& file, const std::shared_ptr<arrow::Schema>& schema) {
  Location loc = lake.root().Child(file.path);
  ML_ASSIGN_OR_RETURN(auto in, OpenInputFile(loc));
  ML_ASSIGN_OR_RETURN(auto scanner, ParquetScanner::Open(in, loc.display, ScanOptions{}));
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  while (true) {
    ML_ASSIGN_OR_RETURN(auto batch, scanner->Next());
    if (!batch) break;
    ML_ASSIGN_OR_RETURN(batch, ConformToSchema(batch, schema, loc.display));
    batches.push_back(std::move(batch));
  }
  ML_ASSIGN_OR_RETURN(auto table, arrow::Table::FromRecordBatches(schema, batches));
  return table->CombineChunksToBatch();
}

Result<std::shared_ptr<arrow::Schema>> ReadFileSchema(const Location& loc) {
  ML_ASSIGN_OR_RETURN(auto in, OpenInputFile(loc));
  try {
    auto reader = parquet::ParquetFileReader::Open(in);
    std::shared_ptr<arrow::Schema> schema;
    ML_RETURN_NOT_OK(WithContext(
        parquet::arrow::FromParquetSchema(reader->metadata()->schema(),
                                          parquet::default_arrow_reader_properties(),
                                          reader->metadata()->key_value_metadata(), &schema),
        loc.display));
    return schema;
  } catch (const std::exception& e) {
    return Error(ErrorCode::kCorruption, loc.display + ": " + e.what());
  }
}

}  // namespace marketlake
