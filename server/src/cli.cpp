#include "sipas/server/cli.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <variant>

#include <nlohmann/json.hpp>

#include "sipas/config.hpp"
#include "sipas/crypto.hpp"
#include <boost/asio/ip/address.hpp>

#include "sipas/server/alerts.hpp"
#include "sipas/server/report_document.hpp"
#include "sipas/server/auth.hpp"
#include "sipas/server/backup.hpp"
#include "sipas/server/config_bundles.hpp"
#include "sipas/server/config_file.hpp"
#include "sipas/server/dashboard.hpp"
#include "sipas/server/http_server.hpp"
#include "sipas/server/migrate.hpp"
#include "sipas/server/server_store.hpp"
#include "sipas/server/service_notify.hpp"
#include "sipas/server/surveys.hpp"
#include "sipas/server/units_file.hpp"

namespace sipas {
namespace {

constexpr const char* kUsage = R"(sipas-server: the SIPAS province server

Usage:
  sipas-server serve --db PATH --listen HOST:PORT [--surveys DIR] [--access-log FILE]
               [--threads N] [--rate-limit PER_SECOND] [--rate-burst N]
               [--max-body-bytes N] [--max-decompressed-bytes N] [--max-batch N]
               [--header-timeout S] [--body-timeout S] [--idle-timeout S]
               [--max-connections N] [--max-connections-per-address N]
               [--max-header-bytes N] [--max-header-count N] [--tls-cert FILE --tls-key FILE]
               [--kiosk-late-after MINUTES] [--kiosk-offline-after MINUTES]
               [--effect-window-weeks N]
  sipas-server unit add --db PATH --code CODE --name NAME [--parent CODE] [--time-zone TZ]
  sipas-server unit import --db PATH --file UNITS.json|UNITS.csv
  sipas-server unit list --db PATH
  sipas-server kiosk add --db PATH --kiosk-id ID --unit CODE     (prints the kiosk's token)
  sipas-server kiosk list --db PATH
  sipas-server kiosk revoke --db PATH --kiosk-id ID
  sipas-server kiosk token --db PATH --kiosk-id ID               (a new token; un-revokes)
  sipas-server user add --db PATH --user NAME [--unit CODE]      (password on standard input)
  sipas-server user password --db PATH --user NAME   (new password on standard input; ends sessions)
  sipas-server user disable --db PATH --user NAME    (refuses logins, ends sessions at once)
  sipas-server user enable --db PATH --user NAME
  sipas-server user delete --db PATH --user NAME
  sipas-server user logout --db PATH --user NAME     (ends every session of the user)
  sipas-server user list --db PATH
  sipas-server survey import --db PATH --file SURVEY.json
  sipas-server survey list --db PATH
  sipas-server procedure load --db PATH --file PROCEDURES.json   (add or update procedures)
  sipas-server procedure list --db PATH
  sipas-server rollup rebuild --db PATH                         (recompute the score rollups)
  sipas-server serve ... [--behind-proxy ADDRESS[,ADDRESS...]] [--login-links on|off]
  sipas-server serve --config FILE [OPTIONS]      (serve's options as "key = value" lines in FILE)
  sipas-server backup --db PATH --to FILE | --to-dir DIR [--keep N]
  sipas-server restore --from FILE --db PATH                    (with the server stopped)
  sipas-server migrate --from FILE --to POSTGRESQL             (with the server stopped)
  sipas-server user login-link --db PATH --user NAME [--next PATH]
                                                    (one-time login link, 5 min, this machine)
  sipas-server keygen --private FILE --public FILE   (the key that signs configuration bundles)
  sipas-server serve ... --signing-key FILE          (serve GET /api/v1/config, signed)
  sipas-server config set --db PATH (--unit CODE | --kiosk-id ID) --file BUNDLE.json|DIR [--by NAME]
  sipas-server config show --db PATH (--unit CODE | --kiosk-id ID) [--effective]
  sipas-server config history --db PATH (--unit CODE | --kiosk-id ID)
  sipas-server config remove --db PATH (--unit CODE | --kiosk-id ID)
  sipas-server config list --db PATH
  sipas-server serve ... [--smtp-url smtp://HOST:PORT --smtp-from ADDRESS [--smtp-user USER
               --smtp-password-file FILE] [--smtp-ca-file FILE]] [--alert-ca-file FILE]
  sipas-server alert rules set --db PATH --unit CODE --file RULES.json
  sipas-server alert rules clear --db PATH --unit CODE
  sipas-server alert rules show --db PATH --unit CODE [--effective]
  sipas-server alert list --db PATH [--unit CODE] [--state open|cleared|all]
  sipas-server alert ack --db PATH --id N --user NAME
  sipas-server report --db PATH --unit CODE [--period quarter|6m|9m|year --day YYYY-MM-DD |
               --from YYYY-MM-DD --to YYYY-MM-DD] [--lang en] [--format docx] --out FILE
                                         (the period report as a Word document; quarter, today)
  sipas-server action add --db PATH --unit CODE (--criterion ID | --element ID) --what TEXT
               --owner NAME --start YYYY-MM-DD --deadline YYYY-MM-DD [--status S] [--by NAME]
  sipas-server action list --db PATH --unit CODE [--json] [--window-weeks N] [--lang en]
               [--today YYYY-MM-DD]
  sipas-server action set --db PATH --id N [--criterion ID | --element ID] [--what TEXT]
               [--owner NAME] [--start D] [--deadline D] [--status S] [--unit CODE] [--by NAME]
  sipas-server action remove --db PATH --id N
  sipas-server --help | --version

--db PATH names a SQLite file; a postgresql:// URI or a libpq "key=value" string (such as
"host=/run/postgresql dbname=sipas") names a PostgreSQL database instead. Give its password in
PGPASSWORD or a ~/.pgpass file rather than in the string: a command line is visible to others.
backup and restore work on the SQLite file only. migrate copies a SQLite database into an
empty PostgreSQL one and succeeds only once every table's rows and the scores of every unit for
every year and quarter with ratings are the same on both; dashboard sessions are not copied.

serve listens only on HOST (127.0.0.1 for this machine only); --surveys imports every
DIR/*.json questionnaire into the database before serving; the access log goes to standard
error unless --access-log names a file. SIGTERM or SIGINT stops it after the requests in flight.
A request's head must arrive within --header-timeout seconds (10), its body within
--body-timeout (60); a kept-alive connection closes after --idle-timeout (5) without a request.
Connections beyond --max-connections (10000), or --max-connections-per-address (1000; 0 for no
limit, e.g. behind a reverse proxy) from one address, are closed at once; a head over
--max-header-bytes (16384) or --max-header-count fields (100) gets 431. With --tls-cert and
--tls-key (PEM) it serves HTTPS; SIGHUP loads them again for new connections (a renewed
certificate) while open connections go on. --behind-proxy names the reverse proxies (their
addresses) whose X-Forwarded-For and X-Forwarded-Proto are believed: the client address for
logs and login throttling, and HTTPS at the proxy for Secure cookies and HSTS. Login links
(user login-link) work only from this machine and never through a proxy; --login-links off
turns them off.
serve --config FILE reads one option per line, "listen = 127.0.0.1:8080", named as on the
command line without the dashes; blank lines and lines starting with # are skipped, and options
on the command line win over the file's. backup copies the database as of one moment while
kiosks upload, checks the copy and puts it in place atomically; --to-dir DIR names it
DIR/sipas-YYYYMMDDTHHMMSSZ.db and then deletes all but the --keep N newest such files (default 14).
restore checks the backup, copies it over --db and migrates it to this version.
config set stores a new version of a unit's or a kiosk's configuration bundle, checked with the
kiosk's own loader: a directory laid out like a kiosk's configuration (kiosk.json, whose settings
local to each kiosk are left out; surveys/*.json; procedures.json; each optional), or one JSON
file {"settings": {...}, "surveys": [...], "procedures": [...]}. Kiosks get the bundles of their
unit's chain merged, their own last (docs/configuration.md).

Alerts (docs/configuration.md): a unit's rules and destinations come from RULES.json and hold
for the units below it unless they have their own; serve sends e-mail through --smtp-url with
STARTTLS required (--smtp-ca-file to trust a private CA) and webhooks over HTTPS (--alert-ca-file).
Improvement actions (docs/dashboard.md): what a unit does about a weak criterion (or a whole
element), who is responsible, start and deadline; status planned, in_progress or done. action
list prints them for the unit and the units below with their effect: the criterion's index over
the N weeks before the start and as many from it (serve --effect-window-weeks, default 8).
procedure load reads the kiosk's procedures.json ({"procedures": [{"code", "name": {"vi", "en"}}]})
and names the procedures in scores, the dashboard and reports; codes already loaded are updated.
)";

struct UsageError {
  std::string message;
};

class Args {
 public:
  // Parses "--key value" and "--key=value" pairs; `allowed` lists the keys the command takes.
  static std::variant<Args, UsageError> parse(const std::vector<std::string>& args,
                                              std::size_t from, const std::string& command,
                                              const std::set<std::string>& allowed) {
    Args a;
    for (std::size_t i = from; i < args.size(); ++i) {
      const std::string& arg = args[i];
      if (arg.rfind("--", 0) != 0) {
        return UsageError{command + ": unexpected argument \"" + arg + "\""};
      }
      std::string key = arg.substr(2);
      std::string value;
      if (auto eq = key.find('='); eq != std::string::npos) {
        value = key.substr(eq + 1);
        key = key.substr(0, eq);
      } else {
        if (i + 1 >= args.size()) return UsageError{command + ": --" + key + " needs a value"};
        value = args[++i];
      }
      if (!allowed.count(key)) return UsageError{command + ": unknown option --" + key};
      a.values_[key] = value;
    }
    return a;
  }

  std::optional<std::string> get(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::string, std::string> values_;
};

std::optional<long long> to_number(const std::string& s) {
  long long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> to_double(const std::string& s) {
  try {
    std::size_t used = 0;
    double v = std::stod(s, &used);
    if (used != s.size()) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool parse_listen(const std::string& text, std::string* host, int* port) {
  std::string port_text;
  if (text.starts_with("[")) {
    auto close = text.find("]:");
    if (close == std::string::npos) return false;
    *host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) return false;
    *host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  auto p = to_number(port_text);
  if (!p || *p < 0 || *p > 65535) return false;
  *port = static_cast<int>(*p);
  return true;
}

int g_signal_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int) {
  int saved = errno;
  char c = 's';
  [[maybe_unused]] auto n = ::write(g_signal_pipe[1], &c, 1);
  errno = saved;
}

extern "C" void on_reload_signal(int) {
  int saved = errno;
  char c = 'h';
  [[maybe_unused]] auto n = ::write(g_signal_pipe[1], &c, 1);
  errno = saved;
}

class Cli {
 public:
  Cli(std::istream& in, std::ostream& out, std::ostream& err) : in_(in), out_(out), err_(err) {}

  int run(const std::vector<std::string>& args) {
    if (args.empty()) {
      err_ << "sipas-server: no command given (try --help)\n";
      return 2;
    }
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      out_ << kUsage;
      return 0;
    }
    if (args[0] == "--version") {
      out_ << "sipas-server " << SIPAS_VERSION << " (protocol v1)\n";
      return 0;
    }
    for (const auto& a : args) {
      if (a == "--help" || a == "-h") {
        out_ << kUsage;
        return 0;
      }
    }
    std::string group = args[0];
    if (group == "serve") return serve(args);
    if (group == "backup") return backup(args);
    if (group == "restore") return restore(args);
    if (group == "migrate") return migrate(args);
    if (group == "keygen") return keygen(args);
    if (auto code = run_report_command(args, out_, err_)) return *code;
    if (args.size() < 2) {
      err_ << "sipas-server " << group << ": missing subcommand (try --help)\n";
      return 2;
    }
    std::string command = group + " " + args[1];
    if (command == "unit add") return unit_add(args);
    if (command == "unit import") return unit_import(args);
    if (command == "unit list") return unit_list(args);
    if (command == "kiosk add") return kiosk_add(args);
    if (command == "kiosk list") return kiosk_list(args);
    if (command == "kiosk revoke") return kiosk_revoke(args);
    if (command == "kiosk token") return kiosk_token(args);
    if (command == "user add") return user_add(args);
    if (command == "user password") return user_password(args);
    if (command == "user disable" || command == "user enable" || command == "user delete" ||
        command == "user logout") {
      return user_change(args, command);
    }
    if (command == "user list") return user_list(args);
    if (command == "survey import") return survey_import(args);
    if (command == "survey list") return survey_list(args);
    if (command == "procedure load") return procedure_load(args);
    if (command == "procedure list") return procedure_list(args);
    if (group == "config") return config_command(args, command);
    if (auto code = run_alert_command(args, out_, err_)) return *code;
    if (auto code = run_action_command(args, out_, err_)) return *code;
    if (auto code = run_dashboard_command(args, out_, err_)) return *code;
    err_ << "sipas-server: unknown command \"" << command << "\" (try --help)\n";
    return 2;
  }

 private:
  // Parses the options of `command`, checks the required ones, and opens --db.
  // Parses and checks the options; opens nothing, so a usage error never creates a database.
  bool parse(const std::vector<std::string>& args, std::size_t from, const std::string& command,
             std::set<std::string> allowed, const std::set<std::string>& required, int* exit) {
    allowed.insert("db");
    // serve --config FILE: the file's settings go before the command line's, which win.
    std::vector<std::string> with_file;
    if (command == "serve") {
      auto merged = with_config_file(args, from, allowed);
      if (!merged.is_ok()) {
        err_ << "sipas-server " << command << ": " << merged.status().message() << "\n";
        *exit = 2;
        return false;
      }
      with_file = std::move(merged).value();
    }
    auto parsed = Args::parse(command == "serve" ? with_file : args, from, command, allowed);
    if (auto* e = std::get_if<UsageError>(&parsed)) {
      err_ << "sipas-server " << e->message << "\n";
      *exit = 2;
      return false;
    }
    args_ = std::get<Args>(std::move(parsed));
    std::set<std::string> needed = required;
    if (command != "migrate" && command != "keygen") needed.insert("db");
    for (const auto& key : needed) {
      if (!args_.get(key)) {
        err_ << "sipas-server " << command << ": --" << key << " is required\n";
        *exit = 2;
        return false;
      }
    }
    return true;
  }

  bool open_store(const std::string& command, int* exit) {
    auto store = ServerStore::open(*args_.get("db"));
    if (!store.is_ok()) {
      err_ << "sipas-server " << command << ": " << store.status().message() << "\n";
      *exit = 1;
      return false;
    }
    store_ = std::move(store).value();
    return true;
  }

  bool prepare(const std::vector<std::string>& args, std::size_t from, const std::string& command,
               std::set<std::string> allowed, const std::set<std::string>& required, int* exit) {
    return parse(args, from, command, std::move(allowed), required, exit) &&
           open_store(command, exit);
  }

  int fail(const std::string& command, const Status& s) {
    err_ << "sipas-server " << command << ": " << s.message() << "\n";
    return 1;
  }

  int unit_add(const std::vector<std::string>& args) {
    int exit = 0;
    if (!prepare(args, 2, "unit add", {"code", "name", "parent", "time-zone"}, {"code", "name"},
                 &exit)) {
      return exit;
    }
    UnitRecord u{*args_.get("code"), *args_.get("name"), args_.get("parent"),
                 args_.get("time-zone").value_or("Asia/Ho_Chi_Minh")};
    Status s = store_->add_unit(u);
    if (!s.is_ok()) return fail("unit add", s);
    out_ << "unit " << u.code << " added\n";
    return 0;
  }

  int unit_import(const std::vector<std::string>& args) {
    int exit = 0;
    if (!prepare(args, 2, "unit import", {"file"}, {"file"}, &exit)) return exit;
    auto units = load_units_file(*args_.get("file"));
    if (!units.is_ok()) return fail("unit import", units.status());
    Status s = store_->import_units(*units);
    if (!s.is_ok()) return fail("unit import", s);
    out_ << units->size() << " units imported\n";
    return 0;
  }

  int unit_list(const std::vector<std::string>& args) {
    int exit = 0;
    if (!prepare(args, 2, "unit list", {}, {}, &exit)) return exit;
    auto units = store_->units();
    if (!units.is_ok()) return fail("unit list", units.status());
    for (const auto& u : *units) {
      out_ << u.code << "\t" << u.parent.value_or("-") << "\t" << u.time_zone << "\t" << u.name
           << "\n";
    }
    return 0;
  }

  int kiosk_add(const std::vector<std::string>& args) {
    int exit = 0;
    if (!prepare(args, 2, "kiosk add", {"kiosk-id", "unit"}, {"kiosk-id", "unit"}, &exit)) {
      return exit;
    }
    std::string token = random_token(32);
    Status s = store_->add_kiosk(*args_.get("kiosk-id"), *args_.get("unit"), token_hash(token),
                                 SystemClock().now());
    if (!s.is_ok()) return fail("kiosk add", s);
    out_ << token << "\n";
    return 0;
  }

  int kiosk_token(const std::vector<std::string>& args) {
    int exit = 0;
    if (!prepare(args, 2, "kiosk token", {"kiosk-id"}, {"kiosk-id"}, &exit)) return exit;
    std::string token = random_token(32);
    Status s = store_->set_kiosk_token(*args_.get("kiosk-id"), token_hash(token));
    if (!s.is_ok()) return fail("kiosk token", s);
    out_ << token << "\n";
    return 0;
  }

  int kiosk_list(const std::vector<std::string>& args) {
    int exit = 0;
    if (!prepare(args, 2, "kiosk list", {}, {}, &exit)) return exit;
    auto kiosks = store_->kiosks();
    if (!kiosks.is_ok()) return fail("kiosk list", kiosks.status());
    for (const auto& k : *kiosks) {
      out_ << k.kiosk_id << "\t" << k.unit << "\t"
           << (k.revoked_at ? "revoked " + *k.revoked_at : std::string("active")) << "\t"
           << "last_contact=" << k.last_contact.value_or("never") << "\t"
           << "last_seq=" << k.last_seq << "\n";
    }
    return 0;
  }

  int kiosk_revoke(const std::vector<std::string>& args) {
    int exit = 0;
    if (!prepare(args, 2, "kiosk revoke", {"kiosk-id"}, {"kiosk-id"}, &exit)) return exit;
    Status s = store_->revoke_kiosk(*args_.get("kiosk-id"), SystemClock().now());
    if (!s.is_ok()) return fail("kiosk revoke", s);
    out_ << "kiosk " << *args_.get("kiosk-id") << " revoked\n";
    return 0;
  }

  // One line of standard input, at least 8 characters; nullopt (after saying so) otherwise.
  std::optional<std::string> read_password(const std::string& command) {
    std::string password;
    std::getline(in_, password);
    while (!password.empty() && (password.back() == '\r' || password.back() == '\n')) {
      password.pop_back();
    }
    if (password.size() < 8) {
      err_ << "sipas-server " << command
           << ": the password (one line on standard input) must have at least 8 characters\n";
      return std::nullopt;
    }
    return password;
  }

  int user_add(const std::vector<std::string>& args) {
    int exit = 0;
    if (!prepare(args, 2, "user add", {"user", "unit"}, {"user"}, &exit)) return exit;
    auto password = read_password("user add");
    if (!password) return 1;
    Status s = store_->add_user({*args_.get("user"), hash_secret(*password), args_.get("unit")});
    if (!s.is_ok()) return fail("user add", s);
    out_ << "user " << *args_.get("user") << " added\n";
    return 0;
  }

  int user_password(const std::vector<std::string>& args) {
    int exit = 0;
    if (!prepare(args, 2, "user password", {"user"}, {"user"}, &exit)) return exit;
    auto password = read_password("user password");
    if (!password) return 1;
    const std::string user = *args_.get("user");
    Status s = store_->set_user_password(user, hash_secret(*password));
    if (!s.is_ok()) return fail("user password", s);
    out_ << "user " << user << ": password changed; their sessions ended\n";
    return 0;
  }

  // disable, enable, delete and logout: one user, no input.
  int user_change(const std::vector<std::string>& args, const std::string& command) {
    int exit = 0;
    if (!prepare(args, 2, command, {"user"}, {"user"}, &exit)) return exit;
    const std::string user = *args_.get("user");
    if (command == "user logout") {
      auto ended = store_->end_user_sessions(user);
      if (!ended.is_ok()) return fail(command, ended.status());
      out_ << "user " << user << ": " << *ended << " session(s) ended\n";
      return 0;
    }
    Status s = command == "user delete" ? store_->delete_user(user)
                                        : store_->set_user_disabled(user, command == "user disable");
    if (!s.is_ok()) return fail(command, s);
    if (command == "user disable") out_ << "user " << user << " disabled; their sessions ended\n";
    if (command == "user enable") out_ << "user " << user << " enabled\n";
    if (command == "user delete") out_ << "user " << user << " deleted\n";
    return 0;
  }

  int user_list(const std::vector<std::string>& args) {
    int exit = 0;
    if (!prepare(args, 2, "user list", {}, {}, &exit)) return exit;
    auto users = store_->users();
    if (!users.is_ok()) return fail("user list", users.status());
    for (const auto& u : *users) {
      out_ << u.name << "\t" << u.unit.value_or("(province)") << (u.disabled ? "\tdisabled" : "")
           << "\n";
    }
    return 0;
  }

  int survey_import(const std::vector<std::string>& args) {
    int exit = 0;
    if (!prepare(args, 2, "survey import", {"file"}, {"file"}, &exit)) return exit;
    auto survey = import_survey_file(*store_, *args_.get("file"));
    if (!survey.is_ok()) return fail("survey import", survey.status());
    out_ << "survey " << survey->id << " version " << survey->version << " imported\n";
    return 0;
  }

  int survey_list(const std::vector<std::string>& args) {
    int exit = 0;
    if (!prepare(args, 2, "survey list", {}, {}, &exit)) return exit;
    auto catalog = load_catalog(*store_);
    if (!catalog.is_ok()) return fail("survey list", catalog.status());
    for (const Survey* survey : catalog->all()) {
      out_ << survey->id << "\t" << survey->version << "\t" << to_string(survey->scale) << "\t"
           << survey->questions().size() << " questions\t" << survey->title.get("vi") << "\n";
    }
    return 0;
  }

  int procedure_load(const std::vector<std::string>& args) {
    int exit = 0;
    if (!prepare(args, 2, "procedure load", {"file"}, {"file"}, &exit)) return exit;
    // The kiosk's own loader, so that the server takes exactly the files the kiosks take.
    std::vector<std::string> warnings;
    auto loaded = load_procedures(*args_.get("file"), &warnings);
    if (!loaded.is_ok()) return fail("procedure load", loaded.status());
    for (const std::string& w : warnings) err_ << "sipas-server procedure load: warning: " << w << "\n";
    std::vector<ProcedureRecord> procedures;
    for (const Procedure& p : *loaded) procedures.push_back({p.code, p.name.by_language});
    Status s = store_->import_procedures(procedures);
    if (!s.is_ok()) return fail("procedure load", s);
    out_ << procedures.size() << (procedures.size() == 1 ? " procedure" : " procedures")
         << " loaded\n";
    return 0;
  }

  int procedure_list(const std::vector<std::string>& args) {
    int exit = 0;
    if (!prepare(args, 2, "procedure list", {}, {}, &exit)) return exit;
    auto procedures = store_->procedures();
    if (!procedures.is_ok()) return fail("procedure list", procedures.status());
    for (const auto& p : *procedures) {
      auto en = p.name.find("en");
      out_ << p.code << "\t" << p.name_in("vi") << "\t"
           << (en == p.name.end() ? std::string("-") : en->second) << "\n";
    }
    return 0;
  }

  // serve's alert delivery options (--smtp-*, --alert-ca-file); false after a usage error.
  bool alert_options(AlertOptions& alerts) {
    if (auto url = args_.get("smtp-url")) {
      if (url->rfind("smtp://", 0) != 0) {
        err_ << "sipas-server serve: --smtp-url must be smtp://HOST:PORT (STARTTLS is required)\n";
        return false;
      }
      if (!args_.get("smtp-from")) {
        err_ << "sipas-server serve: --smtp-url needs --smtp-from ADDRESS\n";
        return false;
      }
      if (args_.get("smtp-user").has_value() != args_.get("smtp-password-file").has_value()) {
        err_ << "sipas-server serve: --smtp-user and --smtp-password-file go together\n";
        return false;
      }
      const std::string from = *args_.get("smtp-from");
      // It goes into SMTP commands and the From: header as it is.
      if (from.find('@') == std::string::npos ||
          std::any_of(from.begin(), from.end(), [](unsigned char c) {
            return c <= ' ' || c == '<' || c == '>' || c == ',' || c == 127;
          })) {
        err_ << "sipas-server serve: --smtp-from must be an e-mail address\n";
        return false;
      }
      alerts.smtp.url = *url;
      alerts.smtp.from = from;
      alerts.smtp.ca_file = args_.get("smtp-ca-file").value_or("");
      if (auto user = args_.get("smtp-user")) {
        std::ifstream in(*args_.get("smtp-password-file"));
        std::string password;
        if (!in || !std::getline(in, password)) {
          err_ << "sipas-server serve: --smtp-password-file: cannot read "
               << *args_.get("smtp-password-file") << "\n";
          return false;
        }
        if (!password.empty() && password.back() == '\r') password.pop_back();
        alerts.smtp.user = *user;
        alerts.smtp.password = password;
      }
    } else {
      for (const char* key : {"smtp-from", "smtp-user", "smtp-password-file", "smtp-ca-file"}) {
        if (args_.get(key)) {
          err_ << "sipas-server serve: --" << key << " goes with --smtp-url\n";
          return false;
        }
      }
    }
    alerts.webhook_ca_file = args_.get("alert-ca-file").value_or("");
    return true;
  }

  int serve(const std::vector<std::string>& args) {
    int exit = 0;
    if (!parse(args, 1, "serve",
                 {"listen", "surveys", "access-log", "threads", "rate-limit", "rate-burst",
                  "max-body-bytes", "max-decompressed-bytes", "max-batch", "header-timeout",
                  "body-timeout", "idle-timeout", "max-connections", "max-connections-per-address",
                  "max-header-bytes", "max-header-count", "tls-cert", "tls-key", "behind-proxy",
                  "login-links", "kiosk-late-after", "kiosk-offline-after", "signing-key",
                  "smtp-url", "smtp-from", "smtp-user", "smtp-password-file", "smtp-ca-file",
                  "alert-ca-file", "effect-window-weeks"},
                 {"listen"}, &exit)) {
      return exit;
    }
    std::string host;
    int port = 0;
    if (!parse_listen(*args_.get("listen"), &host, &port)) {
      err_ << "sipas-server serve: --listen must be HOST:PORT (e.g. 127.0.0.1:8080)\n";
      return 2;
    }
    ServerOptions options;
    auto number = [&](const char* key, long long min, long long max,
                      long long* target) -> bool {
      auto v = args_.get(key);
      if (!v) return true;
      auto n = to_number(*v);
      if (!n || *n < min || *n > max) {
        err_ << "sipas-server serve: --" << key << " must be a number from " << min << " to "
             << max << "\n";
        return false;
      }
      *target = *n;
      return true;
    };
    long long threads = static_cast<long long>(options.http.worker_threads);
    long long max_body = static_cast<long long>(options.limits.max_body_bytes);
    long long max_plain = static_cast<long long>(options.limits.max_decompressed_bytes);
    long long max_batch = static_cast<long long>(options.limits.max_responses);
    http::TransportOptions& transport = options.http;
    long long max_connections = static_cast<long long>(transport.max_connections);
    long long per_address = static_cast<long long>(transport.max_connections_per_address);
    long long header_bytes = static_cast<long long>(transport.max_header_bytes);
    long long header_count = static_cast<long long>(transport.max_header_count);
    auto seconds = [&](const char* key, std::chrono::milliseconds* target) -> bool {
      auto v = args_.get(key);
      if (!v) return true;
      auto d = to_double(*v);
      if (!d || !(*d >= 0.1 && *d <= 86400)) {
        err_ << "sipas-server serve: --" << key << " must be a number of seconds from 0.1 to 86400\n";
        return false;
      }
      *target = std::chrono::milliseconds(static_cast<long long>(*d * 1000));
      return true;
    };
    if (!number("threads", 1, 256, &threads) ||
        !number("max-body-bytes", 1024, 1LL << 32, &max_body) ||
        !number("max-decompressed-bytes", 1024, 1LL << 32, &max_plain) ||
        !number("max-batch", 1, 100000, &max_batch) ||
        !number("max-connections", 1, 1000000, &max_connections) ||
        !number("max-connections-per-address", 0, 1000000, &per_address) ||
        !number("max-header-bytes", 1024, 1LL << 20, &header_bytes) ||
        !number("max-header-count", 1, 10000, &header_count) ||
        !seconds("header-timeout", &transport.header_timeout) ||
        !seconds("body-timeout", &transport.body_timeout) ||
        !seconds("idle-timeout", &transport.idle_timeout)) {
      return 2;
    }
    long long late_after = options.fleet.late_after.count();
    long long offline_after = options.fleet.offline_after.count();
    if (!number("kiosk-late-after", 1, 10080, &late_after) ||
        !number("kiosk-offline-after", 1, 10080, &offline_after)) {
      return 2;
    }
    if (offline_after <= late_after) {
      err_ << "sipas-server serve: --kiosk-offline-after (" << offline_after
           << ") must be more than --kiosk-late-after (" << late_after << ")\n";
      return 2;
    }
    options.fleet.late_after = std::chrono::minutes(late_after);
    long long effect_weeks = options.effect_window_days / 7;
    if (!number("effect-window-weeks", 1, 52, &effect_weeks)) return 2;
    options.effect_window_days = static_cast<int>(effect_weeks) * 7;
    options.fleet.offline_after = std::chrono::minutes(offline_after);
    transport.max_connections = static_cast<std::size_t>(max_connections);
    transport.max_connections_per_address = static_cast<std::size_t>(per_address);
    transport.max_header_bytes = static_cast<std::size_t>(header_bytes);
    transport.max_header_count = static_cast<std::size_t>(header_count);
    if (args_.get("tls-cert").has_value() != args_.get("tls-key").has_value()) {
      err_ << "sipas-server serve: --tls-cert and --tls-key go together\n";
      return 2;
    }
    if (auto cert = args_.get("tls-cert")) {
      transport.tls_cert_file = *cert;
      transport.tls_key_file = *args_.get("tls-key");
    }
    if (auto proxies = args_.get("behind-proxy")) {
      std::size_t start = 0;
      for (;;) {
        std::size_t comma = proxies->find(',', start);
        std::string one = proxies->substr(start, comma == std::string::npos ? std::string::npos
                                                                             : comma - start);
        boost::system::error_code ec;
        boost::asio::ip::make_address(one, ec);
        if (ec) {
          err_ << "sipas-server serve: --behind-proxy: \"" << one
               << "\" is not an IP address (give the proxies' addresses, comma-separated)\n";
          return 2;
        }
        options.trusted_proxies.push_back(one);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
    if (auto links = args_.get("login-links")) {
      if (*links != "on" && *links != "off") {
        err_ << "sipas-server serve: --login-links must be on or off\n";
        return 2;
      }
      options.login_links = *links == "on";
    }
    options.http.worker_threads = static_cast<std::size_t>(threads);
    options.limits.max_body_bytes = static_cast<std::size_t>(max_body);
    options.limits.max_decompressed_bytes = static_cast<std::size_t>(max_plain);
    options.limits.max_responses = static_cast<std::size_t>(max_batch);
    for (auto [key, target] : {std::pair<const char*, double*>{"rate-limit", &options.rate_per_second},
                               {"rate-burst", &options.rate_burst}}) {
      if (auto v = args_.get(key)) {
        auto d = to_double(*v);
        if (!d || *d < 0) {
          err_ << "sipas-server serve: --" << key << " must be a number >= 0\n";
          return 2;
        }
        *target = *d;
      }
    }

    if (!alert_options(options.alerts)) return 2;

    if (!open_store("serve", &exit)) return exit;
    if (auto dir = args_.get("surveys")) {
      auto imported = import_survey_dir(*store_, *dir);
      if (!imported.is_ok()) return fail("serve", imported.status());
    }
    store_.reset();

    // The access log, the signal watcher and this thread all write to the streams.
    std::mutex streams;
    std::ofstream log_file;
    if (auto path = args_.get("access-log")) {
      log_file.open(*path, std::ios::app);
      if (!log_file) {
        err_ << "sipas-server serve: cannot open the access log " << *path << "\n";
        return 1;
      }
      options.access_log = [&log_file](const std::string& line) {
        log_file << line << '\n';
        log_file.flush();
      };
    } else {
      options.access_log = [this, &streams](const std::string& line) {
        std::lock_guard lock(streams);
        err_ << line << std::endl;
      };
    }

    if (auto key_file = args_.get("signing-key")) {
      auto key = load_signing_key(*key_file);
      if (!key.is_ok()) return fail("serve", key.status());
      options.config_signing_key = std::move(key).value();
    }
    auto server = HttpServer::create(*args_.get("db"), options);
    if (!server.is_ok()) return fail("serve", server.status());
    if ((*server)->survey_count() == 0) {
      err_ << "sipas-server serve: warning: no questionnaires in the database; every response "
              "will be rejected (import them with --surveys DIR or `survey import`)\n";
    }
    auto bound = (*server)->bind(host, port);
    if (!bound.is_ok()) return fail("serve", bound.status());

    if (::pipe2(g_signal_pipe, O_CLOEXEC) != 0) {
      err_ << "sipas-server serve: cannot create a pipe: " << std::strerror(errno) << "\n";
      return 1;
    }
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    struct sigaction reload {};
    reload.sa_handler = on_reload_signal;
    sigemptyset(&reload.sa_mask);
    sigaction(SIGHUP, &reload, nullptr);
    signal(SIGPIPE, SIG_IGN);

    HttpServer* srv = server->get();
    std::thread watcher([this, srv, &streams] {
      for (;;) {
        pollfd p{g_signal_pipe[0], POLLIN, 0};
        if (::poll(&p, 1, -1) < 0) {
          if (errno == EINTR) continue;
          break;
        }
        char c = 0;
        if (::read(g_signal_pipe[0], &c, 1) != 1) {
          if (errno == EINTR) continue;
          break;
        }
        if (c != 'h') break;
        Status s = srv->reload_tls();
        std::lock_guard lock(streams);
        if (s.is_ok()) {
          out_ << "sipas-server: reloaded the TLS certificate" << std::endl;
        } else {
          err_ << "sipas-server serve: SIGHUP: " << s.message() << std::endl;
        }
      }
      srv->stop();
    });

    {
      std::lock_guard lock(streams);
      out_ << "sipas-server: listening on "
           << (host.find(':') != std::string::npos ? "[" + host + "]" : host) << ":" << *bound
           << (options.http.tls_cert_file.empty() ? "" : " (HTTPS)") << std::endl;
    }
    // systemd (Type=notify): ready now that the socket is bound; watchdog pings while the store
    // answers. Nothing happens when not run by a service manager.
    std::optional<ServiceNotifier> notifier;
    notifier.emplace("serving on port " + std::to_string(*bound), store_probe(*args_.get("db")));
    Status s = srv->serve();
    notifier.reset();
    on_stop_signal(0);
    watcher.join();
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    ::close(g_signal_pipe[0]);
    ::close(g_signal_pipe[1]);
    g_signal_pipe[0] = g_signal_pipe[1] = -1;
    if (!s.is_ok()) return fail("serve", s);
    out_ << "sipas-server: stopped" << std::endl;
    return 0;
  }

  int backup(const std::vector<std::string>& args) {
    int exit = 0;
    if (!parse(args, 1, "backup", {"to", "to-dir", "keep"}, {}, &exit)) return exit;
    const auto to = args_.get("to");
    const auto dir = args_.get("to-dir");
    if (to.has_value() == dir.has_value()) {
      err_ << "sipas-server backup: give either --to FILE or --to-dir DIR\n";
      return 2;
    }
    if (to) {
      if (args_.get("keep")) {
        err_ << "sipas-server backup: --keep goes with --to-dir\n";
        return 2;
      }
      Status s = backup_database(*args_.get("db"), *to);
      if (!s.is_ok()) return fail("backup", s);
      out_ << "backup written to " << *to << "\n";
      return 0;
    }
    long long keep = 14;
    if (auto k = args_.get("keep")) {
      auto n = to_number(*k);
      if (!n || *n < 1 || *n > 100000) {
        err_ << "sipas-server backup: --keep must be a number from 1 to 100000\n";
        return 2;
      }
      keep = *n;
    }
    auto run = backup_into_dir(*args_.get("db"), *dir, static_cast<int>(keep), SystemClock().now());
    if (!run.is_ok()) return fail("backup", run.status());
    out_ << "backup written to " << run->written.string() << "; " << run->removed.size()
         << (run->removed.size() == 1 ? " older backup" : " older backups") << " removed\n";
    return 0;
  }

  int restore(const std::vector<std::string>& args) {
    int exit = 0;
    if (!parse(args, 1, "restore", {"from"}, {"from"}, &exit)) return exit;
    Status s = restore_database(*args_.get("from"), *args_.get("db"));
    if (!s.is_ok()) return fail("restore", s);
    out_ << "restored " << *args_.get("db") << " from " << *args_.get("from") << "\n";
    return 0;
  }

  int migrate(const std::vector<std::string>& args) {
    int exit = 0;
    if (!parse(args, 1, "migrate", {"from", "to"}, {"from", "to"}, &exit)) return exit;
    if (args_.get("db")) {
      err_ << "sipas-server migrate: give --from FILE and --to POSTGRESQL, not --db\n";
      return 2;
    }
    auto report = migrate_to_postgresql(*args_.get("from"), *args_.get("to"),
                                        [this](const std::string& line) { out_ << line << "\n"; });
    if (!report.is_ok()) return fail("migrate", report.status());
    out_ << "migrated " << report->rows << " rows (" << report->responses << " responses) from "
         << *args_.get("from") << "; rows and scores checked the same\n";
    return 0;
  }

  // Remote configuration (config_bundles.hpp).
  int keygen(const std::vector<std::string>& args) {
    int exit = 0;
    if (!parse(args, 1, "keygen", {"private", "public"}, {"private", "public"}, &exit)) return exit;
    if (args_.get("db")) {
      err_ << "sipas-server keygen: takes no --db\n";
      return 2;
    }
    Status s = generate_signing_key(*args_.get("private"), *args_.get("public"));
    if (!s.is_ok()) return fail("keygen", s);
    out_ << "wrote the signing key " << *args_.get("private") << " (keep it secret) and its public key "
         << *args_.get("public") << " (install it on every kiosk as server.config_public_key)\n";
    return 0;
  }

  int config_command(const std::vector<std::string>& args, const std::string& command) {
    const bool list = command == "config list";
    std::set<std::string> allowed = {"unit", "kiosk-id"};
    if (command == "config set") allowed.insert({"file", "by"});
    if (command == "config show") allowed.insert("effective");
    if (command == "config remove") allowed.insert("by");
    if (list) allowed.clear();
    if (!list && command != "config set" && command != "config show" &&
        command != "config history" && command != "config remove") {
      err_ << "sipas-server: unknown command \"" << command << "\" (try --help)\n";
      return 2;
    }
    int exit = 0;
    std::vector<std::string> with_flag = args;
    // --effective is a switch: "--effective" alone stands for "--effective=yes".
    for (auto& a : with_flag) {
      if (a == "--effective") a = "--effective=yes";
    }
    if (!prepare(with_flag, 2, command, allowed, command == "config set" ? std::set<std::string>{"file"}
                                                                         : std::set<std::string>{},
                 &exit)) {
      return exit;
    }
    if (list) return config_list();
    auto unit = args_.get("unit");
    auto kiosk = args_.get("kiosk-id");
    if (unit.has_value() == kiosk.has_value()) {
      err_ << "sipas-server " << command << ": give either --unit CODE or --kiosk-id ID\n";
      return 2;
    }
    const std::string scope = unit ? kUnitScope : kKioskScope;
    const std::string id = unit ? *unit : *kiosk;
    const auto now = SystemClock().now();
    if (command == "config set") {
      std::vector<std::string> warnings;
      auto content = read_bundle(*args_.get("file"), &warnings);
      if (!content.is_ok()) return fail(command, content.status());
      auto stored = put_bundle(*store_, scope, id, *content, cli_user(), now);
      if (!stored.is_ok()) return fail(command, stored.status());
      for (const auto& w : warnings) err_ << "sipas-server " << command << ": warning: " << w << "\n";
      for (const auto& w : stored->warnings)
        err_ << "sipas-server " << command << ": warning: " << w << "\n";
      out_ << scope << " " << id << ": configuration version " << stored->version << " stored\n";
      return 0;
    }
    if (command == "config remove") {
      auto version = remove_bundle(*store_, scope, id, cli_user(), now);
      if (!version.is_ok()) return fail(command, version.status());
      out_ << scope << " " << id << ": configuration removed (version " << *version << ")\n";
      return 0;
    }
    if (command == "config history") {
      auto history = store_->config_bundle_history(scope, id);
      if (!history.is_ok()) return fail(command, history.status());
      for (const auto& r : *history) out_ << bundle_line(r) << "\n";
      return 0;
    }
    if (args_.get("effective")) {
      auto e = effective_bundle(*store_, scope, id);
      if (!e.is_ok()) return fail(command, e.status());
      nlohmann::json from = nlohmann::json::array();
      for (const auto& r : e->chain) {
        from.push_back({{"scope", r.scope}, {"id", r.scope_id}, {"version", r.version},
                        {"removed", !r.content.has_value()}});
      }
      out_ << nlohmann::json{{"version", e->version}, {"from", from},
                             {"bundle", e->has_content ? bundle_content_json(e->content)
                                                       : nlohmann::json(nullptr)}}
                  .dump(2)
           << "\n";
      return 0;
    }
    auto latest = store_->latest_config_bundle(scope, id);
    if (!latest.is_ok()) return fail(command, latest.status());
    if (!*latest || !(*latest)->content) {
      return fail(command, Status::error(ErrorCode::not_found,
                                         scope + " " + id + " has no configuration bundle of its own"));
    }
    out_ << nlohmann::json{{"version", (*latest)->version},
                           {"uploaded_by", (*latest)->uploaded_by},
                           {"uploaded_at", (*latest)->uploaded_at},
                           {"bundle", nlohmann::json::parse(*(*latest)->content)}}
                .dump(2)
         << "\n";
    return 0;
  }

  int config_list() {
    auto all = store_->latest_config_bundles();
    if (!all.is_ok()) return fail("config list", all.status());
    for (const auto& r : *all) out_ << bundle_line(r) << "\n";
    return 0;
  }

  static std::string bundle_line(const ConfigBundleRecord& r) {
    return r.scope + " " + r.scope_id + "\tversion " + std::to_string(r.version) + "\t" +
           r.uploaded_at + "\t" + r.uploaded_by + (r.content ? "" : "\tremoved");
  }

  std::string cli_user() const {
    if (auto by = args_.get("by")) return *by;
    const char* who = std::getenv("SUDO_USER");
    if (!who) who = std::getenv("USER");
    return std::string("command line (") + (who ? who : "unknown") + ")";
  }

  std::istream& in_;
  std::ostream& out_;
  std::ostream& err_;
  Args args_;
  std::unique_ptr<ServerStore> store_;
};

}  // namespace

int run_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
            std::ostream& err) {
  return Cli(in, out, err).run(args);
}

}  // namespace sipas
