// LakeReader: prune files, scan each with the combined predicate, k-way merge by (symbol, ts).
#include "marketlake/lake_read.h"

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/compute/expression.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>

#include "marketlake/common/bytes.h"
#include "marketlake/common/null_array.h"
#include "marketlake/filesystem.h"
#include "marketlake/lake/lake_internal.h"
#include "marketlake/lake/lake_store.h"
#include "marketlake/predicate.h"
#include "marketlake/schema.h"
#include "marketlake/timestamp.h"

namespace marketlake {

const Location& DatasetRoot(const Dataset& dataset) { return dataset.store_->root(); }

namespace {

namespace cp = arrow::compute;

constexpr int64_t kMinTs = std::numeric_limits<int64_t>::min();

// A position in (symbol, ts) order. Nulls sort last (as SortBySymbolTs writes them).
struct Key {
  bool sym_null = false;
  std::string_view sym;
  bool ts_null = false;
  int64_t ts = kMinTs;
};

int CompareKeys(const Key& a, const Key& b) {
  if (a.sym_null != b.sym_null) return a.sym_null ? 1 : -1;
  if (!a.sym_null) {
    const int c = internal::CompareBytes(a.sym, b.sym);
    if (c != 0) return c;
  }
  if (a.ts_null != b.ts_null) return a.ts_null ? 1 : -1;
  if (!a.ts_null && a.ts != b.ts) return a.ts < b.ts ? -1 : 1;
  return 0;
}

// (key, file order) < (key, file order).
bool KeyOrderLess(const Key& a, size_t order_a, const Key& b, size_t order_b) {
  int c = CompareKeys(a, b);
  if (c != 0) return c < 0;
  return order_a < order_b;
}

Literal StringLiteral(std::string text) {
  Literal l;
  l.kind = Literal::Kind::kString;
  l.string_value = std::move(text);
  return l;
}

PredicateNode CompareNode(std::string column, CompareOp op, Literal literal) {
  PredicateNode n;
  n.kind = PredicateNode::Kind::kCompare;
  n.column = std::move(column);
  n.op = op;
  n.literals.push_back(std::move(literal));
  return n;
}

std::optional<PredicateNode> AndOf(std::vector<PredicateNode> parts) {
  if (parts.empty()) return std::nullopt;
  if (parts.size() == 1) return std::move(parts[0]);
  PredicateNode n;
  n.kind = PredicateNode::Kind::kAnd;
  n.children = std::move(parts);
  return n;
}

std::string ColumnList(const arrow::Schema& schema) {
  std::string out;
  for (const auto& f : schema.fields()) out += (out.empty() ? "" : ", ") + f->name();
  return out;
}

// The schema of one file, without reading any data.
Result<std::shared_ptr<arrow::Schema>> FileSchema(const Location& loc) {
  ML_ASSIGN_OR_RETURN(auto in, OpenInputFile(loc));
  ML_ASSIGN_OR_RETURN(auto scanner, ParquetScanner::Open(in, loc.display, ScanOptions{}));
  return scanner->schema();
}

std::shared_ptr<arrow::DataType> Decoded(const std::shared_ptr<arrow::DataType>& type) {
  if (type->id() == arrow::Type::DICTIONARY) {
    return static_cast<const arrow::DictionaryType&>(*type).value_type();
  }
  return type;
}

void AddScanStats(const ScanStats& s, ScanStats* t) {
  t->row_groups_total += s.row_groups_total;
  t->row_groups_read += s.row_groups_read;
  t->row_groups_skipped_by_statistics += s.row_groups_skipped_by_statistics;
  t->row_groups_skipped_by_bloom_filter += s.row_groups_skipped_by_bloom_filter;
  t->pages_total += s.pages_total;
  t->pages_read += s.pages_read;
  t->pages_skipped += s.pages_skipped;
  t->bytes_total += s.bytes_total;
  t->bytes_read += s.bytes_read;
  t->bytes_skipped += s.bytes_skipped;
  t->rows_total += s.rows_total;
  t->rows_decoded += s.rows_decoded;
  t->rows_matched += s.rows_matched;
}

// A few threads that decode files ahead (LakeReadOptions::decode_threads). Tasks still queued
// when the pool is destroyed are dropped unrun (their futures then hold broken_promise, which
// no one waits for any more); running ones finish before the threads are joined.
class TaskPool {
 public:
  explicit TaskPool(int threads) {
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
  }
  ~TaskPool() {
    std::deque<std::function<void()>> dropped;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      dropped.swap(queue_);
    }
    changed_.notify_all();
    for (auto& t : workers_) t.join();
  }
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  template <typename F>
  auto Submit(F f) -> std::future<decltype(f())> {
    auto task = std::make_shared<std::packaged_task<decltype(f())()>>(std::move(f));
    auto future = task->get_future();
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back([task] { (*task)(); });
    }
    changed_.notify_one();
    return future;
  }

 private:
  void Work() {
    while (true) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        changed_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (stop_) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      job();
    }
  }

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

// One data file's scanner and what is needed to load its batches in order. Loads of one file
// run one at a time (on the reading thread or, with decode_threads, on the pool).
struct FileSource {
  std::string name;
  std::unique_ptr<ParquetScanner> scanner;
  bool post_filter = false;  // the user's predicate could not be pushed into the scanner
  std::shared_ptr<arrow::Schema> file_schema;  // what the scanner returns
  bool has_last = false;  // the last key of the previous batch loaded, to check the order
  std::string last_sym;
  Key last;
  std::atomic<bool> cancelled{false};  // the file is closed: a queued load need not read
};

// One loaded batch of a file in the working schema, with its key columns.
struct Loaded {
  std::shared_ptr<arrow::RecordBatch> batch;  // null at the end of the file
  std::shared_ptr<arrow::StringArray> sym;    // null when the dataset has no symbol column
  std::shared_ptr<arrow::Int64Array> ts;      // null when it has no ts column
  ScanStats scan;                             // the scanner's counts once it was loaded
};

// The (symbol, ts) key of row `i` of a loaded batch.
Key KeyOf(const Loaded& l, int64_t i) {
  Key k;
  if (l.sym) {
    k.sym_null = l.sym->IsNull(i);
    if (!k.sym_null) k.sym = l.sym->GetView(i);
  }
  if (l.ts) {
    k.ts_null = l.ts->IsNull(i);
    if (!k.ts_null) k.ts = l.ts->Value(i);
  }
  return k;
}

// One data file's stream of rows in the working schema, sorted by (symbol, ts).
struct Cursor {
  Cursor() = default;
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  // A load still running reads `source`: cancel it and wait before the source goes.
  ~Cursor() {
    if (source) source->cancelled = true;
    if (ahead.valid()) ahead.wait();
  }

  size_t order = 0;  // tie-breaker: position in (added_in_version, path) order
  std::unique_ptr<FileSource> source;
  Loaded cur;
  int64_t pos = 0;
  ScanStats scan;                     // as of the batch being merged
  std::future<Result<Loaded>> ahead;  // the next batch, loading on the pool

  Key KeyAt(int64_t i) const { return KeyOf(cur, i); }
  Key Head() const { return KeyAt(pos); }
  int64_t rows() const { return cur.batch ? cur.batch->num_rows() : 0; }
};

class LakeReaderImpl : public LakeReader {
 public:
  LakeReaderImpl(Dataset* dataset, LakeReadOptions options)
      : dataset_(dataset), options_(std::move(options)) {}
  ~LakeReaderImpl() override { StopPrefetch(); }
  LakeReaderImpl(const LakeReaderImpl&) = delete;
  LakeReaderImpl& operator=(const LakeReaderImpl&) = delete;

  Status Init() {
    if (options_.from_ns && options_.to_ns && *options_.from_ns >= *options_.to_ns) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("{}: the time range is empty: from {} is not before to {}",
                               dataset_->name(), FormatTimestampNanos(*options_.from_ns),
                               FormatTimestampNanos(*options_.to_ns)));
    }
    if (options_.batch_size <= 0) options_.batch_size = 64 * 1024;
    ML_ASSIGN_OR_RETURN(snapshot_, dataset_->GetSnapshot(options_.version));
    root_ = DatasetRoot(*dataset_);
    stats_.files_total = static_cast<int64_t>(snapshot_.files.size());

    // The newest file's schema is the dataset's schema.
    std::shared_ptr<arrow::Schema> newest;
    if (!snapshot_.files.empty()) {
      const DataFile* last = &snapshot_.files[0];
      for (const auto& f : snapshot_.files) {
        if (std::tie(f.added_in_version, f.path) > std::tie(last->added_in_version, last->path)) {
          last = &f;
        }
      }
      ML_ASSIGN_OR_RETURN(newest, FileSchema(root_.Child(last->path)));
    } else {
      newest = arrow::schema(arrow::FieldVector{});
    }
    arrow::FieldVector unified_fields;
    for (const auto& f : newest->fields()) {
      unified_fields.push_back(f->WithType(Decoded(f->type()))->WithNullable(true));
    }
    auto unified = arrow::schema(unified_fields);

    // Projection.
    std::vector<std::string> projection = options_.columns;
    if (projection.empty()) {
      for (const auto& f : unified->fields()) projection.push_back(f->name());
    }
    for (const auto& c : projection) {
      if (unified->GetFieldIndex(c) < 0) {
        return Error(ErrorCode::kNotFound,
                     fmt::format("{}: no column '{}' (columns: {})", dataset_->name(), c,
                                 unified->num_fields() ? ColumnList(*unified) : "none"));
      }
    }
    const bool has_symbol = unified->GetFieldIndex("symbol") >= 0;
    const bool has_ts = unified->GetFieldIndex("ts") >= 0;
    auto missing = [&](std::string_view column, std::string_view why) {
      return Error(ErrorCode::kMissingColumn,
                   fmt::format("{}: {} needs a '{}' column (columns: {})", dataset_->name(), why,
                               column, ColumnList(*unified)));
    };
    if (!snapshot_.files.empty()) {
      if (!options_.symbols.empty() && !has_symbol) return missing("symbol", "a symbol filter");
      if ((options_.from_ns || options_.to_ns) && !has_ts) return missing("ts", "a time range");
      if (options_.calendar && options_.sessions != kAllSessions && !has_ts) {
        return missing("ts", "a session filter");
      }
    }

    // Predicates: the selection (symbols, time) and the user's.
    std::vector<PredicateNode> selection;
    if (!options_.symbols.empty() && has_symbol) {
      PredicateNode in;
      in.kind = PredicateNode::Kind::kIn;
      in.column = "symbol";
      std::set<std::string> distinct(options_.symbols.begin(), options_.symbols.end());
      for (const auto& s : distinct) in.literals.push_back(StringLiteral(s));
      selection.push_back(std::move(in));
    }
    if (options_.from_ns && has_ts) {
      selection.push_back(CompareNode("ts", CompareOp::kGe,
                                      StringLiteral(FormatTimestampNanos(*options_.from_ns))));
    }
    if (options_.to_ns && has_ts) {
      selection.push_back(
          CompareNode("ts", CompareOp::kLt, StringLiteral(FormatTimestampNanos(*options_.to_ns))));
    }
    selection_where_ = AndOf(selection);
    std::vector<std::string> where_columns;
    if (!options_.where.empty()) {
      ML_ASSIGN_OR_RETURN(PredicateNode user, ParsePredicate(options_.where));
      ML_ASSIGN_OR_RETURN(BoundPredicate bound, BindPredicate(user, *unified));
      where_columns = ReferencedColumns(bound);
      user_filter_ = ToArrowExpression(bound);
      selection.push_back(std::move(user));
      where_columns_ = where_columns;
    }
    combined_where_ = AndOf(std::move(selection));

    // The working schema: the projection, then symbol, ts and the predicate's columns.
    arrow::FieldVector working;
    auto add = [&](const std::string& name) {
      for (const auto& f : working) {
        if (f->name() == name) return;
      }
      working.push_back(unified->GetFieldByName(name));
    };
    for (const auto& c : projection) add(c);
    if (has_symbol) add("symbol");
    if (has_ts) add("ts");
    for (const auto& c : where_columns) add(c);
    working_ = arrow::schema(working);
    for (const auto& c : projection) output_indices_.push_back(working_->GetFieldIndex(c));
    arrow::FieldVector out_fields;
    for (int i : output_indices_) out_fields.push_back(working_->field(i));
    output_schema_ = arrow::schema(out_fields);
    sym_index_ = working_->GetFieldIndex("symbol");
    ts_index_ = working_->GetFieldIndex("ts");
    if (user_filter_) {
      ML_ASSIGN_OR_RETURN(user_filter_bound_, user_filter_->Bind(*working_));
    }

    // Files.
    PruneFilter prune;
    if (has_symbol) prune.symbols = options_.symbols;
    if (has_ts) {
      prune.ts_min = options_.from_ns;
      if (options_.to_ns) prune.ts_max = *options_.to_ns - 1;
    }
    std::vector<DataFile> candidates = PrunePartitions(snapshot_, prune);
    stats_.files_pruned = stats_.files_total - static_cast<int64_t>(candidates.size());
    // Ties in (symbol, ts) go to the file committed first, then to the file written first
    // within its commit (the order of the commit's list of added files).
    ML_ASSIGN_OR_RETURN(auto history, dataset_->History());
    std::map<std::string, std::pair<int64_t, size_t>> written_order;
    for (const auto& commit : history) {
      if (commit.version > snapshot_.version) break;
      for (size_t i = 0; i < commit.added.size(); ++i) {
        written_order[commit.added[i].path] = {commit.version, i};
      }
    }
    std::sort(candidates.begin(), candidates.end(), [&](const DataFile& a, const DataFile& b) {
      return std::make_tuple(written_order[a.path], a.path) <
             std::make_tuple(written_order[b.path], b.path);
    });
    std::set<std::string> wanted(options_.symbols.begin(), options_.symbols.end());
    for (size_t i = 0; i < candidates.size(); ++i) {
      Pending p;
      p.file = std::move(candidates[i]);
      p.order = i;
      // A lower bound of the (symbol, ts) of any row of the file that can match.
      std::string lb_sym = p.file.min_symbol;
      bool at_min_symbol = true;
      if (has_symbol && !wanted.empty()) {
        auto it = wanted.lower_bound(p.file.min_symbol);
        if (it == wanted.end()) {
          lb_sym = p.file.min_symbol;  // cannot match; PrunePartitions was conservative
        } else {
          at_min_symbol = *it == p.file.min_symbol;
          lb_sym = *it;
        }
      }
      int64_t lb_ts = kMinTs;
      if (at_min_symbol && p.file.rows > 0 && p.file.min_ts <= p.file.max_ts) {
        lb_ts = p.file.min_ts;
      }
      if (options_.from_ns) lb_ts = std::max(lb_ts, *options_.from_ns);
      if (!has_symbol) lb_sym.clear();
      if (!has_ts) lb_ts = kMinTs;
      p.lb_sym = std::move(lb_sym);
      p.lb.sym = p.lb_sym;  // re-pointed after the move into pending_
      p.lb.ts = lb_ts;
      pending_.push_back(std::move(p));
    }
    std::sort(pending_.begin(), pending_.end(), [](const Pending& a, const Pending& b) {
      return std::tie(a.lb_sym, a.lb.ts, a.order) < std::tie(b.lb_sym, b.lb.ts, b.order);
    });
    for (auto& p : pending_) p.lb.sym = p.lb_sym;
    opening_.resize(pending_.size());
    if (options_.decode_threads > 0 && !pending_.empty()) {
      pool_ = std::make_unique<TaskPool>(options_.decode_threads);
    }
    return Status::OK();
  }

  std::shared_ptr<arrow::Schema> schema() const override { return output_schema_; }
  const LakeReadStats& stats() const override {
    return options_.prefetch ? delivered_stats_ : stats_;
  }
  const Snapshot& snapshot() const override { return snapshot_; }

  Result<std::shared_ptr<arrow::RecordBatch>> Next() override {
    if (!options_.prefetch) {
      auto result = NextImpl();
      RefreshStats();
      return result;
    }
    if (prefetch_done_) return std::shared_ptr<arrow::RecordBatch>();
    if (!worker_.joinable()) worker_ = std::thread([this] { Prefetch(); });
    Ahead next;
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait(lock, [this] { return !ahead_.empty(); });
      next = std::move(ahead_.front());
      ahead_.pop_front();
    }
    changed_.notify_all();
    delivered_stats_ = next.stats;
    if (!next.batch.ok() || *next.batch == nullptr) {
      prefetch_done_ = true;
      StopPrefetch();
    }
    return std::move(next.batch);
  }

 private:
  // A batch read ahead, with the statistics as of its end.
  struct Ahead {
    Result<std::shared_ptr<arrow::RecordBatch>> batch;
    LakeReadStats stats;
  };
  static constexpr size_t kAhead = 2;

  // The worker: reads until the end, an error or StopPrefetch().
  void Prefetch() {
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        changed_.wait(lock, [this] { return stop_ || ahead_.size() < kAhead; });
        if (stop_) return;
      }
      Ahead a{NextImpl(), {}};
      RefreshStats();
      a.stats = stats_;
      const bool last = !a.batch.ok() || *a.batch == nullptr;
      {
        std::lock_guard<std::mutex> lock(mu_);
        ahead_.push_back(std::move(a));
      }
      changed_.notify_all();
      if (last) return;
    }
  }

  void StopPrefetch() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    changed_.notify_all();
    if (worker_.joinable()) worker_.join();
    ahead_.clear();
  }

  struct Pending {
    DataFile file;
    size_t order = 0;
    std::string lb_sym;
    Key lb;
  };

  // Heap order: the smallest (key, order) on top.
  struct HeapGreater {
    bool operator()(const Cursor* a, const Cursor* b) const {
      return KeyOrderLess(b->Head(), b->order, a->Head(), a->order);
    }
  };

  int64_t Remaining() const {
    return options_.limit < 0 ? std::numeric_limits<int64_t>::max()
                              : options_.limit - stats_.rows_returned;
  }

  Result<std::shared_ptr<arrow::RecordBatch>> NextImpl() {
    std::vector<std::shared_ptr<arrow::RecordBatch>> pieces;
    int64_t rows = 0;
    const int64_t want = std::min(options_.batch_size, Remaining());
    while (rows < want) {
      // Open every file that may hold a row before the current smallest head.
      while (next_pending_ < pending_.size()) {
        const Pending& p = pending_[next_pending_];
        if (!heap_.empty()) {
          const Cursor* top = heap_.front();
          if (!KeyOrderLess(p.lb, p.order, top->Head(), top->order)) break;
        }
        ML_RETURN_NOT_OK(OpenFile(next_pending_));
        ++next_pending_;
      }
      if (heap_.empty()) break;
      std::pop_heap(heap_.begin(), heap_.end(), HeapGreater());
      Cursor* top = heap_.back();
      heap_.pop_back();
      // The run of `top` that precedes every other cursor's head and every unopened file.
      const Key* limit = nullptr;
      size_t limit_order = 0;
      if (!heap_.empty()) {
        limit_key_ = heap_.front()->Head();
        limit = &limit_key_;
        limit_order = heap_.front()->order;
      }
      if (next_pending_ < pending_.size()) {
        const Pending& p = pending_[next_pending_];
        if (!limit || KeyOrderLess(p.lb, p.order, *limit, limit_order)) {
          limit = &p.lb;
          limit_order = p.order;
        }
      }
      int64_t end = top->rows();
      if (limit) {
        // Rows before `limit`: equal keys go first when `top` comes first in file order.
        const bool include_equal = top->order < limit_order;
        int64_t lo = top->pos + 1;  // the head itself precedes `limit` (it was on top)
        int64_t hi = top->rows();
        while (lo < hi) {
          int64_t mid = lo + (hi - lo) / 2;
          int c = CompareKeys(top->KeyAt(mid), *limit);
          if (c < 0 || (c == 0 && include_equal)) {
            lo = mid + 1;
          } else {
            hi = mid;
          }
        }
        end = lo;
      }
      int64_t n = std::min(end - top->pos, want - rows);
      pieces.push_back(top->cur.batch->Slice(top->pos, n));
      rows += n;
      top->pos += n;
      if (top->pos >= top->rows()) {
        ML_ASSIGN_OR_RETURN(bool more, Advance(top));
        if (!more) {
          CloseCursor(top);
          if (!options_.coalesce) break;
          continue;
        }
      }
      heap_.push_back(top);
      std::push_heap(heap_.begin(), heap_.end(), HeapGreater());
      if (!options_.coalesce) break;  // one run per batch, not copied
    }
    if (rows == 0) {
      // The end (or the limit): release every open file.
      while (!heap_.empty()) {
        CloseCursor(heap_.back());
        heap_.pop_back();
      }
      return std::shared_ptr<arrow::RecordBatch>();
    }
    std::shared_ptr<arrow::RecordBatch> out;
    if (pieces.size() == 1) {
      out = pieces[0];
    } else {
      ML_ASSIGN_OR_RETURN(out, arrow::ConcatenateRecordBatches(pieces));
    }
    ML_ASSIGN_OR_RETURN(out, out->SelectColumns(output_indices_));
    out = arrow::RecordBatch::Make(output_schema_, out->num_rows(), out->columns());
    stats_.rows_returned += out->num_rows();
    return out;
  }

  // Opens pending_[i] and loads its first batch. With decode_threads, the next files in the
  // merge's order are opened on the pool meanwhile, and this one may already be.
  Status OpenFile(size_t i) {
    if (pool_) {
      const size_t until =
          std::min(pending_.size(), i + 1 + static_cast<size_t>(options_.decode_threads));
      for (; next_launch_ < until; ++next_launch_) {
        const Pending* p = &pending_[next_launch_];
        opening_[next_launch_] = pool_->Submit([this, p] { return OpenCursor(*p); });
      }
    }
    Result<std::unique_ptr<Cursor>> opened =
        opening_[i].valid() ? opening_[i].get() : OpenCursor(pending_[i]);
    ML_RETURN_NOT_OK(opened.status());
    std::unique_ptr<Cursor> cursor = std::move(opened).ValueUnsafe();
    ++stats_.files_read;
    Cursor* c = cursor.get();
    open_.push_back(std::move(cursor));
    if (!c->cur.batch) {
      CloseCursor(c);
      return Status::OK();
    }
    LoadAhead(c);
    heap_.push_back(c);
    std::push_heap(heap_.begin(), heap_.end(), HeapGreater());
    return Status::OK();
  }

  // A cursor over the file of `p` with its first batch loaded (none when nothing matches).
  // Touches no state of the reader but what Init() set, so it may run on the pool.
  Result<std::unique_ptr<Cursor>> OpenCursor(const Pending& p) const {
    auto cursor = std::make_unique<Cursor>();
    cursor->order = p.order;
    cursor->source = std::make_unique<FileSource>();
    FileSource* src = cursor->source.get();
    Location loc = root_.Child(p.file.path);
    src->name = loc.display;
    ML_ASSIGN_OR_RETURN(auto in, OpenInputFile(loc));
    ScanOptions scan;
    // Output batches are cut from these; small output batches need not mean small reads.
    scan.batch_size = std::max<int64_t>(options_.batch_size, 64 * 1024);
    for (const auto& f : working_->fields()) scan.columns.push_back(f->name());
    scan.where = combined_where_;
    // No scanner limit: a file that turns out unsorted needs all its rows, and a batch cut
    // short by a limit could hide that it is unsorted.
    auto scanner = ParquetScanner::Open(in, loc.display, scan);
    if (!scanner.ok() && (CodeOf(scanner.status()) == ErrorCode::kNotFound ||
                          CodeOf(scanner.status()) == ErrorCode::kMissingColumn)) {
      // An older file without some of the columns: project what it has; push the user's
      // predicate down only when every column it reads is there.
      ML_ASSIGN_OR_RETURN(auto file_schema, FileSchema(loc));
      scan.columns.clear();
      for (const auto& f : working_->fields()) {
        if (file_schema->GetFieldIndex(f->name()) >= 0) scan.columns.push_back(f->name());
      }
      bool all_there = true;
      for (const auto& c : where_columns_) {
        if (file_schema->GetFieldIndex(c) < 0) all_there = false;
      }
      if (!all_there) {
        scan.where = selection_where_;
        src->post_filter = true;
      }
      ML_ASSIGN_OR_RETURN(in, OpenInputFile(loc));
      scanner = ParquetScanner::Open(in, loc.display, scan);
    }
    ML_RETURN_NOT_OK(scanner.status());
    src->scanner = std::move(*scanner);
    src->file_schema = src->scanner->schema();
    ML_RETURN_NOT_OK(CheckUnifiable(*src));
    ML_ASSIGN_OR_RETURN(cursor->cur, Load(src));
    cursor->scan = cursor->cur.scan;
    return cursor;
  }

  // kSchemaMismatch unless every column the file has can be read as the working type.
  Status CheckUnifiable(const FileSource& src) const {
    for (const auto& f : src.file_schema->fields()) {
      auto target = working_->GetFieldByName(f->name());
      if (!target) continue;
      auto have = Decoded(f->type());
      if (have->Equals(*target->type())) continue;
      auto from = arrow::schema({f->WithType(have)->WithNullable(true)});
      auto to = arrow::schema({target});
      auto report = CheckCompatibility(*from, *to);
      if (!report.ok()) {
        return Error(ErrorCode::kSchemaMismatch,
                     fmt::format("{}: column '{}' is {}, which cannot be read as the dataset's "
                                 "{}: {}",
                                 src.name, f->name(), f->type()->ToString(),
                                 target->type()->ToString(), report.status().message()));
      }
    }
    return Status::OK();
  }

  // With decode_threads, starts loading the cursor's next batch on the pool.
  void LoadAhead(Cursor* c) {
    if (!pool_) return;
    FileSource* src = c->source.get();
    c->ahead = pool_->Submit([this, src] { return Load(src); });
  }

  // Moves the cursor to its file's next non-empty batch. False at the end of the file.
  Result<bool> Advance(Cursor* c) {
    Result<Loaded> next = c->ahead.valid() ? c->ahead.get() : Load(c->source.get());
    c->cur = Loaded{};
    c->pos = 0;
    ML_RETURN_NOT_OK(next.status());
    c->cur = std::move(next).ValueUnsafe();
    c->scan = c->cur.scan;
    if (!c->cur.batch) return false;
    LoadAhead(c);
    return true;
  }

  // The file's next non-empty batch (batch null at its end), checked to follow the previous
  // one in (symbol, ts) order.
  Result<Loaded> Load(FileSource* src) const {
    Loaded out;
    if (src->cancelled) return out;
    while (true) {
      ML_ASSIGN_OR_RETURN(auto raw, src->scanner->Next());
      if (!raw) break;
      ML_ASSIGN_OR_RETURN(auto batch, ToWorking(*src, raw));
      if (batch->num_rows() == 0) continue;
      out.batch = batch;
      ML_RETURN_NOT_OK(SetKeys(*src, &out));
      if (!CheckSorted(*src, out)) {
        if (src->has_last) {
          return Error(ErrorCode::kCorruption,
                       fmt::format("{}: rows are not sorted by (symbol, ts); the lake reader "
                                   "needs sorted files (rewrite them with compact)",
                                   src->name));
        }
        ML_RETURN_NOT_OK(ReadWholeSorted(src, &out));
      }
      const Key last = KeyOf(out, out.batch->num_rows() - 1);
      src->last_sym = std::string(last.sym);
      src->last = last;
      src->last.sym = src->last_sym;
      src->has_last = true;
      break;
    }
    out.scan = src->scanner->stats();
    return out;
  }

  // A file found unsorted in its first batch is read whole and sorted.
  Status ReadWholeSorted(FileSource* src, Loaded* l) const {
    std::vector<std::shared_ptr<arrow::RecordBatch>> all{l->batch};
    while (true) {
      ML_ASSIGN_OR_RETURN(auto raw, src->scanner->Next());
      if (!raw) break;
      ML_ASSIGN_OR_RETURN(auto batch, ToWorking(*src, raw));
      all.push_back(batch);
    }
    ML_ASSIGN_OR_RETURN(auto whole, arrow::ConcatenateRecordBatches(all));
    ML_ASSIGN_OR_RETURN(l->batch, SortBySymbolTs(whole));
    return SetKeys(*src, l);
  }

  static bool CheckSorted(const FileSource& src, const Loaded& l) {
    const int64_t rows = l.batch->num_rows();
    if (src.has_last && CompareKeys(src.last, KeyOf(l, 0)) > 0) return false;
    if (l.sym && l.ts && l.sym->null_count() == 0 && l.ts->null_count() == 0) {
      // No nulls (the usual case): compare the raw values, ts only within a symbol's run.
      const int64_t* ts = l.ts->raw_values();
      for (int64_t i = 1; i < rows; ++i) {
        const int c = internal::CompareBytes(l.sym->GetView(i), l.sym->GetView(i - 1));
        if (c < 0 || (c == 0 && ts[i - 1] > ts[i])) return false;
      }
      return true;
    }
    for (int64_t i = 1; i < rows; ++i) {
      if (CompareKeys(KeyOf(l, i - 1), KeyOf(l, i)) > 0) return false;
    }
    return true;
  }

  Status SetKeys(const FileSource& src, Loaded* l) const {
    l->sym.reset();
    l->ts.reset();
    if (sym_index_ >= 0) {
      auto col = l->batch->column(sym_index_);
      if (col->type_id() != arrow::Type::STRING) {
        ML_ASSIGN_OR_RETURN(col, cp::Cast(*col, arrow::utf8()));
      }
      l->sym = std::static_pointer_cast<arrow::StringArray>(col);
    }
    if (ts_index_ >= 0) {
      auto col = l->batch->column(ts_index_);
      switch (col->type_id()) {
        case arrow::Type::TIMESTAMP:
        case arrow::Type::INT64:
        case arrow::Type::DATE64:
        case arrow::Type::TIME64:
        case arrow::Type::DURATION: {
          auto data = col->data()->Copy();
          data->type = arrow::int64();
          l->ts = std::static_pointer_cast<arrow::Int64Array>(arrow::MakeArray(data));
          break;
        }
        default: {
          auto cast = cp::Cast(*col, arrow::int64());
          if (!cast.ok()) {
            return Error(ErrorCode::kDataType, fmt::format("{}: cannot order by ts of type {}",
                                                           src.name, col->type()->ToString()));
          }
          l->ts = std::static_pointer_cast<arrow::Int64Array>(*cast);
        }
      }
    }
    return Status::OK();
  }

  // A scanner batch in the working schema, filtered by what the scanner could not apply.
  Result<std::shared_ptr<arrow::RecordBatch>> ToWorking(
      const FileSource& src, const std::shared_ptr<arrow::RecordBatch>& raw) const {
    ML_ASSIGN_OR_RETURN(auto batch, ConformToSchema(raw, working_, src.name));
    if (src.post_filter && user_filter_bound_) {
      ML_ASSIGN_OR_RETURN(auto mask, cp::ExecuteScalarExpression(*user_filter_bound_, *working_,
                                                                 arrow::Datum(batch)));
      ML_ASSIGN_OR_RETURN(auto filtered, cp::Filter(batch, mask));
      batch = filtered.record_batch();
    }
    if (options_.calendar && options_.sessions != kAllSessions && ts_index_ >= 0 &&
        batch->num_rows() > 0) {
      ML_ASSIGN_OR_RETURN(auto sessions,
                          ClassifySessions(*batch->column(ts_index_), *options_.calendar));
      const auto& s = static_cast<const arrow::Int8Array&>(*sessions);
      arrow::BooleanBuilder keep;
      ML_RETURN_NOT_OK(keep.Reserve(s.length()));
      for (int64_t i = 0; i < s.length(); ++i) {
        keep.UnsafeAppend(s.IsValid(i) &&
                          (options_.sessions & (1u << static_cast<unsigned>(s.Value(i)))) != 0);
      }
      ML_ASSIGN_OR_RETURN(auto mask, keep.Finish());
      ML_ASSIGN_OR_RETURN(auto filtered, cp::Filter(batch, mask));
      batch = filtered.record_batch();
    }
    return batch;
  }

  // Counts the cursor's scan and closes its file (a load still running is cancelled).
  void CloseCursor(Cursor* c) {
    AddScanStats(c->scan, &closed_scan_);
    for (auto it = open_.begin(); it != open_.end(); ++it) {
      if (it->get() == c) {
        open_.erase(it);
        break;
      }
    }
  }

  void RefreshStats() {
    ScanStats total = closed_scan_;
    for (const auto& c : open_) AddScanStats(c->scan, &total);
    stats_.scan = total;
  }

  Dataset* dataset_;
  LakeReadOptions options_;
  Snapshot snapshot_;
  Location root_;
  LakeReadStats stats_;
  ScanStats closed_scan_;
  std::optional<PredicateNode> selection_where_;  // symbols and time only
  std::optional<PredicateNode> combined_where_;   // and the user's predicate
  std::vector<std::string> where_columns_;
  std::optional<cp::Expression> user_filter_;
  std::optional<cp::Expression> user_filter_bound_;  // bound to working_
  std::shared_ptr<arrow::Schema> working_;
  std::shared_ptr<arrow::Schema> output_schema_;
  std::vector<int> output_indices_;
  int sym_index_ = -1;
  int ts_index_ = -1;
  std::vector<Pending> pending_;  // candidate files by (lower bound, order)
  size_t next_pending_ = 0;
  std::vector<std::future<Result<std::unique_ptr<Cursor>>>> opening_;  // by pending_ index
  size_t next_launch_ = 0;  // pending_[next_launch_...] are not being opened on the pool
  std::vector<std::unique_ptr<Cursor>> open_;
  std::vector<Cursor*> heap_;
  Key limit_key_;
  // prefetch: the worker fills `ahead_`; Next() takes from it.
  std::thread worker_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Ahead> ahead_;
  bool stop_ = false;
  bool prefetch_done_ = false;
  LakeReadStats delivered_stats_;
  // Last, so it goes first: its threads are joined before anything their tasks read.
  std::unique_ptr<TaskPool> pool_;
};

}  // namespace

Result<std::unique_ptr<LakeReader>> LakeReader::Open(Dataset* dataset, LakeReadOptions options) {
  auto reader = std::make_unique<LakeReaderImpl>(dataset, std::move(options));
  ML_RETURN_NOT_OK(reader->Init());
  return std::unique_ptr<LakeReader>(std::move(reader));
}

Result<std::shared_ptr<arrow::RecordBatch>> ConformToSchema(
    const std::shared_ptr<arrow::RecordBatch>& batch, const std::shared_ptr<arrow::Schema>& schema,
    std::string_view name) {
  const int64_t n = batch->num_rows();
  std::vector<std::shared_ptr<arrow::Array>> columns;
  columns.reserve(static_cast<size_t>(schema->num_fields()));
  for (const auto& f : schema->fields()) {
    auto col = batch->GetColumnByName(f->name());
    if (!col) {
      ML_ASSIGN_OR_RETURN(col, internal::NullArray(f->type(), n));
    } else if (!col->type()->Equals(*f->type())) {
      auto cast = arrow::compute::Cast(*col, f->type());
      if (!cast.ok()) {
        return Error(
            ErrorCode::kSchemaMismatch,
            fmt::format("{}: column '{}' ({}) cannot be read as {}: {}", name, f->name(),
                        col->type()->ToString(), f->type()->ToString(), cast.status().message()));
      }
      col = *cast;
    }
    columns.push_back(std::move(col));
  }
  return arrow::RecordBatch::Make(schema, n, std::move(columns));
}

Result<std::shared_ptr<arrow::Table>> ReadLakeTable(Dataset* dataset, LakeReadOptions options) {
  ML_ASSIGN_OR_RETURN(auto reader, LakeReader::Open(dataset, std::move(options)));
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  while (true) {
    ML_ASSIGN_OR_RETURN(auto batch, reader->Next());
    if (!batch) break;
    batches.push_back(std::move(batch));
  }
  return arrow::Table::FromRecordBatches(reader->schema(), batches);
}

}  // namespace marketlake
