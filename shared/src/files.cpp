#include "sipas/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

namespace sipas {
namespace {

ErrorCode code_for_errno(int err) {
  switch (err) {
    case ENOENT:
    case ENOTDIR: return ErrorCode::not_found;
    case EROFS:
    case EACCES:
    case EPERM: return ErrorCode::read_only;
    case ENOSPC:
    case EDQUOT: return ErrorCode::disk_full;
    default: return ErrorCode::io_error;
  }
}

Status cannot_write(const std::filesystem::path& path, int err) {
  return Status::error(code_for_errno(err), path.string() + ": cannot write: " + std::strerror(err));
}

class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// Open with O_EXCL under a name no other writer in this process or another uses at the same time,
// rather than mkstemp(), so that a new file gets its mode through the umask like any other.
int create_temporary(const std::filesystem::path& dir, const std::string& name,
                     std::filesystem::path* tmp) {
  static std::atomic<unsigned> counter{0};
  for (;;) {
    char suffix[48];
    std::snprintf(suffix, sizeof suffix, ".tmp-%ld-%u", static_cast<long>(::getpid()),
                  counter.fetch_add(1, std::memory_order_relaxed));
    *tmp = dir / ("." + name + suffix);
    const int fd = ::open(tmp->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    // EEXIST: left behind by a crashed process whose pid was the same; take the next name.
    if (fd >= 0 || errno != EEXIST) return fd;
  }
}

// Creates the temporary file beside `path` with the mode `path` has now, if it exists.
Status open_temporary(const std::filesystem::path& path, std::filesystem::path* tmp, int* fd_out) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  UniqueFd fd(create_temporary(dir, path.filename().string(), tmp));
  if (fd.get() < 0) return cannot_write(path, errno);
  struct stat old {};
  if (::stat(path.c_str(), &old) == 0 && S_ISREG(old.st_mode) &&
      ::fchmod(fd.get(), old.st_mode & 07777) != 0) {
    const int err = errno;
    ::unlink(tmp->c_str());
    return cannot_write(path, err);
  }
  *fd_out = fd.release();
  return Status::ok();
}

// Makes `tmp`'s bytes durable through `fd`, closes it and renames `tmp` over `path`.
Status commit_temporary(const std::filesystem::path& path, const std::filesystem::path& tmp,
                        UniqueFd fd) {
  auto give_up = [&](int err) {
    ::unlink(tmp.c_str());
    return cannot_write(path, err);
  };
  // Without this fsync a crash after the rename can leave `path` empty on ext4 and others.
  if (::fsync(fd.get()) != 0) return give_up(errno);
  if (::close(fd.release()) != 0) return give_up(errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return give_up(errno);
  // The rename is durable only once the directory is. Best effort: the new file is in place by
  // now, so a failure here (some filesystems cannot sync a directory) is not reported as a
  // failed write.
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0) (void)::fsync(dfd.get());
  return Status::ok();
}

}  // namespace

Status write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::path tmp;
  int raw = -1;
  if (Status s = open_temporary(path, &tmp, &raw); !s.is_ok()) return s;
  UniqueFd fd(raw);
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::unlink(tmp.c_str());
      return cannot_write(path, err);
    }
    done += static_cast<std::size_t>(n);
  }
  return commit_temporary(path, tmp, std::move(fd));
}

Status write_file_atomically(const std::filesystem::path& path,
                             const std::function<Status(const std::filesystem::path& tmp)>& fill) {
  std::filesystem::path tmp;
  int raw = -1;
  if (Status s = open_temporary(path, &tmp, &raw); !s.is_ok()) return s;
  ::close(raw);
  Status filled = fill(tmp);
  if (!filled.is_ok()) {
    ::unlink(tmp.c_str());
    return filled;
  }
  // Opened again: the writer may have replaced the file rather than written into it.
  UniqueFd fd(::open(tmp.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return cannot_write(path, err);
  }
  return commit_temporary(path, tmp, std::move(fd));
}

}  // namespace sipas
