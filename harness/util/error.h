// Errors that reach the user. Every message names the file (or input), the
// field and the offending value, so a bad input can be fixed without a debugger.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace moebench {

// A problem with user-supplied input (model files, recipes, suites, flags).
// The CLI prints what() and exits with status 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws InputError("<where>: <message>").
template <typename... Args>
[[noreturn]] void fail_input(const std::string& where, fmt::format_string<Args...> format,
                             Args&&... args) {
  throw InputError(where + ": " + fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace moebench
