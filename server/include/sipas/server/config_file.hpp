// The settings file of `sipas-server serve --config FILE` (installed as /etc/sipas/server.conf).
//
// Format: UTF-8 text, one setting per line as `key = value`. The key is the name of one of the
// command's options without its leading dashes (`listen`, `access-log`, `rate-limit`); the value
// is the rest of the line with the spaces around it removed, taken as it is (no quotes, no
// escapes). Blank lines and lines whose first non-blank character is `#` are ignored; a comment
// cannot follow a value on the same line. Each key may appear once. An option given on the
// command line overrides the file's setting.
//
// Errors: invalid_argument, one line, "FILE:LINE: what is wrong" for a bad line (no `=`, an empty
// key or value, an unknown key, a key given twice, a `#` after a value), "FILE: ..." when the file
// cannot be read.
#pragma once

#include <cstddef>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "sipas/status.hpp"

namespace sipas {

struct ConfigSetting {
  std::string key;
  std::string value;
  int line = 0;  // from 1
};

// The settings of `file`, in file order; `known` lists the keys it may use.
Result<std::vector<ConfigSetting>> read_config_file(const std::filesystem::path& file,
                                                    const std::set<std::string>& known);

// `args` (a command line, options from index `from` on) with the settings of the file named by
// its `--config FILE` (or `--config=FILE`) inserted as `--key=value` options at `from`, before
// the command line's own, and the --config option removed. `known`: the options the command
// takes ("config" itself is not a setting). Without --config, `args` as they are.
Result<std::vector<std::string>> with_config_file(const std::vector<std::string>& args,
                                                  std::size_t from,
                                                  const std::set<std::string>& known);

}  // namespace sipas
