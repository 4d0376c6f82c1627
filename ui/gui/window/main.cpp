// hvlab-gui: the visual inspector. `hvlab-gui IMAGE [the options of hvlab run] [--script FILE]`
// boots the image as `hvlab run` does and opens the window paused at the entry point; with
// --script it runs the script's commands (ui/gui/script.hpp) and exits, e.g. under
// `xvfb-run -a` for tests and screenshots.
#include "common/error.hpp"
#include "ui/cli/exit_codes.hpp"
#include "ui/cli/options.hpp"
#include "ui/cli/run_options.hpp"
#include "ui/gui/script.hpp"
#include "ui/gui/session.hpp"
#include "ui/gui/window/app.hpp"
#include "ui/gui/window/script_runner.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    using namespace hvlab;
    CLI::App cli{"hvlab-gui: step through a machine (and its VM exits) in a window"};
    ui::RunOptions run;
    ui::add_run_options(cli, run);
    std::string script_path;
    std::string size = "1600x1000";
    cli.add_option("--script", script_path, "Run the commands of FILE, then exit (headless tests)");
    cli.add_option("--size", size, "Window size WIDTHxHEIGHT (default 1600x1000)");

    std::vector<std::string> args = ui::normalize_qemu_options(argc, argv);
    std::vector<char*> cargs;
    for (auto& a : args)
        cargs.push_back(a.data());
    try {
        cli.parse(static_cast<int>(cargs.size()), cargs.data());
        gui::AppOptions app_options;
        if (std::sscanf(size.c_str(), "%dx%d", &app_options.width, &app_options.height) != 2 ||
            app_options.width < 320 || app_options.height < 240 || app_options.width > 8192 ||
            app_options.height > 8192)
            throw UserError("--size must be WIDTHxHEIGHT, e.g. 1600x1000");
        app_options.script_mode = !script_path.empty();
        const std::vector<gui::ScriptCommand> script =
            script_path.empty() ? std::vector<gui::ScriptCommand>{} : gui::load_script(script_path);
        gui::Session session(run);
        {
            gui::App app(session, app_options);
            if (app_options.script_mode)
                gui::run_script(app, script);
            else
                app.run();
        }
        session.print_stats();
        return 0;
    } catch (const CLI::CallForHelp& e) {
        return cli.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "hvlab-gui: error: %s\n", e.what());
        return ui::kExitUserError;
    } catch (const UserError& e) {
        std::fprintf(stderr, "hvlab-gui: error: %s\n", e.what());
        return ui::kExitUserError;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hvlab-gui: internal error: %s\n", e.what());
        return ui::kExitInternalError;
    }
}
