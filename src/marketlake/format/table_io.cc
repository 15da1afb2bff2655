#include "marketlake/table_io.h"

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/csv/api.h>
#include <arrow/filesystem/localfs.h>
#include <arrow/io/buffered.h>
#include <arrow/io/compressed.h>
#include <arrow/io/memory.h>
#include <arrow/io/stdio.h>
#include <arrow/ipc/writer.h>
#include <arrow/json/api.h>
#include <arrow/util/compression.h>
#include <parquet/arrow/reader.h>
#include <parquet/exception.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <utility>

#include <fmt/core.h>

#include "marketlake/filesystem.h"
#include "marketlake/format/tracked_file.h"

#include "marketlake/common/ascii.h"

namespace marketlake {
namespace {

using internal::AsciiLower;

bool IsGzip(std::string_view path) { return AsciiLower(path).ends_with(".gz"); }

// Counts the bytes that pass through, so the CLI can show progress against the file size.
class CountingInputStream final : public arrow::io::InputStream {
 public:
  CountingInputStream(std::shared_ptr<arrow::io::InputStream> in,
                      std::shared_ptr<std::atomic<int64_t>> counter)
      : in_(std::move(in)), counter_(std::move(counter)) {}
  arrow::Status Close() override { return in_->Close(); }
  bool closed() const override { return in_->closed(); }
  arrow::Result<int64_t> Tell() const override { return in_->Tell(); }
  arrow::Result<int64_t> Read(int64_t nbytes, void* out) override {
    ARROW_ASSIGN_OR_RAISE(auto n, in_->Read(nbytes, out));
    counter_->fetch_add(n, std::memory_order_relaxed);
    return n;
  }
  arrow::Result<std::shared_ptr<arrow::Buffer>> Read(int64_t nbytes) override {
    ARROW_ASSIGN_OR_RAISE(auto buf, in_->Read(nbytes));
    counter_->fetch_add(buf->size(), std::memory_order_relaxed);
    return buf;
  }

 private:
  std::shared_ptr<arrow::io::InputStream> in_;
  std::shared_ptr<std::atomic<int64_t>> counter_;
};

// Fails the read when a line (bytes between '\n') exceeds `limit`: text readers would
// otherwise grow their buffers to hold it, without bound.
class LineLimitedInputStream final : public arrow::io::InputStream {
 public:
  LineLimitedInputStream(std::shared_ptr<arrow::io::InputStream> in, int64_t limit)
      : in_(std::move(in)), limit_(limit) {}
  arrow::Status Close() override { return in_->Close(); }
  bool closed() const override { return in_->closed(); }
  arrow::Result<int64_t> Tell() const override { return in_->Tell(); }
  arrow::Result<int64_t> Read(int64_t nbytes, void* out) override {
    ARROW_ASSIGN_OR_RAISE(auto n, in_->Read(nbytes, out));
    ARROW_RETURN_NOT_OK(Check(static_cast<const char*>(out), n));
    return n;
  }
  arrow::Result<std::shared_ptr<arrow::Buffer>> Read(int64_t nbytes) override {
    ARROW_ASSIGN_OR_RAISE(auto buf, in_->Read(nbytes));
    ARROW_RETURN_NOT_OK(Check(reinterpret_cast<const char*>(buf->data()), buf->size()));
    return buf;
  }

 private:
  arrow::Status Check(const char* p, int64_t n) {
    const char* end = p + n;
    while (p < end) {
      const void* nl = std::memchr(p, '\n', static_cast<size_t>(end - p));
      const char* stop = nl ? static_cast<const char*>(nl) : end;
      offset_ += stop - p;
      if (offset_ - line_start_ > limit_) {
        return Error(ErrorCode::kCorruption,
                     fmt::format("a line longer than {} bytes starts at byte offset {}", limit_,
                                 line_start_));
      }
      if (nl) {
        line_start_ = ++offset_;
        p = stop + 1;
      } else {
        p = end;
      }
    }
    return arrow::Status::OK();
  }
  std::shared_ptr<arrow::io::InputStream> in_;
  int64_t limit_;
  int64_t line_start_ = 0;  // offset of the current line's first byte
  int64_t offset_ = 0;      // bytes checked so far
};

// Puts the file name in front of every error a reader reports, and calls parse errors
// what they are: the file's bytes are not what its format requires.
class NamedReader final : public arrow::RecordBatchReader {
 public:
  // `tracked` (Parquet inputs) tells a failed read of the file from undecodable bytes.
  NamedReader(std::shared_ptr<arrow::RecordBatchReader> inner, std::string name,
              std::shared_ptr<internal::TrackedFile> tracked = nullptr)
      : inner_(std::move(inner)), name_(std::move(name)), tracked_(std::move(tracked)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return inner_->schema(); }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    arrow::Status st;
    try {
      st = inner_->ReadNext(batch);
    } catch (const parquet::ParquetException& e) {
      return Error(ErrorCode::kCorruption, name_ + ": " + e.what());
    }
    if (st.ok()) return st;
    if (HasCategory(st)) return WithContext(st, name_);
    if (tracked_ != nullptr && !st.IsOutOfMemory()) {
      return internal::ReadOrDecodeError(*tracked_, name_, st.message());
    }
    if (st.IsInvalid() || st.IsIOError()) {
      return Error(st.IsInvalid() ? ErrorCode::kCorruption : ErrorCode::kIOError,
                   name_ + ": " + st.message());
    }
    return WithContext(st, name_);
  }
  arrow::Status Close() override { return inner_->Close(); }

 private:
  std::shared_ptr<arrow::RecordBatchReader> inner_;
  std::string name_;
  std::shared_ptr<internal::TrackedFile> tracked_;
};

// JSON has no timestamp type. Arrow's CSV reader recognises ISO-8601 text; for JSON lines
// this reader does the same: string columns whose every value in the first batch is an
// ISO-8601 timestamp become timestamp[ns, UTC] (values with offsets) or timestamp[ns]
// (values without), and later batches must hold timestamps there too.
class JsonTimestampReader final : public arrow::RecordBatchReader {
 public:
  static Result<std::shared_ptr<arrow::RecordBatchReader>> Make(
      std::shared_ptr<arrow::RecordBatchReader> inner, const arrow::Schema* explicit_schema) {
    auto reader = std::shared_ptr<JsonTimestampReader>(new JsonTimestampReader());
    reader->inner_ = std::move(inner);
    ML_RETURN_NOT_OK(reader->inner_->ReadNext(&reader->first_));
    auto schema = reader->inner_->schema();
    std::vector<std::shared_ptr<arrow::Field>> fields = schema->fields();
    reader->targets_.resize(fields.size());
    if (reader->first_) {
      for (size_t c = 0; c < fields.size(); ++c) {
        if (fields[c]->type()->id() != arrow::Type::STRING) continue;
        if (explicit_schema && explicit_schema->GetFieldByName(fields[c]->name())) continue;
        const auto& column = reader->first_->column(static_cast<int>(c));
        if (column->null_count() == column->length()) continue;
        for (auto type : {arrow::timestamp(arrow::TimeUnit::NANO, "UTC"),
                          arrow::timestamp(arrow::TimeUnit::NANO)}) {
          if (arrow::compute::Cast(*column, type).ok()) {
            reader->targets_[c] = type;
            fields[c] = fields[c]->WithType(type);
            break;
          }
        }
      }
    }
    reader->schema_ = arrow::schema(fields, schema->metadata());
    return reader;
  }

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    std::shared_ptr<arrow::RecordBatch> batch = std::move(first_);
    if (!batch) ML_RETURN_NOT_OK(inner_->ReadNext(&batch));
    if (!batch) {
      *out = nullptr;
      return arrow::Status::OK();
    }
    std::vector<std::shared_ptr<arrow::Array>> columns = batch->columns();
    for (size_t c = 0; c < columns.size(); ++c) {
      if (!targets_[c]) continue;
      auto cast = arrow::compute::Cast(*columns[c], targets_[c]);
      if (!cast.ok()) {
        return Error(
            ErrorCode::kCorruption,
            fmt::format("column '{}' held ISO-8601 timestamps in earlier rows: {}",
                        schema_->field(static_cast<int>(c))->name(), cast.status().message()));
      }
      columns[c] = *cast;
    }
    *out = arrow::RecordBatch::Make(schema_, batch->num_rows(), std::move(columns));
    return arrow::Status::OK();
  }

 private:
  JsonTimestampReader() = default;
  std::shared_ptr<arrow::RecordBatchReader> inner_;
  std::shared_ptr<arrow::RecordBatch> first_;
  std::shared_ptr<arrow::Schema> schema_;
  std::vector<std::shared_ptr<arrow::DataType>> targets_;
};

Result<std::shared_ptr<arrow::RecordBatchReader>> OpenParquetReader(
    const Location& loc, const ReadFileOptions& options,
    const std::shared_ptr<internal::TrackedFile>& file) {
  try {
    parquet::ArrowReaderProperties arrow_props;
    arrow_props.set_batch_size(options.batch_rows);
    arrow_props.set_pre_buffer(true);
    arrow_props.set_use_threads(options.use_threads);
    parquet::arrow::FileReaderBuilder builder;
    auto reader_props = parquet::default_reader_properties();
    // Pages written with checksums are verified, so damaged bytes are reported, not decoded.
    reader_props.set_page_checksum_verification(true);
    auto st = builder.Open(file, reader_props);
    if (!st.ok()) {
      return Error(ErrorCode::kCorruption,
                   loc.display + ": not a readable Parquet file: " + st.message());
    }
    builder.properties(arrow_props);
    auto reader = builder.Build();
    if (!reader.ok()) return WithContext(reader.status(), loc.display);
    auto batches = (*reader)->GetRecordBatchReader();
    if (!batches.ok()) return WithContext(batches.status(), loc.display);
    // The batch reader keeps the file reader alive through the shared_ptr it returns.
    std::shared_ptr<parquet::arrow::FileReader> owner = std::move(*reader);
    struct Holder final : arrow::RecordBatchReader {
      std::shared_ptr<parquet::arrow::FileReader> owner;
      std::shared_ptr<arrow::RecordBatchReader> inner;
      std::shared_ptr<arrow::Schema> schema() const override { return inner->schema(); }
      arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* b) override {
        return inner->ReadNext(b);
      }
    };
    auto holder = std::make_shared<Holder>();
    holder->owner = std::move(owner);
    holder->inner = std::shared_ptr<arrow::RecordBatchReader>(std::move(*batches));
    return holder;
  } catch (const parquet::ParquetException& e) {
    return Error(ErrorCode::kCorruption, loc.display + ": " + e.what());
  }
}

}  // namespace

Result<FileFormat> ParseFileFormat(std::string_view name) {
  const std::string n = AsciiLower(name);
  if (n == "csv") return FileFormat::kCsv;
  if (n == "jsonl" || n == "json" || n == "ndjson") return FileFormat::kJsonLines;
  if (n == "parquet" || n == "pq") return FileFormat::kParquet;
  return Error(ErrorCode::kInvalidArgument,
               fmt::format("unknown format '{}' (expected csv, jsonl or parquet)", name));
}

FileFormat FormatFromPath(std::string_view path) {
  std::string p = AsciiLower(path);
  if (p.ends_with(".gz")) p.resize(p.size() - 3);
  if (p.ends_with(".csv") || p.ends_with(".tsv")) return FileFormat::kCsv;
  if (p.ends_with(".jsonl") || p.ends_with(".ndjson") || p.ends_with(".json")) {
    return FileFormat::kJsonLines;
  }
  if (p.ends_with(".parquet") || p.ends_with(".pq")) return FileFormat::kParquet;
  return FileFormat::kAuto;
}

std::string_view FormatName(FileFormat format) {
  switch (format) {
    case FileFormat::kCsv:
      return "csv";
    case FileFormat::kJsonLines:
      return "jsonl";
    case FileFormat::kParquet:
      return "parquet";
    case FileFormat::kAuto:
      break;
  }
  return "auto";
}

namespace {

// The column names in the first line of CSV text (RFC 4180 quoting: a doubled quote inside
// a quoted field is one quote). kCorruption when the text holds no complete line (a header
// longer than the block).
Result<std::vector<std::string>> CsvHeaderNames(std::string_view text, char delimiter,
                                                const std::string& where) {
  std::vector<std::string> names;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c != '"') {
        cur += c;
      } else if (i + 1 < text.size() && text[i + 1] == '"') {
        cur += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == delimiter) {
      names.push_back(std::move(cur));
      cur.clear();
    } else if (c == '\n' || c == '\r') {
      names.push_back(std::move(cur));
      return names;
    } else {
      cur += c;
    }
  }
  if (text.empty()) return names;  // an empty file: the reader reports it
  return Error(ErrorCode::kCorruption,
               fmt::format("{}: the header line is longer than {} bytes or unterminated", where,
                           text.size()));
}

// Where Arrow's CSV reader ends a block read from the stream: after the last line end.
size_t BlockCut(const arrow::Buffer& buffer) {
  const auto* p = reinterpret_cast<const char*>(buffer.data());
  for (int64_t i = buffer.size(); i > 0; --i) {
    if (p[i - 1] == '\n' || p[i - 1] == '\r') return static_cast<size_t>(i);
  }
  return 0;
}

// CSV parsed on several threads. The stream is cut where Arrow's streaming reader cuts it
// (after the last line end of each block_bytes read; values hold no newlines), so the
// batches are the ones the serial reader returns. The first block goes through Arrow's
// streaming reader as it is (header, type inference, its errors); the later blocks are parsed
// as independent CSV with the first block's column names and types, which is what the
// streaming reader does with them too (types are fixed by the first block). Batches come
// out in order. A block that fails to parse is read again by the serial reader, so errors
// carry the serial reader's row numbers and messages exactly.
class ParallelCsvReader final : public arrow::RecordBatchReader {
 public:
  using OpenSerial = std::function<Result<std::shared_ptr<arrow::RecordBatchReader>>()>;

  // kCorruption (with `display`) for what the serial reader's Make reports.
  static Result<std::shared_ptr<ParallelCsvReader>> Make(
      std::shared_ptr<arrow::io::InputStream> stream, const std::string& display,
      const arrow::csv::ReadOptions& read, const arrow::csv::ParseOptions& parse,
      const arrow::csv::ConvertOptions& convert, OpenSerial serial) {
    auto r = std::shared_ptr<ParallelCsvReader>(new ParallelCsvReader());
    r->stream_ = std::move(stream);
    r->block_bytes_ = read.block_size;
    r->serial_ = std::move(serial);
    r->window_ = std::max(2u, std::thread::hardware_concurrency());
    // The first block: whole lines of the first read (or everything, at the end of input).
    std::shared_ptr<arrow::Buffer> first;
    auto corrupt = [&](const arrow::Status& st) {
      return Error(ErrorCode::kCorruption, display + ": " + st.message());
    };
    if (auto st = r->NextBlock(&first); !st.ok()) return corrupt(st);
    auto first_read = read;
    first_read.use_threads = false;
    auto csv = arrow::csv::StreamingReader::Make(
        arrow::io::default_io_context(),
        std::make_shared<arrow::io::BufferReader>(
            first ? first : std::make_shared<arrow::Buffer>(nullptr, 0)),
        first_read, parse, convert);
    if (!csv.ok()) return corrupt(csv.status());
    r->schema_ = (*csv)->schema();
    // A failure to decode the rest of the first block surfaces from ReadNext, as it would.
    r->first_ = *csv;
    r->read_ = read;
    r->read_.use_threads = false;
    r->read_.column_names = r->schema_->field_names();
    r->read_.autogenerate_column_names = false;
    r->read_.skip_rows = 0;
    r->read_.skip_rows_after_names = 0;
    r->parse_ = parse;
    r->convert_ = convert;
    for (const auto& f : r->schema_->fields()) r->convert_.column_types[f->name()] = f->type();
    return r;
  }

  ~ParallelCsvReader() override {
    for (auto& f : inflight_) f.wait();
  }

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    *out = nullptr;
    if (!failed_.ok()) return failed_;
    if (first_) {
      std::shared_ptr<arrow::RecordBatch> batch;
      auto st = first_->ReadNext(&batch);
      if (!st.ok()) return Fail(st);
      if (batch) {
        *out = Rewrap(batch);
        return arrow::Status::OK();
      }
      first_.reset();
    }
    while (true) {
      if (!ready_.empty()) {
        *out = std::move(ready_.front());
        ready_.pop_front();
        Fill();
        return arrow::Status::OK();
      }
      Fill();
      if (inflight_.empty()) {
        if (!read_error_.ok()) return Fail(read_error_);
        return arrow::Status::OK();
      }
      auto parsed = inflight_.front().get();
      inflight_.pop_front();
      if (!parsed.ok()) return Fail(parsed.status());
      for (auto& b : *parsed) ready_.push_back(Rewrap(b));
    }
  }

 private:
  ParallelCsvReader() = default;

  // Room kept in front of each read for the unfinished line of the read before it, so that
  // a block (that line, then the read up to its last line end) is contiguous without
  // copying the read. Longer unfinished lines are concatenated instead.
  static constexpr int64_t kHeadroom = 64 << 10;

  // The next read of block_bytes from the stream, after kHeadroom bytes of room; null at the
  // end of input.
  arrow::Status ReadAhead(std::shared_ptr<arrow::ResizableBuffer>* out) {
    *out = nullptr;
    ARROW_ASSIGN_OR_RAISE(auto buf, arrow::AllocateResizableBuffer(kHeadroom + block_bytes_));
    ARROW_ASSIGN_OR_RAISE(const int64_t n,
                          stream_->Read(block_bytes_, buf->mutable_data() + kHeadroom));
    if (n == 0) return arrow::Status::OK();
    ARROW_RETURN_NOT_OK(buf->Resize(kHeadroom + n, /*shrink_to_fit=*/false));
    *out = std::move(buf);
    return arrow::Status::OK();
  }

  // `carry_` followed by the first `cut` bytes read into `buf`: written into the room in
  // front of the read when it fits, else concatenated.
  arrow::Result<std::shared_ptr<arrow::Buffer>> AfterCarry(
      const std::shared_ptr<arrow::ResizableBuffer>& buf, int64_t cut) const {
    const int64_t c = carry_ ? carry_->size() : 0;
    if (c > kHeadroom) {
      return arrow::ConcatenateBuffers({carry_, arrow::SliceBuffer(buf, kHeadroom, cut)});
    }
    if (c > 0) std::memcpy(buf->mutable_data() + kHeadroom - c, carry_->data(), c);
    return arrow::SliceBuffer(buf, kHeadroom - c, c + cut);
  }

  // The next block of whole lines; null at the end of input. As in Arrow's block reader, a
  // read is cut after its last line end, except the last read of the input, which is whole
  // (so one read is kept ahead to know which is the last).
  arrow::Status NextBlock(std::shared_ptr<arrow::Buffer>* block) {
    *block = nullptr;
    while (!eof_) {
      if (!pending_) {
        ARROW_RETURN_NOT_OK(ReadAhead(&pending_));
        if (!pending_) {
          eof_ = true;
          break;
        }
      }
      std::shared_ptr<arrow::ResizableBuffer> next;
      ARROW_RETURN_NOT_OK(ReadAhead(&next));
      std::shared_ptr<arrow::ResizableBuffer> buf = std::move(pending_);
      pending_ = std::move(next);
      eof_ = pending_ == nullptr;
      auto read = arrow::SliceBuffer(buf, kHeadroom);
      const auto cut = static_cast<int64_t>(eof_ ? read->size() : BlockCut(*read));
      if (cut == 0) {  // no line end: the line continues in the next read
        if (carry_ && carry_->size() > 0) {
          ARROW_ASSIGN_OR_RAISE(carry_, arrow::ConcatenateBuffers({carry_, read}));
        } else {
          carry_ = read;
        }
        continue;
      }
      ARROW_ASSIGN_OR_RAISE(*block, AfterCarry(buf, cut));
      carry_ = arrow::SliceBuffer(read, cut);
      return arrow::Status::OK();
    }
    if (carry_ && carry_->size() > 0) *block = std::move(carry_);
    carry_.reset();
    return arrow::Status::OK();
  }

  // Starts parsing blocks until `window_` are in flight or the input ends.
  void Fill() {
    while (read_error_.ok() && inflight_.size() + ready_.size() < window_ && !done_) {
      std::shared_ptr<arrow::Buffer> block;
      read_error_ = NextBlock(&block);
      if (!read_error_.ok()) return;
      if (!block) {
        done_ = true;
        return;
      }
      inflight_.push_back(std::async(std::launch::async, &ParallelCsvReader::ParseBlock, block,
                                     read_, parse_, convert_));
    }
  }

  static arrow::Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> ParseBlock(
      std::shared_ptr<arrow::Buffer> block, arrow::csv::ReadOptions read,
      const arrow::csv::ParseOptions& parse, const arrow::csv::ConvertOptions& convert) {
    read.block_size = static_cast<int32_t>(
        std::min<int64_t>(block->size() + 1, std::numeric_limits<int32_t>::max()));
    ARROW_ASSIGN_OR_RAISE(
        auto reader, arrow::csv::StreamingReader::Make(
                         arrow::io::default_io_context(),
                         std::make_shared<arrow::io::BufferReader>(block), read, parse, convert));
    std::vector<std::shared_ptr<arrow::RecordBatch>> out;
    while (true) {
      std::shared_ptr<arrow::RecordBatch> batch;
      ARROW_RETURN_NOT_OK(reader->ReadNext(&batch));
      if (!batch) break;
      out.push_back(std::move(batch));
    }
    return out;
  }

  std::shared_ptr<arrow::RecordBatch> Rewrap(const std::shared_ptr<arrow::RecordBatch>& b) const {
    return arrow::RecordBatch::Make(schema_, b->num_rows(), b->columns());
  }

  // The serial reader's error for this input (it reads up to the failing row); `st` when
  // the serial reader does not fail.
  arrow::Status Fail(arrow::Status st) {
    for (auto& f : inflight_) f.wait();
    inflight_.clear();
    ready_.clear();
    first_.reset();
    if (serial_) {
      // When the input cannot be opened again (gone, or a stream), `st` is kept: the block's
      // error without the serial reader's row number beats an unrelated open error.
      auto serial = serial_();
      if (serial.ok()) {
        while (true) {
          std::shared_ptr<arrow::RecordBatch> batch;
          auto s = (*serial)->ReadNext(&batch);
          if (!s.ok()) {
            st = s;
            break;
          }
          if (!batch) break;
        }
      }
    }
    failed_ = st;
    return st;
  }

  std::shared_ptr<arrow::io::InputStream> stream_;
  int32_t block_bytes_ = 0;
  OpenSerial serial_;
  size_t window_ = 2;
  std::shared_ptr<arrow::Schema> schema_;
  std::shared_ptr<arrow::RecordBatchReader> first_;
  arrow::csv::ReadOptions read_;
  arrow::csv::ParseOptions parse_;
  arrow::csv::ConvertOptions convert_;
  std::shared_ptr<arrow::ResizableBuffer> pending_;  // the read after the one being cut
  std::shared_ptr<arrow::Buffer> carry_;             // a line begun in the previous read
  bool eof_ = false;
  bool done_ = false;
  arrow::Status read_error_;
  arrow::Status failed_;
  std::deque<std::future<arrow::Result<std::vector<std::shared_ptr<arrow::RecordBatch>>>>>
      inflight_;
  std::deque<std::shared_ptr<arrow::RecordBatch>> ready_;
};

// The stored bytes of a text file as a stream: counted into `counter`, decompressed,
// lines limited to the block size.
Result<std::shared_ptr<arrow::io::InputStream>> OpenTextStream(
    const Location& loc, const arrow::fs::FileInfo& info, const ReadFileOptions& options,
    std::shared_ptr<std::atomic<int64_t>> counter) {
  auto raw = loc.fs->OpenInputStream(info);
  if (!raw.ok()) return WithContext(raw.status(), loc.display);
  std::shared_ptr<arrow::io::InputStream> stream =
      std::make_shared<CountingInputStream>(*raw, std::move(counter));
  if (IsGzip(loc.path)) {
    ML_ASSIGN_OR_RETURN(auto codec, arrow::util::Codec::Create(arrow::Compression::GZIP));
    auto decompressed =
        arrow::io::CompressedInputStream::Make(codec.get(), stream, arrow::default_memory_pool());
    if (!decompressed.ok()) return WithContext(decompressed.status(), loc.display);
    // The stream borrows the codec; tie their lifetimes together.
    struct Owned final : arrow::io::InputStream {
      std::unique_ptr<arrow::util::Codec> codec;
      std::shared_ptr<arrow::io::InputStream> in;
      arrow::Status Close() override { return in->Close(); }
      bool closed() const override { return in->closed(); }
      arrow::Result<int64_t> Tell() const override { return in->Tell(); }
      arrow::Result<int64_t> Read(int64_t n, void* out) override { return in->Read(n, out); }
      arrow::Result<std::shared_ptr<arrow::Buffer>> Read(int64_t n) override { return in->Read(n); }
    };
    auto owned = std::make_shared<Owned>();
    owned->codec = std::move(codec);
    owned->in = *decompressed;
    stream = owned;
  }

  return std::make_shared<LineLimitedInputStream>(stream, options.block_bytes);
}

// A CSV reader over `stream`: parallel (ParallelCsvReader) when `options.use_threads`, else
// Arrow's streaming reader.
// `raw`: Arrow's errors as they are (for ParallelCsvReader's fallback, whose errors are named
// by NamedReader), else named kCorruption.
Result<std::shared_ptr<arrow::RecordBatchReader>> OpenCsvReader(
    std::shared_ptr<arrow::io::InputStream> stream, const Location& loc,
    const arrow::fs::FileInfo& info, const ReadFileOptions& options, bool raw = false) {
  auto read = arrow::csv::ReadOptions::Defaults();
  read.block_size = options.block_bytes;
  read.use_threads = options.use_threads;
  auto parse = arrow::csv::ParseOptions::Defaults();
  parse.delimiter = options.delimiter;
  parse.newlines_in_values = false;
  auto convert = arrow::csv::ConvertOptions::Defaults();
  if (options.text_columns) {
    ML_ASSIGN_OR_RETURN(auto buffered,
                        arrow::io::BufferedInputStream::Create(
                            options.block_bytes, arrow::default_memory_pool(), stream));
    auto head = buffered->Peek(options.block_bytes);
    if (!head.ok()) return WithContext(head.status(), loc.display);
    ML_ASSIGN_OR_RETURN(auto names, CsvHeaderNames(*head, options.delimiter, loc.display));
    for (const auto& name : names) convert.column_types[name] = arrow::utf8();
    convert.strings_can_be_null = true;
    convert.null_values = {""};
    convert.quoted_strings_can_be_null = false;
    stream = buffered;
  }
  if (options.schema) {
    for (const auto& f : options.schema->fields()) convert.column_types[f->name()] = f->type();
  }
  if (options.use_threads) {
    ReadFileOptions serial_options = options;
    serial_options.use_threads = false;
    auto serial = [loc, info,
                   serial_options]() -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
      ML_ASSIGN_OR_RETURN(auto again, OpenTextStream(loc, info, serial_options,
                                                     std::make_shared<std::atomic<int64_t>>(0)));
      return OpenCsvReader(std::move(again), loc, info, serial_options, /*raw=*/true);
    };
    ML_ASSIGN_OR_RETURN(auto parallel, ParallelCsvReader::Make(std::move(stream), loc.display, read,
                                                               parse, convert, serial));
    return parallel;
  }
  auto csv = arrow::csv::StreamingReader::Make(arrow::io::default_io_context(), stream, read, parse,
                                               convert);
  if (!csv.ok()) {
    if (raw) return csv.status();
    return Error(ErrorCode::kCorruption, loc.display + ": " + csv.status().message());
  }
  return *csv;
}

}  // namespace

Result<OpenedInput> OpenBatchReader(std::string_view uri, const ReadFileOptions& options) {
  ML_ASSIGN_OR_RETURN(Location loc, ResolveLocation(uri));
  auto info = loc.fs->GetFileInfo(loc.path);
  if (!info.ok()) return WithContext(info.status(), loc.display);
  if (info->type() == arrow::fs::FileType::NotFound) {
    return Error(ErrorCode::kNotFound, loc.display + ": no such file");
  }
  if (info->type() != arrow::fs::FileType::File) {
    return Error(ErrorCode::kInvalidArgument, loc.display + ": not a file");
  }
  FileFormat format = options.format;
  if (format == FileFormat::kAuto) format = FormatFromPath(loc.path);
  if (format == FileFormat::kAuto) {
    return Error(
        ErrorCode::kInvalidArgument,
        loc.display + ": cannot tell the format from the name (use --from csv|jsonl|parquet)");
  }
  OpenedInput opened;
  opened.size = info->size();
  opened.bytes_read = std::make_shared<std::atomic<int64_t>>(0);
  if (format == FileFormat::kParquet) {
    if (IsGzip(loc.path)) {
      return Error(
          ErrorCode::kInvalidArgument,
          loc.display + ": Parquet compresses inside the file; gzip around it is not read");
    }
    auto raw = loc.fs->OpenInputFile(*info);
    if (!raw.ok()) return WithContext(raw.status(), loc.display);
    auto tracked = std::make_shared<internal::TrackedFile>(*raw);
    tracked->set_size(info->size());
    ML_ASSIGN_OR_RETURN(auto reader, OpenParquetReader(loc, options, tracked));
    opened.reader = std::make_shared<NamedReader>(std::move(reader), loc.display, tracked);
    return opened;
  }

  ML_ASSIGN_OR_RETURN(auto stream, OpenTextStream(loc, *info, options, opened.bytes_read));
  std::shared_ptr<arrow::RecordBatchReader> reader;
  if (format == FileFormat::kCsv) {
    ML_ASSIGN_OR_RETURN(reader, OpenCsvReader(std::move(stream), loc, *info, options));
  } else {
    auto read = arrow::json::ReadOptions::Defaults();
    read.block_size = options.block_bytes;
    read.use_threads = options.use_threads;
    auto parse = arrow::json::ParseOptions::Defaults();
    if (options.schema) {
      parse.explicit_schema = options.schema;
      parse.unexpected_field_behavior = arrow::json::UnexpectedFieldBehavior::InferType;
    }
    auto json = arrow::json::StreamingReader::Make(stream, read, parse);
    if (!json.ok()) {
      return Error(ErrorCode::kCorruption, loc.display + ": " + json.status().message());
    }
    // A first batch that fails to parse is reported below, with the file's name.
    auto typed = JsonTimestampReader::Make(*json, options.schema.get());
    if (!typed.ok()) {
      return Error(ErrorCode::kCorruption, loc.display + ": " + typed.status().message());
    }
    reader = *typed;
  }
  opened.reader = std::make_shared<NamedReader>(std::move(reader), loc.display);
  return opened;
}

Result<std::shared_ptr<arrow::RecordBatch>> DecodeDictionaries(
    const std::shared_ptr<arrow::RecordBatch>& batch) {
  bool any = false;
  for (const auto& f : batch->schema()->fields()) {
    any |= f->type()->id() == arrow::Type::DICTIONARY;
  }
  if (!any) return batch;
  std::vector<std::shared_ptr<arrow::Array>> columns;
  std::vector<std::shared_ptr<arrow::Field>> fields;
  for (int i = 0; i < batch->num_columns(); ++i) {
    auto field = batch->schema()->field(i);
    auto column = batch->column(i);
    if (field->type()->id() == arrow::Type::DICTIONARY) {
      auto value_type = static_cast<const arrow::DictionaryType&>(*field->type()).value_type();
      ML_ASSIGN_OR_RETURN(auto decoded, arrow::compute::Cast(*column, value_type));
      column = decoded;
      field = field->WithType(value_type);
    }
    columns.push_back(std::move(column));
    fields.push_back(std::move(field));
  }
  return arrow::RecordBatch::Make(arrow::schema(fields, batch->schema()->metadata()),
                                  batch->num_rows(), columns);
}

namespace {

bool IsList(const arrow::DataType& type) {
  return type.id() == arrow::Type::LIST || type.id() == arrow::Type::LARGE_LIST;
}

// CSV has no lists: a list is written as its elements joined by ',' (so the cell "AAPL,MSFT"
// reads back as the list the import accepts); a null element is written as empty.
Result<std::shared_ptr<arrow::RecordBatch>> ListsToText(
    const std::shared_ptr<arrow::RecordBatch>& batch) {
  std::vector<std::shared_ptr<arrow::Array>> columns = batch->columns();
  std::vector<std::shared_ptr<arrow::Field>> fields = batch->schema()->fields();
  bool any = false;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (!IsList(*columns[i]->type())) continue;
    any = true;
    ML_ASSIGN_OR_RETURN(auto as_text,
                        arrow::compute::Cast(*columns[i], arrow::list(arrow::utf8())));
    const auto& lists = static_cast<const arrow::ListArray&>(*as_text);
    const auto& values = static_cast<const arrow::StringArray&>(*lists.values());
    arrow::StringBuilder out;
    ML_RETURN_NOT_OK(out.Reserve(lists.length()));
    std::string cell;
    for (int64_t r = 0; r < lists.length(); ++r) {
      if (lists.IsNull(r)) {
        ML_RETURN_NOT_OK(out.AppendNull());
        continue;
      }
      cell.clear();
      for (int64_t k = lists.value_offset(r); k < lists.value_offset(r + 1); ++k) {
        if (k > lists.value_offset(r)) cell += ',';
        if (values.IsValid(k)) cell.append(values.GetView(k));
      }
      ML_RETURN_NOT_OK(out.Append(cell));
    }
    ML_ASSIGN_OR_RETURN(columns[i], out.Finish());
    fields[i] = fields[i]->WithType(arrow::utf8());
  }
  if (!any) return batch;
  return arrow::RecordBatch::Make(arrow::schema(fields, batch->schema()->metadata()),
                                  batch->num_rows(), std::move(columns));
}

std::shared_ptr<arrow::Schema> DecodedSchema(const arrow::Schema& schema) {
  std::vector<std::shared_ptr<arrow::Field>> fields;
  for (const auto& f : schema.fields()) {
    if (IsList(*f->type())) {
      fields.push_back(f->WithType(arrow::utf8()));  // ListsToText
    } else if (f->type()->id() == arrow::Type::DICTIONARY) {
      fields.push_back(
          f->WithType(static_cast<const arrow::DictionaryType&>(*f->type()).value_type()));
    } else {
      fields.push_back(f);
    }
  }
  return arrow::schema(fields, schema.metadata());
}

// Where bytes go, and how they are published.
class Destination {
 public:
  static Result<std::unique_ptr<Destination>> Open(std::string_view uri) {
    std::unique_ptr<Destination> d(new Destination());
    if (uri == "-") {
      d->stream_ = std::make_shared<arrow::io::StdoutStream>();
      d->display_ = "<stdout>";
      return d;
    }
    ML_ASSIGN_OR_RETURN(Location loc, ResolveLocation(uri));
    d->display_ = loc.display;
    d->fs_ = loc.fs;
    d->final_path_ = loc.path;
    if (loc.fs->type_name() == "local") {
      // Write beside the destination so the final rename stays on one filesystem.
      std::filesystem::path p(loc.path);
      static std::atomic<int> counter{0};
      d->temp_path_ = (p.parent_path() / fmt::format(".{}.tmp-{}-{}", p.filename().string(),
                                                     getpid(), counter.fetch_add(1)))
                          .string();
      auto st = loc.fs->CreateDir(p.parent_path().string(), true);
      if (!st.ok()) return WithContext(st, d->display_);
    }
    if (d->temp_path_.empty()) {
      // Object stores publish on Close; OpenOutputStream also refuses places whose
      // settings Arrow cannot honour on writes (e.g. SSE-KMS).
      ML_ASSIGN_OR_RETURN(d->stream_, OpenOutputStream(loc));
      return d;
    }
    auto out = loc.fs->OpenOutputStream(d->temp_path_);
    if (!out.ok()) return WithContext(out.status(), d->display_);
    d->stream_ = *out;
    return d;
  }

  ~Destination() {
    if (published_ || fs_ == nullptr) return;
    (void)stream_->Abort();
    if (!temp_path_.empty()) (void)fs_->DeleteFile(temp_path_);
  }

  const std::shared_ptr<arrow::io::OutputStream>& stream() const { return stream_; }
  const std::string& display() const { return display_; }

  // The stream must already be closed by its user (writers close what they wrap).
  Status Publish() {
    if (fs_ == nullptr) {
      published_ = true;
      return Status::OK();
    }
    if (!stream_->closed()) ML_RETURN_NOT_OK(WithContext(stream_->Close(), display_));
    if (!temp_path_.empty()) {
      ML_RETURN_NOT_OK(WithContext(fs_->Move(temp_path_, final_path_), display_));
    }
    published_ = true;
    return Status::OK();
  }

 private:
  Destination() = default;
  std::shared_ptr<arrow::fs::FileSystem> fs_;
  std::shared_ptr<arrow::io::OutputStream> stream_;
  std::string display_;
  std::string final_path_;
  std::string temp_path_;
  bool published_ = false;
};

// Optionally gzip-compresses the destination's stream.
Result<std::shared_ptr<arrow::io::OutputStream>> MaybeGzip(
    std::string_view uri, const std::shared_ptr<arrow::io::OutputStream>& raw,
    std::unique_ptr<arrow::util::Codec>* codec) {
  if (!IsGzip(uri)) return raw;
  ML_ASSIGN_OR_RETURN(*codec, arrow::util::Codec::Create(arrow::Compression::GZIP));
  return arrow::io::CompressedOutputStream::Make(codec->get(), raw);
}

class ParquetBatchWriter final : public BatchWriter {
 public:
  ParquetBatchWriter(std::unique_ptr<Destination> dest, std::unique_ptr<ParquetWriter> writer)
      : dest_(std::move(dest)), writer_(std::move(writer)) {}
  Status Write(const arrow::RecordBatch& batch) override { return writer_->Write(batch); }
  Status Close() override {
    ML_RETURN_NOT_OK(writer_->Close());
    return dest_->Publish();
  }

 private:
  std::unique_ptr<Destination> dest_;
  std::unique_ptr<ParquetWriter> writer_;
};

class TextBatchWriter final : public BatchWriter {
 public:
  TextBatchWriter(std::unique_ptr<Destination> dest, std::unique_ptr<arrow::util::Codec> codec,
                  std::shared_ptr<arrow::io::OutputStream> out, FileFormat format,
                  std::shared_ptr<arrow::ipc::RecordBatchWriter> csv)
      : dest_(std::move(dest)),
        codec_(std::move(codec)),
        out_(std::move(out)),
        format_(format),
        csv_(std::move(csv)) {}

  Status Write(const arrow::RecordBatch& batch) override {
    if (batch.num_rows() == 0) return Status::OK();
    ML_ASSIGN_OR_RETURN(auto decoded, DecodeDictionaries(arrow::RecordBatch::Make(
                                          batch.schema(), batch.num_rows(), batch.columns())));
    if (format_ == FileFormat::kCsv) {
      ML_ASSIGN_OR_RETURN(decoded, ListsToText(decoded));
      return WithContext(csv_->WriteRecordBatch(*decoded), dest_->display());
    }
    buffer_.clear();
    ML_RETURN_NOT_OK(WriteJsonLines(*decoded, &buffer_));
    return WithContext(out_->Write(buffer_.data(), static_cast<int64_t>(buffer_.size())),
                       dest_->display());
  }

  Status Close() override {
    if (csv_) ML_RETURN_NOT_OK(WithContext(csv_->Close(), dest_->display()));
    if (out_ != dest_->stream()) ML_RETURN_NOT_OK(WithContext(out_->Close(), dest_->display()));
    if (dest_->display() == "<stdout>") return WithContext(out_->Flush(), "<stdout>");
    return dest_->Publish();
  }

 private:
  std::unique_ptr<Destination> dest_;
  std::unique_ptr<arrow::util::Codec> codec_;
  std::shared_ptr<arrow::io::OutputStream> out_;
  FileFormat format_;
  std::shared_ptr<arrow::ipc::RecordBatchWriter> csv_;
  std::string buffer_;
};

}  // namespace

Result<std::unique_ptr<BatchWriter>> OpenBatchWriter(std::string_view uri,
                                                     std::shared_ptr<arrow::Schema> schema,
                                                     FileFormat format,
                                                     const WriteOptions& parquet_options) {
  if (format == FileFormat::kAuto) format = FormatFromPath(uri);
  if (format == FileFormat::kAuto) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("{}: cannot tell the output format from the name (use --to "
                             "csv|jsonl|parquet)",
                             uri));
  }
  if (format == FileFormat::kParquet && IsGzip(uri)) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("{}: Parquet is compressed inside the file; use --compression", uri));
  }
  ML_ASSIGN_OR_RETURN(auto dest, Destination::Open(uri));
  if (format == FileFormat::kParquet) {
    ML_ASSIGN_OR_RETURN(auto writer, ParquetWriter::Open(std::move(schema), dest->stream(),
                                                         parquet_options, dest->display()));
    return std::make_unique<ParquetBatchWriter>(std::move(dest), std::move(writer));
  }
  std::unique_ptr<arrow::util::Codec> codec;
  ML_ASSIGN_OR_RETURN(auto out, MaybeGzip(uri, dest->stream(), &codec));
  std::shared_ptr<arrow::ipc::RecordBatchWriter> csv;
  if (format == FileFormat::kCsv) {
    auto csv_options = arrow::csv::WriteOptions::Defaults();
    csv_options.batch_size = 8192;
    auto made = arrow::csv::MakeCSVWriter(out, DecodedSchema(*schema), csv_options);
    if (!made.ok()) return WithContext(made.status(), dest->display());
    csv = *made;
  }
  return std::make_unique<TextBatchWriter>(std::move(dest), std::move(codec), std::move(out),
                                           format, std::move(csv));
}

}  // namespace marketlake
