#include "marketlake/convert.h"

#include <arrow/compute/api.h>
#include <arrow/table.h>

#include <fmt/core.h>
#include <fmt/format.h>

#include "marketlake/filesystem.h"

namespace marketlake {

Result<std::shared_ptr<arrow::Table>> SortTable(const std::shared_ptr<arrow::Table>& table,
                                                const std::vector<std::string>& columns) {
  // Sort keys are decoded copies; the rows taken are the original ones, so dictionary
  // columns stay dictionaries in the output.
  std::vector<std::shared_ptr<arrow::Field>> key_fields;
  std::vector<std::shared_ptr<arrow::ChunkedArray>> key_columns;
  std::vector<arrow::compute::SortKey> keys;
  for (const auto& name : columns) {
    auto column = table->GetColumnByName(name);
    if (!column) {
      std::vector<std::string> names = table->ColumnNames();
      return Error(ErrorCode::kMissingColumn, fmt::format("--sort-by: no column '{}' (columns: {})",
                                                          name, fmt::join(names, ", ")));
    }
    if (column->type()->id() == arrow::Type::DICTIONARY) {
      auto value_type = static_cast<const arrow::DictionaryType&>(*column->type()).value_type();
      ML_ASSIGN_OR_RETURN(auto decoded, arrow::compute::Cast(column, value_type));
      column = decoded.chunked_array();
    }
    key_fields.push_back(arrow::field(name, column->type()));
    key_columns.push_back(column);
    keys.emplace_back(name, arrow::compute::SortOrder::Ascending,
                      arrow::compute::NullPlacement::AtStart);
  }
  auto key_table = arrow::Table::Make(arrow::schema(key_fields), key_columns, table->num_rows());
  arrow::compute::SortOptions sort(keys);
  ML_ASSIGN_OR_RETURN(auto indices, arrow::compute::SortIndices(arrow::Datum(key_table), sort));
  ML_ASSIGN_OR_RETURN(auto taken, arrow::compute::Take(table, indices));
  return taken.table();
}

Result<ConvertResult> ConvertFile(const std::string& input, const std::string& output,
                                  const ConvertOptions& options,
                                  const std::function<void(int64_t, int64_t)>& progress) {
  ML_ASSIGN_OR_RETURN(auto in, OpenBatchReader(input, options.read));
  WriteOptions write = options.write;
  if (!options.sort_by.empty()) write.sorting_columns = options.sort_by;
  ConvertResult result;
  auto schema = in.reader->schema();
  ML_ASSIGN_OR_RETURN(auto out, OpenBatchWriter(output, schema, options.output_format, write));
  auto report = [&] {
    if (progress) progress(result.rows, in.bytes_read ? in.bytes_read->load() : -1);
  };
  if (options.sort_by.empty()) {
    while (true) {
      std::shared_ptr<arrow::RecordBatch> batch;
      ML_RETURN_NOT_OK(in.reader->ReadNext(&batch));
      if (!batch) break;
      ML_RETURN_NOT_OK(out->Write(*batch));
      result.rows += batch->num_rows();
      report();
    }
  } else {
    std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
    while (true) {
      std::shared_ptr<arrow::RecordBatch> batch;
      ML_RETURN_NOT_OK(in.reader->ReadNext(&batch));
      if (!batch) break;
      result.rows += batch->num_rows();
      batches.push_back(std::move(batch));
      report();
    }
    ML_ASSIGN_OR_RETURN(auto table, arrow::Table::FromRecordBatches(schema, batches));
    batches.clear();
    ML_ASSIGN_OR_RETURN(auto sorted, SortTable(table, options.sort_by));
    table.reset();
    // Row groups come out whole because the writer buffers up to row_group_size.
    arrow::TableBatchReader reader(*sorted);
    reader.set_chunksize(64 * 1024);
    while (true) {
      std::shared_ptr<arrow::RecordBatch> batch;
      ML_RETURN_NOT_OK(reader.ReadNext(&batch));
      if (!batch) break;
      ML_RETURN_NOT_OK(out->Write(*batch));
    }
  }
  ML_RETURN_NOT_OK(out->Close());
  result.bytes_in = in.size;
  if (output != "-") {
    if (auto loc = ResolveLocation(output); loc.ok()) {
      if (auto info = loc->fs->GetFileInfo(loc->path); info.ok()) result.bytes_out = info->size();
    }
  }
  return result;
}

}  // namespace marketlake
