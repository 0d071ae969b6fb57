#include "harness/eval/doc_template.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "harness/util/error.h"
#include "harness/util/text.h"

using nlohmann::json;

namespace moebench::eval {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Python's repr() of a str: single quotes unless the text holds ' and no ".
// Escapes what Python escapes for the characters documents hold: backslash, the
// quote, \n \r \t, other C0/C1 controls, NO-BREAK SPACE and SOFT HYPHEN.
std::string python_repr_string(const std::string& s) {
  const bool dq = s.find('\'') != std::string::npos && s.find('"') == std::string::npos;
  const char quote = dq ? '"' : '\'';
  std::string out(1, quote);
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      if (c == '\\' || c == quote) {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c < 0x20 || c == 0x7f) {
        out += fmt::format("\\x{:02x}", c);
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    const size_t len = std::max<size_t>(1, utf8_char_length(std::string_view(s).substr(i)));
    const unsigned char next = len == 2 ? static_cast<unsigned char>(s[i + 1]) : 0;
    if (c == 0xc2 && (next <= 0xa0 || next == 0xad)) {
      out += fmt::format("\\x{:02x}", next);
    } else {
      out.append(s, i, len);
    }
    i += len;
  }
  return out + quote;
}

std::string python_repr(const json& v) {
  return v.is_string() ? python_repr_string(v.get<std::string>()) : python_str(v);
}

}  // namespace

std::string python_str(const json& v) {
  switch (v.type()) {
    case json::value_t::string:
      return v.get<std::string>();
    case json::value_t::boolean:
      return v.get<bool>() ? "True" : "False";
    case json::value_t::null:
      return "None";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return v.dump();
    case json::value_t::number_float: {
      const double d = v.get<double>();
      if (std::isnan(d)) return "nan";
      if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
      std::string s = fmt::format("{}", d);  // shortest round-trip digits, as Python's repr
      if (s.find_first_of(".e") == std::string::npos) s += ".0";
      return s;
    }
    case json::value_t::array: {
      std::string out = "[";
      for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + python_repr(v[i]);
      return out + "]";
    }
    case json::value_t::object: {
      std::string out = "{";
      bool first = true;
      for (const auto& [key, item] : v.items()) {
        out += (first ? "" : ", ") + python_repr_string(key) + ": " + python_repr(item);
        first = false;
      }
      return out + "}";
    }
    default:
      return v.dump();
  }
}

DocTemplate::DocTemplate(const std::string& text, const std::string& where) : text_(text) {
  size_t pos = 0;
  while (true) {
    size_t open = text.find("{{", pos);
    if (open == std::string::npos) break;
    size_t close = text.find("}}", open + 2);
    if (close == std::string::npos) {
      fail_input(where, "template '{}': '{{{{' at offset {} is never closed by '}}}}'", text, open);
    }
    Piece piece;
    piece.literal = text.substr(pos, open - pos);
    piece.path_text = trim(text.substr(open + 2, close - open - 2));
    const std::string& p = piece.path_text;
    size_t i = 0;
    auto bad = [&](const char* why) {
      fail_input(where,
                 "template '{}': '{{{{{}}}}}' {} (only {{{{field}}}}, {{{{field.sub}}}} and "
                 "{{{{field[0]}}}} are supported)",
                 text, p, why);
    };
    while (i < p.size()) {
      Step step;
      if (p[i] == '[') {
        size_t end = p.find(']', i);
        if (end == std::string::npos) bad("has an unclosed '['");
        std::string digits = trim(p.substr(i + 1, end - i - 1));
        size_t d = !digits.empty() && digits[0] == '-' ? 1 : 0;
        if (digits.size() == d || digits.find_first_not_of("0123456789", d) != std::string::npos) {
          bad("has a non-integer index");
        }
        if (digits.size() - d > 18) bad("has an index out of range");
        step.index = std::stoll(digits);
        i = end + 1;
      } else {
        if (p[i] == '.') {
          if (piece.path.empty()) bad("starts with '.'");
          ++i;
        } else if (!piece.path.empty()) {
          bad("is not a field path");
        }
        size_t start = i;
        while (i < p.size() && is_name_char(p[i])) ++i;
        if (i == start) bad("is not a field path");
        step.key = p.substr(start, i - start);
      }
      piece.path.push_back(step);
    }
    if (piece.path.empty()) bad("is empty");
    pieces_.push_back(std::move(piece));
    pos = close + 2;
  }
  Piece tail;
  tail.literal = text.substr(pos);
  pieces_.push_back(std::move(tail));
}

const json& DocTemplate::resolve(const json& doc, const Piece& piece,
                                 const std::string& where) const {
  const json* cur = &doc;
  std::string walked;
  for (const Step& step : piece.path) {
    if (step.key.empty()) {
      if (!cur->is_array()) {
        fail_input(where, "template '{}': '{}' is not a list", text_, walked);
      }
      const int64_t n = static_cast<int64_t>(cur->size());
      const int64_t idx = step.index < 0 ? step.index + n : step.index;
      if (idx < 0 || idx >= n) {
        fail_input(where, "template '{}': index {} out of range for '{}' ({} items)", text_,
                   step.index, walked, n);
      }
      cur = &(*cur)[static_cast<size_t>(idx)];
      walked += fmt::format("[{}]", step.index);
    } else {
      walked += (walked.empty() ? "" : ".") + step.key;
      auto it = cur->is_object() ? cur->find(step.key) : cur->end();
      if (!cur->is_object() || it == cur->end()) {
        std::vector<std::string> keys;
        if (cur->is_object()) {
          for (const auto& item : cur->items()) keys.push_back(item.key());
        }
        std::string near = closest_match(step.key, keys);
        fail_input(
            where, "template '{}' names missing field '{}'{}{}", text_, walked,
            near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near),
            keys.empty() ? "" : fmt::format("; the document has: {}", fmt::join(keys, ", ")));
      }
      cur = &*it;
    }
  }
  return *cur;
}

std::string DocTemplate::render(const json& doc, const std::string& where) const {
  if (const json* v = value(doc, where)) return python_str(*v);
  std::string out;
  for (const Piece& piece : pieces_) {
    out += piece.literal;
    if (!piece.path.empty()) out += python_str(resolve(doc, piece, where));
  }
  return out;
}

const json* DocTemplate::value(const json& doc, const std::string& where) const {
  if (pieces_.size() == 2 && pieces_[0].literal.empty() && pieces_[1].literal.empty()) {
    return &resolve(doc, pieces_[0], where);
  }
  if (pieces_.size() == 1 && !text_.empty() && doc.is_object()) {
    auto it = doc.find(text_);
    if (it != doc.end()) return &*it;
  }
  return nullptr;
}

}  // namespace moebench::eval
