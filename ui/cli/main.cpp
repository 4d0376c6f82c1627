// hvlab: the command-line entry point. Every user-caused error ends here as one line on
// stderr and a non-zero exit status (ARCHITECTURE.md, Conventions).
#include "common/error.hpp"
#include "ui/cli/bench_command.hpp"
#include "ui/cli/exit_codes.hpp"
#include "ui/cli/options.hpp"
#include "ui/cli/run_command.hpp"
#include "ui/cli/trace_command.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    using namespace hvlab;
    CLI::App app{"hvlab: an x86-64 full-system emulator with VT-x, for teaching and debugging "
                 "virtualization"};
    app.require_subcommand(1);
    int status = 0;
    ui::add_run_command(app, &status);
    ui::add_trace_command(app, &status);
    ui::add_bench_command(app);

    std::vector<std::string> args = ui::normalize_qemu_options(argc, argv);
    std::vector<char*> cargs;
    for (auto& a : args) cargs.push_back(a.data());
    try {
        app.parse(static_cast<int>(cargs.size()), cargs.data());
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "hvlab: error: %s\n", e.what());
        return ui::kExitUserError;
    } catch (const UserError& e) {
        std::fprintf(stderr, "hvlab: error: %s\n", e.what());
        return ui::kExitUserError;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hvlab: internal error: %s\n", e.what());
        return ui::kExitInternalError;
    }
    return status;
}
