#include "sipas/server/surveys.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "sipas/config.hpp"

namespace sipas {
namespace {

Result<std::string> read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::error(ErrorCode::not_found, file.string() + ": cannot be read");
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// load_survey() reads files, so a stored questionnaire goes through a private temporary file.
Result<Survey> parse_stored(const std::string& text) {
  std::string path = (std::filesystem::temp_directory_path() / "sipas-survey-XXXXXX.json").string();
  int fd = mkstemps(path.data(), 5);
  if (fd < 0) return Status::error(ErrorCode::io_error, "cannot create a temporary file");
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  Result<Survey> survey = done == text.size()
                              ? load_survey(path)
                              : Result<Survey>(Status::error(ErrorCode::io_error,
                                                             "cannot write a temporary file"));
  std::error_code ec;
  std::filesystem::remove(path, ec);
  if (!survey.is_ok()) {
    return Status::error(survey.status().code(),
                         "a questionnaire stored in the database no longer loads: " +
                             survey.status().message());
  }
  return survey;
}

}  // namespace

Result<Survey> import_survey_file(ServerStore& store, const std::filesystem::path& file) {
  auto survey = load_survey(file);
  if (!survey.is_ok()) return survey.status();
  auto text = read_file(file);
  if (!text.is_ok()) return text.status();
  Status s = store.put_survey(survey->id, survey->version, *text);
  if (!s.is_ok()) return s;
  return survey;
}

Result<std::vector<Survey>> import_survey_dir(ServerStore& store,
                                              const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (it->path().extension() == ".json") files.push_back(it->path());
  }
  if (ec) return Status::error(ErrorCode::not_found, dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  std::vector<Survey> out;
  for (const auto& f : files) {
    auto s = import_survey_file(store, f);
    if (!s.is_ok()) return s.status();
    out.push_back(std::move(s).value());
  }
  return out;
}

Result<SurveyCatalog> load_catalog(ServerStore& store) {
  auto texts = store.survey_texts();
  if (!texts.is_ok()) return texts.status();
  SurveyCatalog catalog;
  for (const auto& text : *texts) {
    auto s = parse_stored(text);
    if (!s.is_ok()) return s.status();
    catalog.add(std::move(s).value());
  }
  return catalog;
}

}  // namespace sipas
