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
#include "sipas/time.hpp"
#include "staff.hpp"
#include "store_sink.hpp"
#include "ui_dump.hpp"
#include "utf8.hpp"
#include "views.hpp"

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
bool to_input(const SDL_Event& ev, InputEvent* out) {
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

}  // namespace

int run_kiosk(const KioskConfig& config, const KioskArgs& args) {
  const auto process_start = SteadyClock::now();
  auto fonts_found = find_fonts(config.font_paths);
  if (!fonts_found.is_ok()) {
    log_line((config.dir / "kiosk.json").string() + ": font_paths: " + fonts_found.status().message());
    return 2;
  }
  auto tz = TimeZone::load(config.unit.time_zone);
  if (!tz.is_ok()) {
    log_line((config.dir / "kiosk.json").string() + ": unit.time_zone: " + tz.status().message());
    return 2;
  }

  SystemClock clock;
  const std::string db_path = args.db ? *args.db : config.db_path;
  StoreSink sink(db_path);
  const Status opened = sink.open();
  std::optional<TimePoint> last_submitted;
  if (opened.is_ok()) {
    if (auto last = sink.store()->last_submitted_at(); last.is_ok()) last_submitted = *last;
  } else {
    log_line(db_path + ": " + opened.to_string());
  }
  const std::optional<std::string> officer = initial_officer(config, sink.store());

  Flow flow(config, FlowSettings::from_config(config), sink, clock, *tz, last_submitted);
  flow.set_officer(officer);
  if (!opened.is_ok()) flow.store_failed();

  SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
  SDL_SetHint(SDL_HINT_VIDEO_MINIMIZE_ON_FOCUS_LOSS, "0");
  SDL_SetHint(SDL_HINT_MOUSE_FOCUS_CLICKTHROUGH, "1");
  if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
    log_line(std::string("cannot start SDL: ") + SDL_GetError());
    return 1;
  }
  SdlGuard sdl_guard;
  const Uint32 wake_event = SDL_RegisterEvents(1);

  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 0);
  SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
  WindowOwner win;
  Uint32 flags = SDL_WINDOW_OPENGL | SDL_WINDOW_ALLOW_HIGHDPI;
  int width = 1280, height = 800;
  if (args.windowed) {
    width = args.windowed->first;
    height = args.windowed->second;
  } else {
    flags |= SDL_WINDOW_FULLSCREEN_DESKTOP | SDL_WINDOW_BORDERLESS;
  }
  win.window = SDL_CreateWindow("SIPAS", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, width,
                                height, flags);
  if (!win.window) {
    log_line(std::string("cannot open a window: ") + SDL_GetError());
    return 1;
  }
  win.gl = SDL_GL_CreateContext(win.window);
  if (!win.gl) {
    log_line(std::string("cannot create an OpenGL context: ") + SDL_GetError());
    return 1;
  }
  SDL_GL_MakeCurrent(win.window, win.gl);
  SDL_GL_SetSwapInterval(1);
  SDL_ShowCursor(args.windowed ? SDL_ENABLE : SDL_DISABLE);

  ImGuiOwner imgui;
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;
  io.LogFilename = nullptr;
  io.ConfigInputTextCursorBlink = false;
  ImGui::StyleColorsLight();
  imgui.sdl = ImGui_ImplSDL2_InitForOpenGL(win.window, win.gl);
  imgui.gl = ImGui_ImplOpenGL3_Init("#version 130");
  if (!imgui.sdl || !imgui.gl) {
    log_line("cannot initialise the renderer");
    return 1;
  }

  int fonts_w = 0, fonts_h = 0;
  std::optional<KioskView> view;
  auto ensure_fonts = [&]() -> bool {
    int w = 0, h = 0;
    SDL_GetWindowSize(win.window, &w, &h);
    if (w == fonts_w && h == fonts_h && view) return true;
    auto loaded = load_fonts(io.Fonts, *fonts_found, static_cast<float>(w), static_cast<float>(h));
    if (!loaded.is_ok()) {
      log_line(loaded.status().message());
      return false;
    }
    io.Fonts->Build();
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    ImGui_ImplOpenGL3_CreateFontsTexture();
    if (view) {
      view->set_fonts(*loaded);
    } else {
      view.emplace(*loaded);
    }
    fonts_w = w;
    fonts_h = h;
    return true;
  };
  if (!ensure_fonts()) return 2;

#ifdef SIPAS_KIOSK_WITH_SYNC
  std::unique_ptr<SyncWorker> worker;
  {
    const std::string server = args.server ? *args.server : config.server.url;
    std::string token = args.token_file ? *args.token_file : config.server.token_file;
    if (!server.empty() && !token.empty()) {
      SyncWorkerOptions options = SyncWorkerOptions::from_config(config);
      options.db_path = db_path;
      options.uploader.server_url = server;
      options.uploader.token_file = token;
      options.on_change = [wake_event] {
        SDL_Event e{};
        e.type = wake_event;
        SDL_PushEvent(&e);
      };
      auto started = SyncWorker::start(std::move(options));
      if (started.is_ok()) {
        worker = std::move(started).value();
        sink.set_on_appended([w = worker.get()] { w->notify(); });
      } else {
        log_line("sync not started: " + started.status().message());
      }
    }
  }
#endif

  std::optional<UiDumpWriter> dump;
  if (args.ui_dump) dump.emplace(*args.ui_dump);

  StaffModel staff(config, *tz, clock);
  std::function<void()> sync_now;
#ifdef SIPAS_KIOSK_WITH_SYNC
  if (worker) sync_now = [w = worker.get()] { w->request_sync_now(); };
#endif
  StaffController staff_desk(staff, [&sink] { return sink.store(); }, sync_now, log_line);
  flow.set_staff_desk(&staff_desk);

  std::uint64_t frames = 0;
  std::optional<double> first_frame_ms;
  auto last_stats = SteadyClock::now();
  // Typed keys (on-screen or physical) with the steady-clock time of the first frame that showed
  // them; bench/ matches them against the instants it sent the taps.
  struct ShownKey {
    int code_point;
    double shown_ms;
  };
  std::vector<ShownKey> shown_keys;
  std::vector<int> unshown_keys;
  bool stats_dirty = false;
  auto write_stats = [&](bool force) {
    if (!args.stats_file) return;
    const auto now = SteadyClock::now();
    if (!force && now - last_stats < std::chrono::seconds(1)) return;
    last_stats = now;
    stats_dirty = false;
    nlohmann::json j{{"frames", frames}, {"first_frame_ms", first_frame_ms.value_or(-1.0)}};
    nlohmann::json keys = nlohmann::json::array();
    for (const ShownKey& k : shown_keys) {
      keys.push_back({{"key", u32_to_utf8(std::u32string(1, static_cast<char32_t>(k.code_point)))},
                      {"shown_ms", k.shown_ms}});
    }
    j["keys"] = std::move(keys);
    (void)write_file_atomically(*args.stats_file, j.dump() + "\n");
  };
  auto dispatch_all = [&](std::vector<Action>* list) {
    for (const Action& a : *list) {
      flow.dispatch(a);
      if (args.stats_file && is_typed_key(a)) unshown_keys.push_back(a.value);
    }
    list->clear();
  };

  InputQueue input(!args.merge_input);
  int extra_frames = 3;
  auto next_continuous = SteadyClock::now();
  std::vector<Action> actions;
  UiSnapshot snapshot;
  while (!flow.quit_requested()) {
    int timeout_ms = -1;
    if (extra_frames > 0 || !input.empty()) {
      timeout_ms = 0;
    } else if (args.continuous_redraw) {
      timeout_ms = static_cast<int>(std::max<std::int64_t>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(next_continuous - SteadyClock::now())
                 .count()));
    } else {
      std::optional<std::int64_t> wait;
      if (auto d = flow.next_deadline()) wait = (*d - clock.now()).count();
      if (dump) {
        if (auto d = dump->deadline()) {
          const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*d - SteadyClock::now()).count();
          wait = wait ? std::min(*wait, ms) : ms;
        }
      }
      if (wait) timeout_ms = static_cast<int>(std::clamp<std::int64_t>(*wait + 1, 0, 3600000));
    }
    if (timeout_ms != 0 && stats_dirty) write_stats(true);

    SDL_Event ev;
    bool got = timeout_ms < 0 ? SDL_WaitEvent(&ev) == 1 : SDL_WaitEventTimeout(&ev, timeout_ms) == 1;
    while (got) {
      InputEvent queued;
      if (to_input(ev, &queued)) {
        input.push(std::move(queued));
      } else if (ev.type == SDL_WINDOWEVENT) {
        if (ev.window.event != SDL_WINDOWEVENT_CLOSE) ImGui_ImplSDL2_ProcessEvent(&ev);
        extra_frames = 3;
      } else if (ev.type == wake_event) {
        extra_frames = std::max(extra_frames, 1);
        if (flow.screen() == Screen::staff) staff_desk.refresh();
      }
      // SDL_QUIT is ignored: only the staff screen's "exit" ends the kiosk.
      got = SDL_PollEvent(&ev) == 1;
    }

    // One press or release per frame (see input_queue.hpp); the keys before it apply first, each
    // on the screen the previous one left.
    const InputFrame in = input.next_frame();
    if (in.had_input) extra_frames = 3;
    for (const InputEvent& key : in.keys) {
      std::vector<Action> typed = key_actions(flow.screen(), key);
      dispatch_all(&typed);
    }
    const Screen before = flow.screen();
    flow.tick();
    if (flow.quit_requested()) break;
    if (flow.screen() != before) extra_frames = std::max(extra_frames, 2);

    if (!ensure_fonts()) return 2;
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplSDL2_NewFrame();
    apply_pointer(in.pointer, io);
    ImGui::NewFrame();
    const Screen drawn = flow.screen();
    view->set_staff(&staff);
    view->draw(flow, &actions, &snapshot);
    ImGui::Render();
    glViewport(0, 0, static_cast<int>(io.DisplaySize.x * io.DisplayFramebufferScale.x),
               static_cast<int>(io.DisplaySize.y * io.DisplayFramebufferScale.y));
    glClearColor(0.95f, 0.96f, 0.97f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    SDL_GL_SwapWindow(win.window);
    ++frames;
    if (!unshown_keys.empty()) {
      const double now_ms =
          std::chrono::duration<double, std::milli>(SteadyClock::now().time_since_epoch()).count();
      for (int c : unshown_keys) shown_keys.push_back(ShownKey{c, now_ms});
      unshown_keys.clear();
      stats_dirty = true;
    }
    if (!first_frame_ms) {
      first_frame_ms =
          std::chrono::duration<double, std::milli>(SteadyClock::now() - process_start).count();
      write_stats(true);
    }
    write_stats(false);
    if (extra_frames > 0) --extra_frames;

    // Taps take effect at once so the next frame already shows their result.
    const bool tapped = !actions.empty();
    dispatch_all(&actions);
    if (tapped || flow.screen() != drawn) extra_frames = std::max(extra_frames, 2);

    if (dump) {
      if (Status st = dump->update(snapshot, SteadyClock::now()); !st.is_ok()) log_line(st.message());
      if (Status st = dump->flush(SteadyClock::now()); !st.is_ok()) log_line(st.message());
    }
    if (args.continuous_redraw) {
      next_continuous += std::chrono::microseconds(16667);
      if (next_continuous < SteadyClock::now()) next_continuous = SteadyClock::now();
    }
  }
  write_stats(true);
#ifdef SIPAS_KIOSK_WITH_SYNC
  if (worker) worker->stop();
#endif
  return 0;
}

}  // namespace sipas
