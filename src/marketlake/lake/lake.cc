// Lake, Dataset: the commit log, snapshots, and the operations built on them.
#include "marketlake/lake.h"

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "marketlake/common/bytes.h"
#include "marketlake/lake/lake_internal.h"
#include "marketlake/lake/lake_store.h"
#include "marketlake/scan.h"

namespace marketlake {
namespace {

using nlohmann::json;
constexpr char kLogFormat[] = "marketlake-log/1";
constexpr char kStatsFormat[] = "marketlake-import-stats/1";

PublishHook& Hook() {
  static PublishHook* hook = new PublishHook();
  return *hook;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool StartsWith(const PartitionValues& values, const PartitionValues& prefix) {
  if (prefix.size() > values.size()) return false;
  return std::equal(prefix.begin(), prefix.end(), values.begin());
}

std::string ValuesText(const PartitionValues& values) {
  std::string out;
  for (const auto& [k, v] : values) {
    if (!out.empty()) out += "/";
    out += k + "=" + v;
  }
  return out.empty() ? "(all)" : out;
}

json FileToJson(const DataFile& f) {
  json part = json::array();
  for (const auto& [k, v] : f.partition) part.push_back(json::array({k, v}));
  json j = {{"path", f.path},
            {"partition", part},
            {"rows", f.rows},
            {"bytes", f.bytes},
            {"min_ts", f.min_ts},
            {"max_ts", f.max_ts},
            {"min_symbol", f.min_symbol},
            {"max_symbol", f.max_symbol}};
  j["symbols"] = f.symbols;
  return j;
}

std::string EntryToJson(const CommitInfo& c, std::string_view dataset, Layer layer,
                        const PartitionSpec& spec) {
  json j;
  j["format"] = kLogFormat;
  j["version"] = c.version;
  j["read_version"] = c.read_version;
  j["operation"] = c.operation;
  j["timestamp_ms"] = c.timestamp_ms;
  j["dataset"] = dataset;
  j["layer"] = LayerName(layer);
  j["partition_spec"] = spec.ToString();
  j["parameters"] = c.parameters;
  j["lineage"] = c.lineage;
  j["quality"] = json::parse(c.quality_json);  // validated by the caller
  json adds = json::array();
  for (const auto& f : c.added) adds.push_back(FileToJson(f));
  j["add"] = adds;
  j["remove"] = c.removed;
  return j.dump(1);
}

struct ParsedEntry {
  CommitInfo info;
  Layer layer = Layer::kRaw;
  std::string spec;
};

Result<ParsedEntry> ParseEntry(const std::string& text, std::string_view where,
                               std::string_view dataset, int64_t version) {
  auto bad = [&](std::string_view why) {
    return Error(ErrorCode::kCorruption, fmt::format("log entry {}: {}", where, why));
  };
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  try {
    if (j.value("format", "") != kLogFormat)
      return bad("unknown format (expected marketlake-log/1)");
    ParsedEntry e;
    CommitInfo& c = e.info;
    c.version = j.at("version").get<int64_t>();
    if (c.version != version) return bad(fmt::format("records version {}", c.version));
    if (j.at("dataset").get<std::string>() != dataset) return bad("names another dataset");
    c.read_version = j.at("read_version").get<int64_t>();
    c.operation = j.at("operation").get<std::string>();
    c.timestamp_ms = j.at("timestamp_ms").get<int64_t>();
    auto layer = ParseLayer(j.at("layer").get<std::string>());
    if (!layer.ok()) return bad(layer.status().message());
    e.layer = *layer;
    e.spec = j.at("partition_spec").get<std::string>();
    c.parameters = j.at("parameters").get<std::map<std::string, std::string>>();
    c.lineage = j.at("lineage").get<std::vector<std::string>>();
    c.quality_json = j.at("quality").dump();
    for (const auto& a : j.at("add")) {
      DataFile f;
      f.path = a.at("path").get<std::string>();
      auto parsed = ParseDataFilePath(f.path);
      if (!parsed.ok()) return bad(parsed.status().message());
      if (parsed->dataset != dataset || parsed->layer != e.layer) {
        return bad(fmt::format("file {} is outside the dataset", f.path));
      }
      for (const auto& kv : a.at("partition")) {
        f.partition.emplace_back(kv.at(0).get<std::string>(), kv.at(1).get<std::string>());
      }
      if (f.partition != parsed->partition) {
        return bad(fmt::format("partition of {} differs from its path", f.path));
      }
      f.rows = a.at("rows").get<int64_t>();
      f.bytes = a.at("bytes").get<int64_t>();
      f.min_ts = a.at("min_ts").get<int64_t>();
      f.max_ts = a.at("max_ts").get<int64_t>();
      f.min_symbol = a.at("min_symbol").get<std::string>();
      f.max_symbol = a.at("max_symbol").get<std::string>();
      f.symbols = a.at("symbols").get<std::vector<std::string>>();
      f.added_in_version = c.version;
      c.added.push_back(std::move(f));
    }
    for (const auto& r : j.at("remove")) {
      std::string path = r.get<std::string>();
      auto parsed = ParseDataFilePath(path);
      if (!parsed.ok()) return bad(parsed.status().message());
      c.removed.push_back(std::move(path));
    }
    return e;
  } catch (const std::exception& ex) {
    return bad(ex.what());
  }
}

Status CheckQualityJson(const std::string& text) {
  json q = json::parse(text, nullptr, false);
  if (q.is_discarded() || !q.is_object()) {
    return Error(ErrorCode::kInvalidArgument, "quality metadata must be a JSON object");
  }
  return Status::OK();
}

// Min/max ts and the symbols of a batch about to be written.
Status FillFileStats(const arrow::RecordBatch& batch, DataFile* f) {
  f->rows = batch.num_rows();
  if (auto ts = batch.GetColumnByName("ts");
      ts && ts->type_id() == arrow::Type::TIMESTAMP && ts->length() > ts->null_count()) {
    ML_ASSIGN_OR_RETURN(auto ns, TsNanos(batch));
    const int64_t* v = ns->data()->GetValues<int64_t>(1);
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (int64_t i = 0; i < ns->length(); ++i) {
      if (ns->IsNull(i)) continue;
      lo = std::min(lo, v[i]);
      hi = std::max(hi, v[i]);
    }
    f->min_ts = lo;
    f->max_ts = hi;
  }
  if (batch.GetColumnByName("symbol")) {
    ML_ASSIGN_OR_RETURN(auto strings, SymbolStrings(batch));
    SymbolIds ids;
    const bool nulls = strings->null_count() > 0;
    std::string_view prev;
    bool have_prev = false;
    for (int64_t i = 0; i < strings->length(); ++i) {
      if (nulls && strings->IsNull(i)) continue;
      const std::string_view s = strings->GetView(i);
      if (have_prev && internal::SameBytes(s, prev)) continue;  // a run (files sorted by symbol)
      ids.Intern(s);
      prev = s;
      have_prev = true;
    }
    std::vector<std::string> all(ids.names().begin(), ids.names().end());
    std::sort(all.begin(), all.end());
    if (!all.empty()) {
      f->min_symbol = all.front();
      f->max_symbol = all.back();
    }
    if (all.size() <= kMaxRecordedSymbols) f->symbols = std::move(all);
  }
  return Status::OK();
}

}  // namespace

void SetPublishHookForTesting(PublishHook hook) { Hook() = std::move(hook); }

int64_t Snapshot::TotalRows() const {
  int64_t n = 0;
  for (const auto& f : files) n += f.rows;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Dataset

struct Dataset::State {
  std::mutex mu;
  std::vector<CommitInfo> log;  // log[i].version == i + 1
};

Dataset::~Dataset() = default;

namespace {

// Reads log entries newer than what `log` holds. `recorded` receives entry 1's layer/spec.
Status RefreshLog(LakeStore& store, std::string_view dataset, std::vector<CommitInfo>* log,
                  std::optional<std::pair<Layer, std::string>>* recorded) {
  ML_ASSIGN_OR_RETURN(std::string dir, LogDir(dataset));
  ML_ASSIGN_OR_RETURN(auto entries, store.List(dir, false));
  std::vector<int64_t> versions;
  for (const auto& e : entries) {
    std::string_view name = e.path;
    name.remove_prefix(name.rfind('/') + 1);
    if (name.starts_with('.')) continue;  // a writer's temporary file
    ML_ASSIGN_OR_RETURN(int64_t v, ParseLogEntryName(name));
    versions.push_back(v);
  }
  std::sort(versions.begin(), versions.end());
  for (size_t i = 0; i < versions.size(); ++i) {
    if (versions[i] != static_cast<int64_t>(i) + 1) {
      return Error(ErrorCode::kCorruption,
                   fmt::format("{}/{}: log versions are not contiguous from 1 (found {} at "
                               "position {})",
                               store.root().display, dir, versions[i], i + 1));
    }
  }
  for (int64_t v = static_cast<int64_t>(log->size()) + 1;
       v <= static_cast<int64_t>(versions.size()); ++v) {
    ML_ASSIGN_OR_RETURN(std::string path, LogEntryPath(dataset, v));
    ML_ASSIGN_OR_RETURN(std::string text, store.Read(path));
    ML_ASSIGN_OR_RETURN(ParsedEntry e, ParseEntry(text, store.Child(path).display, dataset, v));
    if (v == 1) {
      *recorded = std::make_pair(e.layer, e.spec);
    }
    log->push_back(std::move(e.info));
  }
  return Status::OK();
}

}  // namespace

class DatasetOps {
 public:
  // Locks held by callers.
  static Status Refresh(Dataset& d) {
    std::optional<std::pair<Layer, std::string>> recorded;
    ML_RETURN_NOT_OK(RefreshLog(*d.store_, d.name_, &d.state_->log, &recorded));
    if (recorded) {
      ML_ASSIGN_OR_RETURN(PartitionSpec spec, ParsePartitionSpec(recorded->second));
      if (recorded->first != d.layer_ || spec.ToString() != d.spec_.ToString()) {
        // Another writer created the dataset first with different settings.
        d.layer_ = recorded->first;
        d.spec_ = spec;
      }
    }
    return Status::OK();
  }

  static Snapshot Replay(const Dataset& d, int64_t version) {
    Snapshot snap;
    snap.dataset = d.name_;
    snap.layer = d.layer_;
    snap.partition_spec = d.spec_;
    snap.version = version;
    std::map<std::string, DataFile> live;
    for (int64_t i = 0; i < version; ++i) {
      const auto& c = d.state_->log[i];
      for (const auto& r : c.removed) live.erase(r);
      for (const auto& f : c.added) live[f.path] = f;
    }
    for (auto& [path, f] : live) snap.files.push_back(std::move(f));
    return snap;
  }

  // Publishes `commit` (added/removed/operation set) at the next free version, rebasing over
  // commits that do not conflict. `removed_prefixes`: partitions removed or replaced (an
  // intervening commit that added files to one conflicts).
  static Result<CommitResult> Commit(Dataset& d, CommitInfo commit, const CommitOptions& options,
                                     const std::vector<PartitionValues>& removed_prefixes,
                                     bool exclusive_partitions = false) {
    ML_RETURN_NOT_OK(CheckQualityJson(options.quality_json));
    commit.parameters = options.parameters;
    commit.lineage = options.lineage;
    commit.quality_json = options.quality_json;
    const int64_t base = commit.read_version;
    std::set<std::string> removing(commit.removed.begin(), commit.removed.end());
    std::set<PartitionValues> adding;
    if (exclusive_partitions) {
      for (const auto& f : commit.added) adding.insert(f.partition);
    }
    CommitResult result;
    for (int attempt = 1; attempt <= std::max(1, options.max_attempts); ++attempt) {
      result.attempts = attempt;
      // Conflicts with what landed since the snapshot the commit was computed from.
      auto& log = d.state_->log;
      for (int64_t v = base + 1; v <= static_cast<int64_t>(log.size()); ++v) {
        const CommitInfo& other = log[v - 1];
        for (const auto& r : other.removed) {
          if (removing.count(r)) {
            return Error(ErrorCode::kPreconditionFailed,
                         fmt::format("{}: commit conflicts with version {} ({}), which already "
                                     "removed {}",
                                     d.name_, v, other.operation, r));
          }
        }
        for (const auto& f : other.added) {
          if (adding.count(f.partition)) {
            return Error(ErrorCode::kPreconditionFailed,
                         fmt::format("{}: version {} ({}) added {} to a partition this commit "
                                     "adds to",
                                     d.name_, v, other.operation, f.path));
          }
        }
        for (const auto& prefix : removed_prefixes) {
          for (const auto& f : other.added) {
            if (StartsWith(f.partition, prefix)) {
              return Error(ErrorCode::kPreconditionFailed,
                           fmt::format("{}: removing partition {} conflicts with version {} "
                                       "({}), which added {}",
                                       d.name_, ValuesText(prefix), v, other.operation, f.path));
            }
          }
        }
      }
      commit.version = static_cast<int64_t>(log.size()) + 1;
      commit.timestamp_ms = NowMs();
      ML_ASSIGN_OR_RETURN(std::string path, LogEntryPath(d.name_, commit.version));
      std::string body = EntryToJson(commit, d.name_, d.layer_, d.spec_);
      if (Hook()) Hook()(d.name_, commit.version, attempt);
      Status st = d.store_->PutIfAbsent(path, body);
      if (st.ok()) {
        for (auto& f : commit.added) f.added_in_version = commit.version;
        log.push_back(commit);
        result.version = commit.version;
        result.added = commit.added;
        result.removed = commit.removed;
        return result;
      }
      if (CodeOf(st) != ErrorCode::kPreconditionFailed) return st;
      std::string before = d.spec_.ToString();
      Layer layer_before = d.layer_;
      ML_RETURN_NOT_OK(Refresh(d));
      if (!commit.added.empty() && (d.spec_.ToString() != before || d.layer_ != layer_before)) {
        return Error(ErrorCode::kPreconditionFailed,
                     fmt::format("{}: another writer created the dataset with partitioning '{}' "
                                 "in layer {}; this commit's files were laid out differently",
                                 d.name_, d.spec_.ToString(), LayerName(d.layer_)));
      }
    }
    return Error(ErrorCode::kUnavailable,
                 fmt::format("{}: gave up committing after {} attempts (too much contention)",
                             d.name_, options.max_attempts));
  }

  static Result<DataFile> WriteFile(Dataset& d, const PartitionValues& values,
                                    const std::shared_ptr<arrow::RecordBatch>& batch,
                                    WriteOptions write, int64_t version, bool sorted) {
    DataFile f;
    f.partition = values;
    ML_ASSIGN_OR_RETURN(f.path, DataFilePath(d.layer_, d.name_, values, NewDataFileName(version)));
    const auto& schema = *batch->schema();
    if (schema.GetFieldByName("symbol") &&
        std::find(write.bloom_filter_columns.begin(), write.bloom_filter_columns.end(), "symbol") ==
            write.bloom_filter_columns.end()) {
      write.bloom_filter_columns.push_back("symbol");
    }
    if (sorted && write.sorting_columns.empty()) {
      if (schema.GetFieldByName("symbol")) write.sorting_columns.push_back("symbol");
      if (schema.GetFieldByName("ts")) write.sorting_columns.push_back("ts");
    }
    write.statistics = true;
    write.page_index = true;
    write.key_value_metadata["marketlake.dataset"] = d.name_;
    Location loc = d.store_->Child(f.path);
    if (loc.kind == "local") {
      auto slash = loc.path.rfind('/');
      ML_RETURN_NOT_OK(
          WithContext(loc.fs->CreateDir(loc.path.substr(0, slash), true), loc.display));
    }
    ML_ASSIGN_OR_RETURN(auto out, OpenOutputStream(loc));
    ML_ASSIGN_OR_RETURN(auto writer, ParquetWriter::Open(batch->schema(), out, write, loc.display));
    ML_RETURN_NOT_OK(writer->Write(*batch));
    ML_RETURN_NOT_OK(writer->Close());
    ML_ASSIGN_OR_RETURN(auto info, Stat(loc));
    f.bytes = info.size();
    ML_RETURN_NOT_OK(FillFileStats(*batch, &f));
    return f;
  }

  // Partitions (when `partition`), splits into files and writes; on failure deletes what it
  // wrote.
  static Result<std::vector<DataFile>> WriteParts(Dataset& d,
                                                  const std::vector<PartitionedBatch>& parts,
                                                  const WriteOptions& write, int64_t max_rows,
                                                  int64_t version, bool sorted) {
    std::vector<DataFile> written;
    auto cleanup = [&] {
      for (const auto& f : written) (void)d.store_->Delete(f.path);
    };
    max_rows = std::max<int64_t>(1, max_rows);
    for (const auto& part : parts) {
      for (int64_t off = 0; off < part.batch->num_rows(); off += max_rows) {
        auto slice = part.batch->Slice(off, std::min(max_rows, part.batch->num_rows() - off));
        auto f = WriteFile(d, part.values, slice, write, version, sorted);
        if (!f.ok()) {
          cleanup();
          return f.status();
        }
        written.push_back(std::move(*f));
      }
    }
    return written;
  }

  static void DeleteAll(Dataset& d, const std::vector<DataFile>& files) {
    for (const auto& f : files) (void)d.store_->Delete(f.path);
  }

  static Result<CommitResult> CommitLocked(Dataset& d, CommitInfo commit,
                                           const CommitOptions& options,
                                           const std::vector<PartitionValues>& removed_prefixes) {
    std::lock_guard<std::mutex> lock(d.state_->mu);
    ML_RETURN_NOT_OK(Refresh(d));
    return Commit(d, std::move(commit), options, removed_prefixes);
  }
};

Result<CommitResult> CommitRemovingPartitions(Dataset& d, CommitInfo commit,
                                              const CommitOptions& options,
                                              const std::vector<PartitionValues>& partitions) {
  return DatasetOps::CommitLocked(d, std::move(commit), options, partitions);
}

Result<int64_t> Dataset::LatestVersion() {
  std::lock_guard<std::mutex> lock(state_->mu);
  ML_RETURN_NOT_OK(DatasetOps::Refresh(*this));
  return static_cast<int64_t>(state_->log.size());
}

Result<Snapshot> Dataset::GetSnapshot(std::optional<int64_t> version) {
  std::lock_guard<std::mutex> lock(state_->mu);
  ML_RETURN_NOT_OK(DatasetOps::Refresh(*this));
  int64_t latest = static_cast<int64_t>(state_->log.size());
  int64_t v = version.value_or(latest);
  if (v < 0 || v > latest) {
    return Error(ErrorCode::kNotFound,
                 fmt::format("{}: version {} does not exist (latest is {})", name_, v, latest));
  }
  return DatasetOps::Replay(*this, v);
}

Result<std::vector<CommitInfo>> Dataset::History() {
  std::lock_guard<std::mutex> lock(state_->mu);
  ML_RETURN_NOT_OK(DatasetOps::Refresh(*this));
  return state_->log;
}

Result<CommitResult> Dataset::Append(
    const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches, const AppendOptions& options) {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::vector<std::shared_ptr<arrow::RecordBatch>> non_empty;
  for (const auto& b : batches) {
    if (b && b->num_rows() > 0) non_empty.push_back(b);
  }
  if (non_empty.empty()) return CommitResult{};
  for (const auto& b : non_empty) {
    if (!b->schema()->Equals(*non_empty[0]->schema(), false)) {
      return Error(ErrorCode::kSchemaMismatch,
                   fmt::format("{}: appended batches differ in schema: {} vs {}", name_,
                               non_empty[0]->schema()->ToString(), b->schema()->ToString()));
    }
  }
  ML_RETURN_NOT_OK(store_->CheckCommittable());
  ML_ASSIGN_OR_RETURN(auto table, arrow::Table::FromRecordBatches(non_empty));
  ML_ASSIGN_OR_RETURN(auto batch, table->CombineChunksToBatch());
  ML_RETURN_NOT_OK(DatasetOps::Refresh(*this));
  const int64_t base = static_cast<int64_t>(state_->log.size());
  ML_ASSIGN_OR_RETURN(auto parts, Partitioner(spec_).Split(batch, options.sort));
  ML_ASSIGN_OR_RETURN(auto files,
                      DatasetOps::WriteParts(*this, parts, options.write, options.max_rows_per_file,
                                             base + 1, options.sort));
  CommitInfo commit;
  commit.operation = "import";
  commit.read_version = base;
  commit.added = files;
  auto result = DatasetOps::Commit(*this, std::move(commit), options, {});
  if (!result.ok()) DatasetOps::DeleteAll(*this, files);
  return result;
}

Result<int64_t> Dataset::BeginWrite() {
  std::lock_guard<std::mutex> lock(state_->mu);
  ML_RETURN_NOT_OK(store_->CheckCommittable());
  ML_RETURN_NOT_OK(DatasetOps::Refresh(*this));
  return static_cast<int64_t>(state_->log.size());
}

Result<std::vector<DataFile>> Dataset::WriteFiles(const PartitionValues& values,
                                                  const std::shared_ptr<arrow::RecordBatch>& batch,
                                                  const AppendOptions& options,
                                                  int64_t base_version) {
  if (!batch || batch->num_rows() == 0) return std::vector<DataFile>{};
  // Writing touches only immutable members and the (thread-safe) store: no lock.
  std::vector<PartitionedBatch> parts{PartitionedBatch{values, batch}};
  return DatasetOps::WriteParts(*this, parts, options.write, options.max_rows_per_file,
                                base_version + 1, options.sort);
}

Result<CommitResult> Dataset::CommitFiles(std::vector<DataFile> files, int64_t base_version,
                                          std::string operation, const CommitOptions& options,
                                          bool exclusive_partitions) {
  if (files.empty()) return CommitResult{};
  std::lock_guard<std::mutex> lock(state_->mu);
  ML_RETURN_NOT_OK(DatasetOps::Refresh(*this));
  CommitInfo commit;
  commit.operation = std::move(operation);
  commit.read_version = base_version;
  commit.added = std::move(files);
  return DatasetOps::Commit(*this, std::move(commit), options, {}, exclusive_partitions);
}

void Dataset::DeleteFiles(const std::vector<DataFile>& files) {
  DatasetOps::DeleteAll(*this, files);
}

Result<CommitResult> Dataset::RemovePartition(const PartitionValues& values,
                                              const CommitOptions& options) {
  std::lock_guard<std::mutex> lock(state_->mu);
  ML_RETURN_NOT_OK(DatasetOps::Refresh(*this));
  const int64_t base = static_cast<int64_t>(state_->log.size());
  Snapshot snap = DatasetOps::Replay(*this, base);
  CommitInfo commit;
  commit.operation = "rm-partition";
  commit.read_version = base;
  for (const auto& f : snap.files) {
    if (StartsWith(f.partition, values)) commit.removed.push_back(f.path);
  }
  if (commit.removed.empty()) {
    return Error(ErrorCode::kNotFound, fmt::format("{}: no files in partition {} at version {}",
                                                   name_, ValuesText(values), base));
  }
  CommitOptions opts = options;
  opts.parameters["partition"] = ValuesText(values);
  return DatasetOps::Commit(*this, std::move(commit), opts, {values});
}

Result<CommitResult> Dataset::Compact(const PartitionValues& filter,
                                      const CompactOptions& options) {
  std::lock_guard<std::mutex> lock(state_->mu);
  ML_RETURN_NOT_OK(DatasetOps::Refresh(*this));
  const int64_t base = static_cast<int64_t>(state_->log.size());
  ML_RETURN_NOT_OK(store_->CheckCommittable());
  Snapshot snap = DatasetOps::Replay(*this, base);
  std::map<PartitionValues, std::vector<const DataFile*>> small;
  for (const auto& f : snap.files) {
    if (StartsWith(f.partition, filter) && f.bytes < options.target_file_bytes) {
      small[f.partition].push_back(&f);
    }
  }
  CommitInfo commit;
  commit.operation = "compact";
  commit.read_version = base;
  std::vector<DataFile> written;
  for (const auto& [values, files] : small) {
    if (files.size() < 2) continue;
    std::vector<std::shared_ptr<arrow::Table>> tables;
    for (const DataFile* f : files) {
      Location loc = store_->Child(f->path);
      auto in = OpenInputFile(loc);
      if (!in.ok()) {
        DatasetOps::DeleteAll(*this, written);
        return in.status();
      }
      auto scanner = ParquetScanner::Open(*in, loc.display, ScanOptions{});
      if (!scanner.ok()) {
        DatasetOps::DeleteAll(*this, written);
        return scanner.status();
      }
      std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
      while (true) {
        auto next = (*scanner)->Next();
        if (!next.ok()) {
          DatasetOps::DeleteAll(*this, written);
          return next.status();
        }
        if (!*next) break;
        batches.push_back(std::move(*next));
      }
      auto table = arrow::Table::FromRecordBatches((*scanner)->schema(), batches);
      if (!table.ok()) {
        DatasetOps::DeleteAll(*this, written);
        return table.status();
      }
      tables.push_back(*table);
      commit.removed.push_back(f->path);
    }
    arrow::ConcatenateTablesOptions concat;
    concat.unify_schemas = true;
    auto merged = arrow::ConcatenateTables(tables, concat);
    Result<std::shared_ptr<arrow::RecordBatch>> batch =
        merged.ok() ? (*merged)->CombineChunksToBatch()
                    : Result<std::shared_ptr<arrow::RecordBatch>>(merged.status());
    if (batch.ok()) batch = SortBySymbolTs(*batch);
    if (!batch.ok()) {
      DatasetOps::DeleteAll(*this, written);
      return WithContext(batch.status(),
                         fmt::format("{}: compacting {}", name_, ValuesText(values)));
    }
    std::vector<PartitionedBatch> parts{PartitionedBatch{values, *batch}};
    auto files_written = DatasetOps::WriteParts(*this, parts, options.write,
                                                options.max_rows_per_file, base + 1, true);
    if (!files_written.ok()) {
      DatasetOps::DeleteAll(*this, written);
      return files_written.status();
    }
    written.insert(written.end(), files_written->begin(), files_written->end());
  }
  if (commit.removed.empty()) return CommitResult{};
  commit.added = written;
  CommitOptions opts = options;
  opts.parameters["target_file_bytes"] = std::to_string(options.target_file_bytes);
  auto result = DatasetOps::Commit(*this, std::move(commit), opts, {});
  if (!result.ok()) DatasetOps::DeleteAll(*this, written);
  return result;
}

Result<CleanResult> Dataset::CleanOrphans(std::chrono::seconds older_than) {
  std::lock_guard<std::mutex> lock(state_->mu);
  ML_RETURN_NOT_OK(DatasetOps::Refresh(*this));
  std::set<std::string> referenced;
  for (const auto& c : state_->log) {
    for (const auto& f : c.added) referenced.insert(f.path);
  }
  auto cutoff = std::chrono::system_clock::now() - older_than;
  ML_ASSIGN_OR_RETURN(std::string dir, DatasetDataDir(layer_, name_));
  ML_ASSIGN_OR_RETURN(auto files, store_->List(dir, true));
  CleanResult result;
  for (const auto& f : files) {
    if (f.is_dir) continue;
    std::string_view base = f.path;
    base.remove_prefix(base.rfind('/') + 1);
    bool stray_temp = base.starts_with('.');
    if (!stray_temp) {
      auto parsed = ParseDataFilePath(f.path);
      if (!parsed.ok()) {
        result.unrecognised.push_back(f.path);
        continue;
      }
      if (referenced.count(f.path)) continue;
    }
    if (f.mtime > cutoff) continue;
    ML_RETURN_NOT_OK(store_->Delete(f.path));
    result.deleted.push_back(f.path);
  }
  return result;
}

Result<CleanResult> Dataset::VacuumRemoved(std::chrono::seconds older_than) {
  std::lock_guard<std::mutex> lock(state_->mu);
  ML_RETURN_NOT_OK(DatasetOps::Refresh(*this));
  int64_t cutoff =
      NowMs() - std::chrono::duration_cast<std::chrono::milliseconds>(older_than).count();
  CleanResult result;
  for (const auto& c : state_->log) {
    if (c.timestamp_ms >= cutoff) continue;
    for (const auto& path : c.removed) {
      ML_RETURN_NOT_OK(store_->Delete(path));
      result.deleted.push_back(path);
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Lake

Lake::~Lake() = default;

Result<std::unique_ptr<Lake>> Lake::Open(std::string_view uri) {
  ML_ASSIGN_OR_RETURN(Location root, ResolveLocation(uri));
  return Open(std::move(root));
}

Result<std::unique_ptr<Lake>> Lake::Open(Location root) {
  std::unique_ptr<Lake> lake(new Lake());
  lake->store_ = std::make_shared<LakeStore>(std::move(root));
  return lake;
}

const Location& Lake::root() const { return store_->root(); }

Result<std::unique_ptr<Dataset>> Lake::OpenDataset(std::string_view name,
                                                   const DatasetOptions& options) {
  ML_RETURN_NOT_OK(ValidateDatasetName(name));
  std::unique_ptr<Dataset> d(new Dataset());
  d->name_ = std::string(name);
  d->store_ = store_;
  d->state_ = std::make_unique<Dataset::State>();
  d->layer_ = options.layer.value_or(Layer::kRaw);
  d->spec_ = options.partition_spec.value_or(DefaultPartitionSpec(name));
  ML_RETURN_NOT_OK(ValidateSpec(d->spec_));
  std::optional<std::pair<Layer, std::string>> recorded;
  ML_RETURN_NOT_OK(RefreshLog(*store_, name, &d->state_->log, &recorded));
  if (recorded) {
    ML_ASSIGN_OR_RETURN(PartitionSpec spec, ParsePartitionSpec(recorded->second));
    if (options.partition_spec && options.partition_spec->ToString() != spec.ToString()) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("dataset {} is partitioned by '{}', not '{}'", name, spec.ToString(),
                               options.partition_spec->ToString()));
    }
    if (options.layer && recorded->first != *options.layer) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("dataset {} is in layer {}, not {}", name,
                               LayerName(recorded->first), LayerName(*options.layer)));
    }
    d->spec_ = spec;
    d->layer_ = recorded->first;
  }
  return d;
}

Result<std::vector<std::string>> Lake::ListDatasets() {
  ML_ASSIGN_OR_RETURN(auto entries, store_->List(std::string(MetadataDir()), false));
  std::vector<std::string> out;
  for (const auto& e : entries) {
    if (!e.is_dir) continue;
    std::string_view name = e.path;
    name.remove_prefix(name.rfind('/') + 1);
    if (name == "stats" || !ValidateDatasetName(name).ok()) continue;
    ML_ASSIGN_OR_RETURN(std::string log_dir, LogDir(name));
    ML_ASSIGN_OR_RETURN(auto log, store_->List(log_dir, false));
    if (!log.empty()) out.emplace_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<std::string>> Lake::ListImportedDatasets() {
  std::string dir = std::string(MetadataDir()) + "/stats";
  ML_ASSIGN_OR_RETURN(auto entries, store_->List(dir, false));
  std::vector<std::string> out;
  for (const auto& e : entries) {
    if (!e.is_dir) continue;
    std::string_view name = e.path;
    name.remove_prefix(name.rfind('/') + 1);
    if (ValidateDatasetName(name).ok()) out.emplace_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

json RecordToJson(const ImportRecord& r) {
  return {{"format", kStatsFormat},
          {"timestamp_ms", r.timestamp_ms == 0 ? NowMs() : r.timestamp_ms},
          {"source", r.source},
          {"ok", r.ok},
          {"error", r.error},
          {"version", r.version},
          {"rows", r.rows},
          {"rejects", r.rejects},
          {"duplicates_skipped", r.duplicates_skipped},
          {"bytes", r.bytes}};
}

Result<std::vector<std::pair<int64_t, std::string>>> ListStats(LakeStore& store,
                                                               std::string_view dataset) {
  ML_ASSIGN_OR_RETURN(std::string dir, StatsDir(dataset));
  ML_ASSIGN_OR_RETURN(auto entries, store.List(dir, false));
  std::vector<std::pair<int64_t, std::string>> out;
  for (const auto& e : entries) {
    std::string_view name = e.path;
    name.remove_prefix(name.rfind('/') + 1);
    if (name.starts_with('.')) continue;
    ML_ASSIGN_OR_RETURN(int64_t seq, ParseLogEntryName(name));
    out.emplace_back(seq, e.path);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Status Lake::RecordImport(std::string_view dataset, const ImportRecord& record) {
  ML_RETURN_NOT_OK(ValidateDatasetName(dataset));
  std::string body = RecordToJson(record).dump(1);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    ML_ASSIGN_OR_RETURN(auto existing, ListStats(*store_, dataset));
    int64_t next = existing.empty() ? 1 : existing.back().first + 1;
    ML_ASSIGN_OR_RETURN(std::string path, StatsEntryPath(dataset, next));
    Status st = store_->PutIfAbsent(path, body);
    if (st.ok() || CodeOf(st) != ErrorCode::kPreconditionFailed) return st;
  }
  return Error(ErrorCode::kUnavailable, "gave up recording import statistics (contention)");
}

Result<ImportSummary> Lake::ReadImports(std::string_view dataset) {
  ML_RETURN_NOT_OK(ValidateDatasetName(dataset));
  ML_ASSIGN_OR_RETURN(auto existing, ListStats(*store_, dataset));
  ImportSummary sum;
  for (const auto& [seq, path] : existing) {
    ML_ASSIGN_OR_RETURN(std::string text, store_->Read(path));
    json j = json::parse(text, nullptr, false);
    std::string where = store_->Child(path).display;
    if (j.is_discarded() || !j.is_object() || j.value("format", "") != kStatsFormat) {
      return Error(ErrorCode::kCorruption,
                   fmt::format("import stats {}: not a stats entry", where));
    }
    ImportRecord r;
    try {
      r.timestamp_ms = j.at("timestamp_ms").get<int64_t>();
      r.source = j.at("source").get<std::string>();
      r.ok = j.at("ok").get<bool>();
      r.error = j.at("error").get<std::string>();
      r.version = j.at("version").get<int64_t>();
      r.rows = j.at("rows").get<int64_t>();
      r.rejects = j.at("rejects").get<int64_t>();
      r.duplicates_skipped = j.at("duplicates_skipped").get<int64_t>();
      r.bytes = j.at("bytes").get<int64_t>();
    } catch (const std::exception& ex) {
      return Error(ErrorCode::kCorruption, fmt::format("import stats {}: {}", where, ex.what()));
    }
    ++sum.imports;
    if (!r.ok) ++sum.failures;
    sum.rows += r.rows;
    sum.rejects += r.rejects;
    sum.duplicates_skipped += r.duplicates_skipped;
    sum.bytes += r.bytes;
    sum.records.push_back(std::move(r));
  }
  return sum;
}

}  // namespace marketlake
