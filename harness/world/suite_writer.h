// The demo world's four suites as files: a group YAML per suite, a YAML and a
// JSONL of items per task, in the layout of tasks/ (tasks/README.md), so the
// project's own suite loader and scorer run them like the bundled suites.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/world/world_common.h"

namespace moebench::world {

struct TaskFile {
  std::string name;  // <name>.yaml and <name>.jsonl
  std::string yaml;
  std::vector<Item> items;
};

struct SuiteFile {
  std::string name;  // the folder and <name>.yaml
  std::string yaml;
  std::vector<TaskFile> tasks;
};

// The suites demo_math, demo_coding, demo_truthfulness, demo_roleplay of a
// seed, each task with `items_per_task` items, fully rendered.
std::vector<SuiteFile> demo_suites(uint64_t seed, int64_t items_per_task);

// One JSON object per line, keys in insertion order ("id" first).
std::string to_jsonl(const std::vector<Item>& items);

// Writes tasks_dir/<suite>/: the suite YAML, each task's YAML and JSONL, every
// file atomically (write_file_atomic), making the directories. Files of the
// folder that the suite does not own are left alone.
void write_suite(const SuiteFile& suite, const std::filesystem::path& tasks_dir);

}  // namespace moebench::world
