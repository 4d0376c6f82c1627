// VM-entry MSR-load list: each failure rule, reported as exit reason 34 with the 1-based
// entry number as exit qualification.
#include "cpu/vmx/entry_check.hpp"
#include "cpu/vmx/msr_list.hpp"
#include "cpu/vmx/vmx_abort.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace hvlab::cpu::vmx;

namespace {
const WrmsrFaults kNoFault = [](uint32_t, uint64_t) { return false; };

void expect_failure(const std::vector<MsrLoadEntry>& list, uint64_t entry, std::string_view id,
                    bool in_smm = false, const WrmsrFaults& faults = kNoFault) {
    const auto f = check_msr_load_list(list, hvlab_vmx_capabilities(), in_smm, faults);
    REQUIRE(f.has_value());
    INFO(f->diagnostic());
    CHECK(f->is_exit());
    CHECK(f->exit_reason() == (34u | 0x80000000u));
    CHECK(f->exit_qualification() == entry);
    CHECK(f->check_id == id);
    CHECK(f->section == "SDM Vol. 3C, Loading MSRs");
}
} // namespace

TEST_CASE("a valid MSR-load list passes", "[vmx][msr_load]") {
    const std::vector<MsrLoadEntry> list = {{0x277, 0, 0x0007040600070406}, {0xC0000080, 0, 0x501}};
    CHECK_FALSE(check_msr_load_list(list, hvlab_vmx_capabilities(), false, kNoFault));
    CHECK_FALSE(check_msr_load_list({}, hvlab_vmx_capabilities(), false, kNoFault));
}

TEST_CASE("MSR-load entries that break a rule fail with their entry number", "[vmx][msr_load]") {
    const MsrLoadEntry ok{0x277, 0, 6};
    expect_failure({ok, {0xC0000100, 0, 0}}, 2, "msr_load_entry_not_fs_gs_base");
    expect_failure({{0xC0000101, 0, 0}}, 1, "msr_load_entry_not_fs_gs_base");
    expect_failure({ok, ok, {0x830, 0, 0}}, 3, "msr_load_entry_not_x2apic");
    expect_failure({{0x9B, 0, 0}}, 1, "msr_load_entry_not_smm_only");
    expect_failure({ok, {0x277, 1, 6}}, 2, "msr_load_entry_reserved_clear");
    const WrmsrFaults efer_reserved = [](uint32_t index, uint64_t value) {
        return index == 0xC0000080 && (value & ~uint64_t{0xD01});
    };
    expect_failure({ok, {0xC0000080, 0, 1u << 3}}, 2, "msr_load_entry_wrmsr_succeeds", false,
                   efer_reserved);
}

TEST_CASE("IA32_SMM_MONITOR_CTL may be loaded in SMM", "[vmx][msr_load]") {
    const std::vector<MsrLoadEntry> list = {{0x9B, 0, 0}};
    CHECK_FALSE(check_msr_load_list(list, hvlab_vmx_capabilities(), true, kNoFault));
}

TEST_CASE("an MSR-load list longer than IA32_VMX_MISC allows fails past the limit",
          "[vmx][msr_load]") {
    std::vector<MsrLoadEntry> list(513, MsrLoadEntry{0x277, 0, 6});
    expect_failure(list, 513, "msr_load_count_within_limit");
    list.pop_back();
    CHECK_FALSE(check_msr_load_list(list, hvlab_vmx_capabilities(), false, kNoFault));
}

TEST_CASE("VM-exit MSR loading uses the same rules (a failure is a VMX abort)", "[vmx][msr_load]") {
    const std::vector<MsrListEntry> list = {{0x174, 0, 8}, {0x80A, 0, 0}};
    const auto v = find_msr_load_violation(list, hvlab_vmx_capabilities(), false, kNoFault);
    REQUIRE(v.has_value());
    CHECK(v->entry_number == 2);
    CHECK(v->rule == "msr_load_entry_not_x2apic");
    CHECK(v->entry.index == 0x80A);
}

TEST_CASE("VM-exit MSR-store list rules", "[vmx][msr_load]") {
    const RdmsrFaults none = [](uint32_t) { return false; };
    const auto& caps = hvlab_vmx_capabilities();
    const MsrListEntry ok{0x10, 0, 0};
    CHECK_FALSE(find_msr_store_violation(std::vector<MsrListEntry>{ok, {0xC0000100, 0, 0}}, caps,
                                         false, none)); // FS_BASE may be stored
    struct Case {
        MsrListEntry bad;
        std::string_view rule;
    };
    for (const Case& c : {Case{{0x830, 0, 0}, "msr_store_entry_not_x2apic"},
                          Case{{0x9E, 0, 0}, "msr_store_entry_not_smm_only"},
                          Case{{0x10, 2, 0}, "msr_store_entry_reserved_clear"},
                          Case{{0x12345, 0, 0}, "msr_store_entry_rdmsr_succeeds"}}) {
        INFO(c.rule);
        const RdmsrFaults unknown = [](uint32_t index) { return index == 0x12345; };
        const auto v =
            find_msr_store_violation(std::vector<MsrListEntry>{ok, c.bad}, caps, false, unknown);
        REQUIRE(v.has_value());
        CHECK(v->entry_number == 2);
        CHECK(v->rule == c.rule);
    }
    CHECK_FALSE(
        find_msr_store_violation(std::vector<MsrListEntry>{{0x9E, 0, 0}}, caps, true, none));
    const std::vector<MsrListEntry> long_list(513, ok);
    const auto v = find_msr_store_violation(long_list, caps, false, none);
    REQUIRE(v.has_value());
    CHECK(v->entry_number == 513);
    CHECK(v->rule == "msr_store_count_within_limit");
    CHECK(msr_store_rule_ids().size() == 5);
}

TEST_CASE("VMX-abort indicators have the SDM's values", "[vmx][msr_load]") {
    CHECK(static_cast<uint32_t>(VmxAbortIndicator::SavingGuestMsrs) == 1);
    CHECK(static_cast<uint32_t>(VmxAbortIndicator::LoadingHostMsrs) == 4);
    CHECK(static_cast<uint32_t>(VmxAbortIndicator::LongModeToLegacyHost) == 6);
}
