// Column types written by users: `--schema "ts:timestamp[ns,UTC],symbol:string,price:double"`.
//
// Types: bool, int8..int64, uint8..uint64, float (float32), double (float64), string (utf8),
// large_string, binary, date (date32), timestamp[UNIT] or timestamp[UNIT,ZONE] with UNIT one
// of s, ms, us, ns, decimal(P,S), dictionary (a dictionary<int32, string>). Names may be
// "double-quoted". Input is bounded (kMaxTypeSpecBytes) and errors name the byte offset.
#pragma once

#include <arrow/type_fwd.h>

#include <memory>
#include <string_view>

#include "marketlake/status.h"

namespace marketlake {

inline constexpr size_t kMaxTypeSpecBytes = 64 * 1024;

Result<std::shared_ptr<arrow::DataType>> ParseTypeName(std::string_view text);
Result<std::shared_ptr<arrow::Schema>> ParseSchemaSpec(std::string_view text);

}  // namespace marketlake
