// Reading the administrative procedure catalogue for `sipas-server procedure load`: the kiosk's
// kiosk-config/procedures.json,
//   {"procedures": [{"code": "1.001193", "name": {"vi": "Đăng ký khai sinh", "en": "..."}}, ...]}
// code 1–64 of A-Z a-z 0-9 . _ -, unique in the file; name.vi required, other languages optional.
// Keys it does not know are ignored (the kiosk's loader warns about them). Errors are one line
// naming the file and the JSON path: "procedures.json: procedures[3].name.vi: missing".
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "sipas/server/server_store.hpp"
#include "sipas/status.hpp"

namespace sipas {

Result<std::vector<ProcedureRecord>> load_procedures_file(const std::filesystem::path& file);
Result<std::vector<ProcedureRecord>> parse_procedures_json(std::string_view text,
                                                           const std::string& name);

}  // namespace sipas
