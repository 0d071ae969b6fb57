// Generated tiny models shared by the model tests (made once per process).
#pragma once

#include <filesystem>
#include <string>

#include "harness/model/tiny_model.h"

namespace moebench::model::testing {

// Directory of a tiny model for `spec`, generated on first use under a
// process-wide scratch directory; the same spec returns the same directory.
std::filesystem::path tiny_model_dir(const TinyModelSpec& spec, const std::string& name);

}  // namespace moebench::model::testing
