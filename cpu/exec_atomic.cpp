// Atomic read-modify-write instructions: CMPXCHG, CMPXCHG8B/CMPXCHG16B, XADD. hvlab runs one
// processor per machine, so LOCK only changes what is legal to decode (decoder.cpp).
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2A, CMPXCHG, CMPXCHG8B/CMPXCHG16B; Vol. 2B, XADD.
#include "cpu/exec_context.hpp"
#include "cpu/opcode_row.hpp"

namespace hvlab::cpu {

namespace {

// CMPXCHG: flags as CMP accumulator, destination. Equal: destination = source. Not equal: the
// accumulator gets the destination, and the destination is written back unchanged (so a 32-bit
// register destination is zero-extended either way) (SDM Vol. 2A, CMPXCHG, "Operation").
Fault exec_cmpxchg(Exec& x, const DecodedInsn& d) {
    const unsigned size = d.opsize;
    const uint64_t acc = get_reg(x, RAX, size, false);
    const uint64_t src = get_reg(x, d, d.reg, size);
    uint64_t dst;
    const uint64_t ea = d.mem() ? effective_address(x, d) : 0;
    if (d.mod == 3) {
        dst = get_reg(x, d, d.rm, size);
    } else if (Fault f = read_mem_rmw(x, d.seg, ea, size, dst)) {
        return f;
    }
    const bool equal = acc == dst;
    if (d.mod != 3) {
        if (Fault f = write_mem(x, d.seg, ea, size, equal ? src : dst)) return f;
    }
    if (!equal) set_reg(x, RAX, size, dst, false);
    if (d.mod == 3) set_reg(x, d, d.rm, size, equal ? src : dst);
    set_flags_lazy(x, LazyOp::Sub, acc, dst, (acc - dst) & size_mask(size), size);
    return kNoFault;
}

// CMPXCHG8B m64 / CMPXCHG16B m128 (REX.W): only ZF changes. CMPXCHG16B needs a 16-byte aligned
// operand, else #GP(0).
Fault exec_cmpxchg8b(Exec& x, const DecodedInsn& d) {
    const bool wide = d.opsize == 8;
    const unsigned half = wide ? 8 : 4;
    const uint64_t ea = effective_address(x, d);
    if (wide && (ea & 15)) return fault_ec(GP, 0);
    uint64_t old[2] = {0, 0};
    if (Fault f = read_mem_rmw(x, d.seg, ea, old, 2 * half)) return f;
    if (!wide) old[1] = old[0] >> 32, old[0] &= 0xFFFFFFFF;
    const bool equal = old[0] == get_reg(x, RAX, half, false) && old[1] == get_reg(x, RDX, half, false);
    uint64_t out[2] = {old[0], old[1]};
    if (equal) out[0] = get_reg(x, RBX, half, false), out[1] = get_reg(x, RCX, half, false);
    if (!wide) out[0] |= out[1] << 32;
    if (Fault f = write_mem_bytes(x, d.seg, ea, out, 2 * half)) return f;
    if (!equal) {
        set_reg(x, RAX, half, old[0], false);
        set_reg(x, RDX, half, old[1], false);
    }
    uint64_t& f = flags(x);
    f = (f & ~rflags::ZF) | (equal ? rflags::ZF : 0);
    return kNoFault;
}

// XADD: destination = sum, source register = old destination; flags as ADD.
Fault exec_xadd(Exec& x, const DecodedInsn& d) {
    const unsigned size = d.opsize;
    const uint64_t src = get_reg(x, d, d.reg, size);
    uint64_t dst;
    const uint64_t ea = d.mem() ? effective_address(x, d) : 0;
    if (d.mod == 3) {
        dst = get_reg(x, d, d.rm, size);
    } else if (Fault f = read_mem_rmw(x, d.seg, ea, size, dst)) {
        return f;
    }
    const uint64_t sum = (src + dst) & size_mask(size);
    if (d.mod != 3) {
        if (Fault f = write_mem(x, d.seg, ea, size, sum)) return f;
        set_reg(x, d, d.reg, size, dst);
    } else {
        set_reg(x, d, d.reg, size, dst);
        set_reg(x, d, d.rm, size, sum);
    }
    set_flags_lazy(x, LazyOp::Add, dst, src, sum, size);
    return kNoFault;
}

constexpr uint32_t L = rowf::Lock;

const OpcodeRow kRows[] = {
    // map       op    pfx       ext       mnemonic operands flags handler
    {Map::Two, 0xB0, Pfx::Any, kAnyExt, "cmpxchg", "Eb,Gb", L, exec_cmpxchg},
    {Map::Two, 0xB1, Pfx::Any, kAnyExt, "cmpxchg", "Ev,Gv", L, exec_cmpxchg},
    {Map::Two, 0xC7, Pfx::Any, slash_mem(1), "cmpxchg8b", "Mq", L, exec_cmpxchg8b},
    {Map::Two, 0xC0, Pfx::Any, kAnyExt, "xadd", "Eb,Gb", L, exec_xadd},
    {Map::Two, 0xC1, Pfx::Any, kAnyExt, "xadd", "Ev,Gv", L, exec_xadd},
};

} // namespace

std::span<const OpcodeRow> atomic_rows() { return kRows; }

} // namespace hvlab::cpu
