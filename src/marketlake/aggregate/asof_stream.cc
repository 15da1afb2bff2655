// AsofStream: AsofJoin's merge over two (key, time)-ordered streams. The right cursor only
// moves forward; the current candidate (the latest right row at or before the left row)
// keeps its batch alive, so matches never need more than the batches they point into.
#include <arrow/array/concatenate.h>
#include <arrow/builder.h>
#include <arrow/compute/api.h>
#include <arrow/util/bit_util.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "marketlake/aggregate/internal.h"
#include "marketlake/asof.h"
#include "marketlake/common/bytes.h"
#include "marketlake/common/null_array.h"
#include "marketlake/timestamp.h"

namespace marketlake {
namespace {

using aggregate_internal::ReadTimeColumn;
using aggregate_internal::TimeColumn;

// String views of a key column (valid while the array lives); `valid` 0 for nulls.
Status KeyViews(const arrow::Array& a, const std::string& name, std::vector<std::string_view>* out,
                std::vector<uint8_t>* valid) {
  const int64_t n = a.length();
  out->assign(n, std::string_view());
  valid->assign(n, 1);
  auto strings = [&](const auto& arr) {
    for (int64_t i = 0; i < n; ++i) {
      if (arr.IsNull(i)) {
        (*valid)[i] = 0;
      } else {
        (*out)[i] = arr.GetView(i);
      }
    }
  };
  switch (a.type_id()) {
    case arrow::Type::STRING:
      strings(static_cast<const arrow::StringArray&>(a));
      return Status::OK();
    case arrow::Type::LARGE_STRING:
      strings(static_cast<const arrow::LargeStringArray&>(a));
      return Status::OK();
    case arrow::Type::DICTIONARY: {
      const auto& dict = static_cast<const arrow::DictionaryArray&>(a);
      std::vector<std::string_view> values;
      std::vector<uint8_t> values_valid;
      ML_RETURN_NOT_OK(KeyViews(*dict.dictionary(), name, &values, &values_valid));
      return aggregate_internal::ForEachDictionaryIndex(dict, [&](int64_t i, int64_t k) {
        if (k < 0 || !values_valid[k]) {
          (*valid)[i] = 0;
        } else {
          (*out)[i] = values[k];
        }
      });
    }
    default:
      return Error(ErrorCode::kDataType,
                   fmt::format("asof join: key column '{}': expected utf8 or dictionary, got {}",
                               name, a.type()->ToString()));
  }
}

Status NeedColumn(const arrow::Schema& schema, const std::string& name, const char* side) {
  if (schema.GetFieldIndex(name) < 0) {
    return Error(ErrorCode::kMissingColumn,
                 fmt::format("asof join: {} side has no column '{}'", side, name));
  }
  return Status::OK();
}

Status OutOfOrder(const char* side, std::string_view key, int64_t t, std::string_view prev_key,
                  int64_t prev_t) {
  return Error(
      ErrorCode::kInvalidArgument,
      fmt::format("asof join: {} rows are not ordered by (key, time): ({}, {}) after "
                  "({}, {})",
                  side, key, FormatTimestampNanos(t), prev_key, FormatTimestampNanos(prev_t)));
}

}  // namespace

struct AsofStream::Impl {
  AsofOptions opt;
  std::string key;
  std::shared_ptr<arrow::Schema> left_schema, right_schema, out_schema;
  std::vector<int> right_out;  // right column indices in the output
  Source source;
  bool right_done = false;

  // The right batch being read.
  std::shared_ptr<arrow::RecordBatch> rb;
  std::vector<std::string_view> r_keys;
  std::vector<uint8_t> r_valid;
  TimeColumn r_time;
  std::shared_ptr<arrow::Array> r_time_array;
  int64_t pos = 0;

  // The latest right row at or before the current left row (its batch keeps the view alive).
  std::shared_ptr<arrow::RecordBatch> cand_batch;
  int64_t cand_row = -1;
  std::string_view cand_key;
  int64_t cand_time = 0;

  // Scratch reused across Join() calls (a fresh allocation per batch costs page faults).
  std::vector<std::string_view> l_keys;
  std::vector<uint8_t> l_valid;
  std::vector<int64_t> ref_of, row_of;

  // The previous left row, for the order check.
  bool have_prev_left = false;
  std::string prev_left_key;
  int64_t prev_left_time = 0;

  Status LoadRight() {
    while (true) {
      ML_ASSIGN_OR_RETURN(auto next, source());
      if (next == nullptr) {
        right_done = true;
        rb.reset();
        return Status::OK();
      }
      if (next->num_rows() == 0) continue;
      auto k = next->GetColumnByName(key);
      auto t = next->GetColumnByName(opt.time_column);
      if (k == nullptr || t == nullptr) {
        return Error(
            ErrorCode::kMissingColumn,
            fmt::format("asof join: a right batch lacks '{}' or '{}'", key, opt.time_column));
      }
      ML_RETURN_NOT_OK(KeyViews(*k, key, &r_keys, &r_valid));
      ML_ASSIGN_OR_RETURN(r_time, ReadTimeColumn(*t, opt.time_column));
      r_time_array = t;
      rb = std::move(next);
      pos = 0;
      return Status::OK();
    }
  }

  // Moves the right cursor past every row <= (lk, lt).
  Status Advance(std::string_view lk, int64_t lt) {
    while (true) {
      if (rb == nullptr || pos >= rb->num_rows()) {
        if (right_done) return Status::OK();
        ML_RETURN_NOT_OK(LoadRight());
        if (right_done) return Status::OK();
      }
      if (!r_valid[pos] || r_time_array->IsNull(pos)) {
        ++pos;
        continue;
      }
      const std::string_view rk = r_keys[pos];
      const int64_t rt = r_time.values[pos];
      const int c = internal::CompareBytes(rk, lk);
      if (c > 0 || (c == 0 && rt > lt)) return Status::OK();
      if (cand_row >= 0) {
        const int pc = internal::CompareBytes(rk, cand_key);
        if (pc < 0 || (pc == 0 && rt < cand_time)) {
          return OutOfOrder("right", rk, rt, cand_key, cand_time);
        }
      }
      if (cand_batch != rb) cand_batch = rb;
      cand_row = pos;
      cand_key = rk;
      cand_time = rt;
      ++pos;
    }
  }

  Result<std::shared_ptr<arrow::RecordBatch>> Join(const arrow::RecordBatch& left) {
    const int64_t n = left.num_rows();
    auto lk_a = left.GetColumnByName(key);
    auto lt_a = left.GetColumnByName(opt.time_column);
    if (lk_a == nullptr || lt_a == nullptr) {
      return Error(ErrorCode::kMissingColumn,
                   fmt::format("asof join: a left batch lacks '{}' or '{}'", key, opt.time_column));
    }
    ML_RETURN_NOT_OK(KeyViews(*lk_a, key, &l_keys, &l_valid));
    ML_ASSIGN_OR_RETURN(TimeColumn lt, ReadTimeColumn(*lt_a, opt.time_column));

    std::vector<std::shared_ptr<arrow::RecordBatch>> refs;
    ref_of.assign(n, -1);
    row_of.assign(n, -1);
    for (int64_t i = 0; i < n; ++i) {
      if (!l_valid[i] || lt_a->IsNull(i)) continue;
      const std::string_view k = l_keys[i];
      const int64_t t = lt.values[i];
      if (have_prev_left) {
        const int c = internal::CompareBytes(k, prev_left_key);
        if (c < 0 || (c == 0 && t < prev_left_time)) {
          return OutOfOrder("left", k, t, prev_left_key, prev_left_time);
        }
        if (c != 0) prev_left_key.assign(k);
      } else {
        prev_left_key.assign(k);
        have_prev_left = true;
      }
      prev_left_time = t;
      ML_RETURN_NOT_OK(Advance(k, t));
      if (cand_row < 0 || !internal::SameBytes(cand_key, k)) continue;
      if (opt.tolerance_nanos && t - cand_time > *opt.tolerance_nanos) continue;
      if (refs.empty() || refs.back() != cand_batch) refs.push_back(cand_batch);
      ref_of[i] = static_cast<int64_t>(refs.size()) - 1;
      row_of[i] = cand_row;
    }

    std::vector<std::shared_ptr<arrow::Array>> cols = left.columns();
    for (int c : right_out) {
      const auto& type = right_schema->field(c)->type();
      if (refs.empty()) {
        ML_ASSIGN_OR_RETURN(auto nulls, internal::NullArray(type, n));
        cols.push_back(std::move(nulls));
        continue;
      }
      const std::string& name = right_schema->field(c)->name();
      std::vector<std::shared_ptr<arrow::Array>> parts;
      parts.reserve(refs.size());
      for (const auto& r : refs) {
        parts.push_back(r->GetColumnByName(name));
        if (parts.back() == nullptr) {
          return Error(ErrorCode::kMissingColumn,
                       fmt::format("asof join: a right batch lacks column '{}'", name));
        }
      }
      ML_ASSIGN_OR_RETURN(auto out, Gather(type, parts, n));
      cols.push_back(std::move(out));
    }
    return arrow::RecordBatch::Make(out_schema, n, cols);
  }

  // Column values of the matches: row row_of[i] of parts[ref_of[i]], null without a match.
  Result<std::shared_ptr<arrow::Array>> Gather(const std::shared_ptr<arrow::DataType>& type,
                                               const arrow::ArrayVector& parts, int64_t n) {
    const int width = type->byte_width();
    bool fixed = arrow::is_primitive(type->id()) && type->id() != arrow::Type::BOOL &&
                 (width == 4 || width == 8);
    for (const auto& p : parts) fixed = fixed && p->type()->Equals(*type);
    if (fixed) {
      // Copy the values directly: no concatenation of the referenced batches, no Take.
      ML_ASSIGN_OR_RETURN(std::shared_ptr<arrow::Buffer> values, arrow::AllocateBuffer(n * width));
      ML_ASSIGN_OR_RETURN(std::shared_ptr<arrow::Buffer> validity, arrow::AllocateBitmap(n));
      uint8_t* dst = values->mutable_data();
      uint8_t* bits = validity->mutable_data();
      std::memset(bits, 0, static_cast<size_t>(validity->size()));
      int64_t nulls = 0;
      std::vector<const uint8_t*> src(parts.size());
      for (size_t p = 0; p < parts.size(); ++p) {
        src[p] = parts[p]->data()->buffers[1]->data() + parts[p]->offset() * width;
      }
      for (int64_t i = 0; i < n; ++i) {
        const int64_t r = ref_of[i];
        if (r < 0 || parts[r]->IsNull(row_of[i])) {
          std::memset(dst + i * width, 0, width);
          ++nulls;
          continue;
        }
        std::memcpy(dst + i * width, src[r] + row_of[i] * width, width);
        arrow::bit_util::SetBit(bits, i);
      }
      return arrow::MakeArray(
          arrow::ArrayData::Make(type, n, {nulls > 0 ? validity : nullptr, values}, nulls));
    }
    // Global row numbers over the referenced batches, concatenated.
    std::vector<int64_t> offsets(parts.size() + 1, 0);
    for (size_t r = 0; r < parts.size(); ++r) offsets[r + 1] = offsets[r] + parts[r]->length();
    arrow::Int64Builder ib;
    ML_RETURN_NOT_OK(ib.Reserve(n));
    for (int64_t i = 0; i < n; ++i) {
      if (ref_of[i] < 0) {
        ib.UnsafeAppendNull();
      } else {
        ib.UnsafeAppend(offsets[ref_of[i]] + row_of[i]);
      }
    }
    ML_ASSIGN_OR_RETURN(auto indices, ib.Finish());
    std::shared_ptr<arrow::Array> values;
    if (parts.size() == 1) {
      values = parts[0];
    } else {
      ML_ASSIGN_OR_RETURN(values, arrow::Concatenate(parts));
    }
    ML_ASSIGN_OR_RETURN(arrow::Datum out, arrow::compute::Take(values, indices));
    return out.make_array();
  }
};

AsofStream::AsofStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AsofStream::~AsofStream() = default;

Result<std::unique_ptr<AsofStream>> AsofStream::Make(std::shared_ptr<arrow::Schema> left_schema,
                                                     std::shared_ptr<arrow::Schema> right_schema,
                                                     Source right, const AsofOptions& options) {
  if (options.by.size() != 1) {
    return Error(ErrorCode::kInvalidArgument,
                 "asof join: streaming needs exactly one key column (--by)");
  }
  if (options.tolerance_nanos && *options.tolerance_nanos < 0) {
    return Error(ErrorCode::kInvalidArgument, "asof join: tolerance must be >= 0");
  }
  auto impl = std::make_unique<Impl>();
  impl->opt = options;
  impl->key = options.by[0];
  ML_RETURN_NOT_OK(NeedColumn(*left_schema, impl->key, "left"));
  ML_RETURN_NOT_OK(NeedColumn(*left_schema, options.time_column, "left"));
  ML_RETURN_NOT_OK(NeedColumn(*right_schema, impl->key, "right"));
  ML_RETURN_NOT_OK(NeedColumn(*right_schema, options.time_column, "right"));
  // AsofJoin's naming: right columns but the key, prefixed while their name is taken.
  std::vector<std::shared_ptr<arrow::Field>> fields = left_schema->fields();
  auto taken = [&](const std::string& name) {
    return std::any_of(fields.begin(), fields.end(),
                       [&](const auto& f) { return f->name() == name; });
  };
  for (int c = 0; c < right_schema->num_fields(); ++c) {
    const auto& f = right_schema->field(c);
    if (f->name() == impl->key) continue;
    std::string name = f->name();
    while (taken(name)) name = options.right_prefix + name;
    fields.push_back(arrow::field(name, f->type(), true));
    impl->right_out.push_back(c);
  }
  impl->out_schema = arrow::schema(fields);
  impl->left_schema = std::move(left_schema);
  impl->right_schema = std::move(right_schema);
  impl->source = std::move(right);
  return std::unique_ptr<AsofStream>(new AsofStream(std::move(impl)));
}

std::shared_ptr<arrow::Schema> AsofStream::schema() const { return impl_->out_schema; }

Result<std::shared_ptr<arrow::RecordBatch>> AsofStream::Join(const arrow::RecordBatch& left) {
  return impl_->Join(left);
}

}  // namespace marketlake
