// The questionnaires the server validates responses against. They live in the server's database
// (`sipas-server survey import`, or `serve --surveys DIR`, which imports every DIR/*.json at
// start), checked with the same loader the kiosk uses (load_survey in config.hpp), and are read
// into a SurveyCatalog once when the server starts.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "sipas/server/batch.hpp"
#include "sipas/server/server_store.hpp"
#include "sipas/status.hpp"
#include "sipas/survey.hpp"

namespace sipas {

// Validates a questionnaire file and stores it under its (id, version), replacing an earlier
// import of the same pair. Returns the survey.
Result<Survey> import_survey_file(ServerStore& store, const std::filesystem::path& file);
// Every *.json in `dir`, in name order; stops at the first invalid file.
Result<std::vector<Survey>> import_survey_dir(ServerStore& store, const std::filesystem::path& dir);
// Every questionnaire stored in the database.
Result<SurveyCatalog> load_catalog(ServerStore& store);

}  // namespace sipas
