// Small text helpers shared by the layers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace moebench {

// 24153690112 -> "24,153,690,112".
std::string with_thousands(int64_t value);
// 24153690112 -> "24.15B"; 1536 -> "1.54K".
std::string human_count(double value);
// 3.2e9 bytes -> "2.98 GiB".
std::string human_bytes(double bytes);
// Splits on a single character; keeps empty fields.
std::vector<std::string> split(std::string_view text, char sep);
// Parses "1,2,3" into integers; throws InputError naming `what` on a bad entry.
std::vector<int64_t> parse_int_list(std::string_view text, const std::string& what);
// Levenshtein distance, for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `name` (empty when nothing is reasonably close).
std::string closest_match(std::string_view name, const std::vector<std::string>& candidates);
// Number of Unicode code points in UTF-8 text (invalid bytes count one each).
size_t utf8_length(std::string_view text);
// Length of the well-formed UTF-8 character at the start of `text`, or 0 when
// it is not one (bad lead byte, truncated, overlong, surrogate, > U+10FFFF).
size_t utf8_char_length(std::string_view text);
// `text` with every byte that does not start a well-formed UTF-8 character
// replaced by U+FFFD, so model output can always be written as JSON.
std::string sanitize_utf8(std::string_view text);
// `word` as a POSIX shell reads it back: unchanged when it holds only safe
// characters, else in single quotes (a ' inside written as '\'').
std::string shell_quote(std::string_view word);
// `text` fit for a one-line message: control characters escaped ("\n", "\x1b"),
// invalid UTF-8 as U+FFFD, cut to `max_bytes` with "..." (values in errors may
// be whole templates, prompts or a 1 MB line).
std::string one_line(std::string_view text, size_t max_bytes = 4000);

}  // namespace moebench
