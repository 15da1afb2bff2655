// ml_lake_tool: makes lakes for tests without the import verb.
//
//   ml_lake_tool append LAKE DATASET FILE [--partition SPEC] [--layer raw|cleaned]
//                [--max-rows-per-file N]
//       Appends the rows of FILE (Parquet, CSV or JSON lines) in one commit (Dataset::Append).
//       Prints the version committed.
//   ml_lake_tool record-import LAKE DATASET SOURCE ROWS REJECTS DUPLICATES BYTES [--error E]
//       Appends one import statistics record (Lake::RecordImport); --error marks it failed.
//
// Exit status 0 on success; 1 with the error on stderr otherwise.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "marketlake/lake.h"
#include "marketlake/table_io.h"

namespace {

using marketlake::Result;
using marketlake::Status;

Status Append(const std::vector<std::string>& args) {
  if (args.size() < 3) return marketlake::Error(marketlake::ErrorCode::kInvalidArgument, "usage");
  marketlake::DatasetOptions options;
  options.layer = marketlake::Layer::kCleaned;
  marketlake::AppendOptions append;
  for (size_t i = 3; i + 1 < args.size(); i += 2) {
    if (args[i] == "--partition") {
      ML_ASSIGN_OR_RETURN(auto spec, marketlake::ParsePartitionSpec(args[i + 1]));
      options.partition_spec = spec;
    } else if (args[i] == "--layer") {
      ML_ASSIGN_OR_RETURN(auto layer, marketlake::ParseLayer(args[i + 1]));
      options.layer = layer;
    } else if (args[i] == "--max-rows-per-file") {
      append.max_rows_per_file = std::stoll(args[i + 1]);
    } else {
      return marketlake::Error(marketlake::ErrorCode::kInvalidArgument,
                               "unknown option " + args[i]);
    }
  }
  ML_ASSIGN_OR_RETURN(auto lake, marketlake::Lake::Open(args[0]));
  ML_ASSIGN_OR_RETURN(auto ds, lake->OpenDataset(args[1], options));
  ML_ASSIGN_OR_RETURN(auto in, marketlake::OpenBatchReader(args[2], {}));
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    ML_RETURN_NOT_OK(in.reader->ReadNext(&batch));
    if (!batch) break;
    ML_ASSIGN_OR_RETURN(batch, marketlake::DecodeDictionaries(batch));
    batches.push_back(batch);
  }
  ML_ASSIGN_OR_RETURN(auto result, ds->Append(batches, append));
  std::printf("%lld\n", static_cast<long long>(result.version));
  return Status::OK();
}

Status RecordImport(const std::vector<std::string>& args) {
  if (args.size() < 7) return marketlake::Error(marketlake::ErrorCode::kInvalidArgument, "usage");
  marketlake::ImportRecord r;
  r.source = args[2];
  r.rows = std::stoll(args[3]);
  r.rejects = std::stoll(args[4]);
  r.duplicates_skipped = std::stoll(args[5]);
  r.bytes = std::stoll(args[6]);
  if (args.size() >= 9 && args[7] == "--error") {
    r.ok = false;
    r.error = args[8];
  }
  ML_ASSIGN_OR_RETURN(auto lake, marketlake::Lake::Open(args[0]));
  return lake->RecordImport(args[1], r);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ml_lake_tool append|record-import ...\n");
    return 1;
  }
  std::string verb = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  Status st;
  if (verb == "append") {
    st = Append(args);
  } else if (verb == "record-import") {
    st = RecordImport(args);
  } else {
    st = marketlake::Error(marketlake::ErrorCode::kInvalidArgument, "unknown verb " + verb);
  }
  if (!st.ok()) {
    std::fprintf(stderr, "ml_lake_tool: %s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}
