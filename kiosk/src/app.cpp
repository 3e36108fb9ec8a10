#include "app.hpp"

#include <algorithm>
#include <functional>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <SDL.h>
#include <SDL_opengl.h>
#include <backends/imgui_impl_opengl3.h>
#include <backends/imgui_impl_sdl.h>
#include <imgui.h>
#include <nlohmann/json.hpp>

#include "flow.hpp"
#include "fonts.hpp"
#include "input_queue.hpp"
#include "sipas/files.hpp"
#include "sipas/received_bundle.hpp"
#include "sipas/time.hpp"
#include "staff.hpp"
#include "store_sink.hpp"
#include "ui_dump.hpp"
#include "utf8.hpp"
#include "views.hpp"
#include "voice_output.hpp"

#ifdef SIPAS_KIOSK_WITH_SYNC
#include "sipas/sync/sync_worker.hpp"
#endif

namespace sipas {
namespace {

using SteadyClock = std::chrono::steady_clock;

void log_line(const std::string& s) { std::fprintf(stderr, "sipas-kiosk: %s\n", s.c_str()); }

struct SdlGuard {
  ~SdlGuard() { SDL_Quit(); }
};

struct WindowOwner {
  SDL_Window* window = nullptr;
  SDL_GLContext gl = nullptr;
  WindowOwner() = default;
  WindowOwner(const WindowOwner&) = delete;
  WindowOwner& operator=(const WindowOwner&) = delete;
  ~WindowOwner() {
    if (gl) SDL_GL_DeleteContext(gl);
    if (window) SDL_DestroyWindow(window);
  }
};

struct ImGuiOwner {
  bool sdl = false, gl = false;
  ImGuiOwner() { ImGui::CreateContext(); }
  ImGuiOwner(const ImGuiOwner&) = delete;
  ImGuiOwner& operator=(const ImGuiOwner&) = delete;
  ~ImGuiOwner() {
    if (gl) ImGui_ImplOpenGL3_Shutdown();
    if (sdl) ImGui_ImplSDL2_Shutdown();
    ImGui::DestroyContext();
  }
};

// The queued form of the window's input events; false for events the queue does not carry.
// Touch arrives as the mouse events SDL synthesises from fingers, so SDL_FINGER* are left out
// (taking both would count every touch twice).
// `voice_key`: the configured key that switches reading aloud, before any other meaning it has.
bool to_input(const SDL_Event& ev, SDL_Keycode voice_key, InputEvent* out) {
  switch (ev.type) {
    case SDL_MOUSEMOTION:
      *out = InputEvent{InputKind::pointer_move, static_cast<float>(ev.motion.x),
                        static_cast<float>(ev.motion.y), 0, 0, 0, {}};
      return true;
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP: {
      const int button = ev.button.button == SDL_BUTTON_LEFT    ? 0
                         : ev.button.button == SDL_BUTTON_RIGHT ? 1
                         : ev.button.button == SDL_BUTTON_MIDDLE ? 2
                                                                 : -1;
      if (button < 0) return false;
      *out = InputEvent{ev.type == SDL_MOUSEBUTTONDOWN ? InputKind::pointer_down : InputKind::pointer_up,
                        static_cast<float>(ev.button.x), static_cast<float>(ev.button.y), button, 0, 0, {}};
      return true;
    }
    case SDL_MOUSEWHEEL:
      *out = InputEvent{InputKind::wheel, 0, 0, 0, static_cast<float>(ev.wheel.x),
                        static_cast<float>(ev.wheel.y), {}};
      return true;
    case SDL_TEXTINPUT:
      *out = InputEvent{InputKind::text, 0, 0, 0, 0, 0, ev.text.text};
      return true;
    case SDL_KEYDOWN: {
      const SDL_Keycode k = ev.key.keysym.sym;
      if (k == voice_key) {
        if (ev.key.repeat) return false;
        *out = InputEvent{InputKind::voice, 0, 0, 0, 0, 0, {}};
        return true;
      }
      if (k == SDLK_RETURN || k == SDLK_KP_ENTER) {
        *out = InputEvent{InputKind::enter, 0, 0, 0, 0, 0, {}};
        return true;
      }
      if (k == SDLK_BACKSPACE) {
        *out = InputEvent{InputKind::backspace, 0, 0, 0, 0, 0, {}};
        return true;
      }
      return false;
    }
    default:
      return false;
  }
}

bool is_typed_key(const Action& a) {
  return a.kind == ActionKind::comment_key || a.kind == ActionKind::dossier_key ||
         a.kind == ActionKind::pin_key;
}

// SDL, the window with its OpenGL context, and Dear ImGui on them; torn down in that order's
// reverse.
struct Display {
  SdlGuard sdl;
  WindowOwner win;
  std::optional<ImGuiOwner> imgui;
  Uint32 wake_event = 0;  // pushed by the sync worker's thread to wake the loop
};

// Full screen and borderless unless --windowed. nullptr, after logging why, when SDL, the window,
// OpenGL or the renderer cannot start.
std::unique_ptr<Display> open_display(const KioskArgs& args) {
  SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
  SDL_SetHint(SDL_HINT_VIDEO_MINIMIZE_ON_FOCUS_LOSS, "0");
  SDL_SetHint(SDL_HINT_MOUSE_FOCUS_CLICKTHROUGH, "1");
  if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
    log_line(std::string("cannot start SDL: ") + SDL_GetError());
    return nullptr;
  }
  auto d = std::make_unique<Display>();
  d->wake_event = SDL_RegisterEvents(1);

  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 0);
  SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
  Uint32 flags = SDL_WINDOW_OPENGL | SDL_WINDOW_ALLOW_HIGHDPI;
  int width = 1280, height = 800;
  if (args.windowed) {
    width = args.windowed->first;
    height = args.windowed->second;
  } else {
    flags |= SDL_WINDOW_FULLSCREEN_DESKTOP | SDL_WINDOW_BORDERLESS;
  }
  d->win.window = SDL_CreateWindow("SIPAS", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, width,
                                   height, flags);
  if (!d->win.window) {
    log_line(std::string("cannot open a window: ") + SDL_GetError());
    return nullptr;
  }
  d->win.gl = SDL_GL_CreateContext(d->win.window);
  if (!d->win.gl) {
    log_line(std::string("cannot create an OpenGL context: ") + SDL_GetError());
    return nullptr;
  }
  SDL_GL_MakeCurrent(d->win.window, d->win.gl);
  SDL_GL_SetSwapInterval(1);
  SDL_ShowCursor(args.windowed ? SDL_ENABLE : SDL_DISABLE);

  ImGuiOwner& imgui = d->imgui.emplace();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;
  io.LogFilename = nullptr;
  io.ConfigInputTextCursorBlink = false;
  ImGui::StyleColorsLight();
  imgui.sdl = ImGui_ImplSDL2_InitForOpenGL(d->win.window, d->win.gl);
  imgui.gl = ImGui_ImplOpenGL3_Init("#version 130");
  if (!imgui.sdl || !imgui.gl) {
    log_line("cannot initialise the renderer");
    return nullptr;
  }
  return d;
}

// The KioskView with fonts sized for the window, loaded again whenever the window's size changes.
class SizedView {
 public:
  SizedView(SDL_Window* window, FontFiles files) : window_(window), files_(std::move(files)) {}

  // Loads the fonts when the size changed since the last call; false (logged) when they cannot
  // be loaded. Call it before each frame, outside ImGui::NewFrame/Render.
  bool fit() {
    int w = 0, h = 0;
    SDL_GetWindowSize(window_, &w, &h);
    if (w == fonts_w_ && h == fonts_h_ && view_) return true;
    ImGuiIO& io = ImGui::GetIO();
    auto loaded = load_fonts(io.Fonts, files_, static_cast<float>(w), static_cast<float>(h));
    if (!loaded.is_ok()) {
      log_line(loaded.status().message());
      return false;
    }
    auto large = add_large_text_fonts(io.Fonts, files_, *loaded, static_cast<float>(w), static_cast<float>(h));
    if (!large.is_ok()) {
      log_line(large.status().message());
      return false;
    }
    io.Fonts->Build();
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    ImGui_ImplOpenGL3_CreateFontsTexture();
    if (view_) {
      view_->set_fonts(*loaded);
    } else {
      view_.emplace(*loaded);
    }
    view_->set_large_text_fonts(*large);
    fonts_w_ = w;
    fonts_h_ = h;
    return true;
  }
  // After the first successful fit().
  KioskView& view() { return *view_; }

 private:
  SDL_Window* window_;
  FontFiles files_;
  int fonts_w_ = 0, fonts_h_ = 0;
  std::optional<KioskView> view_;
};

// The background SyncWorker, when the kiosk is built with it and a server and token are set (in
// the config or on the command line). Each committed response wakes it; it wakes the UI by
// pushing `wake_event`.
class Uploader {
 public:
  Uploader([[maybe_unused]] const KioskConfig& config, [[maybe_unused]] const KioskArgs& args,
           [[maybe_unused]] const std::string& db_path, [[maybe_unused]] Uint32 wake_event,
           [[maybe_unused]] StoreSink& sink) {
#ifdef SIPAS_KIOSK_WITH_SYNC
    const std::string server = args.server ? *args.server : config.server.url;
    std::string token = args.token_file ? *args.token_file : config.server.token_file;
    if (server.empty() || token.empty()) return;
    SyncWorkerOptions options = SyncWorkerOptions::from_config(config);
    options.db_path = db_path;
    options.uploader.db_path = db_path;  // whose free space the health reports
    options.uploader.server_url = server;
    options.uploader.token_file = token;
    options.on_change = [wake_event] {
      SDL_Event e{};
      e.type = wake_event;
      SDL_PushEvent(&e);
    };
    auto started = SyncWorker::start(std::move(options));
    if (started.is_ok()) {
      worker_ = std::move(started).value();
      sink.set_on_appended([w = worker_.get()] { w->notify(); });
    } else {
      log_line("sync not started: " + started.status().message());
    }
#endif
  }

  // The staff screen's "sync now"; empty when no worker runs.
  std::function<void()> sync_now() const {
#ifdef SIPAS_KIOSK_WITH_SYNC
    if (worker_) return [w = worker_.get()] { w->request_sync_now(); };
#endif
    return {};
  }

  void stop() {
#ifdef SIPAS_KIOSK_WITH_SYNC
    if (worker_) worker_->stop();
#endif
  }

 private:
#ifdef SIPAS_KIOSK_WITH_SYNC
  std::unique_ptr<SyncWorker> worker_;
#endif
};

// --stats-file (bench/): frames drawn, time to the first frame, and typed keys (on-screen or
// physical) with the steady-clock time of the first frame that showed them; bench/ matches them
// against the instants it sent the taps. Without the option it records nothing.
class FrameStats {
 public:
  FrameStats(std::optional<std::string> file, SteadyClock::time_point process_start)
      : file_(std::move(file)), process_start_(process_start), last_write_(SteadyClock::now()) {}

  void dispatched(const Action& a) {
    if (file_ && is_typed_key(a)) unshown_keys_.push_back(a.value);
  }

  void frame_shown() {
    ++frames_;
    if (!unshown_keys_.empty()) {
      const double now_ms =
          std::chrono::duration<double, std::milli>(SteadyClock::now().time_since_epoch()).count();
      for (int c : unshown_keys_) shown_keys_.push_back(ShownKey{c, now_ms});
      unshown_keys_.clear();
      dirty_ = true;
    }
    if (!first_frame_ms_) {
      first_frame_ms_ =
          std::chrono::duration<double, std::milli>(SteadyClock::now() - process_start_).count();
      write(true);
    }
    write(false);
  }

  // Before the loop sleeps: keys shown since the last write go out now.
  void flush() {
    if (dirty_) write(true);
  }

  // At most once a second unless forced.
  void write(bool force) {
    if (!file_) return;
    const auto now = SteadyClock::now();
    if (!force && now - last_write_ < std::chrono::seconds(1)) return;
    last_write_ = now;
    dirty_ = false;
    nlohmann::json j{{"frames", frames_}, {"first_frame_ms", first_frame_ms_.value_or(-1.0)}};
    nlohmann::json keys = nlohmann::json::array();
    for (const ShownKey& k : shown_keys_) {
      keys.push_back({{"key", u32_to_utf8(std::u32string(1, static_cast<char32_t>(k.code_point)))},
                      {"shown_ms", k.shown_ms}});
    }
    j["keys"] = std::move(keys);
    (void)write_file_atomically(*file_, j.dump() + "\n");
  }

 private:
  struct ShownKey {
    int code_point;
    double shown_ms;
  };
  std::optional<std::string> file_;
  SteadyClock::time_point process_start_;
  SteadyClock::time_point last_write_;
  std::uint64_t frames_ = 0;
  std::optional<double> first_frame_ms_;
  std::vector<ShownKey> shown_keys_;
  std::vector<int> unshown_keys_;
  bool dirty_ = false;
};

// The event loop: asleep until input or the next deadline, then the queued keys and at most one
// press or release (see input_queue.hpp), time's changes, one frame, and the frame's taps.
class FrameLoop {
 public:
  // `config_ready`: asked on the welcome screen, between citizens, after each sync pass; true
  // when a new configuration is loaded and waits to be swapped in (run() then returns kReload).
  FrameLoop(const KioskArgs& args, Flow& flow, const Clock& clock, Display& display, SizedView& view,
            StaffController& staff, FrameStats& stats, SDL_Keycode voice_key,
            std::function<bool()> config_ready = {})
      : args_(args), flow_(flow), clock_(clock), display_(display), view_(view), staff_(staff),
        stats_(stats), voice_key_(voice_key), config_ready_(std::move(config_ready)),
        input_(!args.merge_input), next_continuous_(SteadyClock::now()) {
    if (args.ui_dump) dump_.emplace(*args.ui_dump);
  }

  static constexpr int kReload = 3;

  // Until staff choose "exit" (0), fonts cannot be loaded for a new window size (2), or a new
  // configuration waits on the welcome screen with no citizen busy (kReload).
  int run() {
    while (!flow_.quit_requested()) {
      // Never in a citizen's survey: only on the welcome screen, no answer being shown, no input
      // waiting.
      if (check_config_ && config_ready_ && flow_.screen() == Screen::welcome &&
          !flow_.confirming() && input_.empty()) {
        check_config_ = false;
        if (config_ready_()) return kReload;
      }
      const int timeout_ms = wait_ms();
      if (timeout_ms != 0) stats_.flush();
      take_events(timeout_ms);

      // One press or release per frame (see input_queue.hpp); the keys before it apply first, each
      // on the screen the previous one left.
      const InputFrame in = input_.next_frame();
      if (in.had_input) extra_frames_ = 3;
      for (const InputEvent& key : in.keys) {
        std::vector<Action> typed = key_actions(flow_.screen(), key);
        dispatch_all(&typed, std::nullopt);
      }
      const Screen before = flow_.screen();
      flow_.tick();
      if (flow_.quit_requested()) break;
      if (flow_.screen() != before) extra_frames_ = std::max(extra_frames_, 2);

      if (!view_.fit()) return 2;
      const Screen drawn = draw(in.pointer);
      stats_.frame_shown();
      if (extra_frames_ > 0) --extra_frames_;

      // Taps take effect at once so the next frame already shows their result.
      const bool tapped = !actions_.empty();
      dispatch_all(&actions_, in.transition_at);
      if (tapped || flow_.screen() != drawn) extra_frames_ = std::max(extra_frames_, 2);

      if (dump_) {
        if (Status st = dump_->update(snapshot_, SteadyClock::now()); !st.is_ok()) log_line(st.message());
        if (Status st = dump_->flush(SteadyClock::now()); !st.is_ok()) log_line(st.message());
      }
      if (args_.continuous_redraw) {
        next_continuous_ += std::chrono::microseconds(16667);
        if (next_continuous_ < SteadyClock::now()) next_continuous_ = SteadyClock::now();
      }
    }
    return 0;
  }

 private:
  // 0 while frames are owed or input waits; otherwise until the next deadline (the flow's, the
  // dump's), or -1 for none.
  int wait_ms() const {
    int timeout_ms = -1;
    if (extra_frames_ > 0 || !input_.empty()) {
      timeout_ms = 0;
    } else if (args_.continuous_redraw) {
      timeout_ms = static_cast<int>(std::max<std::int64_t>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(next_continuous_ - SteadyClock::now())
                 .count()));
    } else {
      std::optional<std::int64_t> wait;
      if (auto d = flow_.next_deadline()) wait = (*d - clock_.now()).count();
      if (dump_) {
        if (auto d = dump_->deadline()) {
          const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*d - SteadyClock::now()).count();
          wait = wait ? std::min(*wait, ms) : ms;
        }
      }
      if (wait) timeout_ms = static_cast<int>(std::clamp<std::int64_t>(*wait + 1, 0, 3600000));
    }
    return timeout_ms;
  }

  // Waits up to `timeout_ms` (-1: for ever) for the first event, then takes every pending one.
  void take_events(int timeout_ms) {
    SDL_Event ev;
    bool got = timeout_ms < 0 ? SDL_WaitEvent(&ev) == 1 : SDL_WaitEventTimeout(&ev, timeout_ms) == 1;
    while (got) {
      // The voice key's own text ("+" from "Keypad +") must not be typed into a dossier number or
      // a comment: the text event SDL sends right after the key is dropped.
      const bool voice_text = ev.type == SDL_TEXTINPUT && after_voice_key_;
      if (ev.type != SDL_KEYUP) {
        after_voice_key_ = ev.type == SDL_KEYDOWN && ev.key.keysym.sym == voice_key_;
      }
      InputEvent queued;
      if (voice_text) {
        // dropped
      } else if (to_input(ev, voice_key_, &queued)) {
        // Stamped as it leaves SDL's queue, which the loop drains every time round: the time of
        // the tap to within one frame, however long it then waits in the input queue.
        queued.at = clock_.now();
        input_.push(std::move(queued));
      } else if (ev.type == SDL_WINDOWEVENT) {
        if (ev.window.event != SDL_WINDOWEVENT_CLOSE) ImGui_ImplSDL2_ProcessEvent(&ev);
        extra_frames_ = 3;
      } else if (ev.type == display_.wake_event) {
        extra_frames_ = std::max(extra_frames_, 1);
        check_config_ = true;
        if (flow_.screen() == Screen::staff) staff_.refresh();
      }
      // SDL_QUIT is ignored: only the staff screen's "exit" ends the kiosk.
      got = SDL_PollEvent(&ev) == 1;
    }
  }

  // Draws the current screen with `pointer` as this frame's pointer; returns the screen drawn.
  Screen draw(const PointerState& pointer) {
    ImGuiIO& io = ImGui::GetIO();
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplSDL2_NewFrame();
    apply_pointer(pointer, io);
    ImGui::NewFrame();
    const Screen drawn = flow_.screen();
    view_.view().draw(flow_, &actions_, &snapshot_);
    ImGui::Render();
    glViewport(0, 0, static_cast<int>(io.DisplaySize.x * io.DisplayFramebufferScale.x),
               static_cast<int>(io.DisplaySize.y * io.DisplayFramebufferScale.y));
    glClearColor(0.95f, 0.96f, 0.97f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    SDL_GL_SwapWindow(display_.win.window);
    return drawn;
  }

  // `tapped_at`: when the tap these actions come from happened (nullopt for typed keys).
  void dispatch_all(std::vector<Action>* list, std::optional<TimePoint> tapped_at) {
    for (const Action& a : *list) {
      flow_.dispatch(a, tapped_at);
      stats_.dispatched(a);
    }
    list->clear();
  }

  const KioskArgs& args_;
  Flow& flow_;
  const Clock& clock_;
  Display& display_;
  SizedView& view_;
  StaffController& staff_;
  FrameStats& stats_;
  SDL_Keycode voice_key_;
  std::function<bool()> config_ready_;
  bool check_config_ = true;  // a sync pass ended since the last look (and at start)
  bool after_voice_key_ = false;  // the last event but key releases was the voice key's press
  std::optional<UiDumpWriter> dump_;
  InputQueue input_;
  int extra_frames_ = 3;
  SteadyClock::time_point next_continuous_;
  std::vector<Action> actions_;
  UiSnapshot snapshot_;
};

// The newest stored response, from which the minimum interval counts across restarts.
std::optional<TimePoint> last_submitted(ResponseStore* store) {
  if (!store) return std::nullopt;
  if (auto last = store->last_submitted_at(); last.is_ok()) return *last;
  return std::nullopt;
}

// The configuration the kiosk runs on: the local one, or the last bundle from the server laid
// over it (received_bundle.hpp). A new bundle is loaded (verified again) into `pending_` while the
// old configuration still serves, and swapped in by commit() once everything built on the old
// one is gone: one step, never half of each.
class ActiveConfig {
 public:
  ActiveConfig(const KioskConfig& local, const Clock& clock) : local_(local), clock_(clock) {}

  const KioskConfig& current() const { return current_ ? current_->loaded.config : local_; }
  bool from_server() const { return current_.has_value(); }

  // At start: the stored bundle, when there is one and it loads.
  void start(ResponseStore* store) {
    if (load(store)) commit(store);
  }

  // A bundle newer than the one running waits in the store and loads: true, to commit() next.
  bool load(ResponseStore* store) {
    if (!store || local_.server.config_public_key.empty()) return false;
    auto version = received_version(*store);
    if (!version.is_ok() || *version == 0 || *version == running_ || *version == refused_) return false;
    auto received = load_received_config(local_, *store);
    if (!received.is_ok()) {
      refuse(store, *version, received.status().message());
      return false;
    }
    if (!*received) return false;
    pending_ = std::move(**received);
    return true;
  }

  void commit(ResponseStore* store) {
    if (!pending_) return;
    current_ = std::move(pending_);
    pending_.reset();
    running_ = current_->version;
    log_line("running on configuration version " + std::to_string(running_) + " from the server");
    for (const auto& w : current_->loaded.warnings) log_line("warning: " + w);
    if (store) {
      if (Status s = record_config_applied(*store, running_); !s.is_ok()) log_line(s.message());
    }
  }

  // The running bundle cannot be used after all (refused by SDL): back to the local configuration.
  void refuse_current(ResponseStore* store, const std::string& why) {
    if (!current_) return;
    const std::int64_t version = current_->version;
    current_.reset();
    running_ = 0;
    refuse(store, version, why);
  }

 private:
  void refuse(ResponseStore* store, std::int64_t version, const std::string& why) {
    refused_ = version;
    log_line("configuration version " + std::to_string(version) + " not applied: " + why);
    if (store) (void)record_config_error(*store, why, clock_.now());
  }

  const KioskConfig& local_;
  const Clock& clock_;
  std::optional<ReceivedConfig> current_;
  std::optional<ReceivedConfig> pending_;
  std::int64_t running_ = 0;
  std::int64_t refused_ = 0;
};

}  // namespace

// Fonts, time zone and database are local settings: the same whatever the server sends.
int run_kiosk(const KioskConfig& local, const KioskArgs& args) {
  const auto process_start = SteadyClock::now();
  auto fonts_found = find_fonts(local.font_paths);
  if (!fonts_found.is_ok()) {
    log_line((local.dir / "kiosk.json").string() + ": font_paths: " + fonts_found.status().message());
    return 2;
  }
  auto tz = TimeZone::load(local.unit.time_zone);
  if (!tz.is_ok()) {
    log_line((local.dir / "kiosk.json").string() + ": unit.time_zone: " + tz.status().message());
    return 2;
  }

  SystemClock clock;
  const std::string db_path = args.db ? *args.db : local.db_path;
  StoreSink sink(db_path);
  const Status opened = sink.open();
  if (!opened.is_ok()) log_line(db_path + ": " + opened.to_string());
  ActiveConfig active(local, clock);
  active.start(opened.is_ok() ? sink.store() : nullptr);

  const std::unique_ptr<Display> display = open_display(args);
  if (!display) return 1;
  SizedView view(display->win.window, *fonts_found);
  if (!view.fit()) return 2;
  // Its settings are all local ones: it runs on across configuration changes.
  Uploader uploader(local, args, db_path, display->wake_event, sink);
  FrameStats stats(args.stats_file, process_start);

  int status = FrameLoop::kReload;
  while (status == FrameLoop::kReload) {
    {
      const KioskConfig& config = active.current();
      // Key names resolve through the keyboard map, which SDL sets up with its video.
      const SDL_Keycode voice_key = SDL_GetKeyFromName(config.voice.key.c_str());
      if (voice_key == SDLK_UNKNOWN) {
        const std::string why = "voice.key: \"" + config.voice.key +
                                "\" is not a key name (for example \"Return\", \"Keypad +\", "
                                "\"Keypad Enter\", \"F1\")";
        if (!active.from_server()) {
          log_line((config.dir / "kiosk.json").string() + ": " + why);
          return 2;
        }
        active.refuse_current(sink.store(), why);
        continue;
      }
      Flow flow(config, FlowSettings::from_config(config), sink, clock, *tz,
                last_submitted(opened.is_ok() ? sink.store() : nullptr));
      flow.set_officer(initial_officer(config, sink.store()));
      if (!opened.is_ok()) flow.store_failed();

      StaffModel staff(config, *tz, clock);
      StaffController staff_desk(
          staff, [&sink] { return sink.store(); }, uploader.sync_now(), log_line);
      flow.set_staff_desk(&staff_desk);
      view.view().set_staff(&staff);

      VoiceOutputOptions voice_options;
      voice_options.assets_dir = config.assets_dir;
      voice_options.preload = survey_texts(config);
      voice_options.volume = initial_volume(config, sink.store());
      voice_options.stats_file = args.voice_stats.value_or("");
      voice_options.log = log_line;
      VoiceOutput voice(std::move(voice_options));
      flow.set_volume(initial_volume(config, sink.store()));
      flow.set_voice(&voice);

      FrameLoop loop(args, flow, clock, *display, view, staff_desk, stats, voice_key,
                     [&active, &sink] { return active.load(sink.store()); });
      status = loop.run();
      view.view().set_staff(nullptr);
    }
    // Everything built on the old configuration is gone: the new one takes its place.
    if (status == FrameLoop::kReload) active.commit(sink.store());
  }
  if (status != 0) return status;
  stats.write(true);
  uploader.stop();
  return 0;
}

}  // namespace sipas
