#include "tests/testing/fault_vfs.h"

#include <sqlite3.h>

#include <atomic>
#include <cstring>
#include <mutex>

namespace moebench::store {

namespace {

std::atomic<int64_t> g_writes{0};
std::atomic<int64_t> g_writes_left{-1};  // -1: never fail
std::atomic<int> g_write_fault{SQLITE_IOERR_WRITE};
std::atomic<bool> g_fail_syncs{false};

sqlite3_vfs* root() { return sqlite3_vfs_find(nullptr); }

// Our file object: the real one lives right behind it (szOsFile covers both).
struct FaultFile {
  sqlite3_file base;
  sqlite3_file* real;
};

sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f)->real; }

// ---- file methods: forward, except where a fault is due ------------------------

int x_close(sqlite3_file* f) { return real(f)->pMethods->xClose(real(f)); }
int x_read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  return real(f)->pMethods->xRead(real(f), buf, n, off);
}
int x_write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  ++g_writes;
  int64_t left = g_writes_left.load();
  if (left == 0) return g_write_fault.load();
  if (left > 0) --g_writes_left;
  return real(f)->pMethods->xWrite(real(f), buf, n, off);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return real(f)->pMethods->xTruncate(real(f), size);
}
int x_sync(sqlite3_file* f, int flags) {
  if (g_fail_syncs.load()) return SQLITE_IOERR_FSYNC;
  return real(f)->pMethods->xSync(real(f), flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real(f)->pMethods->xFileSize(real(f), size);
}
int x_lock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
int x_unlock(sqlite3_file* f, int level) { return real(f)->pMethods->xUnlock(real(f), level); }
int x_check_reserved(sqlite3_file* f, int* out) {
  return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
  return real(f)->pMethods->xFileControl(real(f), op, arg);
}
int x_sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int x_device_characteristics(sqlite3_file* f) {
  return real(f)->pMethods->xDeviceCharacteristics(real(f));
}
int x_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return real(f)->pMethods->xShmMap(real(f), region, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
int x_shm_unmap(sqlite3_file* f, int delete_flag) {
  return real(f)->pMethods->xShmUnmap(real(f), delete_flag);
}
int x_fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
  return real(f)->pMethods->xFetch(real(f), off, n, out);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return real(f)->pMethods->xUnfetch(real(f), off, p);
}

const sqlite3_io_methods kMethods = {
    3,          x_close,          x_read,         x_write,     x_truncate,
    x_sync,     x_file_size,      x_lock,         x_unlock,    x_check_reserved,
    x_file_control, x_sector_size, x_device_characteristics, x_shm_map, x_shm_lock,
    x_shm_barrier, x_shm_unmap,   x_fetch,        x_unfetch};

// ---- VFS methods ---------------------------------------------------------------

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  auto* file = reinterpret_cast<FaultFile*>(f);
  file->base.pMethods = nullptr;
  file->real = reinterpret_cast<sqlite3_file*>(file + 1);
  file->real->pMethods = nullptr;
  int rc = root()->xOpen(root(), name, file->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (file->real->pMethods) file->real->pMethods->xClose(file->real);
    return rc;
  }
  // The unix VFS implements version 3 (WAL shared memory, mmap), as we do.
  file->base.pMethods = &kMethods;
  return SQLITE_OK;
}
int x_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return root()->xDelete(root(), name, sync_dir);
}
int x_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return root()->xAccess(root(), name, flags, out);
}
int x_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return root()->xFullPathname(root(), name, n, out);
}
void* x_dl_open(sqlite3_vfs*, const char* name) { return root()->xDlOpen(root(), name); }
void x_dl_error(sqlite3_vfs*, int n, char* out) { root()->xDlError(root(), n, out); }
void (*x_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return root()->xDlSym(root(), handle, symbol);
}
void x_dl_close(sqlite3_vfs*, void* handle) { root()->xDlClose(root(), handle); }
int x_randomness(sqlite3_vfs*, int n, char* out) { return root()->xRandomness(root(), n, out); }
int x_sleep(sqlite3_vfs*, int us) { return root()->xSleep(root(), us); }
int x_current_time(sqlite3_vfs*, double* out) { return root()->xCurrentTime(root(), out); }
int x_last_error(sqlite3_vfs*, int n, char* out) { return root()->xGetLastError(root(), n, out); }
int x_current_time64(sqlite3_vfs*, sqlite3_int64* out) {
  return root()->xCurrentTimeInt64(root(), out);
}

}  // namespace

const char* FaultVfs::name() {
  static std::once_flag once;
  static sqlite3_vfs vfs;
  std::call_once(once, [] {
    std::memset(&vfs, 0, sizeof vfs);
    vfs.iVersion = 2;
    vfs.szOsFile = static_cast<int>(sizeof(FaultFile)) + root()->szOsFile;
    vfs.mxPathname = root()->mxPathname;
    vfs.zName = "moebench-fault";
    vfs.xOpen = x_open;
    vfs.xDelete = x_delete;
    vfs.xAccess = x_access;
    vfs.xFullPathname = x_full_pathname;
    vfs.xDlOpen = x_dl_open;
    vfs.xDlError = x_dl_error;
    vfs.xDlSym = x_dl_sym;
    vfs.xDlClose = x_dl_close;
    vfs.xRandomness = x_randomness;
    vfs.xSleep = x_sleep;
    vfs.xCurrentTime = x_current_time;
    vfs.xGetLastError = x_last_error;
    vfs.xCurrentTimeInt64 = x_current_time64;
    sqlite3_vfs_register(&vfs, /*makeDflt=*/0);
  });
  return vfs.zName;
}

void FaultVfs::fail_writes_after(int64_t n, Fault fault) {
  g_write_fault = fault == Fault::DiskFull ? SQLITE_FULL : SQLITE_IOERR_WRITE;
  g_writes_left = n < 0 ? 0 : n;
}

void FaultVfs::fail_syncs() { g_fail_syncs = true; }

void FaultVfs::clear() {
  g_writes_left = -1;
  g_fail_syncs = false;
}

int64_t FaultVfs::writes() { return g_writes.load(); }

}  // namespace moebench::store
