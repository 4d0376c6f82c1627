// The inspector's session on a real ROM (roms/prebuilt/trap.elf): run control against the
// event stream, breakpoints, and what it records, compared with the golden trace of the same
// ROM (tests/golden/trap.trace is what `hvlab run --trace` writes).
#include "ui/gui/session.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

using namespace hvlab;
using namespace hvlab::gui;
using machine::event_bit;
using machine::EventType;

namespace {

ui::RunOptions trap_options() {
    ui::RunOptions o;
    o.image = std::string(HVLAB_SOURCE_DIR) + "/roms/prebuilt/trap.elf";
    o.serial = "none";
    return o;
}

std::vector<std::string> golden_lines(const char* type) {
    std::ifstream in(std::string(HVLAB_SOURCE_DIR) + "/tests/golden/trap.trace");
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);)
        if (l.size() > 17 && l.compare(17, std::strlen(type), type) == 0) out.push_back(l);
    return out;
}

} // namespace

TEST_CASE("run to the next exception stops at the events the trace records") {
    Session s(trap_options());
    const auto exceptions = golden_lines("exception");
    REQUIRE(exceptions.size() >= 3);
    for (size_t i = 0; i < 3; ++i) {
        s.run_to_event(event_bit(EventType::Exception));
        s.finish();
        REQUIRE_FALSE(s.ended());
        CHECK(s.recent_events().back() == exceptions[i]);
        CHECK(s.stop_text() == exceptions[i]);
    }
}

TEST_CASE("step runs exactly N instructions and remembers the state before") {
    Session s(trap_options());
    const uint64_t rip0 = s.state().rip;
    s.step(1);
    CHECK(s.machine().now() == 1);
    CHECK(s.before().rip == rip0);
    CHECK(s.state().rip != rip0);
    s.step(10);
    CHECK(s.machine().now() == 11);
    s.run_count(100);
    s.finish();
    CHECK(s.machine().now() == 111);
    CHECK(s.generation() == 3);
}

TEST_CASE("a guest-virtual breakpoint stops before the instruction at that address") {
    // Find where the ROM is after 500 instructions, then rerun with a breakpoint there.
    uint64_t target;
    {
        Session probe(trap_options());
        probe.step(500);
        target = probe.state().seg[cpu::CS].base + probe.state().rip;
    }
    Session s(trap_options());
    s.breakpoints().add(BreakKind::Linear, target);
    s.run_free();
    s.finish();
    CHECK(s.state().seg[cpu::CS].base + s.state().rip == target);
    CHECK(s.breakpoints().list()[0].hits == 1);
    CHECK(s.stop_text().find("breakpoint gva") == 0);
    CHECK(s.machine().now() <= 500);
}

TEST_CASE("an I/O-port breakpoint with a hit count stops at that hit") {
    Session s(trap_options());
    s.breakpoints().add(BreakKind::IoPort, 0x3F8, 5); // the fifth byte written to COM1
    s.run_free();
    s.finish();
    CHECK(s.breakpoints().list()[0].hits == 5);
    CHECK(s.stop_text() == "breakpoint io port 0x03f8");
}

TEST_CASE("the session records the console and runs to the end of the ROM") {
    Session s(trap_options());
    s.run_free();
    s.finish();
    CHECK(s.ended());
    CHECK(s.final_stop().cause == machine::StopCause::DebugExit);
    const auto serial = golden_lines("serial");
    REQUIRE(s.console().lines().size() == serial.size());
    CHECK(serial.front().find(s.console().lines().front().text) != std::string::npos);
    CHECK(s.console().lines().front().source == -1); // no VMX: the host wrote it
    // Commands after the end say so instead of running.
    s.run_free();
    CHECK_FALSE(s.busy());
    CHECK(s.stop_text().find("the machine has ended") == 0);
}

TEST_CASE("step over runs a whole call and stops at the next instruction") {
    Session s(trap_options());
    machine::Machine& m = s.machine();
    const CodeReader read = [&m](uint64_t a, uint8_t* d, unsigned n) {
        return m.cpu().memory().peek(m.cpu().state(), Gva(a), d, n);
    };
    DisasmLine l;
    for (int i = 0; i < 5000; ++i) { // find the first CALL
        l = s.disassembler().decode(read, s.state().seg[cpu::CS].base + s.state().rip,
                                    s.state().mode());
        if (l.is_call) break;
        s.step(1);
    }
    REQUIRE(l.is_call);
    const uint64_t next = s.state().rip + l.length, t0 = m.now();
    s.step_over();
    s.finish();
    CHECK(s.state().rip == next);
    CHECK(m.now() > t0 + 1); // the callee ran
    CHECK(s.stop_text() == "stepped over the call");
}
