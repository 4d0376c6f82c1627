// The VMCS cache: VMREAD/VMWRITE semantics, and the VMCS region image (header, launch
// state, layout) that VMCLEAR writes and VMPTRLD reads.
#include "cpu/vmx/vmcs_store.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstring>
#include <stdexcept>

using namespace hvlab::cpu::vmx;

namespace {
using Region = std::array<uint8_t, kVmcsRegionSize>;
uint32_t dword(const Region& r, size_t off) {
    uint32_t v;
    std::memcpy(&v, r.data() + off, 4);
    return v;
}
uint64_t qword(const Region& r, size_t off) {
    uint64_t v;
    std::memcpy(&v, r.data() + off, 8);
    return v;
}
} // namespace

TEST_CASE("VMWRITE truncates to the field width", "[vmx][store]") {
    VmcsStore v;
    CHECK(v.write(vmcs::GUEST_CS_SELECTOR, 0x12345678) == VmcsAccess::Ok);
    CHECK(v.read(vmcs::GUEST_CS_SELECTOR) == 0x5678);
    CHECK(v.write(vmcs::GUEST_CS_LIMIT, 0xFFFFFFFF00000001) == VmcsAccess::Ok);
    CHECK(v.read(vmcs::GUEST_CS_LIMIT) == 1);
    CHECK(v.write(vmcs::GUEST_RIP, 0xFFFF800000001234) == VmcsAccess::Ok);
    CHECK(v.read(vmcs::GUEST_RIP) == 0xFFFF800000001234);
}

TEST_CASE("the high encoding reads and writes bits 63:32 of a 64-bit field", "[vmx][store]") {
    VmcsStore v;
    REQUIRE(v.write(vmcs::TSC_OFFSET, 0x1111111122222222) == VmcsAccess::Ok);
    CHECK(v.read(vmcs::TSC_OFFSET | 1) == 0x11111111);
    REQUIRE(v.write(vmcs::TSC_OFFSET | 1, 0xAAAAAAAABBBBBBBB) == VmcsAccess::Ok);
    CHECK(v.read(vmcs::TSC_OFFSET) == 0xBBBBBBBB22222222);   // low half untouched
    REQUIRE(v.write(vmcs::TSC_OFFSET, 5) == VmcsAccess::Ok); // full write clears the high half
    CHECK(v.read(vmcs::TSC_OFFSET | 1) == 0);
}

TEST_CASE("read-only and unsupported fields are refused", "[vmx][store]") {
    VmcsStore v;
    v.set(vmcs::VM_EXIT_REASON, 10);
    CHECK(v.write(vmcs::VM_EXIT_REASON, 1) == VmcsAccess::ReadOnlyField);
    CHECK(v.read(vmcs::VM_EXIT_REASON) == 10);
    CHECK(v.write(vmcs::GUEST_PHYSICAL_ADDRESS | 1, 1) == VmcsAccess::ReadOnlyField);
    CHECK(v.write(0x0002, 1) == VmcsAccess::UnsupportedField); // posted-interrupt vector
    CHECK(v.write(vmcs::GUEST_RIP | 1, 1) == VmcsAccess::UnsupportedField);
    CHECK_FALSE(v.read(0x2808).has_value()); // GUEST_IA32_PERF_GLOBAL_CTRL: not supported
    CHECK_THROWS_AS(v.get(0x2808), std::out_of_range);
    CHECK_THROWS_AS(v.set(vmcs::TSC_OFFSET | 1, 0), std::out_of_range);
}

TEST_CASE("VMCLEAR's write-back keeps software's header and stores launch state and fields",
          "[vmx][store]") {
    Region region{};
    const uint32_t revision = 0x4856;
    std::memcpy(region.data(), &revision, 4);
    write_abort_indicator(region, 0);

    VmcsStore v;
    v.launch_state = LaunchState::Launched;
    REQUIRE(v.write(vmcs::GUEST_RIP, 0x401000) == VmcsAccess::Ok);
    REQUIRE(v.write(vmcs::VIRTUAL_PROCESSOR_ID, 7) == VmcsAccess::Ok);
    save_vmcs_region(v, region);

    const VmcsRegionHeader h = read_region_header(region);
    CHECK(h.revision_id == revision);
    CHECK_FALSE(h.shadow);
    CHECK(h.abort_indicator == 0);
    CHECK(dword(region, kRegionLaunchStateOffset) == 1);
    CHECK(dword(region, kRegionLayoutTagOffset) == kRegionLayoutTag);
    // Field i lives at kRegionFieldsOffset + 8 * i (docs/vmx-vmcs-layout.md).
    CHECK(qword(region, kRegionFieldsOffset + 8 * *dense_index(vmcs::GUEST_RIP)) == 0x401000);
    CHECK(qword(region, kRegionFieldsOffset + 8 * *dense_index(vmcs::VIRTUAL_PROCESSOR_ID)) == 7);

    const VmcsStore back = load_vmcs_region(region);
    CHECK(back == v);
}

TEST_CASE("the shadow indicator and abort indicator come from the header", "[vmx][store]") {
    Region region{};
    const uint32_t dword0 = 0x4856 | kShadowVmcsIndicator;
    std::memcpy(region.data(), &dword0, 4);
    write_abort_indicator(region, 3);
    const VmcsRegionHeader h = read_region_header(region);
    CHECK(h.revision_id == 0x4856);
    CHECK(h.shadow);
    CHECK(h.abort_indicator == 3);
}

TEST_CASE("a zeroed region loads as a clear VMCS with every field 0", "[vmx][store]") {
    Region region{};
    const VmcsStore v = load_vmcs_region(region);
    CHECK(v.launch_state == LaunchState::Clear);
    CHECK(v == VmcsStore{});
}

TEST_CASE("without VMCLEAR the cached VMCS is not in memory", "[vmx][store]") {
    Region region{};
    VmcsStore cached = load_vmcs_region(region);                      // VMPTRLD
    REQUIRE(cached.write(vmcs::GUEST_RSP, 0xBEEF) == VmcsAccess::Ok); // VMWRITE hits the cache
    // Another processor (or a VMPTRLD after moving the region) reads stale memory...
    CHECK(load_vmcs_region(region).read(vmcs::GUEST_RSP) == 0);
    // ...until VMCLEAR writes the cache back.
    save_vmcs_region(cached, region);
    CHECK(load_vmcs_region(region).read(vmcs::GUEST_RSP) == 0xBEEF);
}

TEST_CASE("VMCLEAR marks a launched VMCS in memory clear", "[vmx][store]") {
    Region region{};
    VmcsStore v;
    v.launch_state = LaunchState::Launched;
    REQUIRE(v.write(vmcs::GUEST_RIP, 0x1234) == VmcsAccess::Ok);
    save_vmcs_region(v, region);
    REQUIRE(load_vmcs_region(region).launch_state == LaunchState::Launched);
    write_launch_state(region, LaunchState::Clear);
    const VmcsStore back = load_vmcs_region(region);
    CHECK(back.launch_state == LaunchState::Clear);
    CHECK(back.read(vmcs::GUEST_RIP) == 0x1234); // the data stays
}
