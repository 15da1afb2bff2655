#include "marketlake/inspect.h"

#include <arrow/scalar.h>
#include <arrow/util/key_value_metadata.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/exception.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>
#include <parquet/page_index.h>
#include <parquet/schema.h>
#include <parquet/statistics.h>

#include <string>

#include <fmt/core.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "marketlake/filesystem.h"

namespace marketlake {
namespace {

std::string EncodingName(parquet::Encoding::type e) { return parquet::EncodingToString(e); }

std::string CompressionName(arrow::Compression::type c) {
  switch (c) {
    case arrow::Compression::UNCOMPRESSED:
      return "UNCOMPRESSED";
    case arrow::Compression::SNAPPY:
      return "SNAPPY";
    case arrow::Compression::GZIP:
      return "GZIP";
    case arrow::Compression::BROTLI:
      return "BROTLI";
    case arrow::Compression::ZSTD:
      return "ZSTD";
    case arrow::Compression::LZ4:
      return "LZ4_RAW";
    case arrow::Compression::LZ4_FRAME:
      return "LZ4";
    case arrow::Compression::LZO:
      return "LZO";
    default:
      return "UNKNOWN";
  }
}

std::string Abbreviate(const std::string& s, size_t limit = 120) {
  if (s.size() <= limit) return s;
  return s.substr(0, limit) + fmt::format("... ({} bytes)", s.size());
}

// Formats a statistics bound with the column's logical type (timestamps as ISO-8601 ...).
std::optional<std::string> FormatBound(const parquet::Statistics& stats, bool is_min,
                                       const std::shared_ptr<arrow::DataType>& arrow_type) {
  std::shared_ptr<arrow::Scalar> min, max;
  if (arrow_type && parquet::arrow::StatisticsAsScalars(stats, &min, &max).ok()) {
    auto s = is_min ? min : max;
    if (s) {
      if (s->type->id() == arrow::Type::TIMESTAMP) {
        std::string text = s->ToString();
        if (text.size() > 10 && text[10] == ' ') text[10] = 'T';
        return text;
      }
      return Abbreviate(s->ToString(), 64);
    }
  }
  return Abbreviate(parquet::FormatStatValue(stats.physical_type(),
                                             is_min ? stats.EncodeMin() : stats.EncodeMax(),
                                             stats.descr()->logical_type()),
                    64);
}

}  // namespace

Result<FileReport> InspectParquet(const std::string& uri) {
  ML_ASSIGN_OR_RETURN(auto file, OpenInputFile(uri));
  FileReport report;
  report.name = uri;
  ML_ASSIGN_OR_RETURN(report.file_bytes, file->GetSize());
  try {
    auto reader = parquet::ParquetFileReader::Open(file);
    auto md = reader->metadata();
    report.num_rows = md->num_rows();
    report.created_by = md->created_by();
    report.format_version = parquet::ParquetVersionToString(md->version());
    const auto* schema = md->schema();
    std::shared_ptr<arrow::Schema> arrow_schema;
    parquet::ArrowReaderProperties props;
    if (parquet::arrow::FromParquetSchema(schema, props, md->key_value_metadata(), &arrow_schema)
            .ok()) {
      report.arrow_schema = arrow_schema->ToString(false);
    }
    for (int i = 0; i < schema->num_columns(); ++i) {
      const auto* c = schema->Column(i);
      report.columns.push_back({c->path()->ToDotString(), parquet::TypeToString(c->physical_type()),
                                c->logical_type() ? c->logical_type()->ToString() : "",
                                c->max_repetition_level() > 0   ? "repeated"
                                : c->max_definition_level() > 0 ? "optional"
                                                                : "required"});
    }
    if (auto kv = md->key_value_metadata()) {
      for (int64_t i = 0; i < kv->size(); ++i) {
        report.key_value_metadata[kv->key(i)] = Abbreviate(kv->value(i));
      }
    }
    // Arrow types per leaf, for formatting statistics (flat columns only).
    std::vector<std::shared_ptr<arrow::DataType>> leaf_types(schema->num_columns());
    if (arrow_schema) {
      for (int i = 0; i < schema->num_columns(); ++i) {
        auto f = arrow_schema->GetFieldByName(schema->Column(i)->path()->ToDotString());
        if (f) leaf_types[i] = f->type();
      }
    }
    auto page_index = reader->GetPageIndexReader();
    for (int rg = 0; rg < md->num_row_groups(); ++rg) {
      auto rgmd = md->RowGroup(rg);
      RowGroupReport rgr;
      rgr.num_rows = rgmd->num_rows();
      rgr.total_bytes = rgmd->total_byte_size();
      rgr.compressed_bytes = rgmd->total_compressed_size();
      for (const auto& sc : rgmd->sorting_columns()) {
        std::string name = sc.column_idx >= 0 && sc.column_idx < schema->num_columns()
                               ? schema->Column(sc.column_idx)->path()->ToDotString()
                               : fmt::format("#{}", sc.column_idx);
        rgr.sorting_columns.push_back(fmt::format("{} {} NULLS {}", name,
                                                  sc.descending ? "DESC" : "ASC",
                                                  sc.nulls_first ? "FIRST" : "LAST"));
      }
      std::shared_ptr<parquet::RowGroupPageIndexReader> rg_index;
      if (page_index) rg_index = page_index->RowGroup(rg);
      for (int c = 0; c < rgmd->num_columns(); ++c) {
        auto cc = rgmd->ColumnChunk(c);
        ColumnChunkReport r;
        r.path = cc->path_in_schema()->ToDotString();
        r.physical_type = parquet::TypeToString(cc->type());
        const auto* descr = schema->Column(c);
        r.logical_type = descr->logical_type() ? descr->logical_type()->ToString() : "";
        for (auto e : cc->encodings()) r.encodings.push_back(EncodingName(e));
        r.compression = CompressionName(cc->compression());
        r.num_values = cc->num_values();
        r.compressed_bytes = cc->total_compressed_size();
        r.uncompressed_bytes = cc->total_uncompressed_size();
        r.has_dictionary_page = cc->has_dictionary_page();
        if (cc->is_stats_set()) {
          auto stats = cc->statistics();
          r.has_statistics = true;
          if (stats->HasNullCount()) r.null_count = stats->null_count();
          if (stats->HasDistinctCount()) r.distinct_count = stats->distinct_count();
          if (stats->HasMinMax()) {
            r.min = FormatBound(*stats, true, leaf_types[c]);
            r.max = FormatBound(*stats, false, leaf_types[c]);
          }
        }
        r.has_column_index = cc->GetColumnIndexLocation().has_value();
        r.has_offset_index = cc->GetOffsetIndexLocation().has_value();
        if (rg_index && r.has_offset_index) {
          auto offsets = rg_index->GetOffsetIndex(c);
          if (offsets) r.pages = static_cast<int64_t>(offsets->page_locations().size());
        }
        r.has_bloom_filter = cc->bloom_filter_offset().has_value();
        if (cc->bloom_filter_length()) r.bloom_filter_bytes = *cc->bloom_filter_length();
        rgr.columns.push_back(std::move(r));
      }
      report.row_groups.push_back(std::move(rgr));
    }
  } catch (const parquet::ParquetException& e) {
    return Error(ErrorCode::kCorruption, uri + ": not a valid Parquet file: " + e.what());
  }
  return report;
}

std::string FileReportToText(const FileReport& r) {
  std::string out;
  auto add = [&out](const std::string& s) { out += s + "\n"; };
  add(fmt::format("file: {}", r.name));
  add(fmt::format("size: {} bytes, rows: {}, row groups: {}", r.file_bytes, r.num_rows,
                  r.row_groups.size()));
  add(fmt::format("created by: {}", r.created_by));
  add(fmt::format("format version: {}", r.format_version));
  add("schema:");
  for (const auto& c : r.columns) {
    add(fmt::format(
        "  {}: {}{} {}", c.path, c.physical_type,
        c.logical_type.empty() || c.logical_type == "None" ? "" : " (" + c.logical_type + ")",
        c.repetition));
  }
  if (!r.arrow_schema.empty()) {
    add("arrow schema:");
    std::string s = r.arrow_schema;
    size_t pos = 0;
    while (pos < s.size()) {
      auto nl = s.find('\n', pos);
      if (nl == std::string::npos) nl = s.size();
      add("  " + s.substr(pos, nl - pos));
      pos = nl + 1;
    }
  }
  if (!r.key_value_metadata.empty()) {
    add("key-value metadata:");
    for (const auto& [k, v] : r.key_value_metadata) add(fmt::format("  {} = {}", k, v));
  }
  for (size_t i = 0; i < r.row_groups.size(); ++i) {
    const auto& rg = r.row_groups[i];
    add(fmt::format("row group {}: {} rows, {} bytes compressed, {} uncompressed", i, rg.num_rows,
                    rg.compressed_bytes, rg.total_bytes));
    if (!rg.sorting_columns.empty()) {
      add(fmt::format("  sorted by: {}", fmt::join(rg.sorting_columns, ", ")));
    }
    for (const auto& c : rg.columns) {
      add(fmt::format("  {}: {} {} [{}] values={} compressed={} uncompressed={}", c.path,
                      c.physical_type, c.compression, fmt::join(c.encodings, ","), c.num_values,
                      c.compressed_bytes, c.uncompressed_bytes));
      std::string stats = c.has_statistics ? "" : "none";
      if (c.min) stats += fmt::format("min={} max={} ", *c.min, c.max.value_or(""));
      if (c.null_count) stats += fmt::format("nulls={} ", *c.null_count);
      if (c.distinct_count) stats += fmt::format("distinct={} ", *c.distinct_count);
      add(fmt::format("    stats: {}", stats));
      add(fmt::format(
          "    dictionary page: {}, column index: {}, offset index: {}{}, bloom filter: {}",
          c.has_dictionary_page ? "yes" : "no", c.has_column_index ? "yes" : "no",
          c.has_offset_index ? "yes" : "no", c.pages ? fmt::format(" ({} pages)", *c.pages) : "",
          c.has_bloom_filter
              ? (c.bloom_filter_bytes ? fmt::format("yes ({} bytes)", *c.bloom_filter_bytes)
                                      : std::string("yes"))
              : "no"));
    }
  }
  return out;
}

std::string FileReportToJson(const FileReport& r) {
  nlohmann::ordered_json j;
  j["file"] = r.name;
  j["size_bytes"] = r.file_bytes;
  j["num_rows"] = r.num_rows;
  j["num_row_groups"] = r.row_groups.size();
  j["created_by"] = r.created_by;
  j["format_version"] = r.format_version;
  j["arrow_schema"] = r.arrow_schema;
  j["columns"] = nlohmann::ordered_json::array();
  for (const auto& c : r.columns) {
    j["columns"].push_back({{"path", c.path},
                            {"physical_type", c.physical_type},
                            {"logical_type", c.logical_type},
                            {"repetition", c.repetition}});
  }
  j["key_value_metadata"] = r.key_value_metadata;
  j["row_groups"] = nlohmann::ordered_json::array();
  for (const auto& rg : r.row_groups) {
    nlohmann::ordered_json g;
    g["num_rows"] = rg.num_rows;
    g["total_bytes"] = rg.total_bytes;
    g["compressed_bytes"] = rg.compressed_bytes;
    g["sorting_columns"] = rg.sorting_columns;
    g["columns"] = nlohmann::ordered_json::array();
    for (const auto& c : rg.columns) {
      nlohmann::ordered_json cj;
      cj["path"] = c.path;
      cj["physical_type"] = c.physical_type;
      cj["logical_type"] = c.logical_type;
      cj["encodings"] = c.encodings;
      cj["compression"] = c.compression;
      cj["num_values"] = c.num_values;
      cj["compressed_bytes"] = c.compressed_bytes;
      cj["uncompressed_bytes"] = c.uncompressed_bytes;
      nlohmann::ordered_json st;
      st["present"] = c.has_statistics;
      st["min"] = c.min ? nlohmann::ordered_json(*c.min) : nlohmann::ordered_json();
      st["max"] = c.max ? nlohmann::ordered_json(*c.max) : nlohmann::ordered_json();
      st["null_count"] =
          c.null_count ? nlohmann::ordered_json(*c.null_count) : nlohmann::ordered_json();
      st["distinct_count"] =
          c.distinct_count ? nlohmann::ordered_json(*c.distinct_count) : nlohmann::ordered_json();
      cj["statistics"] = st;
      cj["dictionary_page"] = c.has_dictionary_page;
      cj["column_index"] = c.has_column_index;
      cj["offset_index"] = c.has_offset_index;
      cj["pages"] = c.pages ? nlohmann::ordered_json(*c.pages) : nlohmann::ordered_json();
      cj["bloom_filter"] = c.has_bloom_filter;
      cj["bloom_filter_bytes"] = c.bloom_filter_bytes
                                     ? nlohmann::ordered_json(*c.bloom_filter_bytes)
                                     : nlohmann::ordered_json();
      g["columns"].push_back(std::move(cj));
    }
    j["row_groups"].push_back(std::move(g));
  }
  return j.dump(2) + "\n";
}

}  // namespace marketlake
