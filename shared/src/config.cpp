#include "sipas/config.hpp"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <system_error>
#include <utility>

#include "sipas/files.hpp"
#include "sipas/time.hpp"

namespace sipas {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

constexpr std::size_t kMaxFileBytes = 4 * 1024 * 1024;

// Validation stops at the first problem, found deep inside nested readers; this carries it back
// to the load_* edge and never leaves this file.
struct Problem {
  std::string path;
  std::string what;
};

[[noreturn]] void fail(std::string path, std::string what) {
  throw Problem{std::move(path), std::move(what)};
}

// Messages are one line whatever the file contains (keys and values are quoted into them).
std::string one_line(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  return out;
}

std::string line(const std::string& file, const std::string& path, const std::string& what) {
  return one_line(path.empty() ? file + ": " + what : file + ": " + path + ": " + what);
}

// 18 rather than 18.0, so that messages read like the file.
std::string format_number(double v) {
  if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 1e15)
    return std::to_string(static_cast<std::int64_t>(v));
  return Json(v).dump();
}

std::string quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string join_key(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string join_index(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

bool is_id(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

// "vi", "en", "zh-Hant", "en-US".
bool is_language_code(std::string_view s) {
  std::size_t dash = s.find('-');
  std::string_view primary = s.substr(0, dash);
  if (primary.size() < 2 || primary.size() > 3) return false;
  if (!std::all_of(primary.begin(), primary.end(), [](char c) { return c >= 'a' && c <= 'z'; }))
    return false;
  if (dash == std::string_view::npos) return true;
  std::string_view rest = s.substr(dash + 1);
  if (rest.size() < 2 || rest.size() > 8) return false;
  return std::all_of(rest.begin(), rest.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

bool is_blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

bool is_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

// hash_secret()'s shape: "pbkdf2-sha256$ITER$SALT_HEX$HASH_HEX".
bool looks_like_secret_hash(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t d = s.find('$', start);
    parts.push_back(s.substr(start, d == std::string_view::npos ? d : d - start));
    if (d == std::string_view::npos) break;
    start = d + 1;
  }
  if (parts.size() != 4 || parts[0] != "pbkdf2-sha256") return false;
  if (parts[1].empty() || parts[1].size() > 9 ||
      !std::all_of(parts[1].begin(), parts[1].end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  return is_hex(parts[2]) && is_hex(parts[3]);
}

struct Context {
  std::string file;                    // as the caller named it, for messages
  std::vector<std::string> languages;  // every text must have these
  std::vector<std::string>* warnings = nullptr;

  void warn(const std::string& path, const std::string& what) const {
    if (warnings != nullptr) warnings->push_back(line(file, path, what));
  }
};

class Object;

// One JSON value and where it sits, with typed readers that fail with the path named.
class Field {
 public:
  Field(const Context& ctx, const Json& json, std::string path)
      : ctx_(&ctx), json_(&json), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  const Json& json() const { return *json_; }

  [[noreturn]] void expected(const char* what) const {
    fail(path_, std::string("expected ") + what + ", got " + json_->type_name());
  }

  std::string string() const {
    if (!json_->is_string()) expected("a string");
    const std::string& s = json_->get_ref<const std::string&>();
    if (s.find('\0') != std::string::npos) fail(path_, "contains a NUL character");
    return s;
  }

  std::string text_line() const {
    std::string s = string();
    if (is_blank(s)) fail(path_, "empty");
    return s;
  }

  std::string id() const {
    std::string s = string();
    if (s.empty()) fail(path_, "empty");
    if (!is_id(s)) fail(path_, quote(s) + " is not an id (1 to 64 of A-Z a-z 0-9 . _ -)");
    return s;
  }

  std::int64_t integer(std::int64_t lo, std::int64_t hi) const {
    if (json_->is_number_float()) fail(path_, "expected a whole number, got " + json_->dump());
    if (!json_->is_number_integer()) expected("a whole number");
    bool in_range;
    if (json_->is_number_unsigned()) {
      std::uint64_t v = json_->get<std::uint64_t>();
      in_range = hi >= 0 && v <= static_cast<std::uint64_t>(hi) &&
                 (lo <= 0 || v >= static_cast<std::uint64_t>(lo));
    } else {
      std::int64_t v = json_->get<std::int64_t>();
      in_range = v >= lo && v <= hi;
    }
    if (!in_range) {
      fail(path_, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                      ", got " + json_->dump());
    }
    return json_->get<std::int64_t>();
  }

  int small_int(int lo, int hi) const { return static_cast<int>(integer(lo, hi)); }

  double number(double lo, double hi) const {
    if (!json_->is_number()) expected("a number");
    double v = json_->get<double>();
    if (!std::isfinite(v) || v < lo || v > hi) {
      fail(path_, "must be between " + format_number(lo) + " and " + format_number(hi) + ", got " +
                      json_->dump());
    }
    return v;
  }

  bool boolean() const {
    if (!json_->is_boolean()) expected("true or false");
    return json_->get<bool>();
  }

  // {"vi": "...", "en": "..."} with every configured language present and non-empty.
  LocalizedText text() const {
    if (!json_->is_object()) expected("an object of texts by language (\"vi\", \"en\")");
    LocalizedText out;
    for (const auto& [lang, value] : json_->items()) {
      std::string p = join_key(path_, lang);
      if (!is_language_code(lang)) fail(p, quote(lang) + " is not a language code");
      out.by_language[lang] = Field(*ctx_, value, p).text_line();
    }
    for (const std::string& lang : ctx_->languages) {
      if (!out.by_language.contains(lang)) fail(join_key(path_, lang), "missing");
    }
    if (out.by_language.empty()) fail(path_, "no text in any language");
    return out;
  }

  std::vector<Field> items(bool allow_empty) const {
    if (!json_->is_array()) expected("an array");
    if (!allow_empty && json_->empty()) fail(path_, "empty (at least one entry is needed)");
    std::vector<Field> out;
    out.reserve(json_->size());
    for (std::size_t i = 0; i < json_->size(); ++i)
      out.emplace_back(*ctx_, (*json_)[i], join_index(path_, i));
    return out;
  }

  Object object() const;

 private:
  const Context* ctx_;
  const Json* json_;
  std::string path_;
};

// A JSON object read key by key; finish() warns about every key nobody asked for.
class Object {
 public:
  Object(const Context& ctx, const Json& json, std::string path)
      : ctx_(&ctx), json_(&json), path_(std::move(path)) {
    if (!json.is_object()) {
      fail(path_, std::string("expected an object, got ") + json.type_name());
    }
  }

  std::optional<Field> optional(const char* key) {
    known_.emplace(key);
    auto it = json_->find(key);
    if (it == json_->end()) return std::nullopt;
    return Field(*ctx_, *it, join_key(path_, key));
  }

  Field required(const char* key) {
    std::optional<Field> f = optional(key);
    if (!f) fail(join_key(path_, key), "missing");
    return *f;
  }

  void finish() const {
    for (const auto& [key, value] : json_->items()) {
      if (known_.contains(key)) continue;
      std::string what = "unknown key, ignored";
      const std::string* best = nullptr;
      std::size_t best_distance = 3;
      for (const std::string& k : known_) {
        std::size_t d = edit_distance(key, k);
        if (d < best_distance) {
          best_distance = d;
          best = &k;
        }
      }
      if (best != nullptr) what += " (did you mean " + quote(*best) + "?)";
      ctx_->warn(join_key(path_, key), what);
    }
  }

 private:
  const Context* ctx_;
  const Json* json_;
  std::string path_;
  std::set<std::string> known_;
};

Object Field::object() const { return Object(*ctx_, *json_, path_); }

// "kiosk-config/kiosk.json: 3:17: malformed JSON: ..." — the byte offset nlohmann reports,
// turned into the line and the column (in characters) an editor shows.
std::string position_of(const std::string& text, std::size_t byte) {
  std::size_t end = std::min(byte == 0 ? 0 : byte - 1, text.size());
  std::size_t line_no = 1;
  std::size_t col = 1;
  for (std::size_t i = 0; i < end; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line_no;
      col = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++col;
    }
  }
  return std::to_string(line_no) + ":" + std::to_string(col);
}

std::string parse_error_reason(const std::string& what) {
  // nlohmann: "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..."
  std::size_t at = what.find("parse error");
  std::size_t colon = what.find(": ", at == std::string::npos ? 0 : at);
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

// nlohmann keeps the last of two equal keys without a word; a hand-edited file that says
// "idle_timeout_seconds" twice must not silently lose one. Tracks the path to say where.
class DuplicateKeyFinder {
 public:
  bool on_event(nlohmann::json::parse_event_t event, const Json& parsed) {
    using E = nlohmann::json::parse_event_t;
    switch (event) {
      case E::object_start:
      case E::array_start:
        take_slot();
        frames_.push_back({event == E::array_start, 0, {}, {}});
        break;
      case E::object_end:
      case E::array_end:
        if (!frames_.empty()) frames_.pop_back();
        break;
      case E::key:
        if (!frames_.empty() && parsed.is_string()) {
          Frame& f = frames_.back();
          f.key = parsed.get<std::string>();
          if (!f.keys.insert(f.key).second && !duplicate_) duplicate_ = current_path();
        }
        break;
      case E::value:
        take_slot();
        break;
    }
    return true;
  }

  const std::optional<std::string>& duplicate() const { return duplicate_; }

 private:
  struct Frame {
    bool is_array;
    std::size_t next_index;
    std::string key;
    std::set<std::string> keys;
  };

  void take_slot() {
    if (!frames_.empty() && frames_.back().is_array) ++frames_.back().next_index;
  }

  std::string current_path() const {
    std::string p;
    for (const Frame& f : frames_) {
      p = f.is_array ? join_index(p, f.next_index - 1) : join_key(p, f.key);
    }
    return p;
  }

  std::vector<Frame> frames_;
  std::optional<std::string> duplicate_;
};

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

Result<std::string> read_file(const fs::path& file, const std::string& name) {
  std::error_code ec;
  if (fs::is_directory(file, ec)) {
    return Status::error(ErrorCode::invalid_argument, name + ": is a directory, not a file");
  }
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(file.c_str(), "rb"));
  if (!f) {
    int err = errno;
    ErrorCode code = err == ENOENT ? ErrorCode::not_found : ErrorCode::io_error;
    return Status::error(code, name + ": cannot read: " + std::strerror(err));
  }
  std::string text;
  char buf[65536];
  while (true) {
    std::size_t n = std::fread(buf, 1, sizeof buf, f.get());
    text.append(buf, n);
    if (text.size() > kMaxFileBytes) {
      return Status::error(ErrorCode::invalid_argument,
                           name + ": larger than " + std::to_string(kMaxFileBytes) + " bytes");
    }
    if (n < sizeof buf) break;
  }
  if (std::ferror(f.get())) {
    return Status::error(ErrorCode::io_error, name + ": cannot read: " + std::strerror(errno));
  }
  return text;
}

Result<Json> parse_json(const std::string& text, const std::string& name) {
  DuplicateKeyFinder dups;
  Json doc;
  try {
    doc = Json::parse(text, [&dups](int, Json::parse_event_t e, Json& parsed) {
      return dups.on_event(e, parsed);
    });
  } catch (const Json::parse_error& e) {
    return Status::error(ErrorCode::invalid_argument,
                         one_line(name + ": " + position_of(text, e.byte) +
                                  ": malformed JSON: " + parse_error_reason(e.what())));
  }
  if (dups.duplicate()) {
    return Status::error(ErrorCode::invalid_argument,
                         line(name, *dups.duplicate(), "duplicate key (a key may appear once)"));
  }
  return doc;
}

std::string resolve(const fs::path& dir, const std::string& p) {
  fs::path path(p);
  if (path.is_relative()) path = (dir / path).lexically_normal();
  return path.string();
}

template <class T, class GetId>
void check_unique(const std::vector<T>& items, const std::vector<Field>& fields, GetId get_id,
                  const char* id_key) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (get_id(items[j]) == get_id(items[i])) {
        fail(join_key(fields[i].path(), id_key),
             "duplicate id " + quote(get_id(items[i])) + " (also at " + fields[j].path() + ")");
      }
    }
  }
}

std::vector<Option> read_options(const Field& f, ScaleKind scale) {
  int lo = scale == ScaleKind::likert5 ? 1 : 0;
  int hi = scale == ScaleKind::likert5 ? 5 : 2;
  std::string scale_text = std::string(to_string(scale)) + " scale (" + std::to_string(lo) + ".." +
                           std::to_string(hi) + ")";
  std::vector<Option> out;
  std::vector<Field> items = f.items(false);
  for (const Field& item : items) {
    Object o = item.object();
    Option opt;
    Field value = o.required("value");
    std::int64_t v =
        value.integer(std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
    if (v < lo || v > hi) fail(value.path(), std::to_string(v) + " is off the " + scale_text);
    opt.value = static_cast<int>(v);
    for (const Option& prev : out) {
      if (prev.value == opt.value) fail(value.path(), std::to_string(v) + " appears twice");
    }
    opt.label = o.required("label").text();
    o.finish();
    out.push_back(std::move(opt));
  }
  for (int v = lo; v <= hi; ++v) {
    if (std::none_of(out.begin(), out.end(), [v](const Option& o) { return o.value == v; })) {
      fail(f.path(), "no option with value " + std::to_string(v) + " (the " + scale_text +
                         " needs every value)");
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Option& a, const Option& b) { return a.value < b.value; });
  return out;
}

Survey read_survey(const Context& ctx, const Json& doc) {
  Object root(ctx, doc, "");
  Survey s;
  s.id = root.required("id").id();
  if (auto f = root.optional("version")) s.version = f->small_int(1, 1000000);
  s.title = root.required("title").text();
  if (auto f = root.optional("scale")) {
    std::string kind = f->string();
    if (kind == "likert5") {
      s.scale = ScaleKind::likert5;
    } else if (kind == "points") {
      s.scale = ScaleKind::points;
    } else {
      fail(f->path(), "must be \"likert5\" or \"points\", got " + quote(kind));
    }
  }
  if (auto f = root.optional("options")) s.options = read_options(*f, s.scale);
  if (auto f = root.optional("allow_not_applicable")) s.allow_not_applicable = f->boolean();
  if (auto f = root.optional("ask_dossier")) s.ask_dossier = f->boolean();
  if (auto f = root.optional("dossier_optional")) s.dossier_optional = f->boolean();

  std::vector<Field> element_fields = root.required("elements").items(false);
  std::vector<std::pair<std::string, std::string>> criterion_paths;  // id -> path of its "id"
  for (const Field& ef : element_fields) {
    Object eo = ef.object();
    Element e;
    e.id = eo.required("id").id();
    e.name = eo.required("name").text();
    if (auto f = eo.optional("in_index")) e.in_index = f->boolean();
    for (const Field& cf : eo.required("criteria").items(false)) {
      Object co = cf.object();
      Criterion c;
      Field id = co.required("id");
      c.id = id.id();
      for (const auto& [prev, where] : criterion_paths) {
        if (prev == c.id)
          fail(id.path(), "duplicate criterion id " + quote(c.id) + " (also at " + where + ")");
      }
      criterion_paths.emplace_back(c.id, id.path());
      c.text = co.required("text").text();
      if (auto f = co.optional("hint")) c.hint = f->text();
      if (auto f = co.optional("allow_unknown")) c.allow_unknown = f->boolean();
      if (auto f = co.optional("options")) {
        c.options = read_options(*f, s.scale);
      } else if (s.options.empty()) {
        fail(join_key(cf.path(), "options"),
             "missing (the survey has no \"options\" for its criteria to share)");
      }
      co.finish();
      e.criteria.push_back(std::move(c));
    }
    eo.finish();
    s.elements.push_back(std::move(e));
  }
  check_unique(
      s.elements, element_fields, [](const Element& e) { return e.id; }, "id");
  if (std::none_of(s.elements.begin(), s.elements.end(),
                   [](const Element& e) { return e.in_index; })) {
    fail("elements", "every element has in_index false, so the survey has no index");
  }

  if (auto f = root.optional("first_question")) {
    s.first_question = f->string();
    if (s.find_criterion(s.first_question) == nullptr)
      fail(f->path(), "unknown criterion " + quote(s.first_question));
  }

  int lo = s.scale == ScaleKind::likert5 ? 1 : 0;
  int hi = s.scale == ScaleKind::likert5 ? 5 : 2;
  s.followup_at_or_below = s.scale == ScaleKind::likert5 ? 2 : 0;
  if (auto f = root.optional("followup_at_or_below"))
    s.followup_at_or_below = f->small_int(lo - 1, hi - 1);

  if (auto f = root.optional("reasons")) {
    std::vector<Field> reason_fields = f->items(true);
    for (const Field& rf : reason_fields) {
      Object ro = rf.object();
      Reason r;
      r.id = ro.required("id").id();
      r.text = ro.required("text").text();
      if (auto cf = ro.optional("criteria")) {
        for (const Field& item : cf->items(true)) {
          std::string cid = item.string();
          if (s.find_criterion(cid) == nullptr)
            fail(item.path(), "unknown criterion " + quote(cid));
          r.criteria.push_back(std::move(cid));
        }
      }
      ro.finish();
      s.reasons.push_back(std::move(r));
    }
    check_unique(
        s.reasons, reason_fields, [](const Reason& r) { return r.id; }, "id");
  }
  if (auto f = root.optional("comment_max_length")) s.comment_max_length = f->small_int(0, 2000);

  std::size_t question_count = s.questions().size();
  if (auto f = root.optional("grades")) {
    if (s.scale != ScaleKind::points) fail(f->path(), "only the points scale has grade bands");
    double max_total = 2.0 * static_cast<double>(question_count);
    std::vector<Field> grade_fields = f->items(false);
    for (const Field& gf : grade_fields) {
      Object go = gf.object();
      GradeBand g;
      g.id = go.required("id").id();
      Field min = go.required("min_total");
      g.min_total = min.number(0, max_total);
      for (std::size_t j = 0; j < s.grades.size(); ++j) {
        if (s.grades[j].min_total == g.min_total)
          fail(min.path(), "the same threshold as " + grade_fields[j].path());
      }
      g.name = go.required("name").text();
      go.finish();
      s.grades.push_back(std::move(g));
    }
    check_unique(
        s.grades, grade_fields, [](const GradeBand& g) { return g.id; }, "id");
    if (std::none_of(s.grades.begin(), s.grades.end(),
                     [](const GradeBand& g) { return g.min_total == 0; })) {
      fail(f->path(), "no band has min_total 0, so low totals would get no grade");
    }
    std::sort(s.grades.begin(), s.grades.end(),
              [](const GradeBand& a, const GradeBand& b) { return a.min_total > b.min_total; });
  } else if (s.scale == ScaleKind::points) {
    fail("grades", "missing (the points scale needs grade bands)");
  }
  root.finish();
  return s;
}

struct HttpUrl {
  std::string scheme;
  std::string host;
};

HttpUrl check_url(const Field& f) {
  std::string url = f.text_line();
  std::size_t sep = url.find("://");
  if (sep == std::string::npos) fail(f.path(), quote(url) + " is not a URL (https://host[:port])");
  HttpUrl out;
  out.scheme = url.substr(0, sep);
  std::transform(out.scheme.begin(), out.scheme.end(), out.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (out.scheme != "http" && out.scheme != "https")
    fail(f.path(), "scheme must be http or https, got " + quote(out.scheme));
  std::string rest = url.substr(sep + 3);
  std::string authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string::npos)
    fail(f.path(), "must not carry credentials (the token goes in server.token_file)");
  if (std::any_of(authority.begin(), authority.end(),
                  [](unsigned char c) { return c <= ' ' || c == 0x7f; }))
    fail(f.path(), "contains a space or control character");
  std::string port;
  if (!authority.empty() && authority[0] == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string::npos) fail(f.path(), "unclosed [ in the host");
    out.host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') fail(f.path(), "unexpected text after the host");
      port = after.substr(1);
    }
  } else {
    std::size_t colon = authority.find(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) fail(f.path(), "no host");
  if (authority.find(':') != std::string::npos && out.host.find(':') == std::string::npos &&
      port.empty())
    fail(f.path(), "empty port");
  if (!port.empty()) {
    bool digits = port.size() <= 5 && std::all_of(port.begin(), port.end(),
                                                  [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535)
      fail(f.path(), "port must be 1..65535, got " + quote(port));
  }
  std::transform(out.host.begin(), out.host.end(), out.host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  if (host.size() > 10 && host.ends_with(".localhost")) return true;
  // 127.0.0.0/8, written as a dotted quad.
  if (!host.starts_with("127.")) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

ServerSettings read_server(const Field& f, const fs::path& dir) {
  Object o = f.object();
  ServerSettings s;
  Field url = o.required("url");
  s.url = url.text_line();
  s.token_file = resolve(dir, o.required("token_file").text_line());
  std::optional<Field> ca = o.optional("ca_file");
  if (ca) {
    std::string p = ca->string();
    if (!p.empty()) {
      s.ca_file = resolve(dir, p);
      std::error_code ec;
      if (!fs::is_regular_file(s.ca_file, ec)) fail(ca->path(), s.ca_file + ": no such file");
    }
  }
  if (auto g = o.optional("config_public_key")) {
    std::string p = g->string();
    if (!p.empty()) {
      s.config_public_key = resolve(dir, p);
      std::error_code ec;
      if (!fs::is_regular_file(s.config_public_key, ec))
        fail(g->path(), s.config_public_key + ": no such file");
    }
  }
  if (auto g = o.optional("allow_insecure_http")) s.allow_insecure_http = g->boolean();
  if (auto g = o.optional("sync_interval_seconds"))
    s.sync_interval_seconds = g->small_int(5, 86400);
  if (auto g = o.optional("batch_size")) s.batch_size = g->small_int(1, 10000);
  if (auto g = o.optional("connect_timeout_seconds"))
    s.connect_timeout_seconds = g->small_int(1, 300);
  if (auto g = o.optional("request_timeout_seconds"))
    s.request_timeout_seconds = g->small_int(1, 3600);
  if (auto g = o.optional("heartbeat_seconds")) s.heartbeat_seconds = g->small_int(30, 300);
  o.finish();

  HttpUrl parsed = check_url(url);
  if (parsed.scheme == "http" && !is_loopback_host(parsed.host) && !s.allow_insecure_http) {
    fail(url.path(), "plain http to " + quote(parsed.host) +
                         " would send the ratings and the token unencrypted; use https, or set "
                         "server.allow_insecure_http to true on a trusted network");
  }
  return s;
}

std::vector<Procedure> read_procedures(const Context& ctx, const Json& doc) {
  Object root(ctx, doc, "");
  std::vector<Procedure> out;
  std::vector<Field> fields = root.required("procedures").items(true);
  for (const Field& f : fields) {
    Object o = f.object();
    Procedure p;
    p.code = o.required("code").id();
    p.name = o.required("name").text();
    o.finish();
    out.push_back(std::move(p));
  }
  check_unique(
      out, fields, [](const Procedure& p) { return p.code; }, "code");
  root.finish();
  return out;
}

// `catalogue` is procedures.json's content (empty when there is none), named `catalogue_name`.
KioskConfig read_kiosk(Context& ctx, const Json& doc, const fs::path& dir,
                       std::vector<Procedure> catalogue, const std::string& catalogue_name) {
  Object root(ctx, doc, "");
  KioskConfig c;
  c.dir = dir;
  c.kiosk_id = root.required("kiosk_id").id();

  Object unit = root.required("unit").object();
  c.unit.code = unit.required("code").id();
  c.unit.name = unit.required("name").text_line();
  if (auto f = unit.optional("time_zone")) {
    c.unit.time_zone = f->text_line();
    Result<TimeZone> tz = TimeZone::load(c.unit.time_zone);
    if (!tz.is_ok()) {
      fail(f->path(),
           "cannot load time zone " + quote(c.unit.time_zone) + ": " + tz.status().message());
    }
  } else {
    Result<TimeZone> tz = TimeZone::load(c.unit.time_zone);
    if (!tz.is_ok()) {
      fail("unit.time_zone",
           "the default " + quote(c.unit.time_zone) +
               " cannot be loaded (is tzdata installed?): " + tz.status().message());
    }
  }
  unit.finish();

  std::vector<Field> counter_fields = root.required("counters").items(false);
  for (const Field& cf : counter_fields) {
    Object co = cf.object();
    Counter counter;
    counter.id = co.required("id").id();
    counter.name = co.required("name").text_line();
    if (auto of = co.optional("officers")) {
      std::vector<Field> officer_fields = of->items(true);
      for (const Field& f : officer_fields) {
        Object oo = f.object();
        Officer officer;
        officer.id = oo.required("id").id();
        officer.name = oo.required("name").text_line();
        oo.finish();
        counter.officers.push_back(std::move(officer));
      }
      check_unique(
          counter.officers, officer_fields, [](const Officer& o) { return o.id; }, "id");
      // One person may work at several counters, but an id means one person everywhere.
      for (std::size_t i = 0; i < counter.officers.size(); ++i) {
        for (const Counter& prev : c.counters) {
          for (const Officer& o : prev.officers) {
            if (o.id == counter.officers[i].id && o.name != counter.officers[i].name) {
              fail(join_key(officer_fields[i].path(), "name"),
                   quote(counter.officers[i].name) + " differs from " + quote(o.name) +
                       " given for officer " + quote(o.id) + " at counter " + quote(prev.id));
            }
          }
        }
      }
    }
    if (auto pf = co.optional("procedures")) {
      std::vector<Field> code_fields = pf->items(true);
      for (std::size_t i = 0; i < code_fields.size(); ++i) {
        const Field& f = code_fields[i];
        std::string code = f.id();
        if (std::find(counter.procedures.begin(), counter.procedures.end(), code) !=
            counter.procedures.end()) {
          fail(f.path(), quote(code) + " appears twice");
        }
        if (std::none_of(catalogue.begin(), catalogue.end(),
                         [&code](const Procedure& p) { return p.code == code; })) {
          fail(f.path(), "no procedure with code " + quote(code) + " in " + catalogue_name);
        }
        counter.procedures.push_back(std::move(code));
      }
    }
    co.finish();
    c.counters.push_back(std::move(counter));
  }
  check_unique(
      c.counters, counter_fields, [](const Counter& x) { return x.id; }, "id");

  Field counter = root.required("counter");
  c.counter = counter.id();
  if (c.find_counter(c.counter) == nullptr)
    fail(counter.path(), "no counter with id " + quote(c.counter) + " in counters");

  c.server = read_server(root.required("server"), dir);

  if (auto f = root.optional("idle_timeout_seconds")) c.idle_timeout_seconds = f->small_int(5, 600);
  // At least 20 s to answer "more time?" (WCAG 2.2.1, timing adjustable).
  if (auto f = root.optional("more_time_seconds")) c.more_time_seconds = f->small_int(20, 300);
  if (auto f = root.optional("thanks_seconds")) c.thanks_seconds = f->small_int(1, 60);
  if (auto f = root.optional("min_interval_seconds"))
    c.min_interval_seconds = f->small_int(0, 3600);
  if (auto f = root.optional("double_tap_ms")) c.double_tap_ms = f->small_int(0, 2000);
  if (auto f = root.optional("selection_feedback_ms"))
    c.selection_feedback_ms = f->small_int(0, 2000);
  if (auto f = root.optional("private_answers")) c.private_answers = f->boolean();
  if (auto f = root.optional("pin_lockout_seconds"))
    c.pin_lockout_seconds = f->small_int(10, 86400);

  if (auto f = root.optional("languages")) {
    c.languages.clear();
    for (const Field& item : f->items(false)) {
      std::string lang = item.string();
      if (!is_language_code(lang)) fail(item.path(), quote(lang) + " is not a language code");
      if (std::find(c.languages.begin(), c.languages.end(), lang) != c.languages.end())
        fail(item.path(), quote(lang) + " appears twice");
      c.languages.push_back(std::move(lang));
    }
  }
  {
    std::optional<Field> f = root.optional("default_language");
    if (f) c.default_language = f->string();
    if (std::find(c.languages.begin(), c.languages.end(), c.default_language) ==
        c.languages.end()) {
      fail(f ? f->path() : std::string("default_language"),
           quote(c.default_language) + " is not one of languages");
    }
  }

  if (auto f = root.optional("staff_pin_hash")) {
    c.staff_pin_hash = f->string();
    if (!c.staff_pin_hash.empty() && !looks_like_secret_hash(c.staff_pin_hash)) {
      fail(f->path(),
           "not a PIN hash (pbkdf2-sha256$ITER$SALT$HASH); set one with sipas-kiosk set-pin");
    }
  }
  c.db_path = resolve(dir, root.required("db_path").text_line());
  if (auto f = root.optional("retention_days")) c.retention_days = f->small_int(1, 3650);
  if (auto f = root.optional("export_dir")) {
    std::string p = f->string();
    if (!p.empty()) c.export_dir = resolve(dir, p);
  }
  if (auto f = root.optional("font_paths")) {
    for (const Field& item : f->items(true)) c.font_paths.push_back(resolve(dir, item.text_line()));
  }
  if (auto f = root.optional("voice")) {
    Object vo = f->object();
    if (auto g = vo.optional("always_on")) c.voice.always_on = g->boolean();
    if (auto g = vo.optional("key")) c.voice.key = g->text_line();
    if (auto g = vo.optional("volume")) c.voice.volume = g->small_int(0, 100);
    vo.finish();
  }
  if (auto f = root.optional("tap_sound")) c.tap_sound = f->boolean();
  if (auto f = root.optional("assets_dir")) c.assets_dir = resolve(dir, f->text_line());
  Field active = root.required("active_survey");
  c.active_survey = active.id();
  root.finish();
  ctx.languages = c.languages;
  c.procedures = std::move(catalogue);
  return c;
}

std::string display(const fs::path& p) { return p.generic_string(); }

Status to_status(const std::string& file, const Problem& p) {
  return Status::error(ErrorCode::invalid_argument, line(file, p.path, p.what));
}

// Reads and parses one JSON file and hands it to `read`; warnings reach the caller only when the
// whole file loads, so a failed load leaves `warnings` as it was.
template <typename Read>
auto load_json_file(const fs::path& file, std::vector<std::string> languages,
                    std::vector<std::string>* warnings, Read read)
    -> Result<decltype(read(std::declval<const Context&>(), std::declval<const Json&>()))> {
  std::string name = display(file);
  Result<std::string> text = read_file(file, name);
  if (!text.is_ok()) return text.status();
  Result<Json> doc = parse_json(*text, name);
  if (!doc.is_ok()) return doc.status();
  std::vector<std::string> local_warnings;
  Context ctx{name, std::move(languages), &local_warnings};
  try {
    auto value = read(ctx, *doc);
    if (warnings != nullptr)
      warnings->insert(warnings->end(), local_warnings.begin(), local_warnings.end());
    return value;
  } catch (const Problem& p) {
    return to_status(name, p);
  }
}

Result<Survey> load_survey_with(const fs::path& file, std::vector<std::string> languages,
                                std::vector<std::string>* warnings) {
  return load_json_file(file, std::move(languages), warnings, read_survey);
}

// Names are the center's own catalogue, so only Vietnamese is required of them.
Result<std::vector<Procedure>> load_procedures_file(const fs::path& file,
                                                    std::vector<std::string>* warnings) {
  return load_json_file(file, {"vi"}, warnings, read_procedures);
}

}  // namespace

const Survey* KioskConfig::find_survey(const std::string& id) const {
  for (const Survey& s : surveys) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

const Survey& KioskConfig::survey() const {
  const Survey* s = find_survey(active_survey);
  assert(s != nullptr && "survey() on a config that was not loaded by load_kiosk_config");
  static const Survey empty;
  return s != nullptr ? *s : empty;
}

const Counter* KioskConfig::find_counter(const std::string& id) const {
  for (const Counter& c : counters) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

const Procedure* KioskConfig::find_procedure(const std::string& code) const {
  for (const Procedure& p : procedures) {
    if (p.code == code) return &p;
  }
  return nullptr;
}

namespace {

Result<Loaded> load_config_dir(const fs::path& dir) {
  Loaded loaded;
  fs::path file = dir / "kiosk.json";
  std::string name = display(file);
  Result<std::string> text = read_file(file, name);
  if (!text.is_ok()) return text.status();
  Result<Json> doc = parse_json(*text, name);
  if (!doc.is_ok()) return doc.status();
  fs::path procedures_file = dir / "procedures.json";
  std::string procedures_name = display(procedures_file);
  std::vector<Procedure> catalogue;
  Result<std::vector<Procedure>> read = load_procedures_file(procedures_file, &loaded.warnings);
  if (read.is_ok()) {
    catalogue = std::move(read).value();
  } else if (read.status().code() != ErrorCode::not_found) {
    return read.status();
  }
  Context ctx{name, {}, &loaded.warnings};
  try {
    loaded.config = read_kiosk(ctx, *doc, dir, std::move(catalogue), procedures_name);
  } catch (const Problem& p) {
    return to_status(name, p);
  }

  fs::path survey_dir = dir / "surveys";
  std::error_code ec;
  if (!fs::is_directory(survey_dir, ec)) {
    return Status::error(ErrorCode::invalid_argument,
                         display(survey_dir) + ": missing (the questionnaires live here)");
  }
  std::vector<fs::path> files;
  for (fs::directory_iterator it(survey_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.filename().string().starts_with(".")) continue;
    if (p.extension() == ".json") {
      files.push_back(p);
    } else if (!it->is_directory(ec)) {
      loaded.warnings.push_back(one_line(display(p) + ": not a .json file, ignored"));
    }
  }
  if (ec) {
    return Status::error(ErrorCode::io_error,
                         display(survey_dir) + ": cannot list: " + ec.message());
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> survey_files;
  for (const fs::path& p : files) {
    Result<Survey> s = load_survey_with(p, loaded.config.languages, &loaded.warnings);
    if (!s.is_ok()) return s.status();
    for (std::size_t i = 0; i < loaded.config.surveys.size(); ++i) {
      if (loaded.config.surveys[i].id == s->id) {
        return Status::error(
            ErrorCode::invalid_argument,
            line(display(p), "id",
                 "duplicate survey id " + quote(s->id) + " (also in " + survey_files[i] + ")"));
      }
    }
    survey_files.push_back(display(p));
    loaded.config.surveys.push_back(std::move(s).value());
  }
  if (loaded.config.find_survey(loaded.config.active_survey) == nullptr) {
    std::string have;
    for (const Survey& s : loaded.config.surveys) have += (have.empty() ? "" : ", ") + s.id;
    return Status::error(
        ErrorCode::invalid_argument,
        line(name, "active_survey",
             "no questionnaire with id " + quote(loaded.config.active_survey) + " in " +
                 display(survey_dir) + " (found: " + (have.empty() ? "none" : have) + ")"));
  }
  return loaded;
}

Status write_pin_hash(const fs::path& dir, const std::string& hash) {
  fs::path file = dir / "kiosk.json";
  std::string name = display(file);
  if (!looks_like_secret_hash(hash)) {
    return Status::error(ErrorCode::invalid_argument,
                         name + ": staff_pin_hash: not a PIN hash (pbkdf2-sha256$ITER$SALT$HASH)");
  }
  Result<std::string> text = read_file(file, name);
  if (!text.is_ok()) return text.status();
  if (Result<Json> checked = parse_json(*text, name); !checked.is_ok()) return checked.status();
  // Key order and every other value kept as the center wrote them.
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(*text);
  if (!doc.is_object()) {
    return Status::error(ErrorCode::invalid_argument,
                         name + ": expected an object, got " + doc.type_name());
  }
  doc["staff_pin_hash"] = hash;
  return write_file_atomically(file, doc.dump(2) + "\n");
}

Status one_line_status(const Status& s) {
  return s.is_ok() ? s : Status::error(s.code(), one_line(s.message()));
}

Status unexpected(const fs::path& file, const char* what) {
  return Status::error(ErrorCode::internal, one_line(display(file) + ": " + what));
}

}  // namespace

Result<Survey> load_survey(const fs::path& file, std::vector<std::string>* warnings) {
  try {
    Result<Survey> r = load_survey_with(file, {"vi"}, warnings);
    if (!r.is_ok()) return one_line_status(r.status());
    return r;
  } catch (const std::exception& e) {
    return unexpected(file, e.what());
  } catch (...) {
    return unexpected(file, "unexpected failure");
  }
}

Result<std::vector<Procedure>> load_procedures(const fs::path& file,
                                               std::vector<std::string>* warnings) {
  try {
    Result<std::vector<Procedure>> r = load_procedures_file(file, warnings);
    if (!r.is_ok()) return one_line_status(r.status());
    return r;
  } catch (const std::exception& e) {
    return unexpected(file, e.what());
  } catch (...) {
    return unexpected(file, "unexpected failure");
  }
}

Result<Loaded> load_kiosk_config(const fs::path& dir) {
  try {
    Result<Loaded> r = load_config_dir(dir);
    if (!r.is_ok()) return one_line_status(r.status());
    return r;
  } catch (const std::exception& e) {
    return unexpected(dir / "kiosk.json", e.what());
  } catch (...) {
    return unexpected(dir / "kiosk.json", "unexpected failure");
  }
}

Status write_staff_pin_hash(const fs::path& dir, const std::string& hash) {
  try {
    return one_line_status(write_pin_hash(dir, hash));
  } catch (const std::exception& e) {
    return unexpected(dir / "kiosk.json", e.what());
  } catch (...) {
    return unexpected(dir / "kiosk.json", "unexpected failure");
  }
}

namespace {

// "idle_timeout_seconds" of "idle_timeout_seconds", "counters" of "counters[2].name".
std::string top_key(const std::string& path) { return path.substr(0, path.find_first_of(".[")); }

std::string prefixed(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + ": " + name;
}

Result<Survey> load_survey_doc(const Json& doc, const std::string& name,
                               std::vector<std::string> languages,
                               std::vector<std::string>* warnings) {
  std::vector<std::string> local_warnings;
  Context ctx{name, std::move(languages), &local_warnings};
  try {
    Survey s = read_survey(ctx, doc);
    warnings->insert(warnings->end(), local_warnings.begin(), local_warnings.end());
    return s;
  } catch (const Problem& p) {
    return to_status(name, p);
  }
}

// kiosk.json's document `local` with `bundle` over it. local_files: whether DIR/procedures.json
// and DIR/surveys are read too (the kiosk) or not (the server's check).
Result<Loaded> load_layered(const fs::path& dir, const Json& local, const std::string& local_name,
                            const BundleContent& bundle, const std::string& bundle_name,
                            bool local_files, bool require_active) {
  Loaded loaded;
  if (!local.is_object()) {
    return Status::error(ErrorCode::invalid_argument,
                         local_name + ": expected an object, got " + local.type_name());
  }
  Json doc = local;
  std::set<std::string> from_bundle;
  for (const auto& [key, value] : bundle.settings.items()) {
    if (is_local_only_setting(key)) continue;
    doc[key] = value;
    from_bundle.insert(key);
  }

  std::vector<Procedure> catalogue;
  std::string procedures_name = display(dir / "procedures.json");
  if (bundle.procedures) {
    procedures_name = prefixed(bundle_name, "procedures.json");
    Json wrapped{{"procedures", *bundle.procedures}};
    std::vector<std::string> w;
    Context ctx{procedures_name, {"vi"}, &w};
    try {
      catalogue = read_procedures(ctx, wrapped);
    } catch (const Problem& p) {
      return to_status(procedures_name, p);
    }
    loaded.warnings.insert(loaded.warnings.end(), w.begin(), w.end());
  } else if (local_files) {
    Result<std::vector<Procedure>> read = load_procedures_file(dir / "procedures.json", &loaded.warnings);
    if (read.is_ok()) {
      catalogue = std::move(read).value();
    } else if (read.status().code() != ErrorCode::not_found) {
      return read.status();
    }
  }

  Context ctx{local_name, {}, &loaded.warnings};
  try {
    loaded.config = read_kiosk(ctx, doc, dir, std::move(catalogue), procedures_name);
  } catch (const Problem& p) {
    bool bundle_key = from_bundle.contains(top_key(p.path));
    return to_status(bundle_key ? prefixed(bundle_name, "kiosk.json") : local_name, p);
  }

  std::vector<std::string> survey_names;
  if (local_files) {
    fs::path survey_dir = dir / "surveys";
    std::error_code ec;
    if (fs::is_directory(survey_dir, ec)) {
      std::vector<fs::path> files;
      for (fs::directory_iterator it(survey_dir, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path& p = it->path();
        if (!p.filename().string().starts_with(".") && p.extension() == ".json") files.push_back(p);
      }
      std::sort(files.begin(), files.end());
      for (const fs::path& p : files) {
        Result<Survey> s = load_survey_with(p, loaded.config.languages, &loaded.warnings);
        if (!s.is_ok()) return s.status();
        survey_names.push_back(display(p));
        loaded.config.surveys.push_back(std::move(s).value());
      }
    } else if (bundle.surveys.empty()) {
      return Status::error(ErrorCode::invalid_argument,
                           display(survey_dir) + ": missing (the questionnaires live here)");
    }
  }
  for (const Json& doc_survey : bundle.surveys) {
    std::string name = prefixed(bundle_name, "surveys/" + doc_survey.value("id", std::string()) + ".json");
    Result<Survey> s = load_survey_doc(doc_survey, name, loaded.config.languages, &loaded.warnings);
    if (!s.is_ok()) return s.status();
    auto same = std::find_if(loaded.config.surveys.begin(), loaded.config.surveys.end(),
                             [&](const Survey& x) { return x.id == s->id; });
    if (same != loaded.config.surveys.end()) {
      *same = std::move(s).value();
    } else {
      loaded.config.surveys.push_back(std::move(s).value());
    }
  }
  if (require_active && loaded.config.find_survey(loaded.config.active_survey) == nullptr) {
    std::string have;
    for (const Survey& s : loaded.config.surveys) have += (have.empty() ? "" : ", ") + s.id;
    bool bundle_key = from_bundle.contains("active_survey");
    return Status::error(
        ErrorCode::invalid_argument,
        line(bundle_key ? prefixed(bundle_name, "kiosk.json") : local_name, "active_survey",
             "no questionnaire with id " + quote(loaded.config.active_survey) + " (found: " +
                 (have.empty() ? "none" : have) + ")"));
  }
  return loaded;
}

}  // namespace

Result<Json> read_json_file(const fs::path& file) {
  try {
    const std::string name = display(file);
    Result<std::string> text = read_file(file, name);
    if (!text.is_ok()) return one_line_status(text.status());
    Result<Json> doc = parse_json(*text, name);
    if (!doc.is_ok()) return one_line_status(doc.status());
    return doc;
  } catch (const std::exception& e) {
    return unexpected(file, e.what());
  }
}

Result<Loaded> load_kiosk_config_with_bundle(const fs::path& dir, const BundleContent& bundle,
                                             const std::string& bundle_name) {
  fs::path file = dir / "kiosk.json";
  try {
    std::string name = display(file);
    Result<std::string> text = read_file(file, name);
    if (!text.is_ok()) return one_line_status(text.status());
    Result<Json> doc = parse_json(*text, name);
    if (!doc.is_ok()) return one_line_status(doc.status());
    Result<Loaded> r = load_layered(dir, *doc, name, bundle, bundle_name, true, true);
    if (!r.is_ok()) return one_line_status(r.status());
    return r;
  } catch (const std::exception& e) {
    return unexpected(file, e.what());
  } catch (...) {
    return unexpected(file, "unexpected failure");
  }
}

Status check_bundle(const BundleContent& bundle, const std::string& unit_code,
                    const std::string& unit_name, const std::string& time_zone,
                    std::vector<std::string>* warnings) {
  try {
    // A stand-in for what each kiosk keeps for itself.
    Json doc{{"kiosk_id", "check"},
             {"unit", {{"code", unit_code}, {"name", unit_name}, {"time_zone", time_zone}}},
             {"counters", Json::array({{{"id", "check"}, {"name", "check"}}})},
             {"counter", "check"},
             {"server", {{"url", "https://localhost"}, {"token_file", "kiosk.token"}}},
             {"db_path", "kiosk.db"},
             {"active_survey", "check"}};
    if (auto c = bundle.settings.find("counters");
        c != bundle.settings.end() && c->is_array() && !c->empty() && (*c)[0].is_object() &&
        (*c)[0].contains("id") && (*c)[0]["id"].is_string()) {
      doc["counter"] = (*c)[0]["id"];
    }
    bool require_active = true;
    if (!bundle.settings.contains("active_survey")) {
      if (bundle.surveys.empty()) {
        require_active = false;
      } else {
        doc["active_survey"] = bundle.surveys.front().value("id", std::string());
      }
    }
    Result<Loaded> r = load_layered(fs::path("/"), doc, "kiosk.json", bundle, "", false, require_active);
    if (!r.is_ok()) return one_line_status(r.status());
    if (warnings) warnings->insert(warnings->end(), r->warnings.begin(), r->warnings.end());
    return Status::ok();
  } catch (const std::exception& e) {
    return unexpected("kiosk.json", e.what());
  } catch (...) {
    return unexpected("kiosk.json", "unexpected failure");
  }
}

}  // namespace sipas

