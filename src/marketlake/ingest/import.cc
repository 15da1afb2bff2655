// The import pipeline (ingest.h): read, normalise, partition, buffer, deduplicate, write,
// commit.
#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/util/byte_size.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "marketlake/filesystem.h"
#include "marketlake/ingest.h"
#include "marketlake/ingest/ingest_internal.h"
#include "marketlake/lake_layout.h"
#include "marketlake/table_io.h"

namespace marketlake {
namespace {

std::string NewImportId() {
  using std::chrono::system_clock;
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(system_clock::now().time_since_epoch())
          .count();
  std::random_device rd;
  return fmt::format("{}-{:08x}", now, rd());
}

std::string_view BaseName(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  auto slash = path.find_last_of("/:");
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

void AddStats(NormalizeStats* into, const NormalizeStats& s) {
  into->rows_in += s.rows_in;
  into->rows_out += s.rows_out;
  into->rows_rejected += s.rows_rejected;
  into->ambiguous_times += s.ambiguous_times;
  for (const auto& v : s.violations) {
    auto it =
        std::find_if(into->violations.begin(), into->violations.end(),
                     [&](const RuleCount& r) { return r.rule == v.rule && r.column == v.column; });
    if (it == into->violations.end()) {
      into->violations.push_back(v);
    } else {
      it->rows += v.rows;
    }
  }
  if (into->renamed.empty()) into->renamed = s.renamed;
  if (into->dropped_columns.empty()) into->dropped_columns = s.dropped_columns;
  if (into->missing_optional.empty()) into->missing_optional = s.missing_optional;
  for (const auto& [k, u] : s.epoch_units) into->epoch_units.emplace(k, u);
}

// The rows buffered for one partition.
struct Buffer {
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  int64_t bytes = 0;
  int64_t last_batch = 0;  // Target::batches_added when rows last came
};

// At most this many background flushes at once; an idle partition waits for a free slot.
constexpr size_t kMaxBackgroundFlushes = 2;

// One lake dataset the import writes to.
struct Target {
  std::string name;
  DatasetSpec spec;
  std::shared_ptr<arrow::Schema> schema;
  std::unique_ptr<Dataset> dataset;  // null in a dry run
  std::unique_ptr<Partitioner> partitioner;
  int64_t base_version = 0;
  Snapshot base;  // the snapshot deduplication starts from

  std::mutex mu;  // guards everything below
  int64_t batches_added = 0;
  std::map<PartitionValues, Buffer> buffers;
  std::map<PartitionValues, std::unique_ptr<std::mutex>> flush_mu;  // one flush per partition
  std::map<PartitionValues, std::vector<DataFile>> written;         // by partition
  std::map<PartitionValues, std::shared_ptr<KeySet>> dry_keys;      // dry run: keys seen
  DatasetReport report;
};

class Importer {
 public:
  Importer(Lake* lake, const ImportOptions& options) : lake_(lake), options_(options) {
    append_.write = options.write;
    append_.sort = true;
    import_id_ = NewImportId();
  }

  Result<ImportReport> Run(const std::vector<SourceFile>& sources) {
    if (!lake_ && !options_.dry_run) {
      return Error(ErrorCode::kInvalidArgument, "import needs a lake (or a dry run)");
    }
    if (sources.empty()) return Error(ErrorCode::kInvalidArgument, "no sources to import");
    reports_.resize(sources.size());
    if (options_.progress) {
      options_.progress->files_total = static_cast<int64_t>(sources.size());
      int64_t total = 0;
      for (const auto& s : sources) total += std::max<int64_t>(0, s.size);
      options_.progress->bytes_total = total;
    }
    int threads = options_.parallelism > 0
                      ? options_.parallelism
                      : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    threads = std::min<int>(threads, static_cast<int>(sources.size()));
    std::atomic<size_t> next{0};
    std::mutex err_mu;
    Status first_error;
    std::atomic<bool> failed{false};
    auto worker = [&] {
      while (!failed) {
        size_t i = next++;
        if (i >= sources.size()) return;
        Status st = ImportSource(sources[i], &reports_[i]);
        if (!st.ok()) {
          std::lock_guard<std::mutex> lock(err_mu);
          if (first_error.ok()) first_error = st;
          failed = true;
          failed_source_ = sources[i].uri;
        }
        if (options_.progress) ++options_.progress->files_done;
      }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    Status background = WaitForBackgroundFlushes();
    if (first_error.ok()) first_error = background;
    if (first_error.ok()) first_error = FlushAll(threads);
    if (!first_error.ok()) {
      Abandon(first_error);
      return first_error;
    }
    ML_RETURN_NOT_OK(CommitAll());
    return MakeReport();
  }

 private:
  // ---- sources -------------------------------------------------------------------------

  Result<Target*> TargetFor(const std::string& name, const DatasetSpec& spec) {
    std::lock_guard<std::mutex> lock(targets_mu_);
    auto it = targets_.find(name);
    if (it != targets_.end()) return it->second.get();
    auto t = std::make_unique<Target>();
    t->name = name;
    t->spec = spec;
    t->schema = spec.ArrowSchema();
    t->report.dataset = name;
    if (lake_) {
      DatasetOptions dopts;
      dopts.layer = options_.layer;
      dopts.partition_spec = options_.partition_spec;
      auto opened = lake_->OpenDataset(name, dopts);
      if (!opened.ok() && !options_.partition_spec &&
          CodeOf(opened.status()) == ErrorCode::kInvalidArgument) {
        // An existing dataset keeps its recorded layer and partitioning.
        opened = lake_->OpenDataset(name, DatasetOptions{});
      }
      ML_RETURN_NOT_OK(opened.status());
      t->dataset = std::move(*opened);
      if (!options_.dry_run) {
        ML_ASSIGN_OR_RETURN(t->base_version, t->dataset->BeginWrite());
      } else {
        ML_ASSIGN_OR_RETURN(t->base_version, t->dataset->LatestVersion());
      }
      ML_ASSIGN_OR_RETURN(t->base, t->dataset->GetSnapshot(t->base_version));
      ML_RETURN_NOT_OK(CheckLakeSchema(*lake_, t->name, t->base, *t->schema).status());
      t->partitioner = std::make_unique<Partitioner>(t->dataset->partition_spec());
    } else {
      t->partitioner = std::make_unique<Partitioner>(
          options_.partition_spec.value_or(DefaultPartitionSpec(name)));
    }
    Target* raw = t.get();
    targets_.emplace(name, std::move(t));
    return raw;
  }

  Status ImportSource(const SourceFile& src, SourceReport* report) {
    report->source = src.uri;
    ReadFileOptions read = options_.read;
    read.text_columns = true;
    auto opened = OpenBatchReader(src.uri, read);
    if (!opened.ok()) return opened.status();
    report->bytes = std::max<int64_t>(0, opened->size);
    auto reader = opened->reader;
    ML_ASSIGN_OR_RETURN(auto named,
                        ResolveDataset(options_, src.uri, *reader->schema(), &report->detected_by));
    report->dataset = named.first;
    ML_ASSIGN_OR_RETURN(Target * target, TargetFor(named.first, named.second));
    NormalizeOptions nopts;
    nopts.mode = options_.mode;
    nopts.source_name = src.uri;
    nopts.tz = options_.tz;
    nopts.epoch_unit = options_.epoch_unit;
    nopts.check_unique_key = false;  // duplicates are skipped by the import, not rejected
    std::unique_ptr<BatchWriter> rejects;
    // Normalising and splitting a batch is independent of the others: up to `window` batches
    // are worked on at once while the reader parses the next; results are taken in order, so
    // rows, rejects and the first STRICT error come out as a serial import would give them.
    struct Done {
      NormalizedBatch norm;
      std::vector<PartitionedBatch> parts;
    };
    auto work = [target, nopts](std::shared_ptr<arrow::RecordBatch> batch,
                                int64_t row_offset) -> Result<Done> {
      NormalizeOptions o = nopts;
      o.row_offset = row_offset;
      Done done;
      ML_ASSIGN_OR_RETURN(done.norm, Normalize(target->spec, batch, o));
      if (done.norm.batch->num_rows() > 0) {
        ML_ASSIGN_OR_RETURN(done.parts,
                            target->partitioner->Split(done.norm.batch, /*sort=*/false));
      }
      return done;
    };
    auto take = [&](Result<Done> result) -> Status {
      ML_RETURN_NOT_OK(result.status());
      Done& done = *result;
      AddStats(&report->stats, done.norm.stats);
      const auto& rej = done.norm.rejects;
      if (rej && rej->num_rows() > 0) {
        report->rows_rejected += rej->num_rows();
        if (!rejects) {
          ML_ASSIGN_OR_RETURN(report->rejects_file, RejectsUri(*target, src));
          if (!report->rejects_file.empty()) {
            ML_ASSIGN_OR_RETURN(rejects, OpenBatchWriter(report->rejects_file, rej->schema(),
                                                         FileFormat::kCsv, {}));
          }
        }
        if (rejects) ML_RETURN_NOT_OK(rejects->Write(*rej));
      }
      return AddParts(target, std::move(done.parts), done.norm.batch->num_rows());
    };
    const size_t window = std::max(2u, std::thread::hardware_concurrency());
    std::deque<std::future<Result<Done>>> inflight;
    Status st;
    int64_t last_bytes = 0;
    while (st.ok()) {
      std::shared_ptr<arrow::RecordBatch> batch;
      st = reader->ReadNext(&batch);
      if (!st.ok() || !batch) break;
      if (options_.progress && opened->bytes_read) {
        int64_t now = opened->bytes_read->load();
        options_.progress->bytes_read += now - last_bytes;
        last_bytes = now;
        options_.progress->rows_read += batch->num_rows();
      }
      if (batch->num_rows() == 0) continue;
      inflight.push_back(std::async(std::launch::async, work, batch, report->rows_read));
      report->rows_read += batch->num_rows();
      while (st.ok() && inflight.size() >= window) {
        st = take(inflight.front().get());
        inflight.pop_front();
      }
    }
    while (!inflight.empty()) {  // in order; after a failure only to wait for the threads
      Result<Done> r = inflight.front().get();
      inflight.pop_front();
      if (st.ok()) st = take(std::move(r));
    }
    ML_RETURN_NOT_OK(st);
    if (options_.progress && opened->bytes_read) {
      options_.progress->bytes_read += opened->bytes_read->load() - last_bytes;
    }
    if (rejects) {
      ML_RETURN_NOT_OK(rejects->Close());
      std::lock_guard<std::mutex> lock(rejects_mu_);
      rejects_written_.push_back(report->rejects_file);
    }
    return Status::OK();
  }

  Result<std::string> RejectsUri(const Target& t, const SourceFile& src) {
    std::string base(BaseName(src.uri));
    if (!options_.rejects_dir.empty()) {
      std::string dir = options_.rejects_dir;
      if (!dir.ends_with('/')) dir += '/';
      return dir + base + ".rejects.csv";
    }
    if (!lake_ || options_.dry_run) return std::string();
    ML_ASSIGN_OR_RETURN(std::string rel, RejectsFilePath(t.name, import_id_, base));
    return lake_->root().Child(rel).display;
  }

  // ---- buffering and flushing ------------------------------------------------------------

  Status AddParts(Target* t, std::vector<PartitionedBatch> parts, int64_t rows) {
    int64_t added = 0;
    std::vector<PartitionValues> idle;
    {
      std::lock_guard<std::mutex> lock(t->mu);
      t->report.rows_in += rows;
      const int64_t now = ++t->batches_added;
      for (auto& part : parts) {
        Buffer& b = t->buffers[part.values];
        const int64_t bytes = arrow::util::TotalBufferSize(*part.batch);
        b.bytes += bytes;
        b.last_batch = now;
        added += bytes;
        b.batches.push_back(std::move(part.batch));
      }
      for (const auto& [key, b] : t->buffers) {
        if (options_.idle_flush_batches > 0 && now - b.last_batch >= options_.idle_flush_batches &&
            b.bytes >= options_.idle_flush_bytes) {
          idle.push_back(key);
        }
      }
    }
    buffered_ += added;
    for (const auto& key : idle) ML_RETURN_NOT_OK(FlushInBackground(t, key));
    while (buffered_ > options_.memory_budget_bytes) {
      ML_ASSIGN_OR_RETURN(bool flushed, FlushLargest());
      if (!flushed) break;
    }
    return Status::OK();
  }

  // Starts Flush(t, key) on its own thread unless kMaxBackgroundFlushes are running (the
  // partition then stays buffered and is tried again after the next batch). Returns the
  // failure of a background flush that has finished, so the import stops early.
  Status FlushInBackground(Target* t, const PartitionValues& key) {
    std::lock_guard<std::mutex> lock(background_mu_);
    Status first;
    for (auto it = background_.begin(); it != background_.end();) {
      if (it->wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        ++it;
        continue;
      }
      Status st = it->get();
      if (first.ok()) first = st;
      it = background_.erase(it);
    }
    ML_RETURN_NOT_OK(first);
    if (background_.size() >= kMaxBackgroundFlushes) return Status::OK();
    background_.push_back(std::async(std::launch::async, [this, t, key] { return Flush(t, key); }));
    return Status::OK();
  }

  // Waits for every background flush; the first failure.
  Status WaitForBackgroundFlushes() {
    std::lock_guard<std::mutex> lock(background_mu_);
    Status first;
    for (auto& f : background_) {
      Status st = f.get();
      if (first.ok()) first = st;
    }
    background_.clear();
    return first;
  }

  // Flushes the largest buffered partition of any target. False when nothing is buffered.
  Result<bool> FlushLargest() {
    Target* best = nullptr;
    PartitionValues best_key;
    int64_t best_bytes = -1;
    {
      std::lock_guard<std::mutex> lock(targets_mu_);
      for (auto& [name, t] : targets_) {
        std::lock_guard<std::mutex> tl(t->mu);
        for (auto& [key, b] : t->buffers) {
          if (b.bytes > best_bytes) {
            best = t.get();
            best_key = key;
            best_bytes = b.bytes;
          }
        }
      }
    }
    if (!best) return false;
    ML_RETURN_NOT_OK(Flush(best, best_key));
    return true;
  }

  Status Flush(Target* t, const PartitionValues& key) {
    Buffer buffer;
    std::mutex* partition_mu;
    {
      std::lock_guard<std::mutex> lock(t->mu);
      auto it = t->buffers.find(key);
      if (it == t->buffers.end()) return Status::OK();  // another thread took it
      buffer = std::move(it->second);
      t->buffers.erase(it);
      auto& m = t->flush_mu[key];
      if (!m) m = std::make_unique<std::mutex>();
      partition_mu = m.get();
    }
    buffered_ -= buffer.bytes;
    std::lock_guard<std::mutex> flush_lock(*partition_mu);
    ML_ASSIGN_OR_RETURN(auto batch, SortBySymbolTs(t->schema, std::move(buffer.batches)));
    int64_t dup_input = 0, dup_lake = 0;
    if (options_.dedup) {
      ML_ASSIGN_OR_RETURN(batch, DropAdjacentDuplicates(batch, t->spec, &dup_input));
      std::vector<DataFile> in_lake, own;
      std::shared_ptr<KeySet> seen;
      {
        std::lock_guard<std::mutex> lock(t->mu);
        for (const auto& f : t->base.files) {
          if (f.partition == key) in_lake.push_back(f);
        }
        auto w = t->written.find(key);
        if (w != t->written.end()) own = w->second;
        if (options_.dry_run) {
          auto& ks = t->dry_keys[key];
          if (!ks) ks = std::make_shared<KeySet>();
          seen = ks;
        }
      }
      for (auto* files : {&in_lake, &own}) {
        if (files->empty() || batch->num_rows() == 0) continue;
        ML_ASSIGN_OR_RETURN(auto existing, ReadKeys(*lake_, *files, t->spec, *batch));
        int64_t dropped = 0;
        ML_ASSIGN_OR_RETURN(batch, DropKnownKeys(batch, t->spec, *existing, &dropped));
        (files == &in_lake ? dup_lake : dup_input) += dropped;
      }
      if (seen) {
        int64_t dropped = 0;
        ML_ASSIGN_OR_RETURN(batch, DropKnownKeys(batch, t->spec, *seen, &dropped));
        dup_input += dropped;
        ML_RETURN_NOT_OK(AddKeys(*batch, t->spec, seen.get()));
      }
    }
    std::vector<DataFile> files;
    if (!options_.dry_run && batch->num_rows() > 0) {
      auto written = t->dataset->WriteFiles(key, batch, append_, t->base_version);
      if (!written.ok()) return written.status();
      files = std::move(*written);
    }
    std::lock_guard<std::mutex> lock(t->mu);
    t->report.duplicates_in_input += dup_input;
    t->report.duplicates_in_lake += dup_lake;
    t->report.rows_written += batch->num_rows();
    auto& w = t->written[key];
    w.insert(w.end(), files.begin(), files.end());
    return Status::OK();
  }

  // Flushes every buffer, partitions in parallel.
  Status FlushAll(int threads) {
    std::vector<std::pair<Target*, PartitionValues>> work;
    {
      std::lock_guard<std::mutex> lock(targets_mu_);
      for (auto& [name, t] : targets_) {
        std::lock_guard<std::mutex> tl(t->mu);
        for (const auto& [key, b] : t->buffers) work.emplace_back(t.get(), key);
      }
    }
    std::atomic<size_t> next{0};
    std::mutex err_mu;
    Status first;
    auto worker = [&] {
      while (true) {
        size_t i = next++;
        if (i >= work.size()) return;
        {
          std::lock_guard<std::mutex> lock(err_mu);
          if (!first.ok()) return;
        }
        Status st = Flush(work[i].first, work[i].second);
        if (!st.ok()) {
          std::lock_guard<std::mutex> lock(err_mu);
          if (first.ok()) first = st;
        }
      }
    };
    std::vector<std::thread> pool;
    const int n = std::max(1, std::min<int>(std::max(threads, 2), static_cast<int>(work.size())));
    for (int i = 1; i < n; ++i) pool.emplace_back(worker);
    worker();
    for (auto& th : pool) th.join();
    return first;
  }

  // ---- commit ------------------------------------------------------------------------

  std::vector<DataFile> AllWritten(const Target& t) const {
    std::vector<DataFile> all;
    for (const auto& [key, files] : t.written) all.insert(all.end(), files.begin(), files.end());
    return all;
  }

  std::string QualityJson(const Target& t) const {
    NormalizeStats total;
    int64_t rejected = 0;
    for (const auto& r : reports_) {
      if (r.dataset != t.name) continue;
      AddStats(&total, r.stats);
      rejected += r.rows_rejected;
    }
    std::string rules;
    for (const auto& v : total.violations) {
      if (!rules.empty()) rules += ",";
      rules += fmt::format("{{\"rule\":\"{}\",\"column\":\"{}\",\"rows\":{}}}", v.rule, v.column,
                           v.rows);
    }
    return fmt::format(
        "{{\"mode\":\"{}\",\"rows_in\":{},\"rows_rejected\":{},\"duplicates_in_input\":{},"
        "\"duplicates_in_lake\":{},\"violations\":[{}]}}",
        options_.mode == ValidationMode::kStrict   ? "strict"
        : options_.mode == ValidationMode::kCoerce ? "coerce"
                                                   : "ignore",
        total.rows_in, rejected, t.report.duplicates_in_input, t.report.duplicates_in_lake, rules);
  }

  Status CommitAll() {
    for (auto& [name, t] : targets_) {
      std::vector<std::string> lineage;
      int64_t bytes_in = 0, rejected = 0;
      std::string sources;
      int n_sources = 0;
      for (const auto& r : reports_) {
        if (r.dataset != name) continue;
        lineage.push_back(r.source);
        bytes_in += r.bytes;
        rejected += r.rows_rejected;
        if (n_sources++ < 8) sources += (sources.empty() ? "" : ", ") + r.source;
      }
      if (n_sources > 8) sources += fmt::format(" (+{} more)", n_sources - 8);
      auto files = AllWritten(*t);
      t->report.files = static_cast<int64_t>(files.size());
      for (const auto& f : files) t->report.bytes_written += f.bytes;
      if (options_.dry_run || !t->dataset) continue;
      CommitOptions copts;
      copts.parameters = options_.parameters;
      copts.parameters["import_id"] = import_id_;
      copts.parameters["source_bytes"] = std::to_string(bytes_in);
      copts.lineage = lineage;
      copts.quality_json = QualityJson(*t);
      Status st = CommitWithRebase(t.get(), std::move(files), copts);
      ImportRecord record;
      record.source = sources;
      record.ok = st.ok();
      if (!st.ok()) record.error = st.message();
      record.version = t->report.version;
      record.rows = st.ok() ? t->report.rows_written : 0;
      record.rejects = rejected;
      record.duplicates_skipped = t->report.duplicates_in_input + t->report.duplicates_in_lake;
      record.bytes = st.ok() ? t->report.bytes_written : 0;
      Status recorded = lake_->RecordImport(name, record);
      ML_RETURN_NOT_OK(st);
      ML_RETURN_NOT_OK(recorded);
    }
    return Status::OK();
  }

  // Commits; when a concurrent import added to the same partitions first, removes from this
  // import's files the rows that import already added, rewrites them, and tries again.
  Status CommitWithRebase(Target* t, std::vector<DataFile> files, const CommitOptions& copts) {
    constexpr int kMaxRebases = 20;
    for (int rebase = 0;; ++rebase) {
      auto committed =
          t->dataset->CommitFiles(files, t->base_version, "import", copts, options_.dedup);
      if (committed.ok()) {
        t->report.version = committed->version;
        t->report.commit_attempts += committed->attempts;
        t->report.files = static_cast<int64_t>(files.size());
        t->report.bytes_written = 0;
        t->report.rows_written = 0;
        for (const auto& f : files) {
          t->report.bytes_written += f.bytes;
          t->report.rows_written += f.rows;
        }
        return Status::OK();
      }
      if (!options_.dedup || CodeOf(committed.status()) != ErrorCode::kPreconditionFailed ||
          rebase >= kMaxRebases) {
        t->dataset->DeleteFiles(files);
        return committed.status();
      }
      auto rebased = Rebase(t, files);
      if (!rebased.ok()) {
        t->dataset->DeleteFiles(files);
        return rebased.status();
      }
      files = std::move(*rebased);
    }
  }

  Result<std::vector<DataFile>> Rebase(Target* t, const std::vector<DataFile>& files) {
    ML_ASSIGN_OR_RETURN(int64_t latest, t->dataset->LatestVersion());
    ML_ASSIGN_OR_RETURN(auto history, t->dataset->History());
    std::map<PartitionValues, std::vector<DataFile>> landed;
    for (int64_t v = t->base_version + 1; v <= latest; ++v) {
      for (const auto& f : history[v - 1].added) landed[f.partition].push_back(f);
    }
    std::vector<DataFile> out;
    for (const auto& f : files) {
      auto it = landed.find(f.partition);
      if (it == landed.end()) {
        out.push_back(f);
        continue;
      }
      ML_ASSIGN_OR_RETURN(auto batch, ReadDataFile(*lake_, f, t->schema));
      ML_ASSIGN_OR_RETURN(auto keys, ReadKeys(*lake_, it->second, t->spec, *batch));
      int64_t dropped = 0;
      ML_ASSIGN_OR_RETURN(batch, DropKnownKeys(batch, t->spec, *keys, &dropped));
      t->report.duplicates_in_lake += dropped;
      if (dropped == 0) {
        out.push_back(f);
        continue;
      }
      if (batch->num_rows() > 0) {
        ML_ASSIGN_OR_RETURN(auto rewritten,
                            t->dataset->WriteFiles(f.partition, batch, append_, latest));
        out.insert(out.end(), rewritten.begin(), rewritten.end());
      }
      t->dataset->DeleteFiles({f});
    }
    t->base_version = latest;
    return out;
  }

  void Abandon(const Status& error) {
    for (auto& [name, t] : targets_) {
      if (t->dataset) t->dataset->DeleteFiles(AllWritten(*t));
      if (lake_ && !options_.dry_run) {
        ImportRecord record;
        record.source = failed_source_;
        record.ok = false;
        record.error = error.message();
        (void)lake_->RecordImport(name, record);
      }
    }
    for (const auto& uri : rejects_written_) {
      auto loc = ResolveLocation(uri);
      if (loc.ok()) (void)loc->fs->DeleteFile(loc->path);
    }
  }

  ImportReport MakeReport() {
    ImportReport report;
    report.sources = reports_;
    for (auto& [name, t] : targets_) {
      report.datasets.push_back(t->report);
      report.rows_written += t->report.rows_written;
      report.duplicates_skipped += t->report.duplicates_in_input + t->report.duplicates_in_lake;
    }
    for (const auto& s : reports_) {
      report.rows_read += s.rows_read;
      report.rows_rejected += s.rows_rejected;
    }
    return report;
  }

  Lake* lake_;
  const ImportOptions& options_;
  AppendOptions append_;
  std::string import_id_;
  std::mutex targets_mu_;
  std::map<std::string, std::unique_ptr<Target>> targets_;
  std::vector<SourceReport> reports_;
  std::atomic<int64_t> buffered_{0};
  std::mutex rejects_mu_;
  std::vector<std::string> rejects_written_;
  std::mutex background_mu_;
  std::vector<std::future<Status>> background_;  // FlushInBackground's flushes
  std::string failed_source_;
};

}  // namespace

Result<ImportReport> Import(Lake* lake, const std::vector<SourceFile>& sources,
                            const ImportOptions& options) {
  Importer importer(lake, options);
  return importer.Run(sources);
}

}  // namespace marketlake
