// ml_aggregate_tool: drives the aggregate module from the command line for the DuckDB
// oracle tests (tests/interop/test_aggregate_duckdb.py).
//
//   ml_aggregate_tool bars IN.parquet OUT.parquet [--interval 1m] [--fill] [--from-bars]
//                     [--sessions regular|extended|all] [--calendar FILE|24x7|us]
//   ml_aggregate_tool quotes IN.parquet OUT.parquet [--interval 1s] [--last]
//   ml_aggregate_tool asof LEFT.parquet RIGHT.parquet OUT.parquet [--tolerance-ns N]
//                     [--by a,b] [--on ts]
//   ml_aggregate_tool sessions IN.parquet OUT.parquet [--calendar ...]   (adds 'session')
//
// Exit 0 on success; 1 with a one-line error on stderr otherwise.
#include <arrow/api.h>
#include <arrow/array/concatenate.h>
#include <arrow/io/file.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>

#include <cstdio>
#include <string>
#include <vector>

#include "marketlake/asof.h"
#include "marketlake/bars.h"
#include "marketlake/sessions.h"

namespace {

using marketlake::Result;
using marketlake::Status;

Result<std::shared_ptr<arrow::Table>> Read(const std::string& path) {
  ML_ASSIGN_OR_RETURN(auto file, arrow::io::ReadableFile::Open(path));
  ML_ASSIGN_OR_RETURN(auto reader, parquet::arrow::OpenFile(file, arrow::default_memory_pool()));
  return reader->ReadTable();
}

Status Write(const arrow::Table& table, const std::string& path) {
  ML_ASSIGN_OR_RETURN(auto out, arrow::io::FileOutputStream::Open(path));
  auto props = parquet::ArrowWriterProperties::Builder().store_schema()->build();
  ML_RETURN_NOT_OK(parquet::arrow::WriteTable(table, arrow::default_memory_pool(), out, 1 << 20,
                                              parquet::default_writer_properties(), props));
  return out->Close();
}

std::string Flag(std::vector<std::string>& args, const std::string& name,
                 const std::string& fallback) {
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == name) {
      std::string v = args[i + 1];
      args.erase(args.begin() + i, args.begin() + i + 2);
      return v;
    }
  }
  return fallback;
}

bool Switch(std::vector<std::string>& args, const std::string& name) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == name) {
      args.erase(args.begin() + i);
      return true;
    }
  }
  return false;
}

Result<marketlake::TradingCalendar> Calendar(const std::string& spec) {
  if (spec == "us") return marketlake::UsEquitiesCalendar();
  if (spec == "24x7") return marketlake::AlwaysOpenCalendar();
  return marketlake::LoadCalendarFile(spec);
}

Status Run(std::vector<std::string> args) {
  if (args.empty()) return marketlake::Error(marketlake::ErrorCode::kInvalidArgument, "no verb");
  const std::string verb = args[0];
  args.erase(args.begin());
  if (verb == "bars") {
    marketlake::BarOptions o;
    o.interval = Flag(args, "--interval", "1m");
    o.fill = Switch(args, "--fill");
    bool from_bars = Switch(args, "--from-bars");
    std::string sessions = Flag(args, "--sessions", "regular");
    o.sessions = sessions == "extended" ? marketlake::kExtendedHours
                 : sessions == "all"    ? marketlake::kAllSessions
                                        : marketlake::kRegularOnly;
    std::string cal_spec = Flag(args, "--calendar", "");
    marketlake::TradingCalendar cal;
    if (!cal_spec.empty()) {
      ML_ASSIGN_OR_RETURN(cal, Calendar(cal_spec));
      o.calendar = &cal;
    }
    if (args.size() != 2) {
      return marketlake::Error(marketlake::ErrorCode::kInvalidArgument, "bars IN OUT");
    }
    ML_ASSIGN_OR_RETURN(auto in, Read(args[0]));
    ML_ASSIGN_OR_RETURN(auto bars, from_bars ? marketlake::AggregateBars(*in, o)
                                             : marketlake::AggregateTrades(*in, o));
    return Write(*bars, args[1]);
  }
  if (verb == "quotes") {
    marketlake::QuoteOptions o;
    o.interval = Flag(args, "--interval", "1s");
    if (Switch(args, "--last")) o.pick = marketlake::QuoteOptions::Pick::kLast;
    if (args.size() != 2) {
      return marketlake::Error(marketlake::ErrorCode::kInvalidArgument, "quotes IN OUT");
    }
    ML_ASSIGN_OR_RETURN(auto in, Read(args[0]));
    ML_ASSIGN_OR_RETURN(auto out, marketlake::SampleQuotes(*in, o));
    return Write(*out, args[1]);
  }
  if (verb == "asof") {
    marketlake::AsofOptions o;
    std::string tol = Flag(args, "--tolerance-ns", "");
    if (!tol.empty()) o.tolerance_nanos = std::stoll(tol);
    std::string by = Flag(args, "--by", "symbol");
    o.by.clear();
    size_t start = 0;
    while (!by.empty() && start <= by.size()) {
      size_t comma = by.find(',', start);
      o.by.push_back(
          by.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    o.time_column = Flag(args, "--on", "ts");
    if (args.size() != 3) {
      return marketlake::Error(marketlake::ErrorCode::kInvalidArgument, "asof LEFT RIGHT OUT");
    }
    ML_ASSIGN_OR_RETURN(auto left, Read(args[0]));
    ML_ASSIGN_OR_RETURN(auto right, Read(args[1]));
    ML_ASSIGN_OR_RETURN(auto out, marketlake::AsofJoin(*left, *right, o));
    return Write(*out, args[2]);
  }
  if (verb == "sessions") {
    ML_ASSIGN_OR_RETURN(auto cal, Calendar(Flag(args, "--calendar", "us")));
    if (args.size() != 2) {
      return marketlake::Error(marketlake::ErrorCode::kInvalidArgument, "sessions IN OUT");
    }
    ML_ASSIGN_OR_RETURN(auto in, Read(args[0]));
    ML_ASSIGN_OR_RETURN(auto ts, arrow::Concatenate(in->GetColumnByName("ts")->chunks()));
    ML_ASSIGN_OR_RETURN(auto s, marketlake::ClassifySessions(*ts, cal));
    ML_ASSIGN_OR_RETURN(auto out,
                        in->AddColumn(in->num_columns(), arrow::field("session", s->type()),
                                      std::make_shared<arrow::ChunkedArray>(s)));
    return Write(*out, args[1]);
  }
  return marketlake::Error(marketlake::ErrorCode::kInvalidArgument, "unknown verb '" + verb + "'");
}

}  // namespace

int main(int argc, char** argv) {
  Status st = Run(std::vector<std::string>(argv + 1, argv + argc));
  if (!st.ok()) {
    std::fprintf(stderr, "ml_aggregate_tool: %s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}
