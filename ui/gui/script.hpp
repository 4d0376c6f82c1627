// The inspector's script language (`hvlab-gui IMAGE --script FILE`), for tests and for the
// documentation's screenshots. One command per line, words separated by blanks, `#` starts a
// comment. The commands (executed by ui/gui/window/script_runner.cpp):
//
//   step [N]                 N instructions (default 1); breakpoints do not stop it
//   step-over                over a CALL at RIP, else one instruction
//   run N | continue         N instructions / until a breakpoint or the end
//   run-to-exit [N]          the N-th next VM exit (default 1); run-to-entry [N] likewise
//   run-to-event CLASS [N]   the N-th next event of a trace class (exception, vmexit, ...)
//   run-until-exit REASON    the next VM exit with this basic reason (number or SDM name)
//   break gva|gpa|exit|io VALUE [FROM_HIT]   add a breakpoint; clear-breakpoints
//   select exit N | none     pick the N-th VM exit (1 = first) in the timeline
//   open PANEL | close PANEL panels: cpu disasm memory vmcs timeline failure pagewalk
//                            console breakpoints
//   memory gva|gpa|hpa ADDR  point the memory panel; walk ADDR [r|w|x] the page-walk panel
//   filter REASON|any [GUEST|any]   the timeline's filter; vmcs-only-changed on|off
//   screenshot FILE [PANEL]  PNG of the window (or of one panel)
//   print state|exit|event|exits|failure|console   one line (or more) on stdout
//   fill-timeline N          N synthetic exits (frame-time measurement only)
//   measure-frames N         draw N frames, print their average and worst time
//   window W H               resize the window; quit
#pragma once
#include <string>
#include <vector>

namespace hvlab::gui {

struct ScriptCommand {
    int line = 0; // 1-based line in the file, for messages
    std::string verb;
    std::vector<std::string> args;
};

// Splits a script into commands (blank lines and comments dropped).
std::vector<ScriptCommand> parse_script(const std::string& text);
// Reads FILE and parses it; throws UserError if it cannot be read.
std::vector<ScriptCommand> load_script(const std::string& path);

// Numbers in scripts: decimal, or hex with 0x.
bool parse_number(const std::string& text, uint64_t& out);
// A basic exit reason by number or by SDM name ("CPUID", "I/O instruction", "cpuid"; blanks
// may be written as '-' or '_'); false if unknown.
bool parse_exit_reason(const std::string& text, uint32_t& out);

} // namespace hvlab::gui
