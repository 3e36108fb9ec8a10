// write_file_atomically on real files: new and replaced files, their permission bits, and the
// errors a kiosk meets on a USB stick (missing folder, full disk), with nothing left behind.
#include "sipas/files.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "temp_dir.hpp"

namespace sipas {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

TEST(WriteFileAtomically, WritesANewFileAndLeavesNoTemporaryFile) {
  test::TempDir dir;
  const mode_t old_umask = ::umask(022);
  Status s = write_file_atomically(dir / "out.csv", std::string("a,b\r\n\0c", 8));
  ::umask(old_umask);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_EQ(read_all(dir / "out.csv"), std::string("a,b\r\n\0c", 8));
  EXPECT_EQ(mode_of(dir / "out.csv"), 0644u);
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"out.csv"});
}

TEST(WriteFileAtomically, ANewFileFollowsTheUmask) {
  test::TempDir dir;
  const mode_t old_umask = ::umask(077);
  Status s = write_file_atomically(dir / "private.json", "{}");
  ::umask(old_umask);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_EQ(mode_of(dir / "private.json"), 0600u);
}

TEST(WriteFileAtomically, ReplacesAFileAndKeepsItsPermissionBits) {
  test::TempDir dir;
  ASSERT_TRUE(write_file_atomically(dir / "kiosk.json", "old and longer").is_ok());
  ASSERT_EQ(::chmod((dir / "kiosk.json").c_str(), 0640), 0);
  ASSERT_TRUE(write_file_atomically(dir / "kiosk.json", "new").is_ok());
  EXPECT_EQ(read_all(dir / "kiosk.json"), "new");
  EXPECT_EQ(mode_of(dir / "kiosk.json"), 0640u);
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"kiosk.json"});
}

TEST(WriteFileAtomically, AnEmptyContentMakesAnEmptyFile) {
  test::TempDir dir;
  ASSERT_TRUE(write_file_atomically(dir / "x", "something").is_ok());
  ASSERT_TRUE(write_file_atomically(dir / "x", "").is_ok());
  EXPECT_TRUE(fs::exists(dir / "x"));
  EXPECT_EQ(fs::file_size(dir / "x"), 0u);
}

// The form for files another library writes (the server's backups): what fill() leaves at the
// temporary path takes the name only when fill() succeeds.
TEST(WriteFileAtomically, AFillerWritesTheTemporaryFileThatThenTakesTheName) {
  test::TempDir dir;
  const fs::path target = dir / "backup.db";
  ASSERT_TRUE(write_file_atomically(target, "old").is_ok());
  fs::path seen;
  Status s = write_file_atomically(target, [&](const fs::path& tmp) {
    seen = tmp;
    EXPECT_EQ(tmp.parent_path(), dir.path());
    EXPECT_TRUE(fs::exists(tmp));
    std::ofstream(tmp, std::ios::binary) << "new";
    return Status::ok();
  });
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(read_all(target), "new");
  EXPECT_FALSE(fs::exists(seen));
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"backup.db"});
}

TEST(WriteFileAtomically, AFailingFillerLeavesTheOldFileAndNoTemporaryFile) {
  test::TempDir dir;
  const fs::path target = dir / "backup.db";
  ASSERT_TRUE(write_file_atomically(target, "old").is_ok());
  Status s = write_file_atomically(target, [&](const fs::path& tmp) {
    std::ofstream(tmp, std::ios::binary) << "half";
    return Status::error(ErrorCode::corrupt, "the copy failed its check");
  });
  EXPECT_EQ(s.code(), ErrorCode::corrupt);
  EXPECT_EQ(s.message(), "the copy failed its check");
  EXPECT_EQ(read_all(target), "old");
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"backup.db"});
}

TEST(WriteFileAtomically, AMissingFolderIsNotFoundAndNamesThePath) {
  test::TempDir dir;
  const fs::path target = dir / "usb" / "export.csv";
  Status s = write_file_atomically(target, "x");
  EXPECT_EQ(s.code(), ErrorCode::not_found);
  EXPECT_NE(s.message().find(target.string()), std::string::npos) << s.message();
  EXPECT_TRUE(names_in(dir.path()).empty());
}

TEST(WriteFileAtomically, AFileWhereTheFolderShouldBeIsNotFound) {
  test::TempDir dir;
  ASSERT_TRUE(write_file_atomically(dir / "usb", "not a folder").is_ok());
  Status s = write_file_atomically(dir / "usb" / "export.csv", "x");
  EXPECT_EQ(s.code(), ErrorCode::not_found) << s.to_string();
  EXPECT_EQ(read_all(dir / "usb"), "not a folder");
}

TEST(WriteFileAtomically, AFullDiskIsDiskFullAndTheOldFileStaysWhole) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a size-limited tmpfs needs root";
  test::TempDir dir;
  const fs::path mnt = dir / "small";
  fs::create_directory(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=16k") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here";
  }
  const Status first = write_file_atomically(mnt / "export.csv", "old");
  const Status second = write_file_atomically(mnt / "export.csv", std::string(64 * 1024, 'x'));
  const std::string kept = read_all(mnt / "export.csv");
  const std::vector<std::string> names = names_in(mnt);
  ::umount2(mnt.c_str(), MNT_DETACH);
  ASSERT_TRUE(first.is_ok()) << first.to_string();
  EXPECT_EQ(second.code(), ErrorCode::disk_full) << second.to_string();
  EXPECT_NE(second.message().find("export.csv"), std::string::npos) << second.message();
  EXPECT_EQ(kept, "old");
  EXPECT_EQ(names, std::vector<std::string>{"export.csv"});
}

TEST(WriteFileAtomically, AReadOnlyFolderIsReadOnly) {
  test::TempDir dir;
  const fs::path ro = dir / "ro";
  fs::create_directory(ro);
  bool mounted = false;
  if (::geteuid() == 0) {
    // Root ignores permission bits, so use a read-only bind mount instead.
    mounted = ::mount(ro.c_str(), ro.c_str(), nullptr, MS_BIND, nullptr) == 0;
    if (!mounted) GTEST_SKIP() << "cannot bind-mount here";
    if (::mount(nullptr, ro.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
      ::umount2(ro.c_str(), MNT_DETACH);
      GTEST_SKIP() << "cannot remount read-only here";
    }
  } else {
    ASSERT_EQ(::chmod(ro.c_str(), 0555), 0);
  }
  const Status s = write_file_atomically(ro / "export.csv", "x");
  const bool empty = fs::is_empty(ro);
  if (mounted) ::umount2(ro.c_str(), MNT_DETACH);
  (void)::chmod(ro.c_str(), 0755);
  EXPECT_EQ(s.code(), ErrorCode::read_only) << s.to_string();
  EXPECT_TRUE(empty);
}

}  // namespace
}  // namespace sipas
