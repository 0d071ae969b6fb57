// Fault injection for the store (leveldb's Env, at SQLite's level): a VFS that
// forwards every call to the default one and, on command, fails writes or
// syncs the way a full disk or a dying device does. Tests open a store with
// DatabaseOptions::vfs = FaultVfs::name() and check what a failed batch
// leaves behind (nothing) and that the next attempt succeeds.
//
// The switches are process-wide (SQLite VFSes are), so tests that use them
// must not run concurrently in one process; gtest runs tests sequentially.
#pragma once

#include <cstdint>

namespace moebench::store {

class FaultVfs {
 public:
  enum class Fault { IoError, DiskFull };  // SQLITE_IOERR_WRITE / SQLITE_FULL

  // Registers the VFS (once) and returns its name.
  static const char* name();

  // Lets `n` more writes (xWrite to the database, WAL or journal) succeed,
  // then fails every further write with `fault` until clear().
  static void fail_writes_after(int64_t n, Fault fault = Fault::IoError);
  // Fails every xSync until clear() (fsync errors at commit).
  static void fail_syncs();
  static void clear();

  // Writes that went through this VFS (successful or not) since start-up,
  // for tests that pick a failure point inside a transaction.
  static int64_t writes();
};

}  // namespace moebench::store
