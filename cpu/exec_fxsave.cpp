// FXSAVE/FXRSTOR and their REX.W forms FXSAVE64/FXRSTOR64: the x87, MXCSR and XMM state to and
// from a 512-byte, 16-byte-aligned memory area.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2A, "FXSAVE—Save x87 FPU, MMX Technology, and
// SSE State" (layout tables for non-64-bit and 64-bit mode) and "FXRSTOR—Restore x87 FPU, MMX,
// XMM, and MXCSR State".
//
// The area (byte offsets):
//     0 FCW   2 FSW   4 abridged FTW (1 bit per physical register, 1 = not empty)   5 reserved
//     6 FOP (bits 10:0)
//     8 FPU IP: 32-bit offset at 8, CS selector at 12 (64 bits at 8 for FXSAVE64)
//    16 FPU DP: 32-bit offset at 16, DS selector at 20 (64 bits at 16 for FXSAVE64)
//    24 MXCSR   28 MXCSR_MASK
//    32 ST0..ST7 / MM0..MM7, 16 bytes each (80 bits used)
//   160 XMM0..XMM7 (non-64-bit mode) or XMM0..XMM15 (64-bit mode), 16 bytes each
//   416..463 reserved, 464..511 available to software: never written.
// FpuState::fip/fdp hold the 8-byte pointer fields as they appear here: for the 32-bit format
// the offset in bits 31:0 and the selector in bits 47:32.
//
// With CR4.OSFXSR=0 MXCSR, MXCSR_MASK and the XMM registers are neither saved nor restored (the
// SDM leaves this implementation dependent; QEMU and Bochs do the same).
#include "cpu/sse_helpers.hpp"

#include <array>

namespace hvlab::cpu {

namespace {

constexpr unsigned kAreaSize = 512;
constexpr unsigned kOffFcw = 0, kOffFsw = 2, kOffFtw = 4, kOffFop = 6, kOffFip = 8, kOffFdp = 16,
                   kOffMxcsr = 24, kOffMxcsrMask = 28, kOffSt = 32, kOffXmm = 160;
constexpr uint64_t kPointer32 = 0x0000FFFFFFFFFFFFull; // offset + selector of the 32-bit format
constexpr uint16_t kFopMask = 0x07FF;

using Area = std::array<uint8_t, kAreaSize>;

template <class T> void put(Area& a, unsigned off, T v) {
    std::memcpy(a.data() + off, &v, sizeof v);
}
template <class T> T get(const Area& a, unsigned off) {
    T v;
    std::memcpy(&v, a.data() + off, sizeof v);
    return v;
}

// FXSAVE/FXRSTOR: #NM if CR0.TS or CR0.EM; no pending-x87-exception check (SDM Vol. 2A, FXSAVE,
// "Protected Mode Exceptions").
Fault fx_gate(const Exec& x) {
    if (x.s.cr0 & (cr0::EM | cr0::TS)) return fault(NM);
    return kNoFault;
}

// The linear address of the area after the segment check of all 512 bytes and the 16-byte
// alignment check (#GP(0), or #SS(0) for a bad stack-segment reference first).
Fault area_linear(Exec& x, const DecodedInsn& d, AccessKind kind, uint64_t& lin) {
    if (Fault f = segment_linear(x, d.seg, effective_address(x, d), kAreaSize, kind, lin)) return f;
    if (lin & 15) return fault_ec(GP, 0);
    return kNoFault;
}

unsigned xmm_count(const Exec& x) {
    return x.is64 ? 16 : 8;
}
bool sse_state_enabled(const Exec& x) {
    return x.s.cr4 & cr4::OSFXSR;
}

// Fills the architected fields; returns how many leading bytes of the area are written.
unsigned build_area(const Exec& x, bool rex_w, Area& a) {
    const FpuState& f = x.s.fpu;
    a.fill(0);
    put<uint16_t>(a, kOffFcw, f.fcw);
    put<uint16_t>(a, kOffFsw, f.fsw);
    put<uint8_t>(a, kOffFtw, static_cast<uint8_t>(f.ftw));
    put<uint16_t>(a, kOffFop, f.fop & kFopMask);
    put<uint64_t>(a, kOffFip, rex_w ? f.fip : f.fip & kPointer32);
    put<uint64_t>(a, kOffFdp, rex_w ? f.fdp : f.fdp & kPointer32);
    for (unsigned i = 0; i < 8; ++i)
        std::memcpy(a.data() + kOffSt + 16 * i, f.st[i].data(), 10);
    if (!sse_state_enabled(x)) return kOffXmm;
    put<uint32_t>(a, kOffMxcsr, f.mxcsr);
    put<uint32_t>(a, kOffMxcsrMask, kMxcsrMask);
    for (unsigned i = 0; i < xmm_count(x); ++i)
        put<Xmm>(a, kOffXmm + 16 * i, x.s.xmm[i]);
    return kOffXmm + 16 * xmm_count(x);
}

Fault exec_fxsave(Exec& x, const DecodedInsn& d) {
    if (Fault f = fx_gate(x)) return f;
    uint64_t lin;
    if (Fault f = area_linear(x, d, AccessKind::Write, lin)) return f;
    // Every page of the area must be writable before any byte changes.
    if (Fault f = probe_write(x, d.seg, effective_address(x, d), kAreaSize)) return f;
    Area a;
    const unsigned n = build_area(x, d.rex & 8, a);
    if (sse_state_enabled(x)) return write_linear(x, lin, a.data(), n);
    // MXCSR and MXCSR_MASK (bytes 24..31) are left as they are, like the XMM area.
    if (Fault f = write_linear(x, lin, a.data(), kOffMxcsr)) return f;
    return write_linear(x, lin + kOffSt, a.data() + kOffSt, n - kOffSt);
}

// FXRSTOR: MXCSR with a bit outside MXCSR_MASK is #GP(0) and nothing is loaded. FCW reserved
// bits are normalised and FSW.ES/B recomputed as for FLDCW.
Fault exec_fxrstor(Exec& x, const DecodedInsn& d) {
    if (Fault f = fx_gate(x)) return f;
    uint64_t lin;
    if (Fault f = area_linear(x, d, AccessKind::Read, lin)) return f;
    Area a;
    if (Fault f = read_linear(x, lin, a.data(), kAreaSize)) return f;
    const bool sse = sse_state_enabled(x);
    const uint32_t mxcsr = get<uint32_t>(a, kOffMxcsr);
    if (sse && (mxcsr & ~kMxcsrMask)) return fault_ec(GP, 0);
    const bool rex_w = d.rex & 8;
    FpuState& f = x.s.fpu;
    f.fcw = canonical_fcw(get<uint16_t>(a, kOffFcw));
    f.fsw = summarize_fsw(get<uint16_t>(a, kOffFsw), f.fcw);
    f.ftw = get<uint8_t>(a, kOffFtw);
    f.fop = get<uint16_t>(a, kOffFop) & kFopMask;
    f.fip = get<uint64_t>(a, kOffFip) & (rex_w ? ~uint64_t{0} : kPointer32);
    f.fdp = get<uint64_t>(a, kOffFdp) & (rex_w ? ~uint64_t{0} : kPointer32);
    for (unsigned i = 0; i < 8; ++i) {
        f.st[i].fill(0);
        std::memcpy(f.st[i].data(), a.data() + kOffSt + 16 * i, 10);
    }
    if (!sse) return kNoFault;
    f.mxcsr = mxcsr;
    for (unsigned i = 0; i < xmm_count(x); ++i)
        x.s.xmm[i] = get<Xmm>(a, kOffXmm + 16 * i);
    return kNoFault;
}

const OpcodeRow kRows[] = {
    // map       op    pfx      ext           mnemonic   operands flags handler
    {Map::Two, 0xAE, Pfx::NP, slash_mem(0), "fxsave", "M", 0, exec_fxsave},
    {Map::Two, 0xAE, Pfx::NP, slash_mem(1), "fxrstor", "M", 0, exec_fxrstor},
};

} // namespace

std::span<const OpcodeRow> fxsave_rows() {
    return kRows;
}

} // namespace hvlab::cpu
