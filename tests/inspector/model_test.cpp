// The inspector's model without a window: breakpoints, the VMCS history, the exit timeline's
// filter, the script parser and the exit decoder.
#include "cpu/vmx/vmcs_fields.hpp"
#include "ui/gui/breakpoints.hpp"
#include "ui/gui/exit_decode.hpp"
#include "ui/gui/exit_timeline.hpp"
#include "ui/gui/script.hpp"
#include "ui/gui/vmcs_history.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
using namespace hvlab::gui;
namespace f = cpu::vmx::vmcs;

TEST_CASE("breakpoints count every hit and stop from the requested hit on") {
    Breakpoints b;
    b.add(BreakKind::IoPort, 0x3F8, 3);
    b.add(BreakKind::Linear, 0x1000);
    CHECK(b.hit(BreakKind::IoPort, 0x3F8) == -1);
    CHECK(b.hit(BreakKind::IoPort, 0x3F8) == -1);
    CHECK(b.hit(BreakKind::IoPort, 0x3F8) == 0);
    CHECK(b.list()[0].hits == 3);
    CHECK(b.hit(BreakKind::IoPort, 0x3F9) == -1);
    CHECK(b.hit(BreakKind::Linear, 0x1000) == 1);
    b.list()[1].enabled = false;
    CHECK(b.hit(BreakKind::Linear, 0x1000) == -1);
    CHECK_FALSE(b.any(BreakKind::Linear));
    b.toggle(BreakKind::Linear, 0x1000); // present: removed
    CHECK(b.list().size() == 1);
    b.toggle(BreakKind::ExitReason, 10);
    CHECK(b.has(BreakKind::ExitReason, 10));
    CHECK(b.list()[1].describe() == "exit 10 (CPUID)");
}

TEST_CASE("the VMCS history gives back every recorded VMCS across keyframes") {
    VmcsHistory h;
    std::vector<cpu::vmx::VmcsStore> originals;
    cpu::vmx::VmcsStore v;
    const auto fields = cpu::vmx::all_fields();
    uint64_t x = 12345;
    for (int i = 0; i < 200; ++i) {
        // A few fields change per exit, as a handler's VMWRITEs do.
        for (int k = 0; k < 3; ++k) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            const auto& fi = fields[(x >> 33) % fields.size()];
            v.set(fi.encoding, x >> (fi.width() == cpu::vmx::FieldWidth::Bits16 ? 48 : 32));
        }
        if (i == 70) v.launch_state = cpu::vmx::LaunchState::Launched;
        h.append(v);
        originals.push_back(v);
    }
    REQUIRE(h.size() == 200);
    for (size_t i : {0u, 1u, 63u, 64u, 65u, 70u, 71u, 127u, 128u, 199u}) {
        INFO("record " << i);
        CHECK(h.at(i) == originals[i]);
    }
}

TEST_CASE("the exit timeline filters by reason and by guest, also for exits added later") {
    ExitTimeline t;
    cpu::vmx::VmcsStore v;
    auto add = [&](uint32_t reason, int guest) {
        ExitRecord r;
        r.reason = reason;
        r.guest = guest;
        t.record(r, v);
    };
    add(10, 0);
    add(30, 0);
    add(10, 1);
    t.set_filter(10, ExitTimeline::kAny);
    CHECK(t.visible() == std::vector<uint32_t>{0, 2});
    add(10, 0);
    CHECK(t.visible() == std::vector<uint32_t>{0, 2, 3});
    t.set_filter(10, 0);
    CHECK(t.visible() == std::vector<uint32_t>{0, 3});
    t.set_filter(ExitTimeline::kAny, ExitTimeline::kAny);
    CHECK(t.visible().size() == 4);
    CHECK(t.reason_counts().at(10) == 3);
}

TEST_CASE("synthetic timeline fill gives 100,000 exits with VMCS copies") {
    ExitTimeline t;
    t.fill_synthetic(100000);
    REQUIRE(t.size() == 100000);
    CHECK(t.vmcs_at(77777).get(f::GUEST_RIP) == t.at(77777).guest_rip);
    CHECK(t.vmcs_at(77777).get(f::VM_EXIT_REASON) == t.at(77777).reason);
}

TEST_CASE("scripts: comments, blank lines, arguments and line numbers") {
    const auto cmds = parse_script("# a test\n\nstep 5\n  run-to-exit   3 # third\nquit\n");
    REQUIRE(cmds.size() == 3);
    CHECK(cmds[0].verb == "step");
    CHECK(cmds[0].args == std::vector<std::string>{"5"});
    CHECK(cmds[0].line == 3);
    CHECK(cmds[1].verb == "run-to-exit");
    CHECK(cmds[1].args == std::vector<std::string>{"3"});
    CHECK(cmds[2].line == 5);
}

TEST_CASE("script numbers and exit reasons by number or SDM name") {
    uint64_t n = 0;
    CHECK(parse_number("0x3f8", n));
    CHECK(n == 0x3F8);
    CHECK(parse_number("1000", n));
    CHECK(n == 1000);
    CHECK_FALSE(parse_number("12ab", n));
    CHECK_FALSE(parse_number("0x", n));
    CHECK_FALSE(parse_number("99999999999999999999", n));
    uint32_t r = 0;
    CHECK(parse_exit_reason("cpuid", r));
    CHECK(r == 10);
    CHECK(parse_exit_reason("EPT-violation", r));
    CHECK(r == 48);
    CHECK(parse_exit_reason("30", r));
    CHECK(r == 30);
    CHECK_FALSE(parse_exit_reason("no-such-exit", r));
}

TEST_CASE("exit qualifications are decoded as the SDM lays them out") {
    cpu::vmx::VmcsStore v;
    std::array<uint64_t, 16> gpr{};
    // I/O: OUT DX, AL to port 0x3F8 (size 0 = 1 byte, direction 0 = OUT, bit 6 = 0: DX).
    CHECK(decode_exit(30, 0x3F8ull << 16, v, gpr) == "OUT port 0x03f8, 1 byte, DX");
    CHECK(decode_exit(30, (0x60ull << 16) | 8 | 1 | 64, v, gpr) ==
          "IN port 0x0060, 2 bytes, immediate");
    // CR access: MOV to CR3 from RBX (cr 3, type 0, register 3).
    CHECK(decode_exit(28, 3 | (3 << 8), v, gpr) == "MOV to CR3 from RBX");
    gpr[0] = 0x4000'0000;
    CHECK(decode_exit(10, 0, v, gpr) == "leaf EAX=0x40000000, ECX=0x0");
    CHECK(exit_reason_label(33u | (1u << 31)) ==
          "entry failure: VM-entry failure due to invalid guest state");
    CHECK(decode_exit(33u | (1u << 31), 4, v, gpr) == "invalid VMCS link pointer");
    v.set(f::GUEST_PHYSICAL_ADDRESS, 0x5000);
    CHECK(decode_exit(48, 2 | 8, v, gpr) == "write of GPA 0x5000, EPT allows r--");
}
