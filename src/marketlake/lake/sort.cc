// Sorting rows by (symbol, ts), as every lake file is written, and gathering a batch's
// columns in the new row order.
//
// Market data has few symbols and arrives nearly in time order, so the order is computed as:
// dense symbol ids (SymbolIds), ranked by symbol, a stable counting sort by rank, then a
// stable sort by ts of only the symbol runs that are not already in time order. Linear for
// time-ordered input. The rows are then gathered column by column: the sorted symbol column
// is its runs written out (no per-row lookup), fixed-width and string columns are copied
// directly, a column null throughout is not copied at all (NullArray), and other types go
// through Arrow's Take. Each input column is let go once gathered.
#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/util/bit_util.h>
#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include "marketlake/common/null_array.h"
#include "marketlake/lake.h"
#include "marketlake/lake/lake_internal.h"

namespace marketlake {

Result<std::shared_ptr<arrow::Array>> TsNanos(const arrow::RecordBatch& batch) {
  auto col = batch.GetColumnByName("ts");
  if (!col) return Error(ErrorCode::kMissingColumn, "partitioning by time needs a 'ts' column");
  if (col->type_id() != arrow::Type::TIMESTAMP) {
    return Error(ErrorCode::kDataType,
                 fmt::format("column 'ts' is {}, expected a timestamp", col->type()->ToString()));
  }
  const auto& type = static_cast<const arrow::TimestampType&>(*col->type());
  if (type.unit() == arrow::TimeUnit::NANO) return col;
  ML_ASSIGN_OR_RETURN(auto cast, arrow::compute::Cast(*col, arrow::timestamp(arrow::TimeUnit::NANO,
                                                                             type.timezone())));
  return cast;
}

Result<std::shared_ptr<arrow::StringArray>> SymbolStrings(const arrow::RecordBatch& batch) {
  auto col = batch.GetColumnByName("symbol");
  if (!col) {
    return Error(ErrorCode::kMissingColumn, "partitioning by symbol needs a 'symbol' column");
  }
  if (col->type_id() != arrow::Type::STRING) {
    ML_ASSIGN_OR_RETURN(col, arrow::compute::Cast(*col, arrow::utf8()));
  }
  return std::static_pointer_cast<arrow::StringArray>(col);
}

// ---------------------------------------------------------------------------------------------
// SymbolIds

namespace {

// The first (up to) 8 bytes of `s` as a word, zero-padded: with the length, all of a short
// string.
uint64_t HeadWord(std::string_view s) {
  uint64_t w = 0;
  if (s.size() >= 8) {
    std::memcpy(&w, s.data(), 8);
  } else {
    for (size_t i = 0; i < s.size(); ++i) w |= uint64_t{static_cast<uint8_t>(s[i])} << (8 * i);
  }
  return w;
}

// A fast 64-bit hash of a short string: 8-byte words mixed with splitmix64's finaliser.
uint64_t ShortHash(std::string_view s, uint64_t head) {
  uint64_t h = (0x9E3779B97F4A7C15ULL * (s.size() + 1)) ^ head;
  h *= 0xBF58476D1CE4E5B9ULL;
  h ^= h >> 31;
  for (size_t i = 8; i < s.size(); i += 8) {
    uint64_t w = 0;
    std::memcpy(&w, s.data() + i, std::min<size_t>(8, s.size() - i));
    h = (h ^ w) * 0x94D049BB133111EBULL;
    h ^= h >> 29;
  }
  return h;
}

}  // namespace

int32_t SymbolIds::Intern(std::string_view s) {
  if ((names_.size() + 1) * 2 > slots_.size()) Grow();
  const uint64_t head = HeadWord(s);
  const uint64_t h = ShortHash(s, head);
  for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
    const int32_t id = slots_[i];
    if (id < 0) {
      slots_[i] = static_cast<int32_t>(names_.size());
      names_.push_back(s);
      hashes_.push_back(h);
      heads_.push_back(head);
      return slots_[i];
    }
    if (hashes_[id] != h || heads_[id] != head || names_[id].size() != s.size()) continue;
    // Equal length and first 8 bytes: equal, for a symbol of up to 8 bytes.
    if (s.size() <= 8 || std::memcmp(names_[id].data() + 8, s.data() + 8, s.size() - 8) == 0) {
      return id;
    }
  }
}

void SymbolIds::Grow() {
  const size_t size = std::max<size_t>(64, slots_.size() * 2);
  slots_.assign(size, -1);
  mask_ = size - 1;
  for (size_t id = 0; id < names_.size(); ++id) {
    uint64_t i = hashes_[id] & mask_;
    while (slots_[i] >= 0) i = (i + 1) & mask_;
    slots_[i] = static_cast<int32_t>(id);
  }
}

// ---------------------------------------------------------------------------------------------
// Scattering rows to their sorted positions

namespace {

// dest[i]: where row i (counted across the chunks) goes.
using Dest = std::vector<int64_t>;
using Chunks = std::vector<std::shared_ptr<arrow::RecordBatch>>;
// One column's pieces, one per chunk, in row order.
using Parts = arrow::ArrayVector;

// The validity bitmap of the column scattered by `dest`, and how many rows are null; null
// when no part has nulls.
Result<std::shared_ptr<arrow::Buffer>> ScatterValidity(const Parts& parts, const Dest& dest,
                                                       int64_t* nulls) {
  *nulls = 0;
  bool any = false;
  for (const auto& part : parts) any = any || part->null_count() > 0;
  if (!any) return nullptr;
  ML_ASSIGN_OR_RETURN(auto bits, arrow::AllocateEmptyBitmap(static_cast<int64_t>(dest.size())));
  uint8_t* out = bits->mutable_data();
  int64_t row = 0;
  for (const auto& part : parts) {
    const auto& data = *part->data();
    const int64_t n = data.length;
    if (data.GetNullCount() == 0 || !data.buffers[0]) {
      for (int64_t j = 0; j < n; ++j) arrow::bit_util::SetBit(out, dest[row + j]);
    } else {
      const uint8_t* in = data.buffers[0]->data();
      for (int64_t j = 0; j < n; ++j) {
        if (arrow::bit_util::GetBit(in, data.offset + j)) {
          arrow::bit_util::SetBit(out, dest[row + j]);
        } else {
          ++*nulls;
        }
      }
    }
    row += n;
  }
  return std::shared_ptr<arrow::Buffer>(std::move(bits));
}

template <typename T>
void ScatterValues(const uint8_t* in, int64_t n, const int64_t* dest, uint8_t* out) {
  const T* src = reinterpret_cast<const T*>(in);
  T* dst = reinterpret_cast<T*>(out);
  for (int64_t j = 0; j < n; ++j) dst[dest[j]] = src[j];
}

// Primitive types other than boolean: [validity, values].
Result<std::shared_ptr<arrow::Array>> ScatterFixed(const Parts& parts, const Dest& dest,
                                                   const std::shared_ptr<arrow::DataType>& type) {
  const int width = type->byte_width();
  const int64_t total = static_cast<int64_t>(dest.size());
  int64_t nulls = 0;
  ML_ASSIGN_OR_RETURN(auto validity, ScatterValidity(parts, dest, &nulls));
  ML_ASSIGN_OR_RETURN(auto values, arrow::AllocateBuffer(total * width));
  uint8_t* out = values->mutable_data();
  int64_t row = 0;
  for (const auto& part : parts) {
    const auto& data = *part->data();
    const int64_t n = data.length;
    const uint8_t* in = data.buffers[1]->data() + data.offset * width;
    const int64_t* d = dest.data() + row;
    switch (width) {
      case 1:
        ScatterValues<uint8_t>(in, n, d, out);
        break;
      case 2:
        ScatterValues<uint16_t>(in, n, d, out);
        break;
      case 4:
        ScatterValues<uint32_t>(in, n, d, out);
        break;
      case 8:
        ScatterValues<uint64_t>(in, n, d, out);
        break;
      default:
        for (int64_t j = 0; j < n; ++j) std::memcpy(out + d[j] * width, in + j * width, width);
    }
    row += n;
  }
  return arrow::MakeArray(
      arrow::ArrayData::Make(type, total, {validity, std::move(values)}, nulls));
}

// utf8 / binary with 32-bit offsets; null when the result would not fit 32-bit offsets.
Result<std::shared_ptr<arrow::Array>> ScatterStrings(const Parts& parts, const Dest& dest,
                                                     const std::shared_ptr<arrow::DataType>& type) {
  const int64_t total = static_cast<int64_t>(dest.size());
  int64_t bytes = 0;
  for (const auto& part : parts) {
    const auto& data = *part->data();
    const int32_t* off = data.GetValues<int32_t>(1);
    bytes += off[data.length] - off[0];
  }
  if (bytes > INT32_MAX) return nullptr;
  ML_ASSIGN_OR_RETURN(auto offsets, arrow::AllocateBuffer((total + 1) * sizeof(int32_t)));
  auto* out_off = reinterpret_cast<int32_t*>(offsets->mutable_data());
  // Lengths to their rows, then a prefix sum turns them into offsets.
  int64_t row = 0;
  for (const auto& part : parts) {
    const auto& data = *part->data();
    const int32_t* off = data.GetValues<int32_t>(1);
    for (int64_t j = 0; j < data.length; ++j) out_off[dest[row + j]] = off[j + 1] - off[j];
    row += data.length;
  }
  int32_t pos = 0;
  for (int64_t i = 0; i < total; ++i) {
    const int32_t len = out_off[i];
    out_off[i] = pos;
    pos += len;
  }
  out_off[total] = pos;
  ML_ASSIGN_OR_RETURN(auto values, arrow::AllocateBuffer(bytes));
  uint8_t* out = values->mutable_data();
  row = 0;
  for (const auto& part : parts) {
    const auto& data = *part->data();
    const int32_t* off = data.GetValues<int32_t>(1);
    const uint8_t* in = data.buffers[2] ? data.buffers[2]->data() : nullptr;
    for (int64_t j = 0; j < data.length; ++j) {
      const int64_t i = dest[row + j];
      const int32_t len = off[j + 1] - off[j];
      if (len > 0) std::memcpy(out + out_off[i], in + off[j], len);
    }
    row += data.length;
  }
  int64_t nulls = 0;
  ML_ASSIGN_OR_RETURN(auto validity, ScatterValidity(parts, dest, &nulls));
  return arrow::MakeArray(arrow::ArrayData::Make(
      type, total, {validity, std::move(offsets), std::move(values)}, nulls));
}

// A sorted symbol column written out from its runs: `runs[k]` repeated `counts[k]` times.
Result<std::shared_ptr<arrow::Array>> RepeatRuns(const std::shared_ptr<arrow::DataType>& type,
                                                 const std::vector<std::string>& runs,
                                                 const std::vector<int64_t>& counts) {
  int64_t n = 0, total = 0;
  for (size_t k = 0; k < runs.size(); ++k) {
    n += counts[k];
    total += counts[k] * static_cast<int64_t>(runs[k].size());
  }
  if (total > INT32_MAX) return nullptr;
  ML_ASSIGN_OR_RETURN(auto offsets, arrow::AllocateBuffer((n + 1) * sizeof(int32_t)));
  ML_ASSIGN_OR_RETURN(auto values, arrow::AllocateBuffer(total));
  auto* out_off = reinterpret_cast<int32_t*>(offsets->mutable_data());
  uint8_t* out = values->mutable_data();
  int32_t pos = 0;
  int64_t row = 0;
  for (size_t k = 0; k < runs.size(); ++k) {
    const auto len = static_cast<int32_t>(runs[k].size());
    for (int64_t c = 0; c < counts[k]; ++c) {
      out_off[row++] = pos;
      if (len > 0) std::memcpy(out + pos, runs[k].data(), len);
      pos += len;
    }
  }
  out_off[n] = pos;
  return arrow::MakeArray(
      arrow::ArrayData::Make(type, n, {nullptr, std::move(offsets), std::move(values)}, 0));
}

// The parts, concatenated, in the order `dest` gives: Arrow's Take, for the types the
// scatters above do not cover. `indices` (dest inverted, for Take) is built on the first call
// and reused for the other columns.
Result<std::shared_ptr<arrow::Array>> TakeColumn(const Parts& parts, const Dest& dest,
                                                 std::shared_ptr<arrow::Array>* indices) {
  ML_ASSIGN_OR_RETURN(auto whole, arrow::Concatenate(parts));
  if (!*indices) {
    std::vector<int64_t> order(dest.size());
    for (size_t i = 0; i < dest.size(); ++i) order[dest[i]] = static_cast<int64_t>(i);
    arrow::Int64Builder builder;
    ML_RETURN_NOT_OK(builder.AppendValues(order));
    ML_ASSIGN_OR_RETURN(*indices, builder.Finish());
  }
  ML_ASSIGN_OR_RETURN(auto taken, arrow::compute::Take(*whole, **indices));
  return taken;
}

Result<std::shared_ptr<arrow::RecordBatch>> Concat(const std::shared_ptr<arrow::Schema>& schema,
                                                   const Chunks& chunks) {
  if (chunks.size() == 1) return chunks[0];
  ML_ASSIGN_OR_RETURN(auto table, arrow::Table::FromRecordBatches(schema, chunks));
  ML_ASSIGN_OR_RETURN(auto batch, table->CombineChunksToBatch());
  return batch;
}

// Arrow's general sort, for inputs the fast path does not cover (nulls in the keys).
Result<std::shared_ptr<arrow::RecordBatch>> ArrowSortBySymbolTs(
    const std::shared_ptr<arrow::RecordBatch>& batch) {
  std::vector<arrow::compute::SortKey> keys;
  if (batch->GetColumnByName("symbol")) keys.emplace_back("symbol");
  if (batch->GetColumnByName("ts")) keys.emplace_back("ts");
  arrow::compute::SortOptions options(keys);
  ML_ASSIGN_OR_RETURN(auto indices, arrow::compute::SortIndices(arrow::Datum(batch), options));
  ML_ASSIGN_OR_RETURN(auto taken, arrow::compute::Take(arrow::Datum(batch), arrow::Datum(indices)));
  return taken.record_batch();
}

// Where each row goes: ranks rows by symbol (a stable counting sort), then by ts within each
// symbol whose rows are not already in time order. `runs`/`counts` receive the symbols in
// sorted order (copied: they may point into cast columns freed on return) and their row
// counts.
Result<Dest> SortedPositions(const Chunks& chunks, int64_t total, int sym_idx, int ts_idx,
                             std::vector<std::string>* runs, std::vector<int64_t>* counts) {
  SymbolIds ids;
  std::vector<int32_t> id(static_cast<size_t>(total), 0);
  std::vector<int64_t> last_ts;
  std::vector<uint8_t> unsorted;
  std::vector<std::shared_ptr<arrow::Array>> keep;  // the cast columns the views point into
  int64_t row = 0;
  for (const auto& chunk : chunks) {
    const int64_t n = chunk->num_rows();
    std::shared_ptr<arrow::StringArray> sym;
    const int64_t* ts = nullptr;
    if (sym_idx >= 0) {
      ML_ASSIGN_OR_RETURN(sym, SymbolStrings(*chunk));
      keep.push_back(sym);
    }
    if (ts_idx >= 0) {
      ML_ASSIGN_OR_RETURN(auto ts_arr, TsNanos(*chunk));
      ts = ts_arr->data()->GetValues<int64_t>(1);
      keep.push_back(std::move(ts_arr));
    }
    for (int64_t j = 0; j < n; ++j) {
      const int32_t k = sym ? ids.Intern(sym->GetView(j)) : 0;
      if (static_cast<size_t>(k) == last_ts.size()) {
        last_ts.push_back(INT64_MIN);
        unsorted.push_back(0);
      }
      if (ts) {
        if (ts[j] < last_ts[k]) unsorted[k] = 1;
        last_ts[k] = ts[j];
      }
      id[row + j] = k;
    }
    row += n;
  }
  const size_t distinct = last_ts.size();
  std::vector<std::string_view> names = ids.names();
  if (names.empty()) names.assign(distinct, std::string_view());
  std::vector<int32_t> by_name(distinct);
  for (size_t k = 0; k < distinct; ++k) by_name[k] = static_cast<int32_t>(k);
  std::sort(by_name.begin(), by_name.end(),
            [&](int32_t a, int32_t b) { return names[a] < names[b]; });
  std::vector<int32_t> rank(distinct);
  for (size_t r = 0; r < distinct; ++r) rank[by_name[r]] = static_cast<int32_t>(r);
  std::vector<int64_t> start(distinct + 1, 0);
  for (int64_t i = 0; i < total; ++i) ++start[rank[id[i]] + 1];
  for (size_t r = 1; r < start.size(); ++r) start[r] += start[r - 1];
  for (size_t r = 0; r < distinct; ++r) {
    runs->emplace_back(names[by_name[r]]);
    counts->push_back(start[r + 1] - start[r]);
  }
  Dest dest(static_cast<size_t>(total));
  std::vector<int64_t> fill(start.begin(), start.end() - 1);
  for (int64_t i = 0; i < total; ++i) dest[i] = fill[rank[id[i]]]++;
  bool any_unsorted = false;
  for (uint8_t u : unsorted) any_unsorted = any_unsorted || u != 0;
  if (!any_unsorted) return dest;
  // Some symbol's rows are out of time order: sort those runs by ts (stable), then invert.
  std::vector<int64_t> ts_all(static_cast<size_t>(total));
  row = 0;
  for (const auto& chunk : chunks) {
    ML_ASSIGN_OR_RETURN(auto ts_arr, TsNanos(*chunk));
    const int64_t* ts = ts_arr->data()->GetValues<int64_t>(1);
    std::copy(ts, ts + chunk->num_rows(), ts_all.begin() + row);
    row += chunk->num_rows();
  }
  std::vector<int64_t> order(static_cast<size_t>(total));
  for (int64_t i = 0; i < total; ++i) order[dest[i]] = i;
  for (size_t r = 0; r < distinct; ++r) {
    if (!unsorted[by_name[r]]) continue;
    std::stable_sort(order.begin() + start[r], order.begin() + start[r + 1],
                     [&](int64_t a, int64_t b) { return ts_all[a] < ts_all[b]; });
  }
  for (int64_t p = 0; p < total; ++p) dest[order[p]] = p;
  return dest;
}

}  // namespace

Result<std::shared_ptr<arrow::RecordBatch>> SortBySymbolTs(
    const std::shared_ptr<arrow::Schema>& schema, Chunks chunks) {
  int64_t total = 0;
  for (const auto& chunk : chunks) total += chunk->num_rows();
  if (chunks.empty()) return arrow::RecordBatch::MakeEmpty(schema);
  const int sym_idx = schema->GetFieldIndex("symbol");
  const int ts_idx = schema->GetFieldIndex("ts");
  if (sym_idx < 0 && ts_idx < 0) return Concat(schema, chunks);
  for (const auto& chunk : chunks) {
    if ((sym_idx >= 0 && chunk->column(sym_idx)->null_count() > 0) ||
        (ts_idx >= 0 && (chunk->column(ts_idx)->null_count() > 0 ||
                         chunk->column(ts_idx)->type_id() != arrow::Type::TIMESTAMP))) {
      ML_ASSIGN_OR_RETURN(auto whole, Concat(schema, chunks));
      return ArrowSortBySymbolTs(whole);
    }
  }
  std::vector<std::string> runs;
  std::vector<int64_t> counts;
  ML_ASSIGN_OR_RETURN(Dest dest, SortedPositions(chunks, total, sym_idx, ts_idx, &runs, &counts));
  bool identity = true;
  for (int64_t i = 0; i < total && identity; ++i) identity = dest[i] == i;
  if (identity) return Concat(schema, chunks);
  // The input by column, so that each column is released once gathered (when the caller
  // moved the chunks in): the peak is the input plus one column, not twice the input.
  std::vector<Parts> in(static_cast<size_t>(schema->num_fields()));
  for (const auto& chunk : chunks) {
    for (int c = 0; c < schema->num_fields(); ++c) in[c].push_back(chunk->column(c));
  }
  chunks.clear();
  std::vector<std::shared_ptr<arrow::Array>> columns;
  std::shared_ptr<arrow::Array> take_indices;  // for TakeColumn, built once
  for (int c = 0; c < schema->num_fields(); ++c) {
    const auto& type = schema->field(c)->type();
    const arrow::Type::type id = type->id();
    bool all_null = true;
    for (const auto& part : in[c]) all_null = all_null && part->null_count() == part->length();
    std::shared_ptr<arrow::Array> out;
    if (all_null) {  // an optional column the input does not have: nothing to move
      ML_ASSIGN_OR_RETURN(out, internal::NullArray(type, total));
    } else if (c == sym_idx && id == arrow::Type::STRING) {
      ML_ASSIGN_OR_RETURN(out, RepeatRuns(type, runs, counts));
    } else if (arrow::is_primitive(id) && id != arrow::Type::BOOL) {
      ML_ASSIGN_OR_RETURN(out, ScatterFixed(in[c], dest, type));
    } else if (id == arrow::Type::STRING || id == arrow::Type::BINARY) {
      ML_ASSIGN_OR_RETURN(out, ScatterStrings(in[c], dest, type));
    }
    if (!out) {
      ML_ASSIGN_OR_RETURN(out, TakeColumn(in[c], dest, &take_indices));
    }
    in[c].clear();
    columns.push_back(std::move(out));
  }
  return arrow::RecordBatch::Make(schema, total, std::move(columns));
}

Result<std::shared_ptr<arrow::RecordBatch>> SortBySymbolTs(
    const std::shared_ptr<arrow::RecordBatch>& batch) {
  if (batch->num_rows() < 2) return batch;
  return SortBySymbolTs(batch->schema(), Chunks{batch});
}

}  // namespace marketlake
