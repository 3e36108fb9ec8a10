// Reading the unit hierarchy from a file for `sipas-server unit import`.
//
// JSON (*.json): an array, or {"units": [...]}, of {"code", "name", "parent"?, "time_zone"?}.
// CSV (*.csv): a header line naming the columns code,name,parent[,time_zone] in any order, then
// one unit per line; RFC 4180 quoting; an empty parent means a top-level unit.
// Errors name the file and the line or entry: "units.csv:7: name: missing".
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include "sipas/server/server_store.hpp"
#include "sipas/status.hpp"

namespace sipas {

Result<std::vector<UnitRecord>> load_units_file(const std::filesystem::path& file);
Result<std::vector<UnitRecord>> parse_units_json(std::string_view text, const std::string& name);
Result<std::vector<UnitRecord>> parse_units_csv(std::string_view text, const std::string& name);

}  // namespace sipas
