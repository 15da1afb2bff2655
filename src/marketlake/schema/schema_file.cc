// Custom dataset schema files (YAML, or JSON read as YAML flow syntax).
//
// yaml-cpp reports errors by throwing; every call into it happens inside one try block here
// and leaves as a Status. Errors carry "<source>:<line>: <key path>: <problem>".

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "marketlake/schema.h"

namespace marketlake {
namespace {

constexpr size_t kMaxFileBytes = 1 << 20;
constexpr size_t kMaxColumns = 512;
constexpr size_t kMaxAliases = 64;
constexpr size_t kMaxRules = 256;
constexpr size_t kMaxNameLength = 64;

// Thrown inside the parser only; converted to a Status before returning.
struct SpecError {
  int line;
  std::string path;
  std::string message;
};

[[noreturn]] void Fail(const YAML::Node& node, std::string path, std::string message) {
  const int line = node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
  throw SpecError{line, std::move(path), std::move(message)};
}

bool ValidName(const std::string& s) {
  if (s.empty() || s.size() > kMaxNameLength) return false;
  if (!(s[0] >= 'a' && s[0] <= 'z') && !(s[0] >= 'A' && s[0] <= 'Z') && s[0] != '_') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

std::string Scalar(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) Fail(node, path, "expected a string");
  return node.Scalar();
}

std::string Name(const YAML::Node& node, const std::string& path) {
  std::string s = Scalar(node, path);
  if (!ValidName(s)) {
    Fail(node, path, "'" + s + "' is not a name ([A-Za-z_][A-Za-z0-9_]*, at most 64 chars)");
  }
  return s;
}

bool Bool(const YAML::Node& node, const std::string& path) {
  std::string s = Scalar(node, path);
  if (s == "true" || s == "True" || s == "yes") return true;
  if (s == "false" || s == "False" || s == "no") return false;
  Fail(node, path, "expected true or false, got '" + s + "'");
}

double Number(const YAML::Node& node, const std::string& path) {
  std::string s = Scalar(node, path);
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != s.size() || s.empty()) Fail(node, path, "expected a number, got '" + s + "'");
  return v;
}

void OnlyKeys(const YAML::Node& map, const std::string& path, std::set<std::string> allowed) {
  if (!map.IsMap()) Fail(map, path, "expected a mapping");
  for (const auto& kv : map) {
    const std::string k = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (allowed.count(k) == 0) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      Fail(kv.first, path.empty() ? k : path + "." + k,
           "unknown key (expected one of: " + list + ")");
    }
  }
}

ColumnType ParseType(const YAML::Node& node, const std::string& path) {
  const std::string s = Scalar(node, path);
  if (s == "string" || s == "utf8") return ColumnType::kString;
  if (s == "int32") return ColumnType::kInt32;
  if (s == "int64") return ColumnType::kInt64;
  if (s == "float32") return ColumnType::kFloat32;
  if (s == "float64" || s == "double") return ColumnType::kFloat64;
  if (s == "bool" || s == "boolean") return ColumnType::kBool;
  if (s == "timestamp") return ColumnType::kTimestamp;
  if (s == "list<string>") return ColumnType::kStringList;
  Fail(node, path,
       "unknown type '" + s +
           "' (expected string, int32, int64, float32, float64, bool, timestamp, list<string>)");
}

DatasetSpec ParseRoot(const YAML::Node& root) {
  OnlyKeys(root, "", {"name", "time_column", "key", "columns", "rules"});
  DatasetSpec spec;
  if (!root["name"]) Fail(root, "name", "missing");
  spec.name = Name(root["name"], "name");
  if (root["time_column"]) spec.time_column = Name(root["time_column"], "time_column");

  const YAML::Node cols = root["columns"];
  if (!cols) Fail(root, "columns", "missing");
  if (!cols.IsSequence() || cols.size() == 0) Fail(cols, "columns", "expected a non-empty list");
  if (cols.size() > kMaxColumns) {
    Fail(cols, "columns", "more than " + std::to_string(kMaxColumns) + " columns");
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < cols.size(); ++i) {
    const std::string p = "columns[" + std::to_string(i) + "]";
    const YAML::Node c = cols[i];
    OnlyKeys(c, p, {"name", "type", "nullable", "required", "aliases"});
    ColumnSpec col;
    if (!c["name"]) Fail(c, p + ".name", "missing");
    col.name = Name(c["name"], p + ".name");
    if (!seen.insert(col.name).second)
      Fail(c["name"], p + ".name", "duplicate column '" + col.name + "'");
    if (!c["type"]) Fail(c, p + ".type", "missing");
    col.type = ParseType(c["type"], p + ".type");
    if (c["nullable"]) col.nullable = Bool(c["nullable"], p + ".nullable");
    col.required = !col.nullable;
    if (c["required"]) col.required = Bool(c["required"], p + ".required");
    if (const YAML::Node a = c["aliases"]) {
      if (!a.IsSequence()) Fail(a, p + ".aliases", "expected a list");
      if (a.size() > kMaxAliases) {
        Fail(a, p + ".aliases", "more than " + std::to_string(kMaxAliases) + " aliases");
      }
      for (size_t j = 0; j < a.size(); ++j) {
        std::string alias = Scalar(a[j], p + ".aliases[" + std::to_string(j) + "]");
        if (alias.empty() || alias.size() > kMaxNameLength) {
          Fail(a[j], p + ".aliases[" + std::to_string(j) + "]", "empty or longer than 64 chars");
        }
        col.aliases.push_back(std::move(alias));
      }
    }
    spec.columns.push_back(std::move(col));
  }

  if (const YAML::Node key = root["key"]) {
    if (!key.IsSequence()) Fail(key, "key", "expected a list of column names");
    for (size_t i = 0; i < key.size() && i < kMaxColumns; ++i) {
      const std::string p = "key[" + std::to_string(i) + "]";
      std::string k = Name(key[i], p);
      if (spec.FindColumn(k) == nullptr) Fail(key[i], p, "'" + k + "' is not a column");
      spec.key.push_back(std::move(k));
    }
  }
  const ColumnSpec* time = spec.FindColumn(spec.time_column);
  if (time == nullptr || time->type != ColumnType::kTimestamp) {
    Fail(root["time_column"] ? root["time_column"] : root, "time_column",
         "'" + spec.time_column + "' is not a column of type timestamp");
  }

  if (const YAML::Node rules = root["rules"]) {
    if (!rules.IsSequence()) Fail(rules, "rules", "expected a list");
    if (rules.size() > kMaxRules) {
      Fail(rules, "rules", "more than " + std::to_string(kMaxRules) + " rules");
    }
    for (size_t i = 0; i < rules.size(); ++i) {
      const std::string p = "rules[" + std::to_string(i) + "]";
      const YAML::Node r = rules[i];
      OnlyKeys(r, p, {"rule", "column", "min", "max"});
      RuleSpec rule;
      if (!r["rule"]) Fail(r, p + ".rule", "missing");
      const std::string kind = Scalar(r["rule"], p + ".rule");
      if (kind == "positive") {
        rule.kind = RuleKind::kPositive;
      } else if (kind == "non_negative") {
        rule.kind = RuleKind::kNonNegative;
      } else if (kind == "range") {
        rule.kind = RuleKind::kRange;
      } else if (kind == "not_null") {
        rule.kind = RuleKind::kNotNull;
      } else {
        Fail(r["rule"], p + ".rule",
             "unknown rule '" + kind + "' (expected positive, non_negative, range, not_null)");
      }
      if (!r["column"]) Fail(r, p + ".column", "missing");
      rule.column = Name(r["column"], p + ".column");
      const ColumnSpec* col = spec.FindColumn(rule.column);
      if (col == nullptr) Fail(r["column"], p + ".column", "'" + rule.column + "' is not a column");
      const bool numeric = col->type == ColumnType::kInt32 || col->type == ColumnType::kInt64 ||
                           col->type == ColumnType::kFloat32 || col->type == ColumnType::kFloat64;
      if (rule.kind != RuleKind::kNotNull && !numeric) {
        Fail(r["column"], p + ".column",
             "rule " + kind + " needs a numeric column, '" + rule.column + "' is " +
                 std::string(ColumnTypeName(col->type)));
      }
      if (rule.kind == RuleKind::kRange) {
        if (!r["min"] || !r["max"]) Fail(r, p, "range needs min and max");
        rule.min = Number(r["min"], p + ".min");
        rule.max = Number(r["max"], p + ".max");
        if (rule.min > rule.max) Fail(r["min"], p + ".min", "min is greater than max");
      } else if (r["min"] || r["max"]) {
        Fail(r, p, "min/max apply to range only");
      }
      spec.rules.push_back(std::move(rule));
    }
  }
  return spec;
}

}  // namespace

Result<DatasetSpec> ParseDatasetSpec(std::string_view text, std::string_view source_name) {
  const std::string source = source_name.empty() ? "<schema>" : std::string(source_name);
  if (text.size() > kMaxFileBytes) {
    return Error(ErrorCode::kInvalidArgument, source + ": schema file is larger than 1 MiB (" +
                                                  std::to_string(text.size()) + " bytes)");
  }
  DatasetSpec spec;
  try {
    YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsMap()) {
      return Error(ErrorCode::kInvalidArgument,
                   source + ":1: expected a mapping with name, columns, key, rules");
    }
    spec = ParseRoot(root);
  } catch (const SpecError& e) {
    return Error(ErrorCode::kInvalidArgument,
                 source + ":" + std::to_string(e.line) + ": " + e.path + ": " + e.message);
  } catch (const YAML::Exception& e) {
    return Error(ErrorCode::kInvalidArgument,
                 source + ":" + std::to_string(e.mark.line + 1) + ": syntax error: " + e.msg);
  } catch (const std::exception& e) {
    return Error(ErrorCode::kInvalidArgument, source + ": " + e.what());
  }
  Status st = spec.Validate();
  if (!st.ok()) return Error(ErrorCode::kInvalidArgument, source + ": " + st.message());
  return spec;
}

Result<DatasetSpec> LoadDatasetSpecFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Error(ErrorCode::kNotFound, path + ": cannot open schema file");
  std::string text;
  text.resize(kMaxFileBytes + 1);
  f.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (f.bad()) return Error(ErrorCode::kIOError, path + ": read failed");
  text.resize(static_cast<size_t>(f.gcount()));
  return ParseDatasetSpec(text, path);
}

}  // namespace marketlake
