#include <arrow/array/concatenate.h>
#include <arrow/compute/api.h>

#include "marketlake/aggregate/internal.h"

namespace marketlake::aggregate_internal {

Status KeyIds::Map(const arrow::Array& array, std::string_view name, std::vector<uint32_t>* out) {
  const int64_t n = array.length();
  const size_t base = out->size();
  out->resize(base + n);
  uint32_t* dst = out->data() + base;
  auto string_like = [](const arrow::DataType& t) {
    return t.id() == arrow::Type::STRING || t.id() == arrow::Type::LARGE_STRING;
  };
  if (array.type_id() == arrow::Type::DICTIONARY &&
      !string_like(*static_cast<const arrow::DictionaryType&>(*array.type()).value_type())) {
    // Integer values: ids of the dictionary's values, by index.
    const auto& dict = static_cast<const arrow::DictionaryArray&>(array);
    std::vector<uint32_t> map;
    ML_RETURN_NOT_OK(Map(*dict.dictionary(), name, &map));
    return ForEachDictionaryIndex(dict,
                                  [&](int64_t i, int64_t k) { dst[i] = k < 0 ? kNullId : map[k]; });
  }
  switch (array.type_id()) {
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::DICTIONARY:
      return MapStringRuns(
          array, name,
          [&](std::string_view v) {
            auto it = strings_.find(v);
            if (it == strings_.end()) {
              it = strings_.emplace(std::string(v), next_++).first;
              names_.emplace_back(v);
            }
            return it->second;
          },
          dst);
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::UINT8:
    case arrow::Type::UINT16:
    case arrow::Type::UINT32:
    case arrow::Type::UINT64: {
      ML_ASSIGN_OR_RETURN(auto cast, arrow::compute::Cast(array, arrow::int64()));
      const auto& a = static_cast<const arrow::Int64Array&>(*cast);
      for (int64_t i = 0; i < n; ++i) {
        if (a.IsNull(i)) {
          dst[i] = kNullId;
          continue;
        }
        auto [it, inserted] = ints_.emplace(a.Value(i), next_);
        if (inserted) {
          ++next_;
          names_.push_back(std::to_string(a.Value(i)));
        }
        dst[i] = it->second;
      }
      return Status::OK();
    }
    default:
      return Error(ErrorCode::kDataType, "key column '" + std::string(name) +
                                             "': expected utf8, dictionary or integer, got " +
                                             array.type()->ToString());
  }
}

Result<std::shared_ptr<arrow::Array>> SingleArray(const arrow::ChunkedArray& column) {
  if (column.num_chunks() == 1) return column.chunk(0);
  if (column.num_chunks() == 0) return arrow::MakeEmptyArray(column.type());
  return arrow::Concatenate(column.chunks());
}

}  // namespace marketlake::aggregate_internal
