// marketlake's one error model.
//
// marketlake uses arrow::Status and arrow::Result<T> everywhere (no exceptions cross a
// module boundary). What Arrow's own codes cannot say, the category the user sees, travels
// in a StatusDetail attached by Error(). CodeOf() reads the category back from any status,
// ours or Arrow's, so callers never inspect Arrow's codes themselves.
//
// Messages say what went wrong, where (file or object key, column, row group, row, byte
// offset) and what was expected. Secrets never appear in them.
#pragma once

#include <arrow/result.h>
#include <arrow/status.h>

#include <string>
#include <string_view>

namespace marketlake {

using Status = arrow::Status;
template <typename T>
using Result = arrow::Result<T>;

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,     // the caller asked for something malformed (flag, expression, URI)
  kNotFound,            // file, object, column or dataset does not exist
  kAlreadyExists,       // refusing to overwrite
  kPreconditionFailed,  // a conditional write lost its race
  kCorruption,          // a file's bytes do not form what they claim to be
  kIOError,             // the OS or the store failed
  kUnavailable,         // transient: retry may succeed
  kSchemaMismatch,      // a schema differs from what is required
  kMissingColumn,       // a required column is absent
  kDataType,            // a value or column has the wrong type
  kNotImplemented,      // valid, but not supported by this build
  kInternal,            // a bug in marketlake
};

// "invalid argument", "not found", ... as shown to users and in --json output.
std::string_view CodeName(ErrorCode code);

// Process exit status for a failed command: 2 for usage errors, 3 not found,
// 4 corruption/data errors, 5 I/O and unavailable, 1 otherwise.
int ExitCodeFor(ErrorCode code);

// Makes a failed status of the given category with the given message.
Status Error(ErrorCode code, std::string message);

// The category of a status: ours when Error() made it, else mapped from Arrow's code.
ErrorCode CodeOf(const Status& status);

// True when Error() made the status (its category was chosen, not mapped from Arrow's code).
bool HasCategory(const Status& status);

// The bridge from Arrow: keeps the category and prefixes `context` (typically the file or
// object name) to the message. OK statuses pass through unchanged.
Status WithContext(const Status& status, std::string_view context);

}  // namespace marketlake

#define ML_RETURN_NOT_OK(expr) ARROW_RETURN_NOT_OK(expr)
#define ML_ASSIGN_OR_RETURN(lhs, rexpr) ARROW_ASSIGN_OR_RAISE(lhs, rexpr)
