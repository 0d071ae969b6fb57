#include "harness/world/world_common.h"

#include <fmt/format.h>

#include <cctype>

#include "harness/util/error.h"

namespace moebench::world {

std::string item_id(const std::string& task, size_t index) {
  return fmt::format("{}_{:03d}", task, index + 1);
}

std::string with_article(const std::string& noun, bool capital) {
  const bool vowel = !noun.empty() && std::string("aeiou").find(static_cast<char>(
                                          std::tolower(static_cast<unsigned char>(noun[0])))) !=
                                          std::string::npos;
  std::string article = vowel ? "an " : "a ";
  if (capital) article[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(article[0])));
  return article + noun;
}

void fail_small_pool(const std::string& task, size_t pool, int64_t count) {
  fail_input(task, "eval_items_per_task is {}, but the world holds {} held-out items for this task",
             count, pool);
}

}  // namespace moebench::world
