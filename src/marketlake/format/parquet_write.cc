#include "marketlake/parquet_write.h"

#include <arrow/type.h>
#include <arrow/type_traits.h>
#include <arrow/util/compression.h>
#include <arrow/util/key_value_metadata.h>
#include <parquet/arrow/writer.h>
#include <parquet/exception.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include <fmt/core.h>
#include <fmt/format.h>

#include "marketlake/common/ascii.h"

namespace marketlake {
namespace {

using internal::AsciiLower;

// The storage type Parquet uses for a column: dictionary columns store their values.
const arrow::DataType& ValueType(const arrow::DataType& type) {
  if (type.id() == arrow::Type::DICTIONARY) {
    return *static_cast<const arrow::DictionaryType&>(type).value_type();
  }
  return type;
}

bool IsBinaryLike(const arrow::DataType& t) {
  return arrow::is_base_binary_like(t.id()) || arrow::is_binary_view_like(t.id());
}

bool IsInt32Or64Physical(const arrow::DataType& t) {
  switch (t.id()) {
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::UINT8:
    case arrow::Type::UINT16:
    case arrow::Type::UINT32:
    case arrow::Type::UINT64:
    case arrow::Type::DATE32:
    case arrow::Type::DATE64:
    case arrow::Type::TIME32:
    case arrow::Type::TIME64:
    case arrow::Type::TIMESTAMP:
    case arrow::Type::DURATION:
      return true;
    default:
      return false;
  }
}

// Why `encoding` cannot store `type`, or empty when it can.
std::string EncodingMismatch(parquet::Encoding::type encoding, const arrow::DataType& type) {
  const auto& t = ValueType(type);
  switch (encoding) {
    case parquet::Encoding::DELTA_BINARY_PACKED:
      return IsInt32Or64Physical(t) ? "" : "DELTA_BINARY_PACKED stores integers and times";
    case parquet::Encoding::DELTA_LENGTH_BYTE_ARRAY:
      return IsBinaryLike(t) ? "" : "DELTA_LENGTH_BYTE_ARRAY stores strings and binaries";
    case parquet::Encoding::DELTA_BYTE_ARRAY:
      return IsBinaryLike(t) || t.id() == arrow::Type::FIXED_SIZE_BINARY
                 ? ""
                 : "DELTA_BYTE_ARRAY stores strings and binaries";
    case parquet::Encoding::BYTE_STREAM_SPLIT:
      return arrow::is_floating(t.id()) || IsInt32Or64Physical(t) ||
                     t.id() == arrow::Type::FIXED_SIZE_BINARY
                 ? ""
                 : "BYTE_STREAM_SPLIT stores fixed-width numbers";
    default:
      return "";
  }
}

bool IsTimeLike(const arrow::DataType& t) {
  return t.id() == arrow::Type::TIMESTAMP || t.id() == arrow::Type::DATE32 ||
         t.id() == arrow::Type::DATE64 || t.id() == arrow::Type::TIME64 ||
         t.id() == arrow::Type::TIME32;
}

// The measured market-data choice for a column nobody configured (docs/parquet-defaults.md).
// Returns nullopt to keep dictionary-with-fallback.
std::optional<parquet::Encoding::type> MarketDefault(const arrow::Field& field,
                                                     bool sorted_by_key) {
  const auto& t = ValueType(*field.type());
  if (IsTimeLike(t)) return parquet::Encoding::DELTA_BINARY_PACKED;
  // In files sorted by a key such as symbol, consecutive prices are close, zstd compresses
  // PLAIN doubles best, and a selective read fetches no dictionary page (measured in
  // docs/parquet-defaults.md).
  if (sorted_by_key && arrow::is_floating(t.id())) return parquet::Encoding::PLAIN;
  // Prices stay on dictionary (falling back to PLAIN past the dictionary page limit):
  // decimal prices stored as doubles repeat and their low mantissa bytes look random, so
  // BYTE_STREAM_SPLIT measured 2-3x larger than dictionary (docs/parquet-defaults.md).
  const std::string name = AsciiLower(field.name());
  const bool ids = name.ends_with("id") || name == "sequence" || name == "seq";
  // Monotonic ids and sequence numbers delta-encode to almost nothing; sizes are small
  // repeated values that dictionary handles best.
  if (arrow::is_integer(t.id()) && ids) return parquet::Encoding::DELTA_BINARY_PACKED;
  // Ids as text are (nearly) all distinct: a dictionary only costs hashing every value until
  // it outgrows its page; PLAIN under zstd is as small (docs/parquet-defaults.md).
  if (arrow::is_base_binary_like(t.id()) && ids) return parquet::Encoding::PLAIN;
  return std::nullopt;
}

}  // namespace

Result<arrow::Compression::type> ParseCompression(std::string_view name) {
  const std::string n = AsciiLower(name);
  if (n == "uncompressed" || n == "none") return arrow::Compression::UNCOMPRESSED;
  if (n == "snappy") return arrow::Compression::SNAPPY;
  if (n == "gzip") return arrow::Compression::GZIP;
  if (n == "zstd") return arrow::Compression::ZSTD;
  if (n == "lz4_raw" || n == "lz4") return arrow::Compression::LZ4;
  if (n == "brotli") return arrow::Compression::BROTLI;
  return Error(ErrorCode::kInvalidArgument,
               fmt::format("unknown compression '{}' (expected uncompressed, snappy, gzip, zstd, "
                           "lz4_raw or brotli)",
                           name));
}

Result<parquet::Encoding::type> ParseEncoding(std::string_view name) {
  std::string n = AsciiLower(name);
  if (n == "plain") return parquet::Encoding::PLAIN;
  if (n == "rle_dictionary" || n == "dictionary" || n == "plain_dictionary") {
    return parquet::Encoding::RLE_DICTIONARY;
  }
  if (n == "delta_binary_packed") return parquet::Encoding::DELTA_BINARY_PACKED;
  if (n == "delta_length_byte_array") return parquet::Encoding::DELTA_LENGTH_BYTE_ARRAY;
  if (n == "delta_byte_array") return parquet::Encoding::DELTA_BYTE_ARRAY;
  if (n == "byte_stream_split") return parquet::Encoding::BYTE_STREAM_SPLIT;
  return Error(ErrorCode::kInvalidArgument,
               fmt::format("unknown encoding '{}' (expected PLAIN, RLE_DICTIONARY, "
                           "DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY or "
                           "BYTE_STREAM_SPLIT)",
                           name));
}

Status ParseEncodingAssignment(std::string_view text, WriteOptions* options) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("--encoding '{}': expected COLUMN=ENCODING", text));
  }
  ML_RETURN_NOT_OK(ParseEncoding(text.substr(eq + 1)).status());
  options->encodings[std::string(text.substr(0, eq))] = std::string(text.substr(eq + 1));
  return Status::OK();
}

Result<std::shared_ptr<parquet::WriterProperties>> BuildWriterProperties(
    const WriteOptions& options, const arrow::Schema& schema) {
  parquet::WriterProperties::Builder b;
  ML_ASSIGN_OR_RETURN(auto codec, ParseCompression(options.compression));
  b.compression(codec);
  if (options.compression_level) {
    if (!arrow::util::Codec::SupportsCompressionLevel(codec)) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("--level: compression '{}' takes no level", options.compression));
    }
    auto lo = arrow::util::Codec::MinimumCompressionLevel(codec);
    auto hi = arrow::util::Codec::MaximumCompressionLevel(codec);
    if (lo.ok() && hi.ok() &&
        (*options.compression_level < *lo || *options.compression_level > *hi)) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("--level {}: {} takes levels {}..{}", *options.compression_level,
                               options.compression, *lo, *hi));
    }
    b.compression_level(*options.compression_level);
  }
  if (options.page_version != 1 && options.page_version != 2) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("--page-version {}: expected 1 or 2", options.page_version));
  }
  b.data_page_version(options.page_version == 2 ? parquet::ParquetDataPageVersion::V2
                                                : parquet::ParquetDataPageVersion::V1);
  if (options.row_group_size <= 0 || options.page_size <= 0 || options.max_rows_per_page <= 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "row group size, page size and rows per page must be positive");
  }
  b.max_row_group_length(options.row_group_size);
  b.data_pagesize(options.page_size);
  b.max_rows_per_page(options.max_rows_per_page);
  b.version(parquet::ParquetVersion::PARQUET_2_6);
  b.created_by("marketlake " + std::string("(parquet-cpp-arrow)"));
  options.dictionary ? b.enable_dictionary() : b.disable_dictionary();
  options.statistics ? b.enable_statistics() : b.disable_statistics();
  options.page_index ? b.enable_write_page_index() : b.disable_write_page_index();
  options.page_checksums ? b.enable_page_checksum() : b.disable_page_checksum();

  auto find = [&](const std::string& column, const char* what) -> Result<const arrow::Field*> {
    auto field = schema.GetFieldByName(column);
    if (field == nullptr) {
      std::vector<std::string> names;
      for (const auto& f : schema.fields()) names.push_back(f->name());
      return Error(ErrorCode::kMissingColumn, fmt::format("{}: no column '{}' (columns: {})", what,
                                                          column, fmt::join(names, ", ")));
    }
    return field.get();
  };

  // Per-column encodings: explicit first, then measured defaults for the rest.
  auto apply_encoding = [&](const std::string& column, parquet::Encoding::type enc) {
    if (enc == parquet::Encoding::RLE_DICTIONARY) {
      b.enable_dictionary(column);
    } else {
      // Arrow uses dictionary first when enabled; a chosen encoding means no dictionary.
      b.disable_dictionary(column);
      b.encoding(column, enc);
    }
  };
  for (const auto& [column, name] : options.encodings) {
    ML_ASSIGN_OR_RETURN(const arrow::Field* field, find(column, "--encoding"));
    ML_ASSIGN_OR_RETURN(auto enc, ParseEncoding(name));
    if (field->type()->id() == arrow::Type::STRUCT || field->type()->id() == arrow::Type::LIST) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("--encoding {}: nested columns take encodings per leaf", column));
    }
    if (field->type()->id() == arrow::Type::DICTIONARY &&
        (enc == parquet::Encoding::DELTA_LENGTH_BYTE_ARRAY ||
         enc == parquet::Encoding::DELTA_BYTE_ARRAY)) {
      // Arrow 26 writes these but cannot read them back into a dictionary column
      // ("DecodeArrow of DictAccumulator ... not implemented"), so such a file would not
      // round-trip through marketlake itself.
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("--encoding {}={}: column '{}' is {}; Arrow cannot read {} back "
                               "into a dictionary column (use RLE_DICTIONARY or PLAIN)",
                               column, name, column, field->type()->ToString(),
                               parquet::EncodingToString(enc)));
    }
    if (auto why = EncodingMismatch(enc, *field->type()); !why.empty()) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("--encoding {}={}: column '{}' is {}; {}", column, name, column,
                               field->type()->ToString(), why));
    }
    apply_encoding(column, enc);
  }
  if (options.market_defaults) {
    bool sorted_by_key = false;
    if (!options.sorting_columns.empty()) {
      auto first = schema.GetFieldByName(options.sorting_columns.front());
      sorted_by_key = first != nullptr && IsBinaryLike(ValueType(*first->type()));
    }
    for (const auto& field : schema.fields()) {
      if (options.encodings.count(field->name())) continue;
      if (auto enc = MarketDefault(*field, sorted_by_key)) apply_encoding(field->name(), *enc);
    }
  }
  for (const auto& column : options.bloom_filter_columns) {
    ML_ASSIGN_OR_RETURN(const arrow::Field* field, find(column, "--bloom-filter"));
    (void)field;
    if (!(options.bloom_filter_fpp > 0 && options.bloom_filter_fpp < 1)) {
      return Error(ErrorCode::kInvalidArgument, "bloom filter fpp must be in (0, 1)");
    }
    parquet::BloomFilterOptions bloom;
    bloom.fpp = options.bloom_filter_fpp;
    b.enable_bloom_filter(column, bloom);
  }
  if (!options.sorting_columns.empty()) {
    std::vector<parquet::SortingColumn> sorting;
    for (const auto& column : options.sorting_columns) {
      ML_RETURN_NOT_OK(find(column, "--sort-by").status());
      int index = schema.GetFieldIndex(column);
      if (schema.field(index)->type()->id() == arrow::Type::STRUCT) {
        return Error(ErrorCode::kInvalidArgument,
                     fmt::format("--sort-by {}: cannot sort by a nested column", column));
      }
      // For flat schemas leaf index == field index.
      sorting.push_back(parquet::SortingColumn{index, false, true});
    }
    b.set_sorting_columns(std::move(sorting));
  }
  return b.build();
}

Result<std::shared_ptr<parquet::ArrowWriterProperties>> BuildArrowWriterProperties(
    const WriteOptions& options) {
  parquet::ArrowWriterProperties::Builder b;
  b.store_schema();
  b.set_use_threads(options.use_threads);
  // Coarser units are an explicit request for engines that cannot read nanoseconds, so the
  // sub-unit digits are dropped rather than refused.
  if (options.timestamp_unit == "us") {
    b.coerce_timestamps(arrow::TimeUnit::MICRO);
    b.allow_truncated_timestamps();
  } else if (options.timestamp_unit == "ms") {
    b.coerce_timestamps(arrow::TimeUnit::MILLI);
    b.allow_truncated_timestamps();
  } else if (options.timestamp_unit != "ns") {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("timestamp unit '{}': expected ns, us or ms", options.timestamp_unit));
  }
  return b.build();
}

Result<std::unique_ptr<ParquetWriter>> ParquetWriter::Open(
    std::shared_ptr<arrow::Schema> schema, std::shared_ptr<arrow::io::OutputStream> out,
    const WriteOptions& options, std::string name) {
  ML_ASSIGN_OR_RETURN(auto props, BuildWriterProperties(options, *schema));
  ML_ASSIGN_OR_RETURN(auto arrow_props, BuildArrowWriterProperties(options));
  if (!options.key_value_metadata.empty()) {
    auto md = schema->metadata() ? schema->metadata()->Copy()
                                 : std::make_shared<arrow::KeyValueMetadata>();
    for (const auto& [k, v] : options.key_value_metadata) {
      ML_RETURN_NOT_OK(md->Set(k, v));
    }
    schema = schema->WithMetadata(md);
  }
  std::unique_ptr<ParquetWriter> w(new ParquetWriter());
  auto writer = parquet::arrow::FileWriter::Open(*schema, arrow::default_memory_pool(), out, props,
                                                 arrow_props);
  if (!writer.ok()) return WithContext(writer.status(), name);
  w->writer_ = std::move(*writer);
  w->out_ = std::move(out);
  w->name_ = std::move(name);
  return w;
}

ParquetWriter::~ParquetWriter() = default;

Status ParquetWriter::Write(const arrow::RecordBatch& batch) {
  if (batch.num_rows() == 0) return Status::OK();
  return WithContext(writer_->WriteRecordBatch(batch), name_);
}

Status ParquetWriter::Close() {
  if (closed_) return Status::OK();
  closed_ = true;
  ML_RETURN_NOT_OK(WithContext(writer_->Close(), name_));
  return WithContext(out_->Close(), name_);
}

}  // namespace marketlake
