// Whole-file writes that no reader sees half done and that survive a power cut: the kiosk's CSV
// exports, kiosk.json's PIN hash, the --ui-dump and --stats-file outputs, the server's backups.
#pragma once

#include <filesystem>
#include <functional>
#include <string_view>

#include "sipas/status.hpp"

namespace sipas {

// Replaces `path` with `content`: writes a temporary file in the same directory (".NAME.tmp-…",
// so the rename never crosses filesystems), fsyncs it, renames it over `path`, then fsyncs the
// directory. A reader sees the old bytes or the new, never a mix; after a crash the file holds
// one or the other. A file that is replaced keeps its permission bits; a new one gets 0644 less
// the umask.
//
// Errors, each naming `path`: not_found when its directory is missing or not a directory;
// read_only (EROFS, EACCES, EPERM); disk_full (ENOSPC, EDQUOT); io_error otherwise. On error
// `path` is untouched and the temporary file is removed.
//
// Threads: any thread. Concurrent writers of one path each write a whole file; the last rename
// wins.
Status write_file_atomically(const std::filesystem::path& path, std::string_view content);

// The same for a file another library writes (the server's database backups): `fill(tmp)` writes
// the whole new file at `tmp`, an empty file it may open or replace in place (same directory,
// mode as above), and returns its Status. Only when it returns ok is `tmp` fsynced and renamed
// over `path`, and the directory fsynced; otherwise `tmp` is removed, `path` is untouched and
// fill's Status is returned as it is.
Status write_file_atomically(const std::filesystem::path& path,
                             const std::function<Status(const std::filesystem::path& tmp)>& fill);

}  // namespace sipas
