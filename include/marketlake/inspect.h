// What a Parquet file holds, from its footer (inspect) or from decoding it (describe).
//
// Both take any place filesystem.h names; inspect reads only the footer and, when present,
// the page index. Errors name the file: kCorruption when it is not valid Parquet.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "marketlake/status.h"

namespace marketlake {

struct ColumnChunkReport {
  std::string path;
  std::string physical_type;
  std::string logical_type;
  std::vector<std::string> encodings;
  std::string compression;
  int64_t num_values = 0;
  int64_t compressed_bytes = 0;
  int64_t uncompressed_bytes = 0;
  bool has_statistics = false;
  std::optional<std::string> min;  // formatted for display
  std::optional<std::string> max;
  std::optional<int64_t> null_count;
  std::optional<int64_t> distinct_count;
  bool has_dictionary_page = false;
  bool has_column_index = false;
  bool has_offset_index = false;
  std::optional<int64_t> pages;  // data pages, from the offset index
  bool has_bloom_filter = false;
  std::optional<int64_t> bloom_filter_bytes;
};

struct RowGroupReport {
  int64_t num_rows = 0;
  int64_t total_bytes = 0;
  int64_t compressed_bytes = 0;
  std::vector<std::string> sorting_columns;  // "ts ASC NULLS FIRST"
  std::vector<ColumnChunkReport> columns;
};

struct FileReport {
  std::string name;
  int64_t file_bytes = 0;
  int64_t num_rows = 0;
  std::string created_by;
  std::string format_version;
  std::string arrow_schema;  // as Arrow sees it
  struct Column {
    std::string path;
    std::string physical_type;
    std::string logical_type;
    std::string repetition;
  };
  std::vector<Column> columns;
  std::map<std::string, std::string> key_value_metadata;  // long values abbreviated
  std::vector<RowGroupReport> row_groups;
};

Result<FileReport> InspectParquet(const std::string& uri);
std::string FileReportToText(const FileReport& report);
std::string FileReportToJson(const FileReport& report);

struct ColumnSummary {
  std::string name;
  std::string type;
  int64_t count = 0;  // non-null values
  int64_t nulls = 0;
  std::optional<std::string> min;  // formatted; absent when all null or not orderable
  std::optional<std::string> max;
};

struct DescribeReport {
  std::string name;
  int64_t num_rows = 0;
  std::vector<ColumnSummary> columns;
};

// Decodes every column of a CSV, JSON lines or Parquet file (any format table_io.h reads)
// in a stream; `on_rows` (optional) is told the running row count after each batch.
Result<DescribeReport> DescribeFile(const std::string& uri,
                                    const std::function<void(int64_t)>& on_rows = {});
std::string DescribeReportToText(const DescribeReport& report);
std::string DescribeReportToJson(const DescribeReport& report);

}  // namespace marketlake
