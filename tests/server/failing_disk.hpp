// A disk that fills up on demand, for tests: an SQLite VFS that passes everything through to the
// default one, except that while failing() is on, every write to a file under `dir` fails with
// SQLITE_FULL, as a full disk makes it fail. It becomes the default VFS for the life of the
// object, so the server's and the test's own connections opened meanwhile all go through it.
// One at a time; single-threaded set-up, fail() may be called from any thread.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstring>
#include <string>

namespace sipas::test {

class FailingDisk {
 public:
  explicit FailingDisk(std::string dir) {
    state().dir = std::move(dir);
    state().failing = false;
    real() = sqlite3_vfs_find(nullptr);
    static sqlite3_vfs vfs = make_vfs();
    sqlite3_vfs_register(&vfs, 1);
  }
  // The shim stays registered (connections opened through it may outlive this object) but stops
  // failing and is no longer the default.
  ~FailingDisk() {
    state().failing = false;
    sqlite3_vfs_register(real(), 1);
  }
  FailingDisk(const FailingDisk&) = delete;
  FailingDisk& operator=(const FailingDisk&) = delete;

  void fail(bool on) { state().failing = on; }

 private:
  struct State {
    std::string dir;
    std::atomic<bool> failing{false};
  };
  static State& state() {
    static State s;
    return s;
  }
  static sqlite3_vfs*& real() {
    static sqlite3_vfs* r = nullptr;
    return r;
  }

  // Our file: its own methods, then the real VFS's file right after it.
  struct File {
    sqlite3_file base;
    bool watched;
    sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
  };
  static File* as_file(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
  static sqlite3_file* inner(sqlite3_file* f) { return as_file(f)->real(); }

  static int x_close(sqlite3_file* f) { return inner(f)->pMethods->xClose(inner(f)); }
  static int x_read(sqlite3_file* f, void* b, int n, sqlite3_int64 o) {
    return inner(f)->pMethods->xRead(inner(f), b, n, o);
  }
  static int x_write(sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
    if (as_file(f)->watched && state().failing) return SQLITE_FULL;
    return inner(f)->pMethods->xWrite(inner(f), b, n, o);
  }
  static int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
    return inner(f)->pMethods->xTruncate(inner(f), size);
  }
  static int x_sync(sqlite3_file* f, int flags) { return inner(f)->pMethods->xSync(inner(f), flags); }
  static int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
    return inner(f)->pMethods->xFileSize(inner(f), size);
  }
  static int x_lock(sqlite3_file* f, int l) { return inner(f)->pMethods->xLock(inner(f), l); }
  static int x_unlock(sqlite3_file* f, int l) { return inner(f)->pMethods->xUnlock(inner(f), l); }
  static int x_check_reserved(sqlite3_file* f, int* out) {
    return inner(f)->pMethods->xCheckReservedLock(inner(f), out);
  }
  static int x_file_control(sqlite3_file* f, int op, void* arg) {
    return inner(f)->pMethods->xFileControl(inner(f), op, arg);
  }
  static int x_sector_size(sqlite3_file* f) { return inner(f)->pMethods->xSectorSize(inner(f)); }
  static int x_device(sqlite3_file* f) {
    return inner(f)->pMethods->xDeviceCharacteristics(inner(f));
  }
  static int x_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
    return inner(f)->pMethods->xShmMap(inner(f), region, size, extend, out);
  }
  static int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
    return inner(f)->pMethods->xShmLock(inner(f), offset, n, flags);
  }
  static void x_shm_barrier(sqlite3_file* f) { inner(f)->pMethods->xShmBarrier(inner(f)); }
  static int x_shm_unmap(sqlite3_file* f, int del) {
    return inner(f)->pMethods->xShmUnmap(inner(f), del);
  }
  static int x_fetch(sqlite3_file* f, sqlite3_int64 o, int n, void** p) {
    return inner(f)->pMethods->xFetch(inner(f), o, n, p);
  }
  static int x_unfetch(sqlite3_file* f, sqlite3_int64 o, void* p) {
    return inner(f)->pMethods->xUnfetch(inner(f), o, p);
  }

  static const sqlite3_io_methods* methods() {
    static const sqlite3_io_methods m = {
        3,           x_close,         x_read,         x_write,       x_truncate,
        x_sync,      x_file_size,     x_lock,         x_unlock,      x_check_reserved,
        x_file_control, x_sector_size, x_device,     x_shm_map,     x_shm_lock,
        x_shm_barrier, x_shm_unmap,   x_fetch,        x_unfetch};
    return &m;
  }

  static int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out) {
    File* file = as_file(f);
    file->base.pMethods = nullptr;
    file->watched = name && std::strncmp(name, state().dir.c_str(), state().dir.size()) == 0;
    int rc = real()->xOpen(real(), name, file->real(), flags, out);
    if (file->real()->pMethods) file->base.pMethods = methods();
    return rc;
  }
  static int x_delete(sqlite3_vfs*, const char* name, int sync) {
    return real()->xDelete(real(), name, sync);
  }
  static int x_access(sqlite3_vfs*, const char* name, int flags, int* out) {
    return real()->xAccess(real(), name, flags, out);
  }
  static int x_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
    return real()->xFullPathname(real(), name, n, out);
  }
  static void* x_dl_open(sqlite3_vfs*, const char* name) { return real()->xDlOpen(real(), name); }
  static void x_dl_error(sqlite3_vfs*, int n, char* out) { real()->xDlError(real(), n, out); }
  static void (*x_dl_sym(sqlite3_vfs*, void* h, const char* sym))(void) {
    return real()->xDlSym(real(), h, sym);
  }
  static void x_dl_close(sqlite3_vfs*, void* h) { real()->xDlClose(real(), h); }
  static int x_randomness(sqlite3_vfs*, int n, char* out) {
    return real()->xRandomness(real(), n, out);
  }
  static int x_sleep(sqlite3_vfs*, int us) { return real()->xSleep(real(), us); }
  static int x_current_time(sqlite3_vfs*, double* out) { return real()->xCurrentTime(real(), out); }
  static int x_last_error(sqlite3_vfs*, int n, char* out) {
    return real()->xGetLastError(real(), n, out);
  }
  static int x_current_time64(sqlite3_vfs*, sqlite3_int64* out) {
    return real()->xCurrentTimeInt64(real(), out);
  }

  static sqlite3_vfs make_vfs() {
    sqlite3_vfs v{};
    v.iVersion = 2;
    v.szOsFile = static_cast<int>(sizeof(File)) + real()->szOsFile;
    v.mxPathname = real()->mxPathname;
    v.zName = "sipas-failing-disk";
    v.xOpen = x_open;
    v.xDelete = x_delete;
    v.xAccess = x_access;
    v.xFullPathname = x_full_pathname;
    v.xDlOpen = x_dl_open;
    v.xDlError = x_dl_error;
    v.xDlSym = x_dl_sym;
    v.xDlClose = x_dl_close;
    v.xRandomness = x_randomness;
    v.xSleep = x_sleep;
    v.xCurrentTime = x_current_time;
    v.xGetLastError = x_last_error;
    v.xCurrentTimeInt64 = x_current_time64;
    return v;
  }
};

}  // namespace sipas::test
