// Built-in dataset specifications, the registry and dataset detection.

#include <arrow/type.h>
#include <arrow/util/key_value_metadata.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "marketlake/schema.h"
#include "marketlake/schema/internal.h"

namespace marketlake {
namespace {

using schema_internal::NameKey;

ColumnSpec Col(std::string name, ColumnType type, bool required,
               std::vector<std::string> aliases = {}) {
  ColumnSpec c;
  c.name = std::move(name);
  c.type = type;
  c.required = required;
  c.nullable = !required;
  c.aliases = std::move(aliases);
  return c;
}

ColumnSpec SymbolCol() { return Col("symbol", ColumnType::kString, true, {"ticker", "sym"}); }

ColumnSpec TsCol(std::vector<std::string> extra = {}) {
  std::vector<std::string> aliases = {"timestamp", "time", "date", "datetime", "t"};
  aliases.insert(aliases.end(), extra.begin(), extra.end());
  return Col("ts", ColumnType::kTimestamp, true, std::move(aliases));
}

RuleSpec Rule(RuleKind kind, std::string column, double min = 0, double max = 0) {
  return RuleSpec{kind, std::move(column), min, max};
}

DatasetSpec MakeTrades() {
  DatasetSpec s;
  s.name = "trades";
  s.columns = {SymbolCol(),
               TsCol(),
               Col("price", ColumnType::kFloat64, true, {"p", "trade_price", "last", "last_price"}),
               Col("size", ColumnType::kInt64, true, {"s", "volume", "qty", "quantity", "shares"}),
               Col("exchange", ColumnType::kString, false, {"x", "venue"}),
               Col("conditions", ColumnType::kStringList, false, {"c", "condition"}),
               Col("trade_id", ColumnType::kString, false, {"i", "id", "tradeid"}),
               Col("sequence", ColumnType::kInt64, false, {"seq", "q", "sequence_number"}),
               Col("tape", ColumnType::kString, false, {"z"})};
  s.key = {"symbol", "ts", "sequence", "trade_id"};
  s.rules = {Rule(RuleKind::kPositive, "price"), Rule(RuleKind::kNonNegative, "size")};
  return s;
}

DatasetSpec MakeQuotes() {
  DatasetSpec s;
  s.name = "quotes";
  s.columns = {SymbolCol(),
               TsCol(),
               Col("bid", ColumnType::kFloat64, false, {"bid_price", "bp", "bidprice"}),
               Col("ask", ColumnType::kFloat64, false, {"ask_price", "ap", "askprice", "offer"}),
               Col("bid_size", ColumnType::kInt64, false, {"bs", "bidsize", "bid_qty"}),
               Col("ask_size", ColumnType::kInt64, false, {"as", "asksize", "ask_qty"}),
               Col("price", ColumnType::kFloat64, false, {"p", "last", "last_price", "mid"}),
               Col("volume", ColumnType::kInt64, false, {"v", "size"}),
               Col("bid_exchange", ColumnType::kString, false, {"bx"}),
               Col("ask_exchange", ColumnType::kString, false, {"ax"})};
  s.key = {"symbol", "ts"};
  s.rules = {Rule(RuleKind::kPositive, "bid"),         Rule(RuleKind::kPositive, "ask"),
             Rule(RuleKind::kPositive, "price"),       Rule(RuleKind::kNonNegative, "bid_size"),
             Rule(RuleKind::kNonNegative, "ask_size"), Rule(RuleKind::kNonNegative, "volume"),
             Rule(RuleKind::kBidLeAsk, "bid")};
  s.require_any = {{"price", "bid", "ask"}};
  return s;
}

DatasetSpec MakeBars(std::string interval) {
  DatasetSpec s;
  s.name = "bars";
  s.interval = std::move(interval);
  s.columns = {SymbolCol(),
               TsCol({"bar_start", "start"}),
               Col("open", ColumnType::kFloat64, true, {"o"}),
               Col("high", ColumnType::kFloat64, true, {"h"}),
               Col("low", ColumnType::kFloat64, true, {"l"}),
               Col("close", ColumnType::kFloat64, true, {"c"}),
               Col("volume", ColumnType::kInt64, true, {"v", "vol"}),
               Col("adj_close", ColumnType::kFloat64, false, {"adjusted_close", "adjclose"}),
               Col("trade_count", ColumnType::kInt64, false,
                   {"n", "trades", "num_trades", "count", "number_of_trades"}),
               Col("vwap", ColumnType::kFloat64, false, {"vw"})};
  s.key = {"symbol", "ts"};
  s.rules = {Rule(RuleKind::kPositive, "open"),
             Rule(RuleKind::kPositive, "high"),
             Rule(RuleKind::kPositive, "low"),
             Rule(RuleKind::kPositive, "close"),
             Rule(RuleKind::kPositive, "adj_close"),
             Rule(RuleKind::kNonNegative, "volume"),
             Rule(RuleKind::kNonNegative, "trade_count"),
             Rule(RuleKind::kPositive, "vwap"),
             Rule(RuleKind::kHighGeOpenClose, "high"),
             Rule(RuleKind::kLowLeOpenClose, "low")};
  return s;
}

DatasetSpec MakeNews() {
  DatasetSpec s;
  s.name = "news";
  s.columns = {
      TsCol({"published_at", "published", "created_at"}),
      Col("id", ColumnType::kString, false, {"article_id", "news_id"}),
      Col("headline", ColumnType::kString, true, {"title"}),
      Col("summary", ColumnType::kString, false, {"description", "abstract"}),
      Col("content", ColumnType::kString, false, {"body", "text"}),
      Col("source", ColumnType::kString, false, {"publisher", "provider"}),
      Col("author", ColumnType::kString, false, {"authors"}),
      Col("url", ColumnType::kString, false, {"link"}),
      Col("tickers", ColumnType::kStringList, false, {"symbols", "symbol", "ticker", "related"}),
      Col("sentiment_score", ColumnType::kFloat64, false, {"sentiment"}),
      Col("sentiment_label", ColumnType::kString, false, {})};
  s.key = {"ts", "headline", "id"};
  s.rules = {Rule(RuleKind::kRange, "sentiment_score", -1.0, 1.0)};
  return s;
}

DatasetSpec MakePriceVolatility() {
  DatasetSpec s;
  s.name = "price_volatility";
  s.columns = {SymbolCol(), TsCol(),
               Col("volatility_30d", ColumnType::kFloat64, false, {"vol_30d"}),
               Col("volatility_60d", ColumnType::kFloat64, false, {"vol_60d"}),
               Col("volatility_ratio", ColumnType::kFloat64, false, {"vol_ratio"})};
  s.key = {"symbol", "ts"};
  s.rules = {Rule(RuleKind::kNonNegative, "volatility_30d"),
             Rule(RuleKind::kNonNegative, "volatility_60d"),
             Rule(RuleKind::kNonNegative, "volatility_ratio")};
  return s;
}

DatasetSpec MakeMomentum() {
  DatasetSpec s;
  s.name = "momentum_indicators";
  s.columns = {SymbolCol(),
               TsCol(),
               Col("rsi_14", ColumnType::kFloat64, false, {"rsi"}),
               Col("macd", ColumnType::kFloat64, false),
               Col("macd_signal", ColumnType::kFloat64, false),
               Col("macd_histogram", ColumnType::kFloat64, false, {"macd_hist"}),
               Col("momentum_10", ColumnType::kFloat64, false, {"momentum"}),
               Col("roc_10", ColumnType::kFloat64, false, {"roc"})};
  s.key = {"symbol", "ts"};
  s.rules = {Rule(RuleKind::kRange, "rsi_14", 0.0, 100.0)};
  return s;
}

DatasetSpec MakeVolumeProfile() {
  DatasetSpec s;
  s.name = "volume_profile";
  s.columns = {SymbolCol(),
               TsCol(),
               Col("volume", ColumnType::kInt64, false, {"v"}),
               Col("vwap", ColumnType::kFloat64, false, {"vw"}),
               Col("volume_sma_20", ColumnType::kFloat64, false, {"volume_ma_20"}),
               Col("relative_volume", ColumnType::kFloat64, false, {"rvol"}),
               Col("buy_volume", ColumnType::kInt64, false),
               Col("sell_volume", ColumnType::kInt64, false)};
  s.key = {"symbol", "ts"};
  s.rules = {Rule(RuleKind::kNonNegative, "volume"),
             Rule(RuleKind::kPositive, "vwap"),
             Rule(RuleKind::kNonNegative, "volume_sma_20"),
             Rule(RuleKind::kNonNegative, "relative_volume"),
             Rule(RuleKind::kNonNegative, "buy_volume"),
             Rule(RuleKind::kNonNegative, "sell_volume")};
  return s;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

}  // namespace

std::shared_ptr<arrow::DataType> ArrowTypeOf(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
      return arrow::utf8();
    case ColumnType::kInt32:
      return arrow::int32();
    case ColumnType::kInt64:
      return arrow::int64();
    case ColumnType::kFloat32:
      return arrow::float32();
    case ColumnType::kFloat64:
      return arrow::float64();
    case ColumnType::kBool:
      return arrow::boolean();
    case ColumnType::kTimestamp:
      return arrow::timestamp(arrow::TimeUnit::NANO, "UTC");
    case ColumnType::kStringList:
      return arrow::list(arrow::utf8());
  }
  return arrow::null();
}

std::string_view ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
      return "string";
    case ColumnType::kInt32:
      return "int32";
    case ColumnType::kInt64:
      return "int64";
    case ColumnType::kFloat32:
      return "float32";
    case ColumnType::kFloat64:
      return "float64";
    case ColumnType::kBool:
      return "bool";
    case ColumnType::kTimestamp:
      return "timestamp";
    case ColumnType::kStringList:
      return "list<string>";
  }
  return "?";
}

std::string_view RuleName(RuleKind kind) {
  switch (kind) {
    case RuleKind::kPositive:
      return "positive";
    case RuleKind::kNonNegative:
      return "non_negative";
    case RuleKind::kRange:
      return "range";
    case RuleKind::kNotNull:
      return "not_null";
    case RuleKind::kHighGeOpenClose:
      return "high_ge_open_close";
    case RuleKind::kLowLeOpenClose:
      return "low_le_open_close";
    case RuleKind::kBidLeAsk:
      return "bid_le_ask";
  }
  return "?";
}

std::shared_ptr<arrow::Schema> DatasetSpec::ArrowSchema() const {
  arrow::FieldVector fields;
  fields.reserve(columns.size());
  for (const auto& c : columns)
    fields.push_back(arrow::field(c.name, ArrowTypeOf(c.type), c.nullable));
  std::vector<std::string> keys = {"marketlake.dataset"};
  std::vector<std::string> values = {name};
  if (!interval.empty()) {
    keys.push_back("marketlake.interval");
    values.push_back(interval);
  }
  return arrow::schema(std::move(fields), arrow::key_value_metadata(keys, values));
}

const ColumnSpec* DatasetSpec::FindColumn(std::string_view col) const {
  for (const auto& c : columns) {
    if (c.name == col) return &c;
  }
  return nullptr;
}

Status DatasetSpec::Validate() const {
  if (name.empty()) return Error(ErrorCode::kInvalidArgument, "dataset has no name");
  if (columns.empty()) {
    return Error(ErrorCode::kInvalidArgument, "dataset '" + name + "' has no columns");
  }
  std::map<std::string, std::string> keys;  // match key -> column owning it
  for (const auto& c : columns) {
    std::vector<std::string> names = {c.name};
    names.insert(names.end(), c.aliases.begin(), c.aliases.end());
    for (const auto& n : names) {
      std::string k = NameKey(n);
      if (k.empty()) {
        return Error(ErrorCode::kInvalidArgument,
                     "dataset '" + name + "': column name '" + n + "' has no letters or digits");
      }
      auto [it, inserted] = keys.emplace(k, c.name);
      if (!inserted && it->second != c.name) {
        return Error(ErrorCode::kInvalidArgument, "dataset '" + name + "': name '" + n +
                                                      "' of column '" + c.name +
                                                      "' also matches column '" + it->second + "'");
      }
    }
  }
  const ColumnSpec* time = FindColumn(time_column);
  if (time == nullptr || time->type != ColumnType::kTimestamp) {
    return Error(ErrorCode::kInvalidArgument, "dataset '" + name + "': time column '" +
                                                  time_column + "' is not a timestamp column");
  }
  for (const auto& k : key) {
    if (FindColumn(k) == nullptr) {
      return Error(ErrorCode::kInvalidArgument,
                   "dataset '" + name + "': key column '" + k + "' is not a column");
    }
  }
  for (const auto& r : rules) {
    const ColumnSpec* c = FindColumn(r.column);
    if (c == nullptr) {
      return Error(ErrorCode::kInvalidArgument, "dataset '" + name + "': rule " +
                                                    std::string(RuleName(r.kind)) +
                                                    " names unknown column '" + r.column + "'");
    }
    bool numeric = c->type == ColumnType::kInt32 || c->type == ColumnType::kInt64 ||
                   c->type == ColumnType::kFloat32 || c->type == ColumnType::kFloat64;
    if (r.kind != RuleKind::kNotNull && !numeric) {
      return Error(ErrorCode::kInvalidArgument, "dataset '" + name + "': rule " +
                                                    std::string(RuleName(r.kind)) +
                                                    " needs a numeric column, '" + r.column +
                                                    "' is " + std::string(ColumnTypeName(c->type)));
    }
    if (r.kind == RuleKind::kRange && !(r.min <= r.max)) {
      return Error(ErrorCode::kInvalidArgument,
                   "dataset '" + name + "': rule range on '" + r.column + "' has min > max");
    }
  }
  return Status::OK();
}

Result<int64_t> ParseBarInterval(std::string_view interval) {
  auto bad = [&] {
    return Error(ErrorCode::kInvalidArgument,
                 "bar interval '" + std::string(interval) +
                     "' is not <n><unit> with unit s, m, h, d or w (e.g. 1s, 1m, 5m, 1h, 1d)");
  };
  if (interval.size() < 2 || interval.size() > 8) return bad();
  int64_t n = 0;
  auto [end, ec] = std::from_chars(interval.data(), interval.data() + interval.size() - 1, n);
  if (ec != std::errc() || end != interval.data() + interval.size() - 1 || n <= 0) return bad();
  int64_t unit = 0;
  switch (interval.back()) {
    case 's':
      unit = 1'000'000'000LL;
      break;
    case 'm':
      unit = 60'000'000'000LL;
      break;
    case 'h':
      unit = 3'600'000'000'000LL;
      break;
    case 'd':
      unit = 86'400'000'000'000LL;
      break;
    case 'w':
      unit = 7 * 86'400'000'000'000LL;
      break;
    default:
      return bad();
  }
  if (n > 1000000) return bad();
  return n * unit;
}

const DatasetSpec& TradesSpec() {
  static const DatasetSpec kSpec = MakeTrades();
  return kSpec;
}
const DatasetSpec& QuotesSpec() {
  static const DatasetSpec kSpec = MakeQuotes();
  return kSpec;
}
Result<DatasetSpec> BarsSpec(std::string_view interval) {
  ML_RETURN_NOT_OK(ParseBarInterval(interval).status());
  return MakeBars(std::string(interval));
}
const DatasetSpec& NewsSpec() {
  static const DatasetSpec kSpec = MakeNews();
  return kSpec;
}
const DatasetSpec& PriceVolatilitySpec() {
  static const DatasetSpec kSpec = MakePriceVolatility();
  return kSpec;
}
const DatasetSpec& MomentumIndicatorsSpec() {
  static const DatasetSpec kSpec = MakeMomentum();
  return kSpec;
}
const DatasetSpec& VolumeProfileSpec() {
  static const DatasetSpec kSpec = MakeVolumeProfile();
  return kSpec;
}

// ---------------------------------------------------------------------------------------------

namespace {
const std::vector<std::string>& BuiltinNames() {
  static const std::vector<std::string> kNames = {"bars",   "momentum_indicators", "news",
                                                  "ohlcv",  "price_volatility",    "quotes",
                                                  "trades", "volume_profile"};
  return kNames;
}

bool IsBuiltinName(std::string_view name) {
  const auto& names = BuiltinNames();
  return std::find(names.begin(), names.end(), name) != names.end() || name.rfind("bars_", 0) == 0;
}

Result<DatasetSpec> FindBuiltin(std::string_view name, bool* found) {
  *found = true;
  if (name == "trades") return TradesSpec();
  if (name == "quotes") return QuotesSpec();
  if (name == "bars") return BarsSpec("1m");
  if (name == "ohlcv") return BarsSpec("1d");
  if (name.rfind("bars_", 0) == 0) return BarsSpec(name.substr(5));
  if (name == "news") return NewsSpec();
  if (name == "price_volatility") return PriceVolatilitySpec();
  if (name == "momentum_indicators") return MomentumIndicatorsSpec();
  if (name == "volume_profile") return VolumeProfileSpec();
  *found = false;
  return DatasetSpec{};
}
}  // namespace

DatasetRegistry::DatasetRegistry() = default;

Status DatasetRegistry::Register(DatasetSpec spec) {
  ML_RETURN_NOT_OK(spec.Validate());
  if (IsBuiltinName(spec.name)) {
    return Error(ErrorCode::kAlreadyExists,
                 "dataset '" + spec.name + "' is built in and cannot be redefined");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (custom_.count(spec.name) != 0) {
    return Error(ErrorCode::kAlreadyExists, "dataset '" + spec.name + "' is already registered");
  }
  std::string name = spec.name;
  custom_.emplace(std::move(name), std::move(spec));
  return Status::OK();
}

Status DatasetRegistry::RegisterFile(const std::string& path) {
  ML_ASSIGN_OR_RETURN(DatasetSpec spec, LoadDatasetSpecFile(path));
  return WithContext(Register(std::move(spec)), path);
}

Result<DatasetSpec> DatasetRegistry::Find(std::string_view name) const {
  bool found = false;
  auto builtin = FindBuiltin(name, &found);
  if (found) return builtin;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = custom_.find(name);
    if (it != custom_.end()) return it->second;
  }
  return Error(ErrorCode::kNotFound,
               "unknown dataset '" + std::string(name) + "' (known: " + JoinNames(Names()) + ")");
}

std::vector<std::string> DatasetRegistry::Names() const {
  std::set<std::string> names(BuiltinNames().begin(), BuiltinNames().end());
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [n, s] : custom_) names.insert(n);
  return {names.begin(), names.end()};
}

// ---------------------------------------------------------------------------------------------
// Detection

namespace {
bool HasAnyName(const std::set<std::string>& keys, const DatasetSpec& spec,
                std::string_view column) {
  const ColumnSpec* c = spec.FindColumn(column);
  if (c == nullptr) return false;
  if (keys.count(NameKey(c->name))) return true;
  for (const auto& a : c->aliases) {
    if (keys.count(NameKey(a))) return true;
  }
  return false;
}

// Path segments, lowercased; file names contribute their stem split on '_' and '.'.
std::vector<std::string> PathTokens(std::string_view path) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : path) {
    if (c == '/' || c == '\\' || c == '_' || c == '.' || c == '-' || c == '=') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}
}  // namespace

Result<DetectedDataset> DetectDataset(const std::vector<std::string>& column_names,
                                      std::string_view path) {
  std::set<std::string> keys;
  for (const auto& n : column_names) keys.insert(NameKey(n));

  // Path hint: the last dataset-naming segment wins (".../news/2024/quotes_x" is quotes).
  std::string hint;
  std::string hint_token;
  std::string interval;
  for (const auto& tok : PathTokens(path)) {
    std::string h;
    if (tok == "trades" || tok == "ticks" || tok == "trade" || tok == "tick") h = "trades";
    if (tok == "quotes" || tok == "quote") h = "quotes";
    if (tok == "ohlcv" || tok == "bars" || tok == "bar" || tok == "candles") h = "bars";
    if (tok == "news") h = "news";
    if (!h.empty()) {
      hint = h;
      hint_token = tok;
    }
    if (tok == "daily") interval = "1d";
    if (tok == "1min") interval = "1m";
    if (tok == "hourly") interval = "1h";
    if (ParseBarInterval(tok).ok()) interval = tok;
  }

  DetectedDataset out;
  const DatasetSpec bars = MakeBars("1m");
  if (HasAnyName(keys, NewsSpec(), "headline")) {
    out.dataset = "news";
    out.reason = "column headline";
  } else if (HasAnyName(keys, bars, "open") && HasAnyName(keys, bars, "high") &&
             HasAnyName(keys, bars, "low") && HasAnyName(keys, bars, "close")) {
    out.dataset = "bars";
    out.reason = "columns open, high, low, close";
  } else if (HasAnyName(keys, QuotesSpec(), "bid") || HasAnyName(keys, QuotesSpec(), "ask")) {
    out.dataset = "quotes";
    out.reason = "column bid or ask";
  } else if (HasAnyName(keys, TradesSpec(), "price") && HasAnyName(keys, TradesSpec(), "size")) {
    if (hint == "quotes") {
      out.dataset = "quotes";
      out.reason = "columns price and size/volume, path segment '" + hint_token + "'";
    } else {
      out.dataset = "trades";
      out.reason = "columns price and size/volume";
    }
  } else if (!hint.empty()) {
    out.dataset = hint;
    out.reason = "path segment '" + hint_token + "'";
  } else {
    return Error(ErrorCode::kSchemaMismatch,
                 "cannot detect the dataset of '" + std::string(path) + "' from columns [" +
                     JoinNames(column_names) +
                     "]: expected headline (news), open/high/low/close (bars), bid/ask (quotes) "
                     "or price and size (trades), or a path segment trades/quotes/ohlcv/bars/news");
  }
  if (out.dataset == "bars") out.interval = interval;
  return out;
}

}  // namespace marketlake
