// A readable module tree of a model, in the style of printing a transformers
// model, computed from the config alone (no weights needed).
#pragma once

#include <string>

#include "harness/io/model_config.h"

namespace moebench::model {

std::string architecture_tree(const io::ModelConfig& config);

}  // namespace moebench::model
