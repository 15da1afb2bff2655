// ParsePredicate and ToString: a hand-written recursive-descent parser for the grammar in
// marketlake/predicate.h. Recursion happens only through NOT and parentheses, and both count
// towards kMaxPredicateDepth, so the stack stays bounded whatever the input.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "marketlake/predicate.h"

namespace marketlake {
namespace {

bool IsIdentStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c) || c == '.'; }
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

constexpr std::string_view kKeywords[] = {"AND", "OR", "NOT", "IN", "IS", "NULL", "TRUE", "FALSE"};

bool IsKeyword(std::string_view word) {
  for (std::string_view k : kKeywords) {
    if (EqualsIgnoreCase(word, k)) return true;
  }
  return false;
}

struct Token {
  enum class Kind {
    kEnd,
    kWord,         // bare identifier or keyword
    kQuotedIdent,  // "..."
    kString,       // '...'
    kNumber,       // -5, 1.5e3
    kLParen,
    kRParen,
    kComma,
    kOp,
  };
  Kind kind = Kind::kEnd;
  size_t begin = 0;
  size_t end = 0;
  std::string value;  // decoded text of kQuotedIdent / kString
  CompareOp op = CompareOp::kEq;
};

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<PredicateNode> Parse() {
    if (text_.size() > kMaxPredicateBytes) {
      return Fail(kMaxPredicateBytes,
                  "input longer than " + std::to_string(kMaxPredicateBytes) + " bytes");
    }
    ML_RETURN_NOT_OK(Advance());
    if (tok_.kind == Token::Kind::kEnd) {
      return Fail(tok_.begin, "empty predicate (expected a column, NOT or '(')");
    }
    ML_ASSIGN_OR_RETURN(PredicateNode node, ParseOr(0));
    if (tok_.kind != Token::Kind::kEnd) return Unexpected("AND, OR or end of input");
    return node;
  }

 private:
  Status Fail(size_t pos, std::string_view what) const {
    std::string msg = "predicate: at byte ";
    msg += std::to_string(pos);
    msg += ": ";
    msg += what;
    return Error(ErrorCode::kInvalidArgument, std::move(msg));
  }

  // "unexpected <current token> (expected <expected>)".
  Status Unexpected(std::string_view expected) const {
    std::string what;
    if (tok_.kind == Token::Kind::kEnd) {
      what = "unexpected end of input";
    } else {
      // Echo at most 32 bytes of the token so errors stay one short line.
      std::string_view raw = text_.substr(tok_.begin, tok_.end - tok_.begin);
      what = "unexpected ";
      if (raw.size() > 32) {
        what += "'" + std::string(raw.substr(0, 29)) + "...'";
      } else {
        what += "'" + std::string(raw) + "'";
      }
    }
    what += " (expected ";
    what += expected;
    what += ")";
    return Fail(tok_.begin, what);
  }

  bool IsWord(std::string_view keyword) const {
    return tok_.kind == Token::Kind::kWord &&
           EqualsIgnoreCase(text_.substr(tok_.begin, tok_.end - tok_.begin), keyword);
  }

  // Reads the next token into tok_.
  Status Advance() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
    tok_ = Token();
    tok_.begin = pos_;
    if (pos_ >= text_.size()) {
      tok_.end = pos_;
      return Status::OK();
    }
    const char c = text_[pos_];
    if (IsIdentStart(c)) {
      while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
      tok_.kind = Token::Kind::kWord;
    } else if (c == '"' || c == '\'') {
      tok_.kind = c == '"' ? Token::Kind::kQuotedIdent : Token::Kind::kString;
      ++pos_;
      // A doubled quote stands for one quote character.
      while (true) {
        if (pos_ >= text_.size()) {
          return Fail(tok_.begin, c == '"' ? "unterminated quoted column name (expected \")"
                                           : "unterminated string (expected ')");
        }
        if (text_[pos_] == c) {
          if (pos_ + 1 < text_.size() && text_[pos_ + 1] == c) {
            tok_.value += c;
            pos_ += 2;
            continue;
          }
          ++pos_;
          break;
        }
        tok_.value += text_[pos_++];
      }
    } else if (IsDigit(c) || c == '-' || c == '.') {
      ML_RETURN_NOT_OK(LexNumber());
    } else if (c == '(') {
      tok_.kind = Token::Kind::kLParen;
      ++pos_;
    } else if (c == ')') {
      tok_.kind = Token::Kind::kRParen;
      ++pos_;
    } else if (c == ',') {
      tok_.kind = Token::Kind::kComma;
      ++pos_;
    } else if (c == '=' || c == '!' || c == '<' || c == '>') {
      tok_.kind = Token::Kind::kOp;
      const char n = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
      if (c == '=') {
        tok_.op = CompareOp::kEq;
        pos_ += n == '=' ? 2 : 1;
      } else if (c == '!') {
        if (n != '=') return Fail(pos_, "unexpected '!' (expected '!=')");
        tok_.op = CompareOp::kNe;
        pos_ += 2;
      } else if (c == '<') {
        tok_.op = n == '=' ? CompareOp::kLe : n == '>' ? CompareOp::kNe : CompareOp::kLt;
        pos_ += (n == '=' || n == '>') ? 2 : 1;
      } else {
        tok_.op = n == '=' ? CompareOp::kGe : CompareOp::kGt;
        pos_ += n == '=' ? 2 : 1;
      }
    } else {
      std::string what = "unexpected ";
      if (c >= 0x20 && c < 0x7f) {
        what += "character '";
        what += c;
        what += "'";
      } else {
        static constexpr char kHex[] = "0123456789abcdef";
        const unsigned char u = static_cast<unsigned char>(c);
        what += "byte 0x";
        what += kHex[u >> 4];
        what += kHex[u & 15];
      }
      return Fail(pos_, what);
    }
    tok_.end = pos_;
    return Status::OK();
  }

  // -?(digits[.digits*]|.digits)([eE][+-]?digits)?, not followed by an identifier character.
  Status LexNumber() {
    tok_.kind = Token::Kind::kNumber;
    const size_t start = pos_;
    auto digits = [&] {
      size_t from = pos_;
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
      return pos_ - from;
    };
    if (text_[pos_] == '-') ++pos_;
    size_t mantissa = digits();
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      mantissa += digits();
    }
    if (mantissa == 0) return Fail(start, "malformed number (expected digits)");
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (digits() == 0) return Fail(start, "malformed number (expected exponent digits)");
    }
    if (pos_ < text_.size() && IsIdentChar(text_[pos_])) {
      return Fail(start, "malformed number (expected a delimiter after it)");
    }
    return Status::OK();
  }

  Status CheckDepth(int depth) const {
    if (depth > kMaxPredicateDepth) {
      return Fail(tok_.begin,
                  "nesting deeper than " + std::to_string(kMaxPredicateDepth) + " levels");
    }
    return Status::OK();
  }

  Result<PredicateNode> ParseOr(int depth) {
    ML_ASSIGN_OR_RETURN(PredicateNode first, ParseAnd(depth));
    if (!IsWord("OR")) return first;
    PredicateNode node;
    node.kind = PredicateNode::Kind::kOr;
    node.children.push_back(std::move(first));
    while (IsWord("OR")) {
      ML_RETURN_NOT_OK(Advance());
      ML_ASSIGN_OR_RETURN(PredicateNode next, ParseAnd(depth));
      node.children.push_back(std::move(next));
    }
    return node;
  }

  Result<PredicateNode> ParseAnd(int depth) {
    ML_ASSIGN_OR_RETURN(PredicateNode first, ParseUnary(depth));
    if (!IsWord("AND")) return first;
    PredicateNode node;
    node.kind = PredicateNode::Kind::kAnd;
    node.children.push_back(std::move(first));
    while (IsWord("AND")) {
      ML_RETURN_NOT_OK(Advance());
      ML_ASSIGN_OR_RETURN(PredicateNode next, ParseUnary(depth));
      node.children.push_back(std::move(next));
    }
    return node;
  }

  Result<PredicateNode> ParseUnary(int depth) {
    if (IsWord("NOT")) {
      ML_RETURN_NOT_OK(CheckDepth(depth + 1));
      ML_RETURN_NOT_OK(Advance());
      ML_ASSIGN_OR_RETURN(PredicateNode child, ParseUnary(depth + 1));
      PredicateNode node;
      node.kind = PredicateNode::Kind::kNot;
      node.children.push_back(std::move(child));
      return node;
    }
    return ParsePrimary(depth);
  }

  Result<PredicateNode> ParsePrimary(int depth) {
    if (tok_.kind == Token::Kind::kLParen) {
      ML_RETURN_NOT_OK(CheckDepth(depth + 1));
      ML_RETURN_NOT_OK(Advance());
      ML_ASSIGN_OR_RETURN(PredicateNode inner, ParseOr(depth + 1));
      if (tok_.kind != Token::Kind::kRParen) return Unexpected("')', AND or OR");
      ML_RETURN_NOT_OK(Advance());
      return inner;
    }
    PredicateNode node;
    if (tok_.kind == Token::Kind::kQuotedIdent) {
      node.column = std::move(tok_.value);
    } else if (tok_.kind == Token::Kind::kWord &&
               !IsKeyword(text_.substr(tok_.begin, tok_.end - tok_.begin))) {
      node.column = std::string(text_.substr(tok_.begin, tok_.end - tok_.begin));
    } else {
      return Unexpected("a column, NOT or '('");
    }
    ML_RETURN_NOT_OK(Advance());

    if (tok_.kind == Token::Kind::kOp) {
      node.kind = PredicateNode::Kind::kCompare;
      node.op = tok_.op;
      ML_RETURN_NOT_OK(Advance());
      ML_ASSIGN_OR_RETURN(Literal lit, ParseLiteral());
      node.literals.push_back(std::move(lit));
      return node;
    }
    if (IsWord("IS")) {
      node.kind = PredicateNode::Kind::kIsNull;
      ML_RETURN_NOT_OK(Advance());
      if (IsWord("NOT")) {
        node.negated = true;
        ML_RETURN_NOT_OK(Advance());
      }
      if (!IsWord("NULL")) return Unexpected(node.negated ? "NULL" : "NULL or NOT NULL");
      ML_RETURN_NOT_OK(Advance());
      return node;
    }
    if (IsWord("NOT")) {
      node.negated = true;
      ML_RETURN_NOT_OK(Advance());
      if (!IsWord("IN")) return Unexpected("IN");
    }
    if (IsWord("IN")) {
      node.kind = PredicateNode::Kind::kIn;
      ML_RETURN_NOT_OK(Advance());
      if (tok_.kind != Token::Kind::kLParen) return Unexpected("'(' after IN");
      ML_RETURN_NOT_OK(Advance());
      while (true) {
        if (node.literals.size() == kMaxInListItems) {
          return Fail(tok_.begin,
                      "IN list longer than " + std::to_string(kMaxInListItems) + " items");
        }
        ML_ASSIGN_OR_RETURN(Literal lit, ParseLiteral());
        node.literals.push_back(std::move(lit));
        if (tok_.kind == Token::Kind::kRParen) break;
        if (tok_.kind != Token::Kind::kComma) return Unexpected("',' or ')'");
        ML_RETURN_NOT_OK(Advance());
      }
      ML_RETURN_NOT_OK(Advance());
      return node;
    }
    return Unexpected("a comparison operator, IN, NOT IN or IS");
  }

  Result<Literal> ParseLiteral() {
    Literal lit;
    if (tok_.kind == Token::Kind::kString) {
      lit.kind = Literal::Kind::kString;
      lit.string_value = std::move(tok_.value);
    } else if (tok_.kind == Token::Kind::kNumber) {
      ML_RETURN_NOT_OK(NumberLiteral(&lit));
    } else if (IsWord("TRUE") || IsWord("FALSE")) {
      lit.kind = Literal::Kind::kBool;
      lit.bool_value = IsWord("TRUE");
    } else if (IsWord("NULL")) {
      lit.kind = Literal::Kind::kNull;
    } else {
      return Unexpected("a literal: 'string', number, TRUE, FALSE or NULL");
    }
    ML_RETURN_NOT_OK(Advance());
    return lit;
  }

  Status NumberLiteral(Literal* lit) {
    const std::string_view text = text_.substr(tok_.begin, tok_.end - tok_.begin);
    const char* first = text.data();
    const char* last = text.data() + text.size();
    if (text.find_first_of(".eE") == std::string_view::npos) {
      lit->kind = Literal::Kind::kInt;
      auto [ptr, ec] = std::from_chars(first, last, lit->int_value);
      if (ec == std::errc::result_out_of_range) {
        return Fail(tok_.begin,
                    "integer out of range (expected -9223372036854775808 to "
                    "9223372036854775807)");
      }
      if (ec != std::errc() || ptr != last) return Fail(tok_.begin, "malformed integer");
      return Status::OK();
    }
    lit->kind = Literal::Kind::kDouble;
    auto [ptr, ec] = std::from_chars(first, last, lit->double_value);
    // Overflow and underflow alike: a literal that does not survive as a double is refused
    // rather than silently becoming infinity or zero.
    if (ec == std::errc::result_out_of_range) {
      return Fail(tok_.begin, "number out of range for a double");
    }
    if (ec != std::errc() || ptr != last) return Fail(tok_.begin, "malformed number");
    return Status::OK();
  }

  std::string_view text_;
  size_t pos_ = 0;
  Token tok_;
};

void AppendQuoted(std::string_view text, char quote, std::string* out) {
  *out += quote;
  for (char c : text) {
    if (c == quote) *out += quote;
    *out += c;
  }
  *out += quote;
}

void AppendColumn(const std::string& column, std::string* out) {
  bool bare = !column.empty() && IsIdentStart(column[0]) && !IsKeyword(column);
  for (char c : column) bare = bare && IsIdentChar(c);
  if (bare) {
    *out += column;
  } else {
    AppendQuoted(column, '"', out);
  }
}

void AppendLiteral(const Literal& lit, std::string* out) {
  switch (lit.kind) {
    case Literal::Kind::kNull:
      *out += "NULL";
      return;
    case Literal::Kind::kBool:
      *out += lit.bool_value ? "TRUE" : "FALSE";
      return;
    case Literal::Kind::kInt:
      *out += std::to_string(lit.int_value);
      return;
    case Literal::Kind::kDouble: {
      // Shortest text that reads back to the same double; it must still look like a
      // double (not an integer) when reparsed.
      char buf[64];
      auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), lit.double_value);
      std::string_view text(buf, ec == std::errc() ? static_cast<size_t>(ptr - buf) : 0);
      *out += text;
      if (text.find_first_of(".enEN") == std::string_view::npos) *out += ".0";
      return;
    }
    case Literal::Kind::kString:
      AppendQuoted(lit.string_value, '\'', out);
      return;
  }
}

std::string_view OpText(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "=";
    case CompareOp::kNe:
      return "!=";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
  }
  return "=";
}

void AppendNode(const PredicateNode& node, std::string* out);

// Parenthesizes exactly where the parser needs it to rebuild the same tree: an AND or OR
// inside an AND, an OR inside an OR, and any AND/OR under NOT.
void AppendChild(const PredicateNode& child, PredicateNode::Kind parent, std::string* out) {
  bool parens = false;
  if (child.kind == PredicateNode::Kind::kOr) {
    parens = true;
  } else if (child.kind == PredicateNode::Kind::kAnd) {
    parens = parent != PredicateNode::Kind::kOr;
  }
  if (parens) *out += '(';
  AppendNode(child, out);
  if (parens) *out += ')';
}

void AppendNode(const PredicateNode& node, std::string* out) {
  switch (node.kind) {
    case PredicateNode::Kind::kCompare:
      AppendColumn(node.column, out);
      *out += ' ';
      *out += OpText(node.op);
      *out += ' ';
      if (node.literals.empty()) {
        *out += "NULL";
      } else {
        AppendLiteral(node.literals[0], out);
      }
      return;
    case PredicateNode::Kind::kIn:
      AppendColumn(node.column, out);
      *out += node.negated ? " NOT IN (" : " IN (";
      for (size_t i = 0; i < node.literals.size(); ++i) {
        if (i > 0) *out += ", ";
        AppendLiteral(node.literals[i], out);
      }
      *out += ')';
      return;
    case PredicateNode::Kind::kIsNull:
      AppendColumn(node.column, out);
      *out += node.negated ? " IS NOT NULL" : " IS NULL";
      return;
    case PredicateNode::Kind::kAnd:
    case PredicateNode::Kind::kOr:
      for (size_t i = 0; i < node.children.size(); ++i) {
        if (i > 0) *out += node.kind == PredicateNode::Kind::kAnd ? " AND " : " OR ";
        AppendChild(node.children[i], node.kind, out);
      }
      return;
    case PredicateNode::Kind::kNot:
      *out += "NOT ";
      if (!node.children.empty()) AppendChild(node.children[0], node.kind, out);
      return;
  }
}

}  // namespace

Result<PredicateNode> ParsePredicate(std::string_view text) { return Parser(text).Parse(); }

std::string ToString(const PredicateNode& node) {
  std::string out;
  AppendNode(node, &out);
  return out;
}

}  // namespace marketlake
