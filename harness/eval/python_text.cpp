#include "harness/eval/python_text.h"

#include <locale.h>
#include <wctype.h>

#include "harness/util/text.h"

namespace moebench::eval {
namespace {

// The C.UTF-8 locale for towlower_l/towupper_l, created once; null when the C
// library has none (then only ASCII changes case).
locale_t utf8_locale() {
  static locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  return loc;
}

template <typename Map>
std::string map_code_points(std::string_view text, Map map) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    bool valid = true;
    const char32_t c = decode_utf8(text, i, &valid);
    if (!valid) {
      out.append(text.substr(start, i - start));
    } else {
      append_utf8(out, map(c));
    }
  }
  return out;
}

}  // namespace

char32_t decode_utf8(std::string_view text, size_t& i, bool* valid) {
  const size_t len = utf8_char_length(text.substr(i));
  const unsigned char c = text[i];
  if (len == 0) {
    if (valid) *valid = false;
    ++i;
    return c;
  }
  if (valid) *valid = true;
  char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
  for (size_t k = 1; k < len; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3f);
  i += len;
  return cp;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xc0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xe0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  }
}

bool python_isspace(char32_t c) {
  // Python: bidirectional type WS, B or S, or category Zs.
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
         c == 0x205f || c == 0x3000;
}

std::string python_strip(std::string_view text) {
  size_t begin = 0, end = text.size();
  for (size_t i = 0; i < text.size();) {
    bool valid = true;
    const char32_t c = decode_utf8(text, i, &valid);
    if (!valid || !python_isspace(c)) break;
    begin = i;
  }
  // Scan forward once more to find where the trailing whitespace run starts.
  size_t run_start = text.size();
  for (size_t i = begin; i < text.size();) {
    const size_t at = i;
    bool valid = true;
    const char32_t c = decode_utf8(text, i, &valid);
    if (valid && python_isspace(c)) {
      if (run_start == text.size()) run_start = at;
    } else {
      run_start = text.size();
    }
  }
  end = run_start;
  return std::string(text.substr(begin, end - begin));
}

std::string python_lower(std::string_view text) {
  locale_t loc = utf8_locale();
  return map_code_points(text, [loc](char32_t c) -> char32_t {
    if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    return loc ? static_cast<char32_t>(towlower_l(static_cast<wint_t>(c), loc)) : c;
  });
}

std::string python_upper(std::string_view text) {
  locale_t loc = utf8_locale();
  return map_code_points(text, [loc](char32_t c) -> char32_t {
    if (c < 0x80) return (c >= 'a' && c <= 'z') ? c - 32 : c;
    return loc ? static_cast<char32_t>(towupper_l(static_cast<wint_t>(c), loc)) : c;
  });
}

size_t python_word_count(std::string_view text) {
  // Python's \s on str is str.isspace(); every maximal run is one separator.
  size_t pieces = 1;
  bool in_space = false;
  for (size_t i = 0; i < text.size();) {
    bool valid = true;
    const char32_t c = decode_utf8(text, i, &valid);
    const bool space = valid && python_isspace(c);
    if (space && !in_space) ++pieces;
    in_space = space;
  }
  return pieces;
}

}  // namespace moebench::eval
