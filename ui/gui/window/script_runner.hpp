// Runs a script (ui/gui/script.hpp lists the commands) against the app: each command acts on
// the session or the panels, then one frame is drawn, so screenshots show the state the
// command left. Output for tests goes to stdout, one line per `print`.
#pragma once
#include "ui/gui/script.hpp"
#include "ui/gui/window/app.hpp"

#include <vector>

namespace hvlab::gui {

// Returns when the script ends or says `quit`. Throws UserError on a bad command (with the
// script's line number).
void run_script(App& app, const std::vector<ScriptCommand>& script);

} // namespace hvlab::gui
