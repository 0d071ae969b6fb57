#include "harness/store/sqlite_db.h"

#include <sqlite3.h>

#include <cmath>

namespace moebench::store {

namespace {

// The first words of a statement, for messages ("INSERT INTO samples ...").
std::string sql_excerpt(sqlite3_stmt* stmt) {
  std::string sql = sqlite3_sql(stmt) ? sqlite3_sql(stmt) : "";
  for (char& c : sql)
    if (c == '\n' || c == '\t') c = ' ';
  return sql.size() > 60 ? sql.substr(0, 57) + "..." : sql;
}

}  // namespace

// ---- Statement ---------------------------------------------------------------

Statement::Statement(Database* db, sqlite3_stmt* stmt, bool* in_use)
    : db_(db), stmt_(stmt), in_use_(in_use) {}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), in_use_(other.in_use_) {
  other.stmt_ = nullptr;
}

Statement::~Statement() {
  if (!stmt_) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  if (in_use_)
    *in_use_ = false;
  else
    sqlite3_finalize(stmt_);
}

#define MOEBENCH_BIND(call)                                                        \
  do {                                                                             \
    int rc = (call);                                                               \
    if (rc != SQLITE_OK)                                                           \
      db_->fail("binding parameter " + std::to_string(index) + " of `" +          \
                    sql_excerpt(stmt_) + "`",                                      \
                rc);                                                               \
  } while (0)

Statement& Statement::bind(int index, int64_t value) {
  MOEBENCH_BIND(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::bind(int index, double value) {
  if (std::isnan(value)) return bind_null(index);
  MOEBENCH_BIND(sqlite3_bind_double(stmt_, index, value));
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  MOEBENCH_BIND(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                    SQLITE_UTF8));
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  // A zero-length blob, not NULL: "logged, no tokens" differs from "not logged".
  MOEBENCH_BIND(bytes.empty() ? sqlite3_bind_zeroblob(stmt_, index, 0)
                              : sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(),
                                                    SQLITE_TRANSIENT));
  return *this;
}

Statement& Statement::bind_null(int index) {
  MOEBENCH_BIND(sqlite3_bind_null(stmt_, index));
  return *this;
}

#undef MOEBENCH_BIND

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail("running `" + sql_excerpt(stmt_) + "`", rc);
}

int64_t Statement::run() {
  while (step()) {
  }
  return sqlite3_changes64(db_->db_);
}

int Statement::column_count() const { return sqlite3_column_count(stmt_); }

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::real(int column) const {
  return is_null(column) ? std::nan("") : sqlite3_column_double(stmt_, column);
}

std::string Statement::text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, column))
           : std::string();
}

std::string Statement::blob(int column) const {
  const void* p = sqlite3_column_blob(stmt_, column);
  return p ? std::string(static_cast<const char*>(p), sqlite3_column_bytes(stmt_, column))
           : std::string();
}

// ---- Database ----------------------------------------------------------------

Database::Database(std::string path, const DatabaseOptions& options) : path_(std::move(path)) {
  int flags = options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path_.c_str(), &db_, flags,
                           options.vfs.empty() ? nullptr : options.vfs.c_str());
  if (rc != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw StoreError(path_ + ": cannot open results database: " + message, rc);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, options.busy_timeout_ms);
}

Database::~Database() {
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
  sqlite3_close_v2(db_);
}

Statement Database::prepare(const char* sql) {
  auto [it, inserted] = cache_.try_emplace(sql);
  Cached& cached = it->second;
  if (!inserted && !cached.in_use) {
    cached.in_use = true;
    return Statement(this, cached.stmt, &cached.in_use);
  }
  sqlite3_stmt* stmt = nullptr;
  // PERSISTENT: these statements live as long as the connection.
  int rc = sqlite3_prepare_v3(db_, sql, -1, inserted ? SQLITE_PREPARE_PERSISTENT : 0, &stmt,
                              nullptr);
  if (rc != SQLITE_OK) {
    if (inserted) cache_.erase(it);
    fail(std::string("preparing `") + sql + "`", rc);
  }
  if (!inserted) return Statement(this, stmt, nullptr);  // the cached one is busy
  cached.stmt = stmt;
  cached.in_use = true;
  return Statement(this, stmt, &cached.in_use);
}

void Database::exec(const char* sql) {
  char* error = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    std::string excerpt(sql, std::min<size_t>(std::char_traits<char>::length(sql), 60));
    throw StoreError(path_ + ": running `" + excerpt + "`: " + message, rc);
  }
}

int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

void Database::fail(std::string_view what, int code) const {
  // errmsg describes the most recent failure on this connection; fall back
  // to the code's generic text when another call has overwritten it.
  std::string message = sqlite3_extended_errcode(db_) == code ? sqlite3_errmsg(db_)
                                                              : sqlite3_errstr(code);
  throw StoreError(path_ + ": " + std::string(what) + ": " + message, code);
}

// ---- Transaction -------------------------------------------------------------

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  // A failed COMMIT (I/O error) may already have rolled back; ROLLBACK then
  // reports "no transaction is active", which is the state we want anyway.
  if (!done_ && sqlite3_get_autocommit(db_.handle()) == 0)
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

ReadTransaction::ReadTransaction(Database& db)
    : db_(db), own_(sqlite3_get_autocommit(db.handle()) != 0) {
  if (own_) db_.exec("BEGIN");
}

ReadTransaction::~ReadTransaction() {
  if (own_ && sqlite3_get_autocommit(db_.handle()) == 0)
    sqlite3_exec(db_.handle(), "COMMIT", nullptr, nullptr, nullptr);
}

}  // namespace moebench::store
