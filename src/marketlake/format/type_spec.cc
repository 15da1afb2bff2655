#include "marketlake/type_spec.h"

#include <arrow/type.h>

#include <cctype>
#include <charconv>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "marketlake/common/ascii.h"

namespace marketlake {
namespace {

using internal::AsciiLower;

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

Status Bad(size_t offset, std::string_view what) {
  return Error(ErrorCode::kInvalidArgument, fmt::format("schema: at byte {}: {}", offset, what));
}

Result<arrow::TimeUnit::type> ParseUnit(const std::string& u, size_t offset) {
  if (u == "s") return arrow::TimeUnit::SECOND;
  if (u == "ms") return arrow::TimeUnit::MILLI;
  if (u == "us") return arrow::TimeUnit::MICRO;
  if (u == "ns") return arrow::TimeUnit::NANO;
  return Bad(offset, fmt::format("unknown time unit '{}' (expected s, ms, us or ns)", u));
}

Result<std::shared_ptr<arrow::DataType>> ParseTypeAt(std::string_view text, size_t base) {
  const std::string t = AsciiLower(Trim(text));
  static const std::vector<std::pair<const char*, std::shared_ptr<arrow::DataType>>> kSimple = {
      {"bool", arrow::boolean()},
      {"boolean", arrow::boolean()},
      {"int8", arrow::int8()},
      {"int16", arrow::int16()},
      {"int32", arrow::int32()},
      {"int64", arrow::int64()},
      {"uint8", arrow::uint8()},
      {"uint16", arrow::uint16()},
      {"uint32", arrow::uint32()},
      {"uint64", arrow::uint64()},
      {"float", arrow::float32()},
      {"float32", arrow::float32()},
      {"double", arrow::float64()},
      {"float64", arrow::float64()},
      {"string", arrow::utf8()},
      {"utf8", arrow::utf8()},
      {"large_string", arrow::large_utf8()},
      {"binary", arrow::binary()},
      {"date", arrow::date32()},
      {"date32", arrow::date32()},
      {"dictionary", arrow::dictionary(arrow::int32(), arrow::utf8())}};
  for (const auto& [name, type] : kSimple) {
    if (t == name) return type;
  }
  if (t.starts_with("timestamp")) {
    std::string rest = Trim(std::string_view(t).substr(9));
    if (rest.empty()) return arrow::timestamp(arrow::TimeUnit::NANO);
    if (rest.front() != '[' || rest.back() != ']') {
      return Bad(base, "expected timestamp[UNIT] or timestamp[UNIT,ZONE]");
    }
    std::string inner = rest.substr(1, rest.size() - 2);
    auto comma = inner.find(',');
    ML_ASSIGN_OR_RETURN(auto unit, ParseUnit(Trim(inner.substr(0, comma)), base));
    if (comma == std::string::npos) return arrow::timestamp(unit);
    // Zones keep their case (America/New_York); take them from the original text.
    std::string original = Trim(text);
    auto ocomma = original.find(',');
    std::string zone =
        Trim(std::string_view(original).substr(ocomma + 1, original.size() - ocomma - 2));
    if (zone.empty()) return Bad(base, "empty time zone");
    return arrow::timestamp(unit, zone);
  }
  if (t.starts_with("decimal")) {
    std::string rest = Trim(std::string_view(t).substr(7));
    if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') {
      return Bad(base, "expected decimal(PRECISION,SCALE)");
    }
    std::string inner = rest.substr(1, rest.size() - 2);
    auto comma = inner.find(',');
    if (comma == std::string::npos) return Bad(base, "expected decimal(PRECISION,SCALE)");
    int p = 0, s = 0;
    std::string ps = Trim(inner.substr(0, comma)), ss = Trim(inner.substr(comma + 1));
    auto r1 = std::from_chars(ps.data(), ps.data() + ps.size(), p);
    auto r2 = std::from_chars(ss.data(), ss.data() + ss.size(), s);
    if (r1.ec != std::errc() || r1.ptr != ps.data() + ps.size() || r2.ec != std::errc() ||
        r2.ptr != ss.data() + ss.size() || p < 1 || p > 76 || s < 0 || s > p) {
      return Bad(base, "decimal precision must be 1..76 and scale 0..precision");
    }
    if (p <= 38) return arrow::decimal128(p, s);
    return arrow::decimal256(p, s);
  }
  return Bad(base, fmt::format("unknown type '{}'", Trim(text).substr(0, 64)));
}

}  // namespace

Result<std::shared_ptr<arrow::DataType>> ParseTypeName(std::string_view text) {
  if (text.size() > kMaxTypeSpecBytes) return Bad(0, "type too long");
  return ParseTypeAt(text, 0);
}

Result<std::shared_ptr<arrow::Schema>> ParseSchemaSpec(std::string_view text) {
  if (text.size() > kMaxTypeSpecBytes) {
    return Bad(kMaxTypeSpecBytes, fmt::format("schema longer than {} bytes", kMaxTypeSpecBytes));
  }
  std::vector<std::shared_ptr<arrow::Field>> fields;
  size_t pos = 0;
  while (pos < text.size()) {
    // Column name: bare up to ':' or "quoted".
    while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
    std::string name;
    if (pos < text.size() && text[pos] == '"') {
      size_t i = pos + 1;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            name.push_back('"');
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        name.push_back(text[i++]);
      }
      if (!closed) return Bad(pos, "unterminated quoted column name");
      pos = i;
      while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
      if (pos >= text.size() || text[pos] != ':') return Bad(pos, "expected ':' after column name");
    } else {
      size_t colon = text.find(':', pos);
      if (colon == std::string_view::npos) return Bad(pos, "expected NAME:TYPE");
      name = Trim(text.substr(pos, colon - pos));
      pos = colon;
    }
    if (name.empty()) return Bad(pos, "empty column name");
    ++pos;  // ':'
    // Type: up to the next comma outside brackets/parentheses.
    size_t start = pos;
    int depth = 0;
    while (pos < text.size()) {
      char c = text[pos];
      if (c == '[' || c == '(') ++depth;
      if (c == ']' || c == ')') {
        if (--depth < 0) return Bad(pos, "unbalanced bracket");
      }
      if (c == ',' && depth == 0) break;
      ++pos;
    }
    if (depth != 0) return Bad(pos, "unbalanced bracket");
    ML_ASSIGN_OR_RETURN(auto type, ParseTypeAt(text.substr(start, pos - start), start));
    for (const auto& f : fields) {
      if (f->name() == name) return Bad(start, fmt::format("column '{}' given twice", name));
    }
    fields.push_back(arrow::field(name, type));
    if (pos < text.size()) ++pos;  // ','
  }
  if (fields.empty()) return Bad(0, "no columns");
  return arrow::schema(fields);
}

}  // namespace marketlake
