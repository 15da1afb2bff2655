// The pruning Parquet scanner: row groups by statistics and bloom filters, pages by the page
// index, then an exact filter. Flat columns of common types are decoded page by page from
// byte ranges fetched with ReadAt (Arrow's own reader cannot skip pages); everything else
// is read per row group through parquet::arrow and sliced.
//
// Counting: a row group is "considered" once the scan reaches it, whether it is then skipped
// or read, so pages_total and bytes_total cover every row group up to where the scan ended
// (a limit can end it early) and the skipped counts include whole skipped row groups. Page
// counts come from the offset index when loaded, else from the footer's encoding stats.
// rows_decoded counts the rows handed to the exact filter.
//
// Parquet's low-level API throws; every entry point here catches and converts, so no
// exception leaves this file.
#include <arrow/api.h>
#include <arrow/array/concatenate.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/expression.h>
#include <arrow/compute/initialize.h>
#include <arrow/io/memory.h>
#include <arrow/util/bit_util.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/bloom_filter.h>
#include <parquet/bloom_filter_reader.h>
#include <parquet/column_page.h>
#include <parquet/column_reader.h>
#include <parquet/exception.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>
#include <parquet/page_index.h>
#include <parquet/properties.h>
#include <parquet/schema.h>
#include <parquet/statistics.h>
#include <parquet/types.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "marketlake/format/tracked_file.h"
#include "marketlake/predicate.h"
#include "marketlake/scan.h"
#include "marketlake/status.h"

namespace marketlake {
namespace {

using internal::TrackedFile;

// How a leaf's statistics map into the Value domain; kNone means min/max are not usable
// (unsigned 64-bit, unit conversions done by the Arrow reader, unsupported types).
enum class StatsKind { kNone, kBool, kInt32, kUInt32, kInt64, kFloat, kDouble, kBytes };

// One top-level field of the file's Arrow schema and how it is read.
struct FieldPlan {
  std::shared_ptr<arrow::Field> field;
  int leaf = -1;      // Parquet leaf column when the field is flat (no repetition), else -1
  bool fast = false;  // decoded page by page by this file
  StatsKind stats = StatsKind::kNone;
  const parquet::ColumnDescriptor* descr = nullptr;
  std::vector<int> leaves;  // every leaf under the field (nested fields have several)
};

void CollectLeaves(const parquet::arrow::SchemaField& f, std::vector<int>* out) {
  if (f.is_leaf()) {
    out->push_back(f.column_index);
    return;
  }
  for (const auto& child : f.children) CollectLeaves(child, out);
}

bool SameTimeUnit(const parquet::LogicalType& lt, arrow::TimeUnit::type unit) {
  parquet::LogicalType::TimeUnit::unit pu;
  if (lt.is_timestamp()) {
    pu = static_cast<const parquet::TimestampLogicalType&>(lt).time_unit();
  } else if (lt.is_time()) {
    pu = static_cast<const parquet::TimeLogicalType&>(lt).time_unit();
  } else {
    return false;
  }
  switch (unit) {
    case arrow::TimeUnit::MILLI:
      return pu == parquet::LogicalType::TimeUnit::MILLIS;
    case arrow::TimeUnit::MICRO:
      return pu == parquet::LogicalType::TimeUnit::MICROS;
    case arrow::TimeUnit::NANO:
      return pu == parquet::LogicalType::TimeUnit::NANOS;
    default:
      return false;  // seconds are stored as millis and converted by the Arrow reader
  }
}

// Decides whether the stored values are exactly the Arrow values (same domain, maybe
// narrower), so that pages can be decoded here and statistics compared with literals.
void Classify(FieldPlan* plan) {
  const parquet::ColumnDescriptor& d = *plan->descr;
  const arrow::DataType& t = *plan->field->type();
  const bool is_unsigned = d.sort_order() == parquet::SortOrder::UNSIGNED;
  auto set = [plan](bool fast, StatsKind stats) {
    plan->fast = fast;
    plan->stats = stats;
  };
  switch (d.physical_type()) {
    case parquet::Type::BOOLEAN:
      if (t.id() == arrow::Type::BOOL) set(true, StatsKind::kBool);
      return;
    case parquet::Type::INT32:
      switch (t.id()) {
        case arrow::Type::INT8:
        case arrow::Type::INT16:
        case arrow::Type::INT32:
        case arrow::Type::UINT8:
        case arrow::Type::UINT16:
        case arrow::Type::UINT32:
        case arrow::Type::DATE32:
          set(true, is_unsigned ? StatsKind::kUInt32 : StatsKind::kInt32);
          return;
        case arrow::Type::TIME32:
          if (SameTimeUnit(*d.logical_type(), static_cast<const arrow::Time32Type&>(t).unit())) {
            set(true, StatsKind::kInt32);
          }
          return;
        default:
          return;
      }
    case parquet::Type::INT64:
      switch (t.id()) {
        case arrow::Type::INT64:
          set(true, StatsKind::kInt64);
          return;
        case arrow::Type::UINT64:
          set(true, StatsKind::kNone);
          return;
        case arrow::Type::TIMESTAMP:
          if (SameTimeUnit(*d.logical_type(), static_cast<const arrow::TimestampType&>(t).unit())) {
            set(true, StatsKind::kInt64);
          }
          return;
        case arrow::Type::TIME64:
          if (SameTimeUnit(*d.logical_type(), static_cast<const arrow::Time64Type&>(t).unit())) {
            set(true, StatsKind::kInt64);
          }
          return;
        default:
          return;
      }
    case parquet::Type::FLOAT:
      if (t.id() == arrow::Type::FLOAT) set(true, StatsKind::kFloat);
      return;
    case parquet::Type::DOUBLE:
      if (t.id() == arrow::Type::DOUBLE) set(true, StatsKind::kDouble);
      return;
    case parquet::Type::BYTE_ARRAY:
      switch (t.id()) {
        case arrow::Type::STRING:
        case arrow::Type::BINARY:
        case arrow::Type::LARGE_STRING:
        case arrow::Type::LARGE_BINARY:
          set(true, StatsKind::kBytes);
          return;
        case arrow::Type::DICTIONARY: {
          const auto& dt = static_cast<const arrow::DictionaryType&>(t);
          const auto vid = dt.value_type()->id();
          if (dt.index_type()->id() == arrow::Type::INT32 &&
              (vid == arrow::Type::STRING || vid == arrow::Type::BINARY)) {
            set(true, StatsKind::kBytes);
          }
          return;
        }
        default:
          return;
      }
    default:
      return;
  }
}

// Decodes one PLAIN-encoded statistic (the format of both footer statistics and the column
// index) into the Value domain.
std::optional<Value> DecodeStat(StatsKind kind, const std::string& s) {
  auto load = [&s](auto v) -> std::optional<decltype(v)> {
    if (s.size() != sizeof(v)) return std::nullopt;
    std::memcpy(&v, s.data(), sizeof(v));
    return v;
  };
  switch (kind) {
    case StatsKind::kNone:
      return std::nullopt;
    case StatsKind::kBool:
      if (s.size() != 1) return std::nullopt;
      return Value(s[0] != 0);
    case StatsKind::kInt32:
      if (auto v = load(int32_t{})) return Value(int64_t{*v});
      return std::nullopt;
    case StatsKind::kUInt32:
      if (auto v = load(uint32_t{})) return Value(int64_t{*v});
      return std::nullopt;
    case StatsKind::kInt64:
      if (auto v = load(int64_t{})) return Value(*v);
      return std::nullopt;
    case StatsKind::kFloat:
      if (auto v = load(float{})) {
        if (std::isnan(*v)) return std::nullopt;
        return Value(static_cast<double>(*v));
      }
      return std::nullopt;
    case StatsKind::kDouble:
      if (auto v = load(double{})) {
        if (std::isnan(*v)) return std::nullopt;
        return Value(*v);
      }
      return std::nullopt;
    case StatsKind::kBytes:
      return Value(s);
  }
  return std::nullopt;
}

// Whether the bloom filter may contain `v`, hashed in the column's physical representation.
bool BloomMayContain(const parquet::BloomFilter& bf, StatsKind kind, const Value& v) {
  switch (kind) {
    case StatsKind::kInt32:
    case StatsKind::kUInt32: {
      if (!std::holds_alternative<int64_t>(v)) return true;
      int64_t x = std::get<int64_t>(v);
      const int64_t lo = kind == StatsKind::kInt32 ? std::numeric_limits<int32_t>::min() : 0;
      const int64_t hi = kind == StatsKind::kInt32 ? std::numeric_limits<int32_t>::max()
                                                   : std::numeric_limits<uint32_t>::max();
      if (x < lo || x > hi) return true;  // not representable: stay conservative
      return bf.FindHash(bf.Hash(static_cast<int32_t>(static_cast<uint32_t>(x))));
    }
    case StatsKind::kInt64:
      if (!std::holds_alternative<int64_t>(v)) return true;
      return bf.FindHash(bf.Hash(std::get<int64_t>(v)));
    case StatsKind::kFloat: {
      if (!std::holds_alternative<double>(v)) return true;
      double d = std::get<double>(v);
      float f = static_cast<float>(d);
      if (static_cast<double>(f) != d) return true;
      // -0.0 equals 0.0 but hashes differently.
      if (f == 0.0f) return bf.FindHash(bf.Hash(0.0f)) || bf.FindHash(bf.Hash(-0.0f));
      return bf.FindHash(bf.Hash(f));
    }
    case StatsKind::kDouble: {
      if (!std::holds_alternative<double>(v)) return true;
      double d = std::get<double>(v);
      if (d == 0.0) return bf.FindHash(bf.Hash(0.0)) || bf.FindHash(bf.Hash(-0.0));
      return bf.FindHash(bf.Hash(d));
    }
    case StatsKind::kBytes: {
      if (!std::holds_alternative<std::string>(v)) return true;
      const std::string& s = std::get<std::string>(v);
      parquet::ByteArray ba(static_cast<uint32_t>(s.size()),
                            reinterpret_cast<const uint8_t*>(s.data()));
      return bf.FindHash(bf.Hash(&ba));
    }
    default:
      return true;
  }
}

// A decode step over the concatenated pages of one column chunk: skip or read rows.
struct RowOp {
  bool read;
  int64_t count;
};

// Selected pages that are adjacent in the row space, and where they start in the stream.
struct PageGroup {
  int64_t stream_row;
  int64_t begin;  // first row in the row group
  int64_t end;
};

// Prefixes the file name unless the message already starts with it.
Status Named(const Status& st, const std::string& name) {
  if (st.message().rfind(name + ":", 0) == 0) return st;
  return WithContext(st, name);
}

Status ChunkEnded() { return Error(ErrorCode::kCorruption, "column chunk ended early"); }

template <typename Reader>
Status SkipRows(Reader* reader, int64_t n) {
  while (n > 0) {
    int64_t skipped = reader->Skip(n);
    if (skipped <= 0) return ChunkEnded();
    n -= skipped;
  }
  return Status::OK();
}

// Spreads `non_null` dense values to their row slots (backwards, in place) and builds the
// validity bitmap from definition levels.
template <typename T>
Result<std::shared_ptr<arrow::Buffer>> Spread(T* values, const int16_t* defs, int64_t n,
                                              int16_t max_def, int64_t* null_count,
                                              arrow::MemoryPool* pool) {
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> bitmap, arrow::AllocateBitmap(n, pool));
  uint8_t* bits = bitmap->mutable_data();
  std::memset(bits, 0, static_cast<size_t>(bitmap->size()));
  int64_t non_null = 0;
  for (int64_t i = 0; i < n; ++i) non_null += defs[i] == max_def;
  int64_t j = non_null;
  for (int64_t i = n - 1; i >= 0; --i) {
    if (defs[i] == max_def) {
      values[i] = values[--j];
      arrow::bit_util::SetBit(bits, i);
    } else {
      values[i] = T{};
    }
  }
  *null_count = n - non_null;
  return bitmap;
}

// Reads the rows named by `ops` of a fixed-width physical type into one buffer.
template <typename DType>
Status ReadFixed(parquet::TypedColumnReader<DType>* reader, const std::vector<RowOp>& ops,
                 int64_t n, int16_t max_def, arrow::MemoryPool* pool,
                 std::shared_ptr<arrow::Buffer>* values_out,
                 std::shared_ptr<arrow::Buffer>* validity_out, int64_t* null_count) {
  using T = typename DType::c_type;
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> values,
                        arrow::AllocateBuffer(n * static_cast<int64_t>(sizeof(T)), pool));
  T* out = reinterpret_cast<T*>(values->mutable_data());
  std::shared_ptr<arrow::Buffer> defs_buf;
  int16_t* defs = nullptr;
  if (max_def > 0) {
    ARROW_ASSIGN_OR_RAISE(defs_buf, arrow::AllocateBuffer(n * 2, pool));
    defs = reinterpret_cast<int16_t*>(defs_buf->mutable_data());
  }
  int64_t pos = 0;
  int64_t vpos = 0;
  for (const RowOp& op : ops) {
    if (!op.read) {
      ML_RETURN_NOT_OK(SkipRows(reader, op.count));
      continue;
    }
    int64_t remaining = op.count;
    while (remaining > 0) {
      int64_t values_read = 0;
      int64_t levels = reader->ReadBatch(remaining, defs ? defs + pos : nullptr, nullptr,
                                         out + vpos, &values_read);
      if (levels <= 0) return ChunkEnded();
      pos += levels;
      vpos += values_read;
      remaining -= levels;
    }
  }
  *null_count = 0;
  if (max_def > 0) {
    ARROW_ASSIGN_OR_RAISE(*validity_out, Spread(out, defs, n, max_def, null_count, pool));
  }
  *values_out = std::move(values);
  return Status::OK();
}

template <typename Out>
Result<std::shared_ptr<arrow::Buffer>> Narrow(const arrow::Buffer& in, int64_t n,
                                              arrow::MemoryPool* pool) {
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> out,
                        arrow::AllocateBuffer(n * static_cast<int64_t>(sizeof(Out)), pool));
  const int32_t* src = reinterpret_cast<const int32_t*>(in.data());
  Out* dst = reinterpret_cast<Out*>(out->mutable_data());
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<Out>(src[i]);
  return out;
}

template <typename Builder>
Result<std::shared_ptr<arrow::Array>> ReadByteArrays(
    parquet::TypedColumnReader<parquet::ByteArrayType>* reader, const std::vector<RowOp>& ops,
    int64_t n, int16_t max_def, arrow::MemoryPool* pool) {
  constexpr int64_t kChunk = 4096;
  Builder builder(pool);
  ML_RETURN_NOT_OK(builder.Reserve(n));
  std::vector<parquet::ByteArray> vals(kChunk);
  std::vector<int16_t> defs(kChunk);
  for (const RowOp& op : ops) {
    if (!op.read) {
      ML_RETURN_NOT_OK(SkipRows(reader, op.count));
      continue;
    }
    int64_t remaining = op.count;
    while (remaining > 0) {
      int64_t values_read = 0;
      // The values point into the current page, so they are copied before the next call.
      int64_t levels =
          reader->ReadBatch(std::min(remaining, kChunk), max_def > 0 ? defs.data() : nullptr,
                            nullptr, vals.data(), &values_read);
      if (levels <= 0) return ChunkEnded();
      int64_t bytes = 0;
      for (int64_t i = 0; i < values_read; ++i) bytes += vals[i].len;
      ML_RETURN_NOT_OK(builder.ReserveData(bytes));
      if (max_def > 0) {
        int64_t v = 0;
        for (int64_t i = 0; i < levels; ++i) {
          if (defs[i] == max_def) {
            builder.UnsafeAppend(vals[v].ptr, static_cast<int32_t>(vals[v].len));
            ++v;
          } else {
            builder.UnsafeAppendNull();
          }
        }
      } else {
        for (int64_t i = 0; i < values_read; ++i) {
          builder.UnsafeAppend(vals[i].ptr, static_cast<int32_t>(vals[i].len));
        }
      }
      remaining -= levels;
    }
  }
  std::shared_ptr<arrow::Array> out;
  ML_RETURN_NOT_OK(builder.Finish(&out));
  return out;
}

// Decodes the rows named by `ops` from `reader` as an array of the field's Arrow type.
Result<std::shared_ptr<arrow::Array>> DecodeColumn(parquet::ColumnReader* reader,
                                                   const FieldPlan& plan,
                                                   const std::vector<RowOp>& ops, int64_t n,
                                                   arrow::MemoryPool* pool) {
  const int16_t max_def = plan.descr->max_definition_level();
  const std::shared_ptr<arrow::DataType>& type = plan.field->type();
  std::shared_ptr<arrow::Buffer> values;
  std::shared_ptr<arrow::Buffer> validity;
  int64_t null_count = 0;
  switch (plan.descr->physical_type()) {
    case parquet::Type::BOOLEAN: {
      ML_RETURN_NOT_OK(ReadFixed(static_cast<parquet::BoolReader*>(reader), ops, n, max_def, pool,
                                 &values, &validity, &null_count));
      ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> bits, arrow::AllocateBitmap(n, pool));
      const bool* src = reinterpret_cast<const bool*>(values->data());
      uint8_t* dst = bits->mutable_data();
      std::memset(dst, 0, static_cast<size_t>(bits->size()));
      for (int64_t i = 0; i < n; ++i) {
        if (src[i]) arrow::bit_util::SetBit(dst, i);
      }
      values = std::move(bits);
      break;
    }
    case parquet::Type::INT32: {
      ML_RETURN_NOT_OK(ReadFixed(static_cast<parquet::Int32Reader*>(reader), ops, n, max_def, pool,
                                 &values, &validity, &null_count));
      const int width = type->byte_width();
      if (width == 1) {
        ARROW_ASSIGN_OR_RAISE(values, Narrow<int8_t>(*values, n, pool));
      } else if (width == 2) {
        ARROW_ASSIGN_OR_RAISE(values, Narrow<int16_t>(*values, n, pool));
      }
      break;
    }
    case parquet::Type::INT64:
      ML_RETURN_NOT_OK(ReadFixed(static_cast<parquet::Int64Reader*>(reader), ops, n, max_def, pool,
                                 &values, &validity, &null_count));
      break;
    case parquet::Type::FLOAT:
      ML_RETURN_NOT_OK(ReadFixed(static_cast<parquet::FloatReader*>(reader), ops, n, max_def, pool,
                                 &values, &validity, &null_count));
      break;
    case parquet::Type::DOUBLE:
      ML_RETURN_NOT_OK(ReadFixed(static_cast<parquet::DoubleReader*>(reader), ops, n, max_def, pool,
                                 &values, &validity, &null_count));
      break;
    case parquet::Type::BYTE_ARRAY: {
      auto* typed = static_cast<parquet::ByteArrayReader*>(reader);
      std::shared_ptr<arrow::Array> arr;
      const bool large =
          type->id() == arrow::Type::LARGE_STRING || type->id() == arrow::Type::LARGE_BINARY;
      if (large) {
        ARROW_ASSIGN_OR_RAISE(
            arr, ReadByteArrays<arrow::LargeBinaryBuilder>(typed, ops, n, max_def, pool));
      } else {
        ARROW_ASSIGN_OR_RAISE(arr,
                              ReadByteArrays<arrow::BinaryBuilder>(typed, ops, n, max_def, pool));
      }
      std::shared_ptr<arrow::ArrayData> data = arr->data()->Copy();
      if (type->id() == arrow::Type::DICTIONARY) {
        // Same layout, so relabelling the binary array as the value type is free.
        data->type = static_cast<const arrow::DictionaryType&>(*type).value_type();
        ARROW_ASSIGN_OR_RAISE(arrow::Datum encoded,
                              arrow::compute::DictionaryEncode(arrow::MakeArray(data)));
        std::shared_ptr<arrow::ArrayData> dict = encoded.array()->Copy();
        dict->type = type;
        return arrow::MakeArray(dict);
      }
      data->type = type;
      return arrow::MakeArray(data);
    }
    default:
      return Error(ErrorCode::kInternal, "unsupported physical type in page decoder");
  }
  return arrow::MakeArray(
      arrow::ArrayData::Make(type, n, {std::move(validity), std::move(values)}, null_count));
}

class ParquetScannerImpl final : public ParquetScanner {
 public:
  ParquetScannerImpl(std::shared_ptr<arrow::io::RandomAccessFile> file, std::string name,
                     ScanOptions options)
      : file_(std::make_shared<TrackedFile>(std::move(file))),
        name_(std::move(name)),
        options_(std::move(options)) {}

  Status Init() {
    ML_RETURN_NOT_OK(arrow::compute::Initialize());
    ARROW_ASSIGN_OR_RAISE(file_size_, file_->GetSize());
    file_->set_size(file_size_);
    auto pf = parquet::ParquetFileReader::Open(file_, reader_props_);
    ML_RETURN_NOT_OK(parquet::arrow::FileReader::Make(pool_, std::move(pf),
                                                      parquet::default_arrow_reader_properties())
                         .Value(&reader_));
    pf_ = reader_->parquet_reader();
    metadata_ = pf_->metadata();
    ML_RETURN_NOT_OK(reader_->GetSchema(&file_schema_));

    const auto& fields = reader_->manifest().schema_fields;
    plans_.resize(fields.size());
    for (size_t i = 0; i < fields.size(); ++i) {
      FieldPlan& plan = plans_[i];
      plan.field = fields[i].field;
      CollectLeaves(fields[i], &plan.leaves);
      if (fields[i].is_leaf()) {
        const parquet::ColumnDescriptor* d = metadata_->schema()->Column(fields[i].column_index);
        if (d->max_repetition_level() == 0 && d->max_definition_level() <= 1) {
          plan.leaf = fields[i].column_index;
          plan.descr = d;
          Classify(&plan);
        }
      }
    }

    // Projection.
    std::vector<int> projected;
    if (options_.columns.empty()) {
      for (int i = 0; i < file_schema_->num_fields(); ++i) projected.push_back(i);
    } else {
      for (const std::string& c : options_.columns) {
        int i = file_schema_->GetFieldIndex(c);
        if (i < 0) {
          std::string have;
          for (const auto& f : file_schema_->fields()) {
            have += (have.empty() ? "" : ", ") + f->name();
          }
          return Error(ErrorCode::kNotFound,
                       name_ + ": no column '" + c + "' to project (columns: " + have + ")");
        }
        projected.push_back(i);
      }
    }

    // Predicate.
    if (options_.where.has_value()) {
      ARROW_ASSIGN_OR_RAISE(predicate_, BindPredicate(*options_.where, *file_schema_));
    } else {
      predicate_.kind = BoundPredicate::Kind::kTrue;
    }
    std::vector<int> needed = projected;
    if (predicate_.kind != BoundPredicate::Kind::kTrue) {
      for (const std::string& c : ReferencedColumns(predicate_)) {
        int i = file_schema_->GetFieldIndex(c);
        if (i < 0) return Error(ErrorCode::kInternal, "bound predicate names unknown column " + c);
        needed.push_back(i);
      }
    }
    std::sort(needed.begin(), needed.end());
    needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
    needed_ = needed;
    arrow::FieldVector needed_fields;
    for (int i : needed_) needed_fields.push_back(file_schema_->field(i));
    needed_schema_ = arrow::schema(needed_fields);
    arrow::FieldVector out_fields;
    for (int i : projected) {
      out_fields.push_back(file_schema_->field(i));
      output_columns_.push_back(
          static_cast<int>(std::lower_bound(needed_.begin(), needed_.end(), i) - needed_.begin()));
    }
    output_schema_ = arrow::schema(out_fields);

    if (predicate_.kind != BoundPredicate::Kind::kTrue &&
        predicate_.kind != BoundPredicate::Kind::kFalse) {
      ARROW_ASSIGN_OR_RAISE(filter_, ToArrowExpression(predicate_).Bind(*needed_schema_));
      has_filter_ = true;
    }

    stats_.row_groups_total = metadata_->num_row_groups();
    stats_.rows_total = metadata_->num_rows();
    remaining_limit_ = options_.limit;
    return Status::OK();
  }

  std::shared_ptr<arrow::Schema> schema() const override { return output_schema_; }
  const ScanStats& stats() const override { return stats_; }

  Result<std::shared_ptr<arrow::RecordBatch>> Next() override {
    Status st;
    try {
      auto result = NextImpl();
      if (result.ok()) return result;
      st = result.status();
    } catch (const std::exception& e) {
      return DataError(e.what());
    }
    return FileError(st);
  }

  // Makes an error from Arrow or Parquet name the file and be a corruption unless it is
  // I/O; errors already in marketlake's model keep their category.
  Status FileError(const Status& st) const {
    if (st.ok()) return st;
    if (HasCategory(st)) {
      return Named(st, name_);
    }
    if (st.IsOutOfMemory()) return Error(ErrorCode::kInternal, name_ + ": " + st.message());
    return DataError(st.message());
  }

  // An error met while reading or decoding: I/O when a read of the file failed, otherwise
  // the bytes do not form what they claim to be.
  Status DataError(const std::string& message) const {
    return internal::ReadOrDecodeError(*file_, name_, message);
  }

 private:
  Result<std::shared_ptr<arrow::RecordBatch>> NextImpl() {
    while (true) {
      if (pending_ && pending_offset_ < pending_->num_rows()) {
        int64_t n = std::min(options_.batch_size > 0 ? options_.batch_size : int64_t{1} << 62,
                             pending_->num_rows() - pending_offset_);
        auto out = pending_->Slice(pending_offset_, n);
        pending_offset_ += n;
        return out;
      }
      pending_.reset();
      pending_offset_ = 0;
      if (remaining_limit_ == 0 || next_row_group_ >= metadata_->num_row_groups()) {
        return std::shared_ptr<arrow::RecordBatch>();
      }
      int rg = next_row_group_++;
      ARROW_ASSIGN_OR_RAISE(auto batch, ScanRowGroup(rg));
      if (batch && batch->num_rows() > 0) {
        if (remaining_limit_ >= 0 && batch->num_rows() > remaining_limit_) {
          batch = batch->Slice(0, remaining_limit_);
        }
        if (remaining_limit_ >= 0) remaining_limit_ -= batch->num_rows();
        stats_.rows_matched += batch->num_rows();
        pending_ = std::move(batch);
      }
    }
  }

  // Footer statistics of a flat leaf over one row group.
  ValueRange RowGroupRange(const FieldPlan& plan, const parquet::RowGroupMetaData& rg) {
    ValueRange range;
    range.num_values = rg.num_rows();
    auto cc = rg.ColumnChunk(plan.leaf);
    if (!cc->is_stats_set()) return range;
    std::shared_ptr<parquet::Statistics> s = cc->statistics();
    if (!s) return range;
    if (s->HasNullCount()) range.null_count = s->null_count();
    if (s->HasMinMax()) {
      range.min = DecodeStat(plan.stats, s->EncodeMin());
      range.max = DecodeStat(plan.stats, s->EncodeMax());
    }
    return range;
  }

  const FieldPlan* LeafPlan(const BoundLeaf& leaf) const {
    if (leaf.field_index < 0 || leaf.field_index >= static_cast<int>(plans_.size())) {
      return nullptr;
    }
    const FieldPlan& plan = plans_[leaf.field_index];
    return plan.leaf >= 0 ? &plan : nullptr;
  }

  struct ChunkIndex {
    std::shared_ptr<parquet::ColumnIndex> column;
    std::shared_ptr<parquet::OffsetIndex> offset;
  };

  // The page index of one column chunk, loaded once per row group.
  Result<ChunkIndex*> GetChunkIndex(int rg, int leaf) {
    auto it = chunk_index_.find(leaf);
    if (it != chunk_index_.end()) return &it->second;
    ChunkIndex ci;
    if (options_.use_page_index) {
      if (!page_index_loaded_) {
        page_index_ = pf_->GetPageIndexReader();
        page_index_loaded_ = true;
      }
      if (page_index_ && !rg_page_index_) rg_page_index_ = page_index_->RowGroup(rg);
      if (rg_page_index_) {
        ci.column = rg_page_index_->GetColumnIndex(leaf);
        ci.offset = rg_page_index_->GetOffsetIndex(leaf);
      }
      if (ci.offset) ML_RETURN_NOT_OK(ValidateOffsetIndex(rg, leaf, *ci.offset));
    }
    return &chunk_index_.emplace(leaf, std::move(ci)).first->second;
  }

  Status ValidateOffsetIndex(int rg, int leaf, const parquet::OffsetIndex& oi) {
    const auto& locs = oi.page_locations();
    const int64_t num_rows = metadata_->RowGroup(rg)->num_rows();
    auto bad = [&](const std::string& what) {
      return Error(ErrorCode::kCorruption, name_ + ": row group " + std::to_string(rg) +
                                               " column " + std::to_string(leaf) +
                                               ": offset index " + what);
    };
    if (locs.empty()) return num_rows == 0 ? Status::OK() : bad("has no pages");
    if (locs[0].first_row_index != 0) return bad("does not start at row 0");
    for (size_t i = 0; i < locs.size(); ++i) {
      if (locs[i].offset < 0 || locs[i].compressed_page_size <= 0 ||
          locs[i].offset + locs[i].compressed_page_size > file_size_) {
        return bad("page " + std::to_string(i) + " lies outside the file");
      }
      if (i > 0 && locs[i].first_row_index <= locs[i - 1].first_row_index) {
        return bad("rows are not ascending at page " + std::to_string(i));
      }
      if (locs[i].first_row_index >= num_rows) return bad("row beyond the row group");
    }
    return Status::OK();
  }

  // Rows of the row group a leaf may match according to its column's page index.
  Result<RowRanges> PageRows(int rg, int64_t num_rows, const BoundLeaf& leaf) {
    const FieldPlan* plan = LeafPlan(leaf);
    if (!plan) return RowRanges::All(num_rows);
    ARROW_ASSIGN_OR_RAISE(ChunkIndex * ci, GetChunkIndex(rg, plan->leaf));
    if (!ci->column || !ci->offset) return RowRanges::All(num_rows);
    const auto& locs = ci->offset->page_locations();
    const auto& null_pages = ci->column->null_pages();
    const auto& mins = ci->column->encoded_min_values();
    const auto& maxs = ci->column->encoded_max_values();
    const bool has_nulls = ci->column->has_null_counts();
    const size_t pages = locs.size();
    if (null_pages.size() != pages || mins.size() != pages || maxs.size() != pages ||
        (has_nulls && ci->column->null_counts().size() != pages)) {
      return Error(ErrorCode::kCorruption, name_ + ": row group " + std::to_string(rg) +
                                               " column " + std::to_string(plan->leaf) +
                                               ": column index and offset index disagree");
    }
    RowRanges out;
    for (size_t p = 0; p < pages; ++p) {
      const int64_t begin = locs[p].first_row_index;
      const int64_t end = p + 1 < pages ? locs[p + 1].first_row_index : num_rows;
      ValueRange range;
      range.num_values = end - begin;
      if (null_pages[p]) {
        range.null_count = end - begin;
      } else {
        if (has_nulls) range.null_count = ci->column->null_counts()[p];
        range.min = DecodeStat(plan->stats, mins[p]);
        range.max = DecodeStat(plan->stats, maxs[p]);
      }
      if (MayMatch(leaf, range)) out.Add(begin, end);
    }
    return out;
  }

  int64_t DataPageCount(int rg, int leaf, const parquet::ColumnChunkMetaData& cc) {
    auto it = chunk_index_.find(leaf);
    if (current_rg_ == rg && it != chunk_index_.end() && it->second.offset) {
      return static_cast<int64_t>(it->second.offset->page_locations().size());
    }
    int64_t n = 0;
    for (const auto& s : cc.encoding_stats()) {
      if (s.page_type == parquet::PageType::DATA_PAGE ||
          s.page_type == parquet::PageType::DATA_PAGE_V2) {
        n += s.count;
      }
    }
    return n > 0 ? n : 1;
  }

  // Counts the chunks of the columns read in a row group into the totals.
  void CountTotals(int rg) {
    auto md = metadata_->RowGroup(rg);
    for (int f : needed_) {
      for (int leaf : plans_[f].leaves) {
        auto cc = md->ColumnChunk(leaf);
        stats_.pages_total += DataPageCount(rg, leaf, *cc);
        stats_.bytes_total += cc->total_compressed_size();
      }
    }
    stats_.pages_skipped = stats_.pages_total - stats_.pages_read;
    stats_.bytes_skipped = stats_.bytes_total - stats_.bytes_read;
  }

  Result<std::shared_ptr<arrow::RecordBatch>> ScanRowGroup(int rg) {
    current_rg_ = rg;
    chunk_index_.clear();
    rg_page_index_.reset();
    auto md = metadata_->RowGroup(rg);
    const int64_t num_rows = md->num_rows();
    const bool pruning = predicate_.kind != BoundPredicate::Kind::kTrue;

    // 1. Statistics.
    if (pruning && (options_.use_statistics || predicate_.kind == BoundPredicate::Kind::kFalse)) {
      RowRanges rows = SelectRows(predicate_, num_rows, [&](const BoundLeaf& leaf) {
        const FieldPlan* plan = LeafPlan(leaf);
        if (!plan || !options_.use_statistics) return RowRanges::All(num_rows);
        return MayMatch(leaf, RowGroupRange(*plan, *md)) ? RowRanges::All(num_rows) : RowRanges();
      });
      if (rows.empty()) {
        ++stats_.row_groups_skipped_by_statistics;
        CountTotals(rg);
        return nullptr;
      }
    }

    // 2. Bloom filters, for = and IN.
    if (pruning && options_.use_bloom_filter) {
      auto rg_bloom = pf_->GetBloomFilterReader().RowGroup(rg);
      if (rg_bloom) {
        std::map<int, std::unique_ptr<parquet::BloomFilter>> filters;
        RowRanges rows = SelectRows(predicate_, num_rows, [&](const BoundLeaf& leaf) {
          const FieldPlan* plan = LeafPlan(leaf);
          const bool eq = (leaf.kind == BoundLeaf::Kind::kCompare && leaf.op == CompareOp::kEq) ||
                          (leaf.kind == BoundLeaf::Kind::kIn && !leaf.negated);
          if (!plan || !eq || plan->stats == StatsKind::kNone || plan->stats == StatsKind::kBool) {
            return RowRanges::All(num_rows);
          }
          auto it = filters.find(plan->leaf);
          if (it == filters.end()) {
            it = filters.emplace(plan->leaf, rg_bloom->GetColumnBloomFilter(plan->leaf)).first;
          }
          if (!it->second) return RowRanges::All(num_rows);
          for (const Value& v : leaf.values) {
            if (BloomMayContain(*it->second, plan->stats, v)) return RowRanges::All(num_rows);
          }
          return RowRanges();
        });
        if (rows.empty()) {
          ++stats_.row_groups_skipped_by_bloom_filter;
          CountTotals(rg);
          return nullptr;
        }
      }
    }
    ++stats_.row_groups_read;

    // 3. Page index.
    RowRanges rows = RowRanges::All(num_rows);
    if (pruning) {
      Status st;
      rows = SelectRows(predicate_, num_rows, [&](const BoundLeaf& leaf) {
        if (!st.ok()) return RowRanges::All(num_rows);
        auto r = PageRows(rg, num_rows, leaf);
        if (!r.ok()) {
          st = r.status();
          return RowRanges::All(num_rows);
        }
        return *std::move(r);
      });
      ML_RETURN_NOT_OK(st);
    }
    const int64_t n = rows.row_count();
    stats_.rows_decoded += n;
    if (n == 0) {
      CountTotals(rg);
      return nullptr;
    }

    // Read the selected rows of every needed column.
    std::vector<std::shared_ptr<arrow::Array>> columns(needed_.size());
    std::vector<int> slow_leaves;
    std::vector<size_t> slow_columns;
    // With every row selected there are no pages to skip, and Arrow's reader builds
    // dictionary arrays straight from the indices instead of re-encoding decoded strings.
    const bool whole = n == num_rows;
    for (size_t k = 0; k < needed_.size(); ++k) {
      const FieldPlan& plan = plans_[needed_[k]];
      const bool dictionary = plan.field->type()->id() == arrow::Type::DICTIONARY;
      if (plan.fast && !(whole && dictionary)) {
        ARROW_ASSIGN_OR_RAISE(columns[k], ReadFast(rg, *md, plan, rows));
      } else {
        slow_columns.push_back(k);
        slow_leaves.insert(slow_leaves.end(), plan.leaves.begin(), plan.leaves.end());
      }
    }
    if (!slow_columns.empty()) {
      auto read = reader_->ReadRowGroup(rg, slow_leaves);
      if (!read.ok()) {
        // Reads and decoding are interleaved here; the tracked file tells which failed.
        return DataError("row group " + std::to_string(rg) + ": " + read.status().message());
      }
      std::shared_ptr<arrow::Table> table = *std::move(read);
      for (size_t k : slow_columns) {
        const FieldPlan& plan = plans_[needed_[k]];
        auto chunked = table->GetColumnByName(plan.field->name());
        if (!chunked) return Error(ErrorCode::kInternal, "column missing from row group read");
        arrow::ArrayVector pieces;
        for (const auto& r : rows.ranges()) {
          auto sl = chunked->Slice(r.begin, r.end - r.begin);
          for (const auto& c : sl->chunks()) {
            if (c->length() > 0) pieces.push_back(c);
          }
        }
        if (pieces.size() == 1) {
          columns[k] = pieces[0];
        } else {
          ARROW_ASSIGN_OR_RAISE(columns[k], arrow::Concatenate(pieces, pool_));
        }
        for (int leaf : plan.leaves) {
          auto cc = md->ColumnChunk(leaf);
          stats_.pages_read += DataPageCount(rg, leaf, *cc);
          stats_.bytes_read += cc->total_compressed_size();
        }
      }
    }
    CountTotals(rg);
    for (const auto& c : columns) {
      if (c->length() != n) {
        return Error(ErrorCode::kCorruption, name_ + ": row group " + std::to_string(rg) +
                                                 ": columns disagree on the number of rows");
      }
    }
    auto batch = arrow::RecordBatch::Make(needed_schema_, n, std::move(columns));

    // 4. Exact filter.
    if (has_filter_) {
      auto filtered = Filter(batch);
      if (!filtered.ok()) {
        return Error(ErrorCode::kInternal, name_ + ": filtering row group " + std::to_string(rg) +
                                               ": " + filtered.status().message());
      }
      batch = *std::move(filtered);
    }
    if (batch->num_rows() == 0) return nullptr;
    ARROW_ASSIGN_OR_RAISE(auto out, batch->SelectColumns(output_columns_));
    return arrow::RecordBatch::Make(output_schema_, out->num_rows(), out->columns());
  }

  Result<std::shared_ptr<arrow::RecordBatch>> Filter(
      const std::shared_ptr<arrow::RecordBatch>& batch) {
    arrow::compute::ExecBatch exec(*batch);
    ARROW_ASSIGN_OR_RAISE(arrow::Datum mask,
                          arrow::compute::ExecuteScalarExpression(filter_, exec));
    if (mask.is_scalar()) {
      const auto& s = mask.scalar_as<arrow::BooleanScalar>();
      if (s.is_valid && s.value) return batch;
      return batch->Slice(0, 0);
    }
    ARROW_ASSIGN_OR_RAISE(arrow::Datum out, arrow::compute::Filter(batch, mask));
    return out.record_batch();
  }

  // Fetches the dictionary and the pages of one flat column chunk that overlap `rows` and
  // decodes exactly those rows.
  Result<std::shared_ptr<arrow::Array>> ReadFast(int rg, const parquet::RowGroupMetaData& md,
                                                 const FieldPlan& plan, const RowRanges& rows) {
    auto cc = md.ColumnChunk(plan.leaf);
    const int64_t num_rows = md.num_rows();
    ChunkIndex* ci = nullptr;
    ARROW_ASSIGN_OR_RAISE(ci, GetChunkIndex(rg, plan.leaf));

    struct ByteRange {
      int64_t offset;
      int64_t length;
    };
    std::vector<ByteRange> reads;
    std::vector<PageGroup> groups;
    int64_t total_values = 0;
    auto add_read = [&reads](int64_t offset, int64_t length) {
      if (!reads.empty() && reads.back().offset + reads.back().length == offset) {
        reads.back().length += length;
      } else {
        reads.push_back({offset, length});
      }
    };
    if (ci->offset && !ci->offset->page_locations().empty()) {
      const auto& locs = ci->offset->page_locations();
      if (cc->has_dictionary_page()) {
        const int64_t dict = cc->dictionary_page_offset();
        if (dict < 0 || dict >= locs[0].offset) {
          return Error(ErrorCode::kCorruption, name_ + ": row group " + std::to_string(rg) +
                                                   " column " + std::to_string(plan.leaf) +
                                                   ": dictionary page offset out of place");
        }
        add_read(dict, locs[0].offset - dict);
      }
      for (size_t p = 0; p < locs.size(); ++p) {
        const int64_t begin = locs[p].first_row_index;
        const int64_t end = p + 1 < locs.size() ? locs[p + 1].first_row_index : num_rows;
        if (!rows.Overlaps(begin, end)) continue;
        add_read(locs[p].offset, locs[p].compressed_page_size);
        if (!groups.empty() && groups.back().end == begin) {
          groups.back().end = end;
        } else {
          groups.push_back({total_values, begin, end});
        }
        total_values += end - begin;
        ++stats_.pages_read;
      }
    } else {
      // No offset index: the whole chunk, as one stream.
      const int64_t start = cc->has_dictionary_page() && cc->dictionary_page_offset() > 0
                                ? std::min(cc->dictionary_page_offset(), cc->data_page_offset())
                                : cc->data_page_offset();
      add_read(start, cc->total_compressed_size());
      groups.push_back({0, 0, num_rows});
      total_values = cc->num_values();
      stats_.pages_read += DataPageCount(rg, plan.leaf, *cc);
    }

    int64_t total_bytes = 0;
    for (const auto& r : reads) {
      if (r.offset < 0 || r.length < 0 || r.offset + r.length > file_size_) {
        return Error(ErrorCode::kCorruption, name_ + ": row group " + std::to_string(rg) +
                                                 " column " + std::to_string(plan.leaf) +
                                                 ": column chunk lies outside the file");
      }
      total_bytes += r.length;
    }
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> buffer,
                          arrow::AllocateBuffer(total_bytes, pool_));
    int64_t pos = 0;
    for (const auto& r : reads) {
      ARROW_ASSIGN_OR_RAISE(int64_t got,
                            file_->ReadAt(r.offset, r.length, buffer->mutable_data() + pos));
      if (got != r.length) {
        return Error(ErrorCode::kCorruption,
                     name_ + ": short read at byte " + std::to_string(r.offset));
      }
      pos += r.length;
    }
    stats_.bytes_read += total_bytes;

    // Map the selected rows onto the stream of decoded rows.
    std::vector<RowOp> ops;
    int64_t cursor = 0;
    size_t g = 0;
    for (const auto& r : rows.ranges()) {
      while (g < groups.size() && groups[g].end <= r.begin) ++g;
      if (g == groups.size() || groups[g].begin > r.begin || groups[g].end < r.end) {
        return Error(ErrorCode::kCorruption, name_ + ": row group " + std::to_string(rg) +
                                                 " column " + std::to_string(plan.leaf) +
                                                 ": pages do not cover the selected rows");
      }
      const int64_t at = groups[g].stream_row + (r.begin - groups[g].begin);
      if (at > cursor) ops.push_back({false, at - cursor});
      ops.push_back({true, r.end - r.begin});
      cursor = at + (r.end - r.begin);
    }

    auto stream = std::make_shared<arrow::io::BufferReader>(buffer);
    std::unique_ptr<parquet::PageReader> pager = parquet::PageReader::Open(
        stream, total_values, cc->compression(), reader_props_, *plan.descr);
    std::shared_ptr<parquet::ColumnReader> column =
        parquet::ColumnReader::Make(plan.descr, std::move(pager), pool_);
    auto result = DecodeColumn(column.get(), plan, ops, rows.row_count(), pool_);
    if (!result.ok()) {
      // The bytes are in memory, so any failure here (Arrow reports bad compressed data as
      // an I/O error) means the file is malformed.
      return Error(ErrorCode::kCorruption, name_ + ": row group " + std::to_string(rg) +
                                               " column '" + plan.field->name() +
                                               "': " + result.status().message());
    }
    return result;
  }

  std::shared_ptr<TrackedFile> file_;
  std::string name_;
  ScanOptions options_;
  arrow::MemoryPool* pool_ = arrow::default_memory_pool();
  // Page checksums, where the writer recorded them, are verified: damage is reported, never
  // decoded into wrong values.
  parquet::ReaderProperties reader_props_ = [] {
    auto props = parquet::default_reader_properties();
    props.set_page_checksum_verification(true);
    return props;
  }();
  int64_t file_size_ = 0;

  std::unique_ptr<parquet::arrow::FileReader> reader_;
  parquet::ParquetFileReader* pf_ = nullptr;
  std::shared_ptr<parquet::FileMetaData> metadata_;
  std::shared_ptr<arrow::Schema> file_schema_;
  std::vector<FieldPlan> plans_;

  BoundPredicate predicate_;
  bool has_filter_ = false;
  arrow::compute::Expression filter_;
  std::vector<int> needed_;          // file field indices read, ascending
  std::vector<int> output_columns_;  // positions in needed_, in projection order
  std::shared_ptr<arrow::Schema> needed_schema_;
  std::shared_ptr<arrow::Schema> output_schema_;

  bool page_index_loaded_ = false;
  std::shared_ptr<parquet::PageIndexReader> page_index_;
  std::shared_ptr<parquet::RowGroupPageIndexReader> rg_page_index_;
  std::map<int, ChunkIndex> chunk_index_;  // by leaf, for current_rg_
  int current_rg_ = -1;

  int next_row_group_ = 0;
  int64_t remaining_limit_ = -1;
  std::shared_ptr<arrow::RecordBatch> pending_;
  int64_t pending_offset_ = 0;
  ScanStats stats_;
};

}  // namespace

Result<std::unique_ptr<ParquetScanner>> ParquetScanner::Open(
    std::shared_ptr<arrow::io::RandomAccessFile> file, std::string name, ScanOptions options) {
  if (!file) return Error(ErrorCode::kInvalidArgument, name + ": no file given");
  auto scanner = std::make_unique<ParquetScannerImpl>(std::move(file), name, std::move(options));
  Status st;
  try {
    st = scanner->Init();
    if (st.ok()) return std::unique_ptr<ParquetScanner>(std::move(scanner));
  } catch (const std::exception& e) {
    return scanner->DataError(e.what());
  }
  // Errors in our model (bad projection, predicate) keep their category.
  return scanner->FileError(st);
}

}  // namespace marketlake
