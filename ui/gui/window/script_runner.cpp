#include "ui/gui/window/script_runner.hpp"

#include "common/error.hpp"
#include "cpu/vmx/vmcs_fields.hpp"
#include "machine/trace_writer.hpp"
#include "ui/cli/options.hpp"
#include "ui/gui/exit_decode.hpp"
#include "ui/gui/window/memory_panel.hpp"
#include "ui/gui/window/page_walk_panel.hpp"
#include "ui/gui/window/timeline_panel.hpp"
#include "ui/gui/window/vmcs_panel.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace hvlab::gui {
namespace {

using machine::event_bit;
using machine::EventType;

struct Runner {
    App& app;
    Session& s;
    const ScriptCommand* cmd = nullptr;

    [[noreturn]] void fail(const std::string& why) const {
        throw UserError("script line " + std::to_string(cmd->line) + " (" + cmd->verb +
                        "): " + why);
    }
    const std::string& arg(size_t i) const {
        if (i >= cmd->args.size()) fail("missing argument " + std::to_string(i + 1));
        return cmd->args[i];
    }
    uint64_t number(size_t i) const {
        uint64_t v;
        if (!parse_number(arg(i), v)) fail("'" + arg(i) + "' is not a number");
        return v;
    }
    uint64_t number_or(size_t i, uint64_t dflt) const {
        return i < cmd->args.size() ? number(i) : dflt;
    }
    Panel& panel(size_t i) const {
        Panel* p = app.panel(arg(i));
        if (!p) fail("no panel named '" + arg(i) + "'");
        return *p;
    }

    // Lets the window run the command as it does interactively: one slice per frame.
    void wait() {
        while (s.busy() && !app.quit_requested())
            app.frame();
    }
    // Runs toward an event N times (stops early if the machine ends).
    void to_event(machine::EventMask mask, uint64_t times) {
        for (uint64_t i = 0; i < times && !s.ended(); ++i) {
            s.run_to_event(mask);
            wait();
        }
    }

    void print(const std::string& what) {
        const cpu::CpuState& c = s.state();
        if (what == "state") {
            std::printf("state time=%" PRIu64 " rip=%016" PRIx64 " cpl=%u vmx=%s guest=%d\n",
                        s.machine().now(), c.rip, c.cpl(),
                        !c.vmx.operation ? "off"
                        : c.vmx.non_root ? "non-root"
                                         : "root",
                        s.current_guest());
        } else if (what == "exit") {
            ExitTimeline& t = s.timeline();
            if (!t.size()) return void(std::printf("exit none\n"));
            const size_t i = t.selected >= 0 ? static_cast<size_t>(t.selected) : t.size() - 1;
            const ExitRecord& r = t.at(i);
            machine::Event e; // the exit as the trace writes it
            e.time = r.time;
            e.type = EventType::VmExit;
            e.code = r.reason;
            e.value = r.qualification;
            e.addr = r.guest_rip;
            e.extra = r.guest_physical;
            std::printf("exit %zu: %s\n", i + 1, machine::format_event(e).c_str());
            // What the VMCS and timeline panels show for it.
            const cpu::vmx::VmcsStore v = t.vmcs_at(i);
            std::printf("exit %zu shown: reason=%u (%s) guest_rip=%016" PRIx64 " guest=%s %s\n",
                        i + 1, static_cast<unsigned>(v.get(cpu::vmx::vmcs::VM_EXIT_REASON)),
                        exit_reason_label(r.reason).c_str(), v.get(cpu::vmx::vmcs::GUEST_RIP),
                        s.guests().name(r.guest).c_str(), r.decoded.c_str());
        } else if (what == "event") {
            std::printf("event: %s\n",
                        s.recent_events().empty() ? "none" : s.recent_events().back().c_str());
        } else if (what == "exits") {
            std::printf("exits %zu entries %" PRIu64 "\n", s.timeline().size(), s.vm_entries());
        } else if (what == "failure") {
            if (s.entry_failures().empty()) return void(std::printf("failure none\n"));
            const EntryFailureRecord& f = s.entry_failures().back();
            std::printf("failure check=%s section=\"%s\" detail=\"%s\"\n", f.check_id.c_str(),
                        f.section.c_str(), f.detail.c_str());
        } else if (what == "console") {
            for (const ConsoleLine& l : s.console().lines())
                std::printf("console %s: %s\n", s.guests().name(l.source).c_str(), l.text.c_str());
        } else if (what == "stop") {
            std::printf("stop %s\n", s.stop_text().c_str());
        } else {
            fail("print what? state, exit, event, exits, failure, console or stop");
        }
        std::fflush(stdout);
    }

    void breakpoint() {
        const std::string& kind = arg(0);
        const uint64_t from = number_or(2, 1);
        if (kind == "exit") {
            uint32_t r;
            if (!parse_exit_reason(arg(1), r)) fail("unknown exit reason '" + arg(1) + "'");
            s.breakpoints().add(BreakKind::ExitReason, r, from);
        } else if (kind == "gva" || kind == "gpa" || kind == "io") {
            const uint64_t v = number(1);
            if (kind == "io" && v > 0xFFFF) fail("port out of range");
            s.breakpoints().add(kind == "gva"   ? BreakKind::Linear
                                : kind == "gpa" ? BreakKind::GuestPhysical
                                                : BreakKind::IoPort,
                                v, from);
        } else {
            fail("break gva|gpa|exit|io VALUE [FROM_HIT]");
        }
    }

    void select() {
        ExitTimeline& t = s.timeline();
        if (arg(0) == "none") return void(t.selected = -1);
        if (arg(0) != "exit") fail("select exit N | select none");
        const uint64_t n = number(1);
        if (n == 0 || n > t.size())
            fail("exit " + std::to_string(n) + " does not exist (" + std::to_string(t.size()) +
                 " recorded)");
        t.selected = static_cast<int>(n - 1);
        app.timeline().scroll_to_selected = true;
    }

    void measure(uint64_t frames) {
        double total = 0, worst = 0, build = 0, cpu = 0;
        for (uint64_t i = 0; i < frames; ++i) {
            const double ms = app.frame();
            total += ms;
            worst = std::max(worst, ms);
            build += app.last_build_cpu_ms();
            cpu += app.last_frame_cpu_ms();
        }
        const double n = static_cast<double>(frames ? frames : 1);
        std::printf("frame-time frames=%" PRIu64 " avg=%.2f ms max=%.2f ms cpu=%.2f ms "
                    "ui-build=%.2f ms exits=%zu\n",
                    frames, total / n, worst, cpu / n, build / n, s.timeline().size());
        std::fflush(stdout);
    }

    // Returns false on `quit`.
    bool execute(const ScriptCommand& c) {
        cmd = &c;
        const std::string& v = c.verb;
        if (v == "step")
            s.step(number_or(0, 1));
        else if (v == "step-over") {
            s.step_over();
            wait();
        } else if (v == "run") {
            s.run_count(number(0));
            wait();
        } else if (v == "continue") {
            s.run_free();
            wait();
        } else if (v == "run-to-exit")
            to_event(event_bit(EventType::VmExit), number_or(0, 1));
        else if (v == "run-to-entry")
            to_event(event_bit(EventType::VmEntry) | event_bit(EventType::VmEntryFailure),
                     number_or(0, 1));
        else if (v == "run-to-event")
            to_event(ui::parse_event_classes(arg(0)), number_or(1, 1));
        else if (v == "run-until-exit") {
            uint32_t r;
            if (!parse_exit_reason(arg(0), r)) fail("unknown exit reason '" + arg(0) + "'");
            s.run_until_exit(r);
            wait();
        } else if (v == "break")
            breakpoint();
        else if (v == "clear-breakpoints")
            s.breakpoints().clear();
        else if (v == "select")
            select();
        else if (v == "open") {
            Panel& p = panel(0);
            p.open = true;
            p.focus_next = true;
        } else if (v == "close")
            panel(0).open = false;
        else if (v == "memory") {
            const std::string& k = arg(0);
            if (k != "gva" && k != "gpa" && k != "hpa") fail("memory gva|gpa|hpa ADDR");
            app.memory().go_to(k == "gva"   ? AddressKind::Linear
                               : k == "gpa" ? AddressKind::GuestPhysical
                                            : AddressKind::HostPhysical,
                               number(1));
        } else if (v == "walk") {
            const std::string kind = c.args.size() > 1 ? arg(1) : "r";
            app.page_walk().walk(number(0), kind == "w" ? 1 : kind == "x" ? 2 : 0);
        } else if (v == "filter") {
            uint32_t r = 0;
            int reason = ExitTimeline::kAny, guest = ExitTimeline::kAny;
            if (arg(0) != "any") {
                if (!parse_exit_reason(arg(0), r)) fail("unknown exit reason '" + arg(0) + "'");
                reason = static_cast<int>(r);
            }
            if (c.args.size() > 1 && arg(1) != "any") guest = static_cast<int>(number(1));
            s.timeline().set_filter(reason, guest);
        } else if (v == "screenshot") {
            app.screenshot(arg(0), c.args.size() > 1 ? arg(1) : "");
            return true;
        } else if (v == "print")
            print(arg(0));
        else if (v == "vmcs-only-changed") {
            auto* p = dynamic_cast<VmcsPanel*>(app.panel("vmcs"));
            if (!p || (arg(0) != "on" && arg(0) != "off")) fail("vmcs-only-changed on|off");
            p->only_changed = arg(0) == "on";
        } else if (v == "fill-timeline")
            s.timeline().fill_synthetic(number(0));
        else if (v == "measure-frames") {
            measure(number(0));
            return true;
        } else if (v == "window")
            app.resize(static_cast<int>(number(0)), static_cast<int>(number(1)));
        else if (v == "quit")
            return false;
        else
            fail("unknown command");
        app.frame();
        return true;
    }
};

} // namespace

void run_script(App& app, const std::vector<ScriptCommand>& script) {
    Runner r{app, app.session()};
    app.frame(); // the first frame lays the windows out
    for (const ScriptCommand& c : script) {
        if (!r.execute(c) || app.quit_requested()) return;
    }
}

} // namespace hvlab::gui
