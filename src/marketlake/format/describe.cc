#include <arrow/array.h>
#include <arrow/compute/api.h>
#include <arrow/scalar.h>

#include <string>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "marketlake/inspect.h"
#include "marketlake/table_io.h"

namespace marketlake {
namespace {

struct Running {
  std::shared_ptr<arrow::Scalar> min;
  std::shared_ptr<arrow::Scalar> max;
  bool orderable = true;
};

Result<bool> Less(const std::shared_ptr<arrow::Scalar>& a,
                  const std::shared_ptr<arrow::Scalar>& b) {
  ML_ASSIGN_OR_RETURN(auto d, arrow::compute::CallFunction("less", {a, b}));
  const auto& s = static_cast<const arrow::BooleanScalar&>(*d.scalar());
  return s.is_valid && s.value;
}

std::string Format(const arrow::Scalar& s) {
  std::string text = s.ToString();
  if (s.type->id() == arrow::Type::TIMESTAMP && text.size() > 10 && text[10] == ' ') {
    text[10] = 'T';
  }
  return text;
}

}  // namespace

Result<DescribeReport> DescribeFile(const std::string& uri,
                                    const std::function<void(int64_t)>& on_rows) {
  ML_ASSIGN_OR_RETURN(auto input, OpenBatchReader(uri, ReadFileOptions{}));
  DescribeReport report;
  report.name = uri;
  auto schema = input.reader->schema();
  std::vector<Running> running(schema->num_fields());
  for (const auto& f : schema->fields()) {
    report.columns.push_back({f->name(), f->type()->ToString(), 0, 0, {}, {}});
  }
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    ML_RETURN_NOT_OK(input.reader->ReadNext(&batch));
    if (!batch) break;
    report.num_rows += batch->num_rows();
    for (int c = 0; c < batch->num_columns(); ++c) {
      std::shared_ptr<arrow::Array> column = batch->column(c);
      auto& summary = report.columns[c];
      summary.nulls += column->null_count();
      summary.count += column->length() - column->null_count();
      auto& run = running[c];
      if (!run.orderable || column->null_count() == column->length()) continue;
      if (column->type_id() == arrow::Type::DICTIONARY) {
        // Min and max over the values the rows use: the distinct indices, not every row
        // decoded to a string.
        const auto& dict = static_cast<const arrow::DictionaryArray&>(*column);
        ML_ASSIGN_OR_RETURN(auto used, arrow::compute::Unique(dict.indices()));
        ML_ASSIGN_OR_RETURN(auto values, arrow::compute::Take(dict.dictionary(), used));
        column = values.make_array();
      }
      auto mm = arrow::compute::MinMax(column);
      if (!mm.ok()) {
        run.orderable = false;  // nested types have no order
        continue;
      }
      const auto& pair = static_cast<const arrow::StructScalar&>(*mm->scalar());
      auto lo = pair.value[0];
      auto hi = pair.value[1];
      if (!run.min) {
        run.min = lo;
        run.max = hi;
        continue;
      }
      ML_ASSIGN_OR_RETURN(bool lower, Less(lo, run.min));
      if (lower) run.min = lo;
      ML_ASSIGN_OR_RETURN(bool higher, Less(run.max, hi));
      if (higher) run.max = hi;
    }
    if (on_rows) on_rows(report.num_rows);
  }
  for (size_t c = 0; c < running.size(); ++c) {
    if (running[c].min && running[c].min->is_valid) report.columns[c].min = Format(*running[c].min);
    if (running[c].max && running[c].max->is_valid) report.columns[c].max = Format(*running[c].max);
  }
  return report;
}

std::string DescribeReportToText(const DescribeReport& r) {
  std::string out = fmt::format("file: {}\nrows: {}\n", r.name, r.num_rows);
  size_t w = 6;
  for (const auto& c : r.columns) w = std::max(w, c.name.size());
  out += fmt::format("{:<{}}  {:<28}  {:>12}  {:>10}  {:<32}  {}\n", "column", w, "type", "count",
                     "nulls", "min", "max");
  for (const auto& c : r.columns) {
    out += fmt::format("{:<{}}  {:<28}  {:>12}  {:>10}  {:<32}  {}\n", c.name, w, c.type, c.count,
                       c.nulls, c.min.value_or("-"), c.max.value_or("-"));
  }
  return out;
}

std::string DescribeReportToJson(const DescribeReport& r) {
  nlohmann::ordered_json j;
  j["file"] = r.name;
  j["num_rows"] = r.num_rows;
  j["columns"] = nlohmann::ordered_json::array();
  for (const auto& c : r.columns) {
    j["columns"].push_back(
        {{"name", c.name},
         {"type", c.type},
         {"count", c.count},
         {"nulls", c.nulls},
         {"min", c.min ? nlohmann::ordered_json(*c.min) : nlohmann::ordered_json()},
         {"max", c.max ? nlohmann::ordered_json(*c.max) : nlohmann::ordered_json()}});
  }
  return j.dump(2) + "\n";
}

}  // namespace marketlake
