// Internal to the dataset adapters (datasets.cpp, code_datasets.cpp).
#pragma once

#include <filesystem>
#include <string>

#include "harness/eval/task_spec.h"

namespace moebench::eval {

// `path` itself, or `path/usual_name` when it is a folder; InputError when missing.
std::filesystem::path dataset_file(const std::filesystem::path& path,
                                   const std::string& usual_name);
// A spec named `name` over `file` (messages name both) with metadata.version.
TaskSpec adapter_spec(const std::string& name, const std::filesystem::path& file, double version);

}  // namespace moebench::eval
