// The results database's schema (documented column by column in SCHEMA.md)
// and its forward migrations. A database records every migration applied to
// it in `schema_version`; opening one brings it to kSchemaVersion, and a
// database written by a newer moebench is refused rather than misread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "harness/store/sqlite_db.h"

namespace moebench::store {

inline constexpr int kSchemaVersion = 4;
// PRAGMA application_id of every results database ("MoEB"), so `file(1)` and
// we can tell one from an arbitrary SQLite file.
inline constexpr int kApplicationId = 0x4D6F4542;

// Page size of new databases. Routing rows are 1-2 KB (one sample, one
// layer); with SQLite's default 4 KB pages only two fit a page and a quarter
// of the file is slack, with 8 KB pages the slack is about 10% (measured by
// tests/store/size_test.cpp: 212 vs 265 KB per 1,000 tokens, 32 layers).
inline constexpr int kPageSize = 8192;

// One forward step: `version - 1` -> `version`. Steps only add (tables,
// columns, indices) or rewrite data in place; they never need the old binary.
struct Migration {
  int version = 0;
  std::string description;
  std::function<void(Database&)> apply;  // runs inside migrate()'s transaction
};

// The steps of this build, from an empty database (version 0) upwards.
const std::vector<Migration>& migrations();

// The version recorded in `db`: 0 for an empty database. Throws StoreError
// naming the file when it holds tables but is not a moebench database.
int schema_version(Database& db);

// Applies every step of `steps` newer than the database's version, all in one
// IMMEDIATE transaction (an interrupted upgrade leaves the old version; a
// concurrent opener waits and then finds nothing to do). Returns the final
// version. Throws StoreError when the database is newer than `steps` know.
// REQUIRES: steps sorted by version, consecutive from 1.
int migrate(Database& db, const std::vector<Migration>& steps = migrations());

// Throws StoreError unless `db` is at exactly kSchemaVersion (readers that
// must not migrate: read-only opens, merge sources).
void require_current_schema(Database& db);

}  // namespace moebench::store
