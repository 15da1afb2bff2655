// Schema evolution: may files of `incoming` join a dataset of `existing` files?
//
// The question is asked from the reader's side: a reader using the incoming schema must be
// able to read every existing file losslessly, so each existing type must cast exactly into
// its incoming type.

#include <arrow/type.h>

#include "marketlake/schema.h"

namespace marketlake {
namespace {

int IntRank(arrow::Type::type id, bool* is_signed) {
  *is_signed = true;
  switch (id) {
    case arrow::Type::INT8:
      return 1;
    case arrow::Type::INT16:
      return 2;
    case arrow::Type::INT32:
      return 3;
    case arrow::Type::INT64:
      return 4;
    case arrow::Type::UINT8:
      *is_signed = false;
      return 1;
    case arrow::Type::UINT16:
      *is_signed = false;
      return 2;
    case arrow::Type::UINT32:
      *is_signed = false;
      return 3;
    case arrow::Type::UINT64:
      *is_signed = false;
      return 4;
    default:
      return 0;
  }
}

bool IsUtc(const std::string& tz) {
  return tz == "UTC" || tz == "Etc/UTC" || tz == "+00:00" || tz == "Z" || tz == "utc";
}

bool IsStringType(const arrow::DataType& t) {
  if (t.id() == arrow::Type::STRING || t.id() == arrow::Type::LARGE_STRING ||
      t.id() == arrow::Type::STRING_VIEW) {
    return true;
  }
  if (t.id() == arrow::Type::DICTIONARY) {
    return IsStringType(*static_cast<const arrow::DictionaryType&>(t).value_type());
  }
  return false;
}

// Empty when `from` values read losslessly as `to`; otherwise why not.
std::string Widens(const arrow::DataType& from, const arrow::DataType& to) {
  if (from.Equals(to)) return "";
  if (IsStringType(from) && IsStringType(to)) return "";
  bool fs, ts;
  const int fr = IntRank(from.id(), &fs), tr = IntRank(to.id(), &ts);
  if (fr > 0 && tr > 0) {
    if (fs == ts && tr >= fr) return "";
    if (!fs && ts && tr > fr) return "";  // unsigned into a wider signed type
    return "integer narrowing or sign change";
  }
  if (fr > 0 && fr <= 3 && to.id() == arrow::Type::DOUBLE) return "";
  if (from.id() == arrow::Type::FLOAT && to.id() == arrow::Type::DOUBLE) return "";
  if (from.id() == arrow::Type::TIMESTAMP && to.id() == arrow::Type::TIMESTAMP) {
    const auto& f = static_cast<const arrow::TimestampType&>(from);
    const auto& t = static_cast<const arrow::TimestampType&>(to);
    const bool same_zone =
        f.timezone() == t.timezone() || (IsUtc(f.timezone()) && IsUtc(t.timezone()));
    if (!same_zone) {
      return "time zone changes from '" + f.timezone() + "' to '" + t.timezone() + "'";
    }
    if (static_cast<int>(t.unit()) >= static_cast<int>(f.unit())) return "";
    return "timestamp unit becomes coarser (loses precision)";
  }
  const bool from_list = from.id() == arrow::Type::LIST || from.id() == arrow::Type::LARGE_LIST;
  const bool to_list = to.id() == arrow::Type::LIST || to.id() == arrow::Type::LARGE_LIST;
  if (from_list && to_list) {
    std::string why = Widens(*from.field(0)->type(), *to.field(0)->type());
    return why.empty() ? "" : "list items: " + why;
  }
  return "not a widening";
}

}  // namespace

Result<CompatibilityReport> CheckCompatibility(const arrow::Schema& existing,
                                               const arrow::Schema& incoming) {
  CompatibilityReport report;
  std::vector<std::string> problems;
  for (const auto& ef : existing.fields()) {
    const int j = incoming.GetFieldIndex(ef->name());
    if (j < 0) {
      if (incoming.GetFieldByName(ef->name()) != nullptr ||
          existing.GetAllFieldIndices(ef->name()).size() > 1) {
        problems.push_back("column '" + ef->name() + "': appears more than once");
      } else if (ef->nullable()) {
        report.dropped.push_back(ef->name());
      } else {
        problems.push_back("column '" + ef->name() +
                           "': non-nullable column is missing from the incoming schema");
      }
      continue;
    }
    const auto& inf = incoming.field(j);
    const std::string why = Widens(*ef->type(), *inf->type());
    if (!why.empty()) {
      problems.push_back("column '" + ef->name() + "': type changes from " +
                         ef->type()->ToString() + " to " + inf->type()->ToString() + " (" + why +
                         ")");
      continue;
    }
    if (ef->nullable() && !inf->nullable()) {
      problems.push_back("column '" + ef->name() +
                         "': becomes non-nullable but existing files may hold nulls");
      continue;
    }
    if (!ef->type()->Equals(*inf->type())) {
      report.widened.push_back(ef->name() + ": " + ef->type()->ToString() + " -> " +
                               inf->type()->ToString());
    }
  }
  for (const auto& inf : incoming.fields()) {
    if (existing.GetFieldIndex(inf->name()) >= 0) continue;
    if (existing.GetAllFieldIndices(inf->name()).size() > 1) continue;
    if (inf->nullable()) {
      report.added.push_back(inf->name());
    } else {
      problems.push_back("column '" + inf->name() +
                         "': new column is non-nullable but existing files have no values for it");
    }
  }
  if (!problems.empty()) {
    std::string msg = "incompatible schema change: ";
    for (size_t i = 0; i < problems.size(); ++i) msg += (i ? "; " : "") + problems[i];
    return Error(ErrorCode::kSchemaMismatch, std::move(msg));
  }
  return report;
}

}  // namespace marketlake
