// The flags lake verbs share (lake_flags.h), and the aligned-text `table` output.
#include "lake_flags.h"

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <fmt/format.h>
#include <unistd.h>
#include <cctype>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string_view>

#include "marketlake/config.h"
#include "marketlake/filesystem.h"
#include "marketlake/timestamp.h"
#include "write_flags.h"

namespace marketlake::cli {
namespace {

// A zone's UTC offset, through the trading calendar's time zone database.
class Zone {
 public:
  static Result<Zone> Make(const std::string& tz) {
    Zone z;
    if (tz.empty() || tz == "UTC" || tz == "Z" || tz == "Etc/UTC") return z;
    auto cal = TradingCalendar::Make(tz);
    if (!cal.ok()) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("--tz: unknown time zone '{}' (expected an IANA name such as "
                               "America/New_York, or UTC)",
                               tz));
    }
    z.calendar_ = std::move(*cal);
    return z;
  }
  bool utc() const { return !calendar_.has_value(); }
  int64_t OffsetAt(int64_t utc_ns) const {
    return calendar_ ? calendar_->OffsetAt(utc_ns).offset_ns : 0;
  }
  // The UTC instant of a wall-clock time in this zone (the earlier one when repeated).
  int64_t FromLocal(int64_t local_ns) const {
    if (!calendar_) return local_ns;
    int64_t guess = local_ns - OffsetAt(local_ns);
    return local_ns - OffsetAt(guess);
  }

 private:
  std::optional<TradingCalendar> calendar_;
};

// "2024-03-15T09:30:00.123-04:00" (the fraction as FormatTimestampNanos prints it).
std::string FormatInZone(int64_t utc_ns, const Zone& zone) {
  if (zone.utc()) return FormatTimestampNanos(utc_ns);
  const int64_t offset = zone.OffsetAt(utc_ns);
  std::string text = FormatTimestampNanos(utc_ns + offset);
  text.pop_back();  // the 'Z'
  const int64_t minutes = (offset < 0 ? -offset : offset) / (60LL * 1000000000LL);
  return text + fmt::format("{}{:02}:{:02}", offset < 0 ? '-' : '+', minutes / 60, minutes % 60);
}

bool HasOffset(std::string_view text) {
  if (text.size() <= 10) return false;  // a date
  std::string_view time = text.substr(10);
  return time.find_first_of("Zz+-") != std::string_view::npos;
}

Result<std::optional<int64_t>> ParseTimeFlag(std::string_view flag, const std::string& text,
                                             const Zone& zone) {
  if (text.empty()) return std::optional<int64_t>();
  auto ns = ParseTimestampNanos(text);
  if (!ns.ok()) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("{}: {} (expected ISO-8601, e.g. 2024-03-15, "
                             "2024-03-15T09:30:00-04:00 or 2024-03-15T13:30:00Z)",
                             flag, ns.status().message()));
  }
  if (HasOffset(text)) return std::optional<int64_t>(*ns);
  return std::optional<int64_t>(zone.FromLocal(*ns));
}

// Timestamp columns as text in `zone` (text outputs); other columns unchanged.
Result<std::shared_ptr<arrow::Array>> TimestampText(const std::shared_ptr<arrow::Array>& col,
                                                    const Zone& zone) {
  const auto& type = static_cast<const arrow::TimestampType&>(*col->type());
  ML_ASSIGN_OR_RETURN(auto ns, arrow::compute::Cast(
                                   *col, arrow::timestamp(arrow::TimeUnit::NANO, type.timezone())));
  const auto& values = static_cast<const arrow::TimestampArray&>(*ns);
  arrow::StringBuilder out;
  ML_RETURN_NOT_OK(out.Reserve(values.length()));
  for (int64_t i = 0; i < values.length(); ++i) {
    if (values.IsNull(i)) {
      ML_RETURN_NOT_OK(out.AppendNull());
    } else {
      ML_RETURN_NOT_OK(out.Append(FormatInZone(values.Value(i), zone)));
    }
  }
  return out.Finish();
}

std::shared_ptr<arrow::Schema> TextSchema(const arrow::Schema& schema) {
  arrow::FieldVector fields;
  for (const auto& f : schema.fields()) {
    fields.push_back(f->type()->id() == arrow::Type::TIMESTAMP ? f->WithType(arrow::utf8()) : f);
  }
  return arrow::schema(fields);
}

Result<std::shared_ptr<arrow::RecordBatch>> ToText(const arrow::RecordBatch& batch,
                                                   const std::shared_ptr<arrow::Schema>& schema,
                                                   const Zone& zone) {
  std::vector<std::shared_ptr<arrow::Array>> cols;
  for (const auto& c : batch.columns()) {
    if (c->type_id() == arrow::Type::TIMESTAMP) {
      ML_ASSIGN_OR_RETURN(auto text, TimestampText(c, zone));
      cols.push_back(text);
    } else {
      cols.push_back(c);
    }
  }
  return arrow::RecordBatch::Make(schema, batch.num_rows(), cols);
}

// CSV / JSON lines with timestamps shown in a zone other than UTC.
class ZonedWriter : public BatchWriter {
 public:
  ZonedWriter(std::unique_ptr<BatchWriter> inner, std::shared_ptr<arrow::Schema> schema, Zone zone)
      : inner_(std::move(inner)), schema_(std::move(schema)), zone_(std::move(zone)) {}
  Status Write(const arrow::RecordBatch& batch) override {
    ML_ASSIGN_OR_RETURN(auto text, ToText(batch, schema_, zone_));
    return inner_->Write(*text);
  }
  Status Close() override { return inner_->Close(); }

 private:
  std::unique_ptr<BatchWriter> inner_;
  std::shared_ptr<arrow::Schema> schema_;
  Zone zone_;
};

bool RightAligned(const arrow::DataType& type) {
  return arrow::is_integer(type.id()) || arrow::is_floating(type.id()) ||
         arrow::is_decimal(type.id());
}

// Aligned text: a header, then rows; widths come from the header and the first block of
// rows (later, wider cells push their row out rather than re-aligning what was printed).
class TableWriter : public BatchWriter {
 public:
  TableWriter(std::shared_ptr<arrow::Schema> schema, Zone zone, std::string out)
      : schema_(std::move(schema)), zone_(std::move(zone)), out_(std::move(out)) {}

  Status Write(const arrow::RecordBatch& batch) override {
    ML_ASSIGN_OR_RETURN(auto decoded, DecodeDictionaries(arrow::RecordBatch::Make(
                                          batch.schema(), batch.num_rows(), batch.columns())));
    const int ncols = decoded->num_columns();
    std::vector<std::vector<std::string>> cells(static_cast<size_t>(ncols));
    for (int c = 0; c < ncols; ++c) {
      ML_ASSIGN_OR_RETURN(cells[c], Cells(decoded->column(c)));
    }
    for (int64_t r = 0; r < decoded->num_rows(); ++r) {
      std::vector<std::string> row;
      for (int c = 0; c < ncols; ++c) row.push_back(std::move(cells[c][r]));
      pending_.push_back(std::move(row));
    }
    if (pending_.size() >= kBlockRows) return Flush();
    return Status::OK();
  }

  Status Close() override {
    ML_RETURN_NOT_OK(Flush());
    if (!header_done_) ML_RETURN_NOT_OK(Flush(true));
    if (out_.empty() || out_ == "-") {
      std::fflush(stdout);
      return Status::OK();
    }
    ML_ASSIGN_OR_RETURN(auto stream, OpenOutputStream(out_));
    ML_RETURN_NOT_OK(stream->Write(text_));
    return stream->Close();
  }

 private:
  static constexpr size_t kBlockRows = 10000;

  Result<std::vector<std::string>> Cells(const std::shared_ptr<arrow::Array>& col) const {
    std::vector<std::string> out(static_cast<size_t>(col->length()));
    std::shared_ptr<arrow::Array> text;
    if (col->type_id() == arrow::Type::TIMESTAMP) {
      ML_ASSIGN_OR_RETURN(text, TimestampText(col, zone_));
    } else if (col->type_id() == arrow::Type::STRING) {
      text = col;
    } else {
      auto cast = arrow::compute::Cast(*col, arrow::utf8());
      if (cast.ok()) text = *cast;
    }
    for (int64_t i = 0; i < col->length(); ++i) {
      if (col->IsNull(i)) {
        out[i] = "null";
      } else if (text) {
        out[i] = std::string(static_cast<const arrow::StringArray&>(*text).GetView(i));
      } else {
        ML_ASSIGN_OR_RETURN(auto scalar, col->GetScalar(i));
        out[i] = scalar->ToString();
      }
    }
    return out;
  }

  Status Flush(bool force_header = false) {
    if (pending_.empty() && !force_header) return Status::OK();
    const size_t ncols = static_cast<size_t>(schema_->num_fields());
    if (!header_done_) {
      widths_.assign(ncols, 0);
      for (size_t c = 0; c < ncols; ++c) {
        widths_[c] = schema_->field(static_cast<int>(c))->name().size();
        for (const auto& row : pending_) widths_[c] = std::max(widths_[c], row[c].size());
      }
      std::vector<std::string> names;
      std::vector<std::string> rules;
      for (size_t c = 0; c < ncols; ++c) {
        names.push_back(schema_->field(static_cast<int>(c))->name());
        rules.push_back(std::string(widths_[c], '-'));
      }
      Emit(names, /*header=*/true);
      Emit(rules, /*header=*/true);
      header_done_ = true;
    }
    for (const auto& row : pending_) Emit(row, false);
    pending_.clear();
    if (out_.empty() || out_ == "-") {
      std::fwrite(text_.data(), 1, text_.size(), stdout);
      text_.clear();
    }
    return Status::OK();
  }

  void Emit(const std::vector<std::string>& row, bool header) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      const bool right = !header && RightAligned(*schema_->field(static_cast<int>(c))->type());
      const bool last = c + 1 == row.size();
      const size_t pad = widths_[c] > row[c].size() ? widths_[c] - row[c].size() : 0;
      if (c > 0) line += "  ";
      if (right) line.append(pad, ' ');
      line += row[c];
      if (!right && !last) line.append(pad, ' ');
    }
    text_ += line;
    text_ += '\n';
  }

  std::shared_ptr<arrow::Schema> schema_;
  Zone zone_;
  std::string out_;
  std::vector<std::vector<std::string>> pending_;
  std::vector<size_t> widths_;
  bool header_done_ = false;
  std::string text_;
};

}  // namespace

void AddLakeFlag(CLI::App* cmd, std::string* lake) {
  cmd->add_option("--lake", *lake,
                  "The lake: a directory, s3://bucket/prefix, gs://... or SOURCE:prefix "
                  "(default: default_lake in the config file)");
}

void AddSelectionFlags(CLI::App* cmd, SelectionFlags* flags) {
  AddLakeFlag(cmd, &flags->lake);
  cmd->add_option("--symbol", flags->symbols,
                  "Only these symbols (repeatable; also --symbol AAPL,MSFT)");
  cmd->add_option("--from", flags->from,
                  "From this time, inclusive: ISO-8601 with Z or an offset, or a naive date/time "
                  "in --tz (a date means its midnight)");
  cmd->add_option("--to", flags->to, "Up to this time, exclusive (same forms as --from)");
  cmd->add_option("--session", flags->session,
                  "Only rows in a trading session: regular, extended (pre + regular + after), "
                  "pre, after or all")
      ->check(CLI::IsMember({"regular", "extended", "pre", "after", "all"}));
  cmd->add_option("--calendar", flags->calendar,
                  "Trading calendar file for --session (default: the built-in US equities "
                  "calendar)");
  cmd->add_option("--tz", flags->tz,
                  "Time zone for naive --from/--to and for timestamps in text output "
                  "(default UTC; storage stays UTC)");
}

void AddOutputFlags(CLI::App* cmd, OutputFlags* flags) {
  cmd->add_option("--format", flags->format,
                  "table (aligned text; the default on a terminal), csv (the default otherwise), "
                  "jsonl or parquet")
      ->check(CLI::IsMember({"table", "csv", "jsonl", "json", "ndjson", "parquet"}));
  cmd->add_option("--out", flags->out,
                  "Write to this file (published atomically) instead of standard output");
}

Result<std::unique_ptr<Lake>> OpenLakeFlag(const std::string& lake) {
  std::string uri = lake;
  if (uri.empty()) {
    ML_ASSIGN_OR_RETURN(auto config, CurrentConfig());
    uri = config->default_lake;
  }
  if (uri.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "--lake: no lake given and the config file sets no default_lake");
  }
  return Lake::Open(uri);
}

Result<std::unique_ptr<Dataset>> OpenExistingDataset(Lake& lake, const std::string& name) {
  ML_ASSIGN_OR_RETURN(auto ds, lake.OpenDataset(name));
  ML_ASSIGN_OR_RETURN(int64_t latest, ds->LatestVersion());
  if (latest == 0) {
    ML_ASSIGN_OR_RETURN(auto names, lake.ListDatasets());
    std::string have;
    for (const auto& n : names) have += (have.empty() ? "" : ", ") + n;
    return Error(ErrorCode::kNotFound,
                 fmt::format("{}: no dataset '{}' (datasets: {})", lake.root().display, name,
                             have.empty() ? "none" : have));
  }
  return ds;
}

Result<PartitionValues> ParsePartitionValues(const std::vector<std::string>& items) {
  PartitionValues values;
  for (const auto& item : items) {
    size_t start = 0;
    while (start <= item.size()) {
      size_t end = item.find('/', start);
      if (end == std::string::npos) end = item.size();
      std::string part = item.substr(start, end - start);
      start = end + 1;
      if (part.empty()) continue;
      size_t eq = part.find('=');
      if (eq == std::string::npos || eq == 0) {
        return Error(
            ErrorCode::kInvalidArgument,
            fmt::format("partition '{}': expected key=value (e.g. year=2024/month=03)", item));
      }
      std::string key = part.substr(0, eq);
      ML_RETURN_NOT_OK(ValidatePartitionKey(key));
      values.emplace_back(std::move(key), part.substr(eq + 1));
    }
  }
  return values;
}

std::string PartitionText(const PartitionValues& values) {
  std::string out;
  for (const auto& [k, v] : values) out += (out.empty() ? "" : "/") + k + "=" + v;
  return out.empty() ? "(all)" : out;
}

Result<Selection> ParseSelection(const SelectionFlags& flags) {
  Selection s;
  s.tz = flags.tz.empty() ? "UTC" : flags.tz;
  ML_ASSIGN_OR_RETURN(Zone zone, Zone::Make(s.tz));
  for (const auto& item : flags.symbols) {
    for (auto& sym : SplitList(item)) s.symbols.push_back(std::move(sym));
  }
  ML_ASSIGN_OR_RETURN(s.from_ns, ParseTimeFlag("--from", flags.from, zone));
  ML_ASSIGN_OR_RETURN(s.to_ns, ParseTimeFlag("--to", flags.to, zone));
  if (s.from_ns && s.to_ns && *s.from_ns >= *s.to_ns) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("--from {} is not before --to {} (--to is exclusive)",
                             FormatTimestampNanos(*s.from_ns), FormatTimestampNanos(*s.to_ns)));
  }
  if (!flags.session.empty() && flags.session != "all") {
    if (flags.session == "regular") {
      s.sessions = kRegularOnly;
    } else if (flags.session == "extended") {
      s.sessions = kExtendedHours;
    } else if (flags.session == "pre") {
      s.sessions = SessionBit(Session::kPreMarket);
    } else if (flags.session == "after") {
      s.sessions = SessionBit(Session::kAfterHours);
    } else {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("--session: '{}' (expected regular, extended, pre, after or all)",
                               flags.session));
    }
    if (!flags.calendar.empty()) {
      ML_ASSIGN_OR_RETURN(auto cal, LoadCalendarFile(flags.calendar));
      s.calendar = std::move(cal);
    } else {
      s.calendar = UsEquitiesCalendar();
    }
  } else if (!flags.calendar.empty()) {
    return Error(ErrorCode::kInvalidArgument, "--calendar: only used with --session");
  }
  return s;
}

void ApplySelection(const Selection& selection, LakeReadOptions* options) {
  options->symbols = selection.symbols;
  options->from_ns = selection.from_ns;
  options->to_ns = selection.to_ns;
  if (selection.calendar) {
    options->calendar = &*selection.calendar;
    options->sessions = selection.sessions;
  } else {
    options->calendar = nullptr;
    options->sessions = kAllSessions;
  }
}

Result<std::unique_ptr<BatchWriter>> OpenOutput(const OutputFlags& flags,
                                                std::shared_ptr<arrow::Schema> schema,
                                                const std::string& tz) {
  const bool to_stdout = flags.out.empty() || flags.out == "-";
  std::string format = flags.format;
  if (format.empty()) {
    if (to_stdout) {
      format = isatty(STDOUT_FILENO) == 1 ? "table" : "csv";
    } else {
      FileFormat from_path = FormatFromPath(flags.out);
      format = from_path == FileFormat::kAuto ? "table" : std::string(FormatName(from_path));
    }
  }
  ML_ASSIGN_OR_RETURN(Zone zone, Zone::Make(tz));
  if (format == "table") {
    return std::unique_ptr<BatchWriter>(
        std::make_unique<TableWriter>(std::move(schema), std::move(zone), flags.out));
  }
  ML_ASSIGN_OR_RETURN(FileFormat ff, ParseFileFormat(format));
  const std::string uri = to_stdout ? "-" : flags.out;
  if (ff == FileFormat::kParquet || zone.utc()) {
    return OpenBatchWriter(uri, std::move(schema), ff, WriteOptions{});
  }
  auto text_schema = TextSchema(*schema);
  ML_ASSIGN_OR_RETURN(auto inner, OpenBatchWriter(uri, text_schema, ff, WriteOptions{}));
  return std::unique_ptr<BatchWriter>(
      std::make_unique<ZonedWriter>(std::move(inner), text_schema, std::move(zone)));
}

Result<int64_t> ParseByteSize(const std::string& text, std::string_view flag) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  std::string unit = text.substr(i);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  int64_t mult = 0;
  if (unit.empty() || unit == "b") mult = 1;
  if (unit == "k" || unit == "kib") mult = int64_t{1} << 10;
  if (unit == "kb") mult = 1000;
  if (unit == "m" || unit == "mib") mult = int64_t{1} << 20;
  if (unit == "mb") mult = 1000 * 1000;
  if (unit == "g" || unit == "gib") mult = int64_t{1} << 30;
  if (unit == "gb") mult = 1000 * 1000 * 1000;
  if (i == 0 || i > 12 || mult == 0) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("{}: '{}' (expected a size such as 128MiB, 64MB, 1GiB or a number "
                             "of bytes)",
                             flag, text));
  }
  return std::stoll(text.substr(0, i)) * mult;
}

}  // namespace marketlake::cli
