// A thin RAII layer over the SQLite C API, so the rest of the store never
// formats SQL: every value goes through a bound parameter of a prepared
// statement (llama-bench's SQL printer pastes unescaped values; we do not).
// sqlite3.h stays out of this header.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "harness/util/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace moebench::store {

// A results-database failure: "<file>: <what>: <SQLite's message>". An
// InputError because the database is a file the user named (exit status 2);
// code() is SQLite's extended result code (SQLITE_BUSY, SQLITE_IOERR_WRITE, ...).
class StoreError : public InputError {
 public:
  StoreError(const std::string& message, int code) : InputError(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

class Database;

// A prepared statement in use. Handles from Database::prepare() share one
// compiled statement per SQL text; the destructor resets it and clears its
// bindings, so a handle can never leak a half-stepped read into a commit.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  // Parameters are 1-based, as in SQLite. NaN binds as NULL (SQLite would
  // store it as NULL anyway; this makes it explicit).
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);
  // bind(1, a).bind(2, b)... in one call.
  template <typename... Args>
  Statement& bind_all(const Args&... args) {
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  // Advances; true when a row is available. Throws StoreError on failure.
  bool step();
  // Steps to completion (statements that return no rows); returns changes().
  int64_t run();

  int column_count() const;
  bool is_null(int column) const;
  int64_t int64(int column) const;  // 0-based columns
  double real(int column) const;    // NULL reads as NaN
  std::string text(int column) const;
  std::string blob(int column) const;

 private:
  friend class Database;
  // `in_use`: the cache's flag to clear on destruction; null for a one-off
  // compile (the cached one was in use), finalized on destruction instead.
  Statement(Database* db, sqlite3_stmt* stmt, bool* in_use);
  Database* db_;
  sqlite3_stmt* stmt_;
  bool* in_use_;
};

struct DatabaseOptions {
  bool read_only = false;         // refuse to create or write (the `db runs/scores` readers)
  int busy_timeout_ms = 60000;    // concurrent writers wait this long for the lock, then fail
  std::string vfs;                // SQLite VFS name; empty: the default (tests: FaultVfs)
};

class Database {
 public:
  // Opens (and with !read_only creates) `path`; throws StoreError naming it.
  Database(std::string path, const DatabaseOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // A cached prepared statement, reset and ready to bind. `sql` must not be
  // built from values: bind them.
  Statement prepare(const char* sql);
  // Runs parameterless SQL (DDL, pragmas, BEGIN/COMMIT).
  void exec(const char* sql);

  const std::string& file() const { return path_; }
  int64_t last_insert_rowid() const;
  [[noreturn]] void fail(std::string_view what, int code) const;
  sqlite3* handle() { return db_; }

 private:
  friend class Statement;
  std::string path_;
  sqlite3* db_ = nullptr;
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  std::unordered_map<std::string, Cached> cache_;
};

// BEGIN IMMEDIATE ... COMMIT: the write lock is taken up front, so a writer
// waits (busy timeout) at BEGIN instead of failing later when a read
// transaction cannot be upgraded. Rolls back unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

// A consistent snapshot for several reads (BEGIN ... COMMIT), unless the
// connection is inside a transaction already: between two autocommit reads
// another process may commit (e.g. create the schema).
class ReadTransaction {
 public:
  explicit ReadTransaction(Database& db);
  ~ReadTransaction();
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  Database& db_;
  bool own_;
};

}  // namespace moebench::store
