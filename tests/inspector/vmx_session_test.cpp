// The inspector's session on VMX runs: the default scenario (teaching hypervisor + two
// guests) and the vmx-entry ROM (failed VM entries), compared with their golden traces
// (tests/golden/, written by `hvlab run --trace` with the same options).
#include "cpu/vmx/vmcs_fields.hpp"
#include "ui/gui/session.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace hvlab;
using namespace hvlab::gui;
using machine::event_bit;
using machine::EventType;

namespace {

std::vector<std::string> golden_lines(const std::string& rom, const char* type) {
    std::ifstream in(std::string(HVLAB_SOURCE_DIR) + "/tests/golden/" + rom + ".trace");
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);)
        if (l.size() > 17 && l.compare(17, std::strlen(type), type) == 0) out.push_back(l);
    return out;
}

// The scenario as scripts/rom-run-args gives it, from the source root (the module paths are
// part of the guests' command lines, so of the trace).
ui::RunOptions scenario() {
    REQUIRE(chdir(HVLAB_SOURCE_DIR) == 0);
    ui::RunOptions o;
    o.image = "roms/prebuilt/hypervisor.elf";
    o.modules = {"roms/prebuilt/guest-full.elf name=full mem=4M",
                 "roms/prebuilt/guest-pv.elf name=pv mem=4M"};
    o.serial = "none";
    return o;
}

} // namespace

TEST_CASE("the default scenario's first VM exits are recorded as the trace has them") {
    Session s(scenario());
    const auto exits = golden_lines("hypervisor", "vmexit");
    REQUIRE(exits.size() >= 3);
    for (size_t i = 0; i < 3; ++i) {
        s.run_to_event(event_bit(EventType::VmExit));
        s.finish();
        REQUIRE(s.timeline().size() == i + 1);
        CHECK(s.recent_events().back() == exits[i]);
    }
    // The VMCS kept for exit 3 holds that exit's reason and guest RIP.
    const ExitRecord& r = s.timeline().at(2);
    const cpu::vmx::VmcsStore v = s.timeline().vmcs_at(2);
    CHECK(v.get(cpu::vmx::vmcs::VM_EXIT_REASON) == r.reason);
    CHECK(v.get(cpu::vmx::vmcs::GUEST_RIP) == r.guest_rip);
    CHECK(r.guest == 0);
    CHECK(s.guests().size() == 1);
    CHECK(s.guests().name(0) == "guest 0 (full)"); // name= of the first module
    CHECK(s.guests().name(1) == "guest 1 (pv)");
}

TEST_CASE("run until an exit reason, and a VM-exit-reason breakpoint with a hit count") {
    Session s(scenario());
    s.run_until_exit(28); // control-register access
    s.finish();
    REQUIRE(s.timeline().size() > 0);
    CHECK((s.timeline().at(s.timeline().size() - 1).reason & 0xFFFF) == 28);
    s.breakpoints().add(BreakKind::ExitReason, 30, 4); // the 4th I/O-instruction exit
    s.run_free();
    s.finish();
    CHECK(s.breakpoints().list()[0].hits == 4);
    CHECK((s.timeline().at(s.timeline().size() - 1).reason & 0xFFFF) == 30);
    CHECK_FALSE(s.ended());
}

TEST_CASE("the scenario's consoles are told apart by guest") {
    Session s(scenario());
    s.run_free();
    s.finish();
    REQUIRE(s.ended());
    CHECK(s.guests().size() == 2);
    bool host = false, guest0 = false, guest1 = false;
    for (const ConsoleLine& l : s.console().lines()) {
        host |= l.source == -1 && l.text.rfind("hv:", 0) == 0;
        guest0 |= l.source == 0 && l.text.rfind("[full]", 0) == 0;
        guest1 |= l.source == 1 && l.text.rfind("[pv]", 0) == 0;
    }
    CHECK(host);
    CHECK(guest0);
    CHECK(guest1);
    CHECK(s.timeline().size() == golden_lines("hypervisor", "vmexit").size());
}

TEST_CASE("a failed VM entry is recorded with its check, SDM section and values") {
    ui::RunOptions o;
    o.image = std::string(HVLAB_SOURCE_DIR) + "/roms/prebuilt/vmx-entry.elf";
    o.serial = "none";
    Session s(o);
    s.run_to_event(event_bit(EventType::VmEntryFailure));
    s.finish();
    REQUIRE(s.entry_failures().size() == 1);
    const EntryFailureRecord& f = s.entry_failures().back();
    const auto golden = golden_lines("vmx-entry", "vmentry-fail");
    REQUIRE_FALSE(golden.empty());
    CHECK(s.recent_events().back() == golden.front());
    CHECK(golden.front().find("check=" + f.check_id + " ") != std::string::npos);
    CHECK(f.section.rfind("SDM Vol. 3C, ", 0) == 0);
    CHECK(f.detail.find(f.check_id) != std::string::npos);
    CHECK(f.result == 7);
}
