#include "marketlake/status.h"

#include <arrow/compute/initialize.h>

#include <memory>
#include <string>
#include <utility>

namespace marketlake {
namespace {

// Arrow 26 ships compute kernels in libarrow_compute, which registers them only when
// arrow::compute::Initialize() runs. Every marketlake binary links this file (everything
// reports errors through it), so registering here means no caller can forget.
const bool kComputeInitialized = [] {
  auto st = arrow::compute::Initialize();
  return st.ok();
}();

constexpr char kDetailTypeId[] = "marketlake::ErrorDetail";

class ErrorDetail final : public arrow::StatusDetail {
 public:
  explicit ErrorDetail(ErrorCode code) : code_(code) {}
  const char* type_id() const override { return kDetailTypeId; }
  std::string ToString() const override { return std::string(CodeName(code_)); }
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

arrow::StatusCode ArrowCodeFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return arrow::StatusCode::OK;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kSchemaMismatch:
    case ErrorCode::kMissingColumn:
    case ErrorCode::kCorruption:
    case ErrorCode::kPreconditionFailed:
      return arrow::StatusCode::Invalid;
    case ErrorCode::kDataType:
      return arrow::StatusCode::TypeError;
    case ErrorCode::kNotFound:
      return arrow::StatusCode::KeyError;
    case ErrorCode::kAlreadyExists:
      return arrow::StatusCode::AlreadyExists;
    case ErrorCode::kIOError:
    case ErrorCode::kUnavailable:
      return arrow::StatusCode::IOError;
    case ErrorCode::kNotImplemented:
      return arrow::StatusCode::NotImplemented;
    case ErrorCode::kInternal:
      return arrow::StatusCode::UnknownError;
  }
  return arrow::StatusCode::UnknownError;
}

}  // namespace

std::string_view CodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "ok";
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kAlreadyExists:
      return "already exists";
    case ErrorCode::kPreconditionFailed:
      return "precondition failed";
    case ErrorCode::kCorruption:
      return "corruption";
    case ErrorCode::kIOError:
      return "I/O error";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kSchemaMismatch:
      return "schema mismatch";
    case ErrorCode::kMissingColumn:
      return "missing column";
    case ErrorCode::kDataType:
      return "data type";
    case ErrorCode::kNotImplemented:
      return "not implemented";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

int ExitCodeFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return 0;
    case ErrorCode::kInvalidArgument:
      return 2;
    case ErrorCode::kNotFound:
      return 3;
    case ErrorCode::kCorruption:
    case ErrorCode::kSchemaMismatch:
    case ErrorCode::kMissingColumn:
    case ErrorCode::kDataType:
      return 4;
    case ErrorCode::kIOError:
    case ErrorCode::kUnavailable:
      return 5;
    default:
      return 1;
  }
}

Status Error(ErrorCode code, std::string message) {
  if (code == ErrorCode::kOk) return Status::OK();
  return Status(ArrowCodeFor(code), std::move(message), std::make_shared<ErrorDetail>(code));
}

ErrorCode CodeOf(const Status& status) {
  if (status.ok()) return ErrorCode::kOk;
  if (const auto& detail = status.detail();
      detail != nullptr && std::string_view(detail->type_id()) == kDetailTypeId) {
    return static_cast<const ErrorDetail&>(*detail).code();
  }
  switch (status.code()) {
    case arrow::StatusCode::Invalid:
    case arrow::StatusCode::IndexError:
    case arrow::StatusCode::CapacityError:
      return ErrorCode::kInvalidArgument;
    case arrow::StatusCode::TypeError:
      return ErrorCode::kDataType;
    case arrow::StatusCode::KeyError:
      return ErrorCode::kNotFound;
    case arrow::StatusCode::AlreadyExists:
      return ErrorCode::kAlreadyExists;
    case arrow::StatusCode::IOError:
      return ErrorCode::kIOError;
    case arrow::StatusCode::NotImplemented:
      return ErrorCode::kNotImplemented;
    case arrow::StatusCode::OutOfMemory:
    case arrow::StatusCode::SerializationError:
      return ErrorCode::kCorruption;
    default:
      return ErrorCode::kInternal;
  }
}

bool HasCategory(const Status& status) {
  const auto& detail = status.detail();
  return detail != nullptr && std::string_view(detail->type_id()) == kDetailTypeId;
}

Status WithContext(const Status& status, std::string_view context) {
  if (status.ok() || context.empty()) return status;
  return Status(status.code(), std::string(context) + ": " + status.message(), status.detail());
}

}  // namespace marketlake
