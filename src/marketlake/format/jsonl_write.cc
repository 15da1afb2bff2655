// JSON lines output. Each column is first rendered to strings with one vectorised cast, so
// the row loop only copies (and escapes) text.
#include <arrow/array.h>
#include <arrow/compute/api.h>
#include <arrow/scalar.h>

#include <string>
#include <vector>

#include "marketlake/table_io.h"

namespace marketlake {
namespace {

enum class Render { kRaw, kQuoted, kIsoTime, kFloat, kFallback };

void AppendEscaped(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

Render RenderFor(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::STRING_VIEW:
      return Render::kQuoted;
    case arrow::Type::BOOL:
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::UINT8:
    case arrow::Type::UINT16:
    case arrow::Type::UINT32:
    case arrow::Type::UINT64:
    case arrow::Type::DECIMAL128:
    case arrow::Type::DECIMAL256:
      return Render::kRaw;
    case arrow::Type::HALF_FLOAT:
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE:
      return Render::kFloat;
    case arrow::Type::TIMESTAMP:
      return Render::kIsoTime;
    case arrow::Type::DATE32:
    case arrow::Type::DATE64:
    case arrow::Type::TIME32:
    case arrow::Type::TIME64:
      return Render::kQuoted;
    default:
      return Render::kFallback;
  }
}

// Nested values (lists, structs, maps, and whatever they hold) are written value by value;
// they are rare in market data, so clarity wins over speed here.
Status AppendNested(const arrow::Array& array, int64_t i, std::string* out) {
  if (array.IsNull(i)) {
    out->append("null");
    return Status::OK();
  }
  switch (array.type_id()) {
    case arrow::Type::LIST:
    case arrow::Type::LARGE_LIST:
    case arrow::Type::FIXED_SIZE_LIST: {
      std::shared_ptr<arrow::Array> items;
      if (array.type_id() == arrow::Type::LIST) {
        items = static_cast<const arrow::ListArray&>(array).value_slice(i);
      } else if (array.type_id() == arrow::Type::LARGE_LIST) {
        items = static_cast<const arrow::LargeListArray&>(array).value_slice(i);
      } else {
        items = static_cast<const arrow::FixedSizeListArray&>(array).value_slice(i);
      }
      out->push_back('[');
      for (int64_t k = 0; k < items->length(); ++k) {
        if (k > 0) out->push_back(',');
        ML_RETURN_NOT_OK(AppendNested(*items, k, out));
      }
      out->push_back(']');
      return Status::OK();
    }
    case arrow::Type::STRUCT: {
      const auto& st = static_cast<const arrow::StructArray&>(array);
      out->push_back('{');
      for (int f = 0; f < st.num_fields(); ++f) {
        if (f > 0) out->push_back(',');
        AppendEscaped(st.struct_type()->field(f)->name(), out);
        out->push_back(':');
        ML_RETURN_NOT_OK(AppendNested(*st.field(f), i, out));
      }
      out->push_back('}');
      return Status::OK();
    }
    case arrow::Type::MAP: {
      // JSON objects have string keys: keys are written as their text.
      const auto& map = static_cast<const arrow::MapArray&>(array);
      const int64_t begin = map.value_offset(i), end = map.value_offset(i + 1);
      out->push_back('{');
      for (int64_t k = begin; k < end; ++k) {
        if (k > begin) out->push_back(',');
        std::string key;
        ML_RETURN_NOT_OK(AppendNested(*map.keys(), k, &key));
        if (key.empty() || key.front() != '"') {
          AppendEscaped(key, out);
        } else {
          out->append(key);
        }
        out->push_back(':');
        ML_RETURN_NOT_OK(AppendNested(*map.items(), k, out));
      }
      out->push_back('}');
      return Status::OK();
    }
    case arrow::Type::DICTIONARY: {
      const auto& dict = static_cast<const arrow::DictionaryArray&>(array);
      return AppendNested(*dict.dictionary(), dict.GetValueIndex(i), out);
    }
    default:
      break;
  }
  // A leaf inside a nested value: the same text a top-level column of its type gets.
  ML_ASSIGN_OR_RETURN(auto one, arrow::compute::Cast(*array.Slice(i, 1), arrow::utf8()));
  auto text = std::static_pointer_cast<arrow::StringArray>(one)->GetView(0);
  switch (RenderFor(*array.type())) {
    case Render::kRaw:
      out->append(text);
      break;
    case Render::kFloat:
      if (text.find_first_of("ni") != std::string_view::npos &&
          text.find('e') == std::string_view::npos) {
        out->append("null");
      } else {
        out->append(text);
      }
      break;
    case Render::kIsoTime: {
      std::string v(text);
      if (v.size() > 10 && v[10] == ' ') v[10] = 'T';
      AppendEscaped(v, out);
      break;
    }
    default:
      AppendEscaped(text, out);
  }
  return Status::OK();
}

}  // namespace

Status WriteJsonLines(const arrow::RecordBatch& batch, std::string* out) {
  const int ncols = batch.num_columns();
  std::vector<Render> renders(ncols);
  std::vector<std::shared_ptr<arrow::StringArray>> text(ncols);
  std::vector<std::string> keys(ncols);
  for (int c = 0; c < ncols; ++c) {
    std::string key;
    AppendEscaped(batch.schema()->field(c)->name(), &key);
    keys[c] = key + ":";
    const auto& column = batch.column(c);
    renders[c] = RenderFor(*column->type());
    if (renders[c] == Render::kFallback) continue;
    if (renders[c] == Render::kQuoted && (column->type_id() == arrow::Type::STRING)) {
      text[c] = std::static_pointer_cast<arrow::StringArray>(column);
      continue;
    }
    ML_ASSIGN_OR_RETURN(auto as_text, arrow::compute::Cast(*column, arrow::utf8()));
    text[c] = std::static_pointer_cast<arrow::StringArray>(as_text);
  }
  for (int64_t r = 0; r < batch.num_rows(); ++r) {
    out->push_back('{');
    for (int c = 0; c < ncols; ++c) {
      if (c > 0) out->push_back(',');
      out->append(keys[c]);
      const auto& column = *batch.column(c);
      if (column.IsNull(r)) {
        out->append("null");
        continue;
      }
      switch (renders[c]) {
        case Render::kRaw:
          out->append(text[c]->GetView(r));
          break;
        case Render::kQuoted:
          AppendEscaped(text[c]->GetView(r), out);
          break;
        case Render::kFloat: {
          auto v = text[c]->GetView(r);
          // JSON has no NaN or infinity.
          if (v.find_first_of("ni") != std::string_view::npos &&
              v.find('e') == std::string_view::npos) {
            out->append("null");
          } else {
            out->append(v);
          }
          break;
        }
        case Render::kIsoTime: {
          std::string v(text[c]->GetView(r));
          if (v.size() > 10 && v[10] == ' ') v[10] = 'T';
          AppendEscaped(v, out);
          break;
        }
        case Render::kFallback:
          ML_RETURN_NOT_OK(AppendNested(column, r, out));
          break;
      }
    }
    out->append("}\n");
  }
  return Status::OK();
}

}  // namespace marketlake
