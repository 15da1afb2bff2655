// All-null arrays that cost no memory (private: src/ is on every module's include path).
#pragma once

#include <arrow/api.h>

#include <cstdint>
#include <memory>

#include "marketlake/status.h"

namespace marketlake::internal {

// An array of `length` nulls of `type`, equal to arrow::MakeArrayOfNull's, whose buffers are
// views of one read-only mapping of zero pages shared by the whole process: nothing is
// allocated or written, so an optional column that the input lacks costs neither memory nor
// page faults however often it is filled. The buffers are immutable (writing to them faults).
// Types whose layout is not a plain set of bitmaps, offsets and values (dictionary, union,
// run-end encoded, views) come from arrow::MakeArrayOfNull instead.
Result<std::shared_ptr<arrow::Array>> NullArray(const std::shared_ptr<arrow::DataType>& type,
                                                int64_t length);

}  // namespace marketlake::internal
