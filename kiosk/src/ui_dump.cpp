#include "ui_dump.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace sipas {

std::string ui_snapshot_json(const UiSnapshot& s) {
  nlohmann::json elements = nlohmann::json::array();
  for (const auto& e : s.elements) {
    elements.push_back({{"id", e.id},
                        {"label", e.label},
                        {"x", static_cast<int>(e.x + 0.5f)},
                        {"y", static_cast<int>(e.y + 0.5f)},
                        {"w", static_cast<int>(e.w + 0.5f)},
                        {"h", static_cast<int>(e.h + 0.5f)}});
  }
  nlohmann::json j = {{"screen", s.screen}, {"step", s.step}, {"elements", std::move(elements)}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Status write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  const std::string tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::error(ErrorCode::io_error, tmp + ": " + std::strerror(errno));
  }
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::error(ErrorCode::io_error, tmp + ": " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Status::error(ErrorCode::io_error, path.string() + ": " + std::strerror(err));
  }
  return Status::ok();
}

Status UiDumpWriter::update(const UiSnapshot& snapshot, TimePoint now) {
  std::string json = ui_snapshot_json(snapshot);
  if (json == written_) {
    waiting_.clear();
    return Status::ok();
  }
  waiting_ = std::move(json);
  return flush(now);
}

std::optional<UiDumpWriter::TimePoint> UiDumpWriter::deadline() const {
  if (waiting_.empty()) return std::nullopt;
  if (!last_write_) return TimePoint{};
  return *last_write_ + min_gap_;
}

Status UiDumpWriter::flush(TimePoint now) {
  if (waiting_.empty()) return Status::ok();
  if (last_write_ && now < *last_write_ + min_gap_) return Status::ok();
  Status st = write_file_atomically(path_, waiting_);
  last_write_ = now;
  if (st.is_ok()) {
    written_ = std::move(waiting_);
    waiting_.clear();
  }
  return st;
}

}  // namespace sipas
