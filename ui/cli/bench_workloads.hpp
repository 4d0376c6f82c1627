// The guest programs of `hvlab bench`: small 64-bit loops, hand-assembled, each ending in HLT
// after a known number of instructions. A workload is one row of the table; a later "vmexit"
// workload (a guest that exits to the teaching hypervisor in a loop) is one more row.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hvlab::ui {

// Guest-physical layout shared by every workload (identity-mapped with 2 MiB pages).
namespace bench_layout {
inline constexpr uint64_t kRamBytes = 64ull << 20;
inline constexpr uint64_t kGdt = 0x1000, kPml4 = 0x2000; // PDPT 0x3000, PD 0x4000
inline constexpr uint64_t kCode = 0x1'0000, kStackTop = 0x9'0000;
inline constexpr uint64_t kData = 0x10'0000;
inline constexpr uint64_t kWalkBase = 16ull << 20, kWalkBytes = 8ull << 20;
inline constexpr uint64_t kCopySrc = 32ull << 20, kCopyDst = 40ull << 20;
// The vmexit workload: VMXON region, VMCS, their pointers, the guest's stack.
inline constexpr uint64_t kVmxon = 0x20'0000, kVmcs = 0x20'1000, kVmxPointers = 0x20'2000;
inline constexpr uint64_t kGuestStackTop = 0x8'0000, kTss = 0x9'1000;
} // namespace bench_layout

struct BenchProgram {
    std::vector<uint8_t> code;  // loaded at bench_layout::kCode; starts executing there
    uint64_t hlt_address = 0;   // the final HLT: both emulators stop before executing it
    uint64_t instructions = 0;  // instructions executed before the HLT (REP: per iteration)
    uint64_t touched_bytes = 0; // guest RAM the program touches (for the memory figure)
    uint64_t vm_exits = 0;      // VM exits the program causes (the vmexit workload; hvlab only)
};

struct BenchWorkload {
    const char* name;
    const char* description;
    BenchProgram (*build)(uint64_t target_insns);
};

const std::vector<BenchWorkload>& bench_workloads();

} // namespace hvlab::ui
