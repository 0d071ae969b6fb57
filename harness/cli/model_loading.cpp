// One way for every command to open a model: a Hugging Face directory, or a
// mergekit-moe recipe (.yml/.yaml) assembled in memory.
#include "harness/cli/commands.h"

namespace moebench::cli {

std::shared_ptr<model::LanguageModel> load_model_or_recipe(const std::string& path,
                                                           const model::LoadOptions& options) {
  return model::LanguageModel::load(path, options);
}

}  // namespace moebench::cli
