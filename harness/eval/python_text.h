// Python str methods that lm-eval's filters and metrics apply to model output,
// reimplemented on UTF-8 so that scores match: str.strip(), str.lower(),
// str.upper(), len(re.split(r"\s+", s)). Input is expected to be valid UTF-8
// (model output goes through sanitize_utf8 first); stray bytes are kept as they are.
#pragma once

#include <string>
#include <string_view>

namespace moebench::eval {

// str.strip(): removes leading and trailing Unicode whitespace (str.isspace()).
std::string python_strip(std::string_view text);
// str.lower() / str.upper(), one code point to one code point (the C.UTF-8
// towlower/towupper tables; Python's few one-to-many mappings such as 'ß'.upper()
// are left unchanged). ASCII-only when the C.UTF-8 locale is unavailable.
std::string python_lower(std::string_view text);
std::string python_upper(std::string_view text);
// len(re.split(r"\s+", text)): lm-eval's word count for word_perplexity.
size_t python_word_count(std::string_view text);
// Whether the code point is whitespace for Python's str.isspace().
bool python_isspace(char32_t c);

// Decodes one UTF-8 character at `i` (advancing it); a stray byte decodes as itself
// with `valid` set to false.
char32_t decode_utf8(std::string_view text, size_t& i, bool* valid = nullptr);
void append_utf8(std::string& out, char32_t c);

}  // namespace moebench::eval
