// Default (unsupported) multipart operations of ObjectClient; the S3 client overrides them.
#include <string>
#include <vector>

#include "marketlake/object_client.h"

namespace marketlake {
namespace {

Status Unsupported(std::string_view op) {
  return Error(ErrorCode::kNotImplemented,
               std::string(op) + ": multipart upload is not supported by this object client");
}

}  // namespace

Result<std::string> ObjectClient::CreateMultipartUpload(std::string_view, std::string_view,
                                                        const PutOptions&) {
  return Unsupported("CreateMultipartUpload");
}

Result<std::string> ObjectClient::UploadPart(std::string_view, std::string_view, std::string_view,
                                             int, std::string_view) {
  return Unsupported("UploadPart");
}

Result<PutResult> ObjectClient::CompleteMultipartUpload(std::string_view, std::string_view,
                                                        std::string_view,
                                                        const std::vector<CompletedPart>&) {
  return Unsupported("CompleteMultipartUpload");
}

Status ObjectClient::AbortMultipartUpload(std::string_view, std::string_view, std::string_view) {
  return Unsupported("AbortMultipartUpload");
}

}  // namespace marketlake
