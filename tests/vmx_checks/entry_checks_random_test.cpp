// Random VMCS mutations (fixed seed, printed): whatever the snapshot, run_entry_checks is
// deterministic, reports a check from the right table with that table's failure kind, and
// only after every earlier check passed. Also runs the checks under the sanitizers on
// values no hand-written case uses.
#include "baseline.hpp"

#include "cpu/vmx/entry_check.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <random>
#include <set>
#include <string_view>
#include <vector>

using namespace hvlab::cpu::vmx;
using namespace hvlab::test_vmx;

namespace {

using Mutation = std::function<void(VmcsSnapshot&, uint64_t)>;

// Flip one random bit of a field, or replace it by a random value (1 in 4).
template <class T> void scramble(T& field, uint64_t r) {
    if ((r & 3) == 0)
        field = static_cast<T>(r >> 2);
    else
        field ^= static_cast<T>(T{1} << ((r >> 2) % (8 * sizeof(T))));
}

std::vector<Mutation> mutations() {
    std::vector<Mutation> m;
    auto add = [&m](auto member_access) {
        m.push_back(
            [member_access](VmcsSnapshot& s, uint64_t r) { scramble(member_access(s), r); });
    };
    add([](VmcsSnapshot& s) -> uint32_t& { return s.ctl.entry_interruption.raw; });
    add([](VmcsSnapshot& s) -> uint32_t& { return s.ctl.entry_exception_error_code; });
    add([](VmcsSnapshot& s) -> uint32_t& { return s.ctl.entry_instruction_length; });
    add([](VmcsSnapshot& s) -> uint32_t& { return s.ctl.cr3_target_count; });
    add([](VmcsSnapshot& s) -> uint64_t& { return s.ctl.ept_pointer; });
    add([](VmcsSnapshot& s) -> uint64_t& { return s.ctl.io_bitmap_a; });
    add([](VmcsSnapshot& s) -> uint64_t& { return s.ctl.msr_bitmap; });
    add([](VmcsSnapshot& s) -> uint64_t& { return s.ctl.entry_msr_load_addr; });
    add([](VmcsSnapshot& s) -> uint32_t& { return s.ctl.exit_msr_store_count; });
    add([](VmcsSnapshot& s) -> uint64_t& { return s.host.cr0; });
    add([](VmcsSnapshot& s) -> uint64_t& { return s.host.cr4; });
    add([](VmcsSnapshot& s) -> uint64_t& { return s.host.rip; });
    add([](VmcsSnapshot& s) -> uint64_t& { return s.host.efer; });
    add([](VmcsSnapshot& s) -> uint64_t& { return s.host.pat; });
    add([](VmcsSnapshot& s) -> uint16_t& { return s.host.selector[1]; });
    add([](VmcsSnapshot& s) -> uint64_t& { return s.host.tr_base; });
    add([](VmcsSnapshot& s) -> uint64_t& { return s.guest.cr0; });
    add([](VmcsSnapshot& s) -> uint64_t& { return s.guest.cr4; });
    add([](VmcsSnapshot& s) -> uint64_t& { return s.guest.rflags; });
    add([](VmcsSnapshot& s) -> uint64_t& { return s.guest.rip; });
    add([](VmcsSnapshot& s) -> uint64_t& { return s.guest.efer; });
    add([](VmcsSnapshot& s) -> uint32_t& { return s.guest.seg[1].access_rights; });
    add([](VmcsSnapshot& s) -> uint32_t& { return s.guest.seg[2].access_rights; });
    add([](VmcsSnapshot& s) -> uint16_t& { return s.guest.seg[3].selector; });
    add([](VmcsSnapshot& s) -> uint32_t& { return s.guest.seg[0].limit; });
    add([](VmcsSnapshot& s) -> uint64_t& { return s.guest.seg[4].base; });
    add([](VmcsSnapshot& s) -> uint32_t& { return s.guest.tr.access_rights; });
    add([](VmcsSnapshot& s) -> uint32_t& { return s.guest.ldtr.access_rights; });
    add([](VmcsSnapshot& s) -> uint32_t& { return s.guest.gdtr_limit; });
    add([](VmcsSnapshot& s) -> uint32_t& { return s.guest.activity_state; });
    add([](VmcsSnapshot& s) -> uint32_t& { return s.guest.interruptibility; });
    add([](VmcsSnapshot& s) -> uint64_t& { return s.guest.pending_debug_exceptions; });
    add([](VmcsSnapshot& s) -> uint64_t& { return s.guest.vmcs_link_pointer; });
    add([](VmcsSnapshot& s) -> uint64_t& { return s.guest.pdpte[1]; });
    m.push_back([](VmcsSnapshot& s, uint64_t r) {
        s.ctl.pin = PinBased(s.ctl.pin.raw() ^ (1u << (r % 32)));
    });
    m.push_back([](VmcsSnapshot& s, uint64_t r) {
        s.ctl.proc = ProcBased(s.ctl.proc.raw() ^ (1u << (r % 32)));
    });
    m.push_back([](VmcsSnapshot& s, uint64_t r) {
        s.ctl.exit = ExitControls(s.ctl.exit.raw() ^ (1u << (r % 32)));
    });
    m.push_back([](VmcsSnapshot& s, uint64_t r) {
        s.ctl.entry = EntryControls(s.ctl.entry.raw() ^ (1u << (r % 32)));
    });
    m.push_back([](VmcsSnapshot& s, uint64_t) { make_protected32_guest(s); });
    m.push_back([](VmcsSnapshot& s, uint64_t) { make_32bit_host(s); });
    return m;
}

template <class Table> std::set<std::string_view> ids(const Table& table) {
    std::set<std::string_view> out;
    for (const auto& c : table)
        out.insert(c.id);
    return out;
}

} // namespace

TEST_CASE("random VMCS mutations give consistent, ordered, typed failures", "[vmx][random]") {
    constexpr uint64_t kSeed = 0x5EED'0005;
    constexpr int kRounds = 20000;
    INFO("seed " << kSeed);
    std::mt19937_64 rng(kSeed);
    const auto muts = mutations();
    const auto control_ids = ids(control_checks()), host_ids = ids(host_checks());
    const VmxCapabilities& caps = hvlab_vmx_capabilities();
    std::set<std::string_view> seen;
    for (int round = 0; round < kRounds; ++round) {
        VmcsSnapshot s = baseline_snapshot();
        const int n = 1 + static_cast<int>(rng() % 3);
        for (int i = 0; i < n; ++i)
            muts[rng() % muts.size()](s, rng());
        const auto f = run_entry_checks(s, caps);
        const auto again = run_entry_checks(s, caps);
        REQUIRE(f.has_value() == again.has_value());
        if (!f) continue;
        REQUIRE(f->check_id == again->check_id);
        REQUIRE(f->detail == again->detail);
        seen.insert(f->check_id);
        INFO("round " << round << ": " << f->diagnostic());
        REQUIRE(f->diagnostic().find('\n') == std::string::npos);
        if (control_ids.count(f->check_id)) {
            REQUIRE(f->vm_instruction_error() == 7);
        } else if (host_ids.count(f->check_id)) {
            REQUIRE(f->vm_instruction_error() == 8);
            REQUIRE_FALSE(run_control_checks(s, caps).has_value());
        } else {
            REQUIRE(f->exit_reason() == 0x80000021);
            REQUIRE_FALSE(run_control_checks(s, caps).has_value());
            REQUIRE_FALSE(run_host_checks(s, caps).has_value());
        }
    }
    // The mutations reach a good part of the table, not one check over and over.
    CHECK(seen.size() >= 50);
}
