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
        case Render::kFallback: {
          ML_ASSIGN_OR_RETURN(auto scalar, column.GetScalar(r));
          AppendEscaped(scalar->ToString(), out);
          break;
        }
      }
    }
    out->append("}\n");
  }
  return Status::OK();
}

}  // namespace marketlake
