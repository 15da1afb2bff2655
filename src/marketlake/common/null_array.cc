// NullArray: buffers cut from one read-only mapping of zero pages.
//
// The mapping grows by replacement: a request larger than the current mapping maps a bigger
// one; arrays made earlier keep the old mapping alive through their buffers, and it is
// unmapped with the last of them.

#include "marketlake/common/null_array.h"

#include <sys/mman.h>

#include <algorithm>
#include <mutex>
#include <vector>

namespace marketlake::internal {
namespace {

class ZeroPages final : public arrow::Buffer {
 public:
  ZeroPages(const uint8_t* data, int64_t size) : arrow::Buffer(data, size) {}
  ~ZeroPages() override { munmap(const_cast<uint8_t*>(data_), static_cast<size_t>(size_)); }
  ZeroPages(const ZeroPages&) = delete;
  ZeroPages& operator=(const ZeroPages&) = delete;
};

// At least `bytes` of zeros (a shared mapping, grown to a power of two of at least 1 MiB).
Result<std::shared_ptr<arrow::Buffer>> Zeros(int64_t bytes) {
  static std::mutex mu;
  static std::shared_ptr<arrow::Buffer> current;
  std::lock_guard<std::mutex> lock(mu);
  if (current && current->size() >= bytes) return current;
  int64_t size = int64_t{1} << 20;
  while (size < bytes) size *= 2;
  void* p = mmap(nullptr, static_cast<size_t>(size), PROT_READ,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    return Error(ErrorCode::kIOError,
                 "cannot map " + std::to_string(size) + " bytes for a column of nulls");
  }
  current = std::make_shared<ZeroPages>(static_cast<const uint8_t*>(p), size);
  return current;
}

// The bytes one buffer of `spec` needs for `length` slots.
int64_t BufferBytes(const arrow::DataTypeLayout::BufferSpec& spec, int64_t length) {
  switch (spec.kind) {
    case arrow::DataTypeLayout::BITMAP:
      return arrow::bit_util::BytesForBits(length);
    case arrow::DataTypeLayout::FIXED_WIDTH:
      return (length + 1) * spec.byte_width;  // offsets have length + 1 entries
    default:
      return 0;  // variable-width data and always-null buffers: empty
  }
}

bool Supported(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::DICTIONARY:
    case arrow::Type::SPARSE_UNION:
    case arrow::Type::DENSE_UNION:
    case arrow::Type::RUN_END_ENCODED:
    case arrow::Type::STRING_VIEW:
    case arrow::Type::BINARY_VIEW:
    case arrow::Type::LIST_VIEW:
    case arrow::Type::LARGE_LIST_VIEW:
    case arrow::Type::EXTENSION:
      return false;
    default:
      break;
  }
  for (const auto& child : type.fields()) {
    if (!Supported(*child->type())) return false;
  }
  return true;
}

// The length of the children of `length` nulls of `type`: lists and maps hold no values.
int64_t ChildLength(const arrow::DataType& type, int64_t length) {
  if (type.id() == arrow::Type::STRUCT) return length;
  if (type.id() == arrow::Type::FIXED_SIZE_LIST) {
    return length * static_cast<const arrow::FixedSizeListType&>(type).list_size();
  }
  return 0;
}

// The bytes of zeros the array needs, its children included.
int64_t NeededBytes(const arrow::DataType& type, int64_t length) {
  int64_t need = 0;
  for (const auto& spec : type.layout().buffers) need = std::max(need, BufferBytes(spec, length));
  for (const auto& child : type.fields()) {
    need = std::max(need, NeededBytes(*child->type(), ChildLength(type, length)));
  }
  return need;
}

std::shared_ptr<arrow::ArrayData> Make(const std::shared_ptr<arrow::DataType>& type, int64_t length,
                                       const std::shared_ptr<arrow::Buffer>& zeros) {
  std::vector<std::shared_ptr<arrow::Buffer>> buffers;
  const auto layout = type->layout();
  for (const auto& spec : layout.buffers) {
    const int64_t bytes = BufferBytes(spec, length);
    buffers.push_back(spec.kind == arrow::DataTypeLayout::ALWAYS_NULL
                          ? nullptr
                          : arrow::SliceBuffer(zeros, 0, bytes));
  }
  auto data = arrow::ArrayData::Make(type, length, std::move(buffers), /*null_count=*/length);
  for (const auto& child : type->fields()) {
    data->child_data.push_back(Make(child->type(), ChildLength(*type, length), zeros));
  }
  return data;
}

}  // namespace

Result<std::shared_ptr<arrow::Array>> NullArray(const std::shared_ptr<arrow::DataType>& type,
                                                int64_t length) {
  if (!Supported(*type)) {
    ML_ASSIGN_OR_RETURN(auto array, arrow::MakeArrayOfNull(type, length));
    return array;
  }
  ML_ASSIGN_OR_RETURN(auto zeros, Zeros(NeededBytes(*type, length)));
  return arrow::MakeArray(Make(type, length, zeros));
}

}  // namespace marketlake::internal
