// A private directory for one test: created empty under the system temp directory, removed with
// everything in it when the owner goes away. Not copyable. When it cannot be created, the test
// records a failure naming the reason and path() is empty (nothing is removed then).
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include <gtest/gtest.h>

namespace sipas::test {

class TempDir {
 public:
  TempDir() {
    std::error_code ec;
    const std::filesystem::path root = std::filesystem::temp_directory_path(ec);
    if (ec) {
      ADD_FAILURE() << "no system temp directory: " << ec.message();
      return;
    }
    std::string pattern = (root / "sipas-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "cannot create a directory like " << pattern << ": " << std::strerror(errno);
      return;
    }
    path_ = pattern;
  }
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace sipas::test
