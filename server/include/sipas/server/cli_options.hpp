// The options of one `sipas-server` command, for the commands kept beside their subject
// (alerts_cli.cpp, dashboard.cpp).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

namespace sipas {

// "--name VALUE", "--name=VALUE", and the bare flags named in `flags` (read as "yes"), from
// args[from] on. Every option must be in `allowed` and every one of `required` given. On a
// problem writes "sipas-server COMMAND: ..." to `err` and returns nullopt (the command exits 2).
std::optional<std::map<std::string, std::string>> parse_command_options(
    const std::vector<std::string>& args, std::size_t from, const std::string& command,
    const std::set<std::string>& allowed, const std::set<std::string>& required,
    const std::set<std::string>& flags, std::ostream& err);

}  // namespace sipas
