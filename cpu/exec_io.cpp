// Port I/O: IN and OUT with an immediate or DX port (INS/OUTS are in exec_string.cpp).
// The permission check (CPL vs IOPL, then the TSS I/O bitmap) is the system layer's.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2A, IN; Vol. 2B, OUT; Vol. 1, "I/O Privilege
// Level" and "I/O Permission Bit Map".
#include "cpu/exec_context.hpp"
#include "cpu/opcode_row.hpp"
#include "cpu/vmx/nonroot_exits.hpp"

namespace hvlab::cpu {

namespace {

// IN/OUT transfer 1, 2 or 4 bytes (REX.W does not widen them).
unsigned io_size(const DecodedInsn& d) { return d.opsize == 8 ? 4 : d.opsize; }

template <bool DxPort> uint16_t io_port(const Exec& x, const DecodedInsn& d) {
    return DxPort ? static_cast<uint16_t>(x.s.gpr[RDX]) : static_cast<uint16_t>(d.imm & 0xFF);
}

template <bool DxPort> Fault exec_in(Exec& x, const DecodedInsn& d) {
    const unsigned n = io_size(d);
    const uint16_t port = io_port<DxPort>(x, d);
    auto c = x.sys();
    if (Fault f = check_io_permission(c, port, n)) return f;
    if (x.s.vmx.non_root) if (Fault f = vmx::exit_on_io(x, d, port, n, true, false, !DxPort)) return f;
    set_reg(x, RAX, n, x.env.port_in(port, n), false);
    x.note_io_access(port, n);
    x.request_event_poll(); // the device may have raised an interrupt or asked to stop
    return kNoFault;
}

template <bool DxPort> Fault exec_out(Exec& x, const DecodedInsn& d) {
    const unsigned n = io_size(d);
    const uint16_t port = io_port<DxPort>(x, d);
    auto c = x.sys();
    if (Fault f = check_io_permission(c, port, n)) return f;
    if (x.s.vmx.non_root) if (Fault f = vmx::exit_on_io(x, d, port, n, false, false, !DxPort)) return f;
    x.env.port_out(port, n, static_cast<uint32_t>(get_reg(x, RAX, n, false)));
    x.note_io_access(port, n);
    x.request_event_poll();
    return kNoFault;
}

const OpcodeRow kRows[] = {
    // map       op    pfx       ext       mnemonic operands flags handler
    {Map::One, 0xE4, Pfx::Any, kAnyExt, "in", "AL,Ib", 0, exec_in<false>},
    {Map::One, 0xE5, Pfx::Any, kAnyExt, "in", "eAX,Ib", 0, exec_in<false>},
    {Map::One, 0xEC, Pfx::Any, kAnyExt, "in", "AL,DX", 0, exec_in<true>},
    {Map::One, 0xED, Pfx::Any, kAnyExt, "in", "eAX,DX", 0, exec_in<true>},
    {Map::One, 0xE6, Pfx::Any, kAnyExt, "out", "Ib,AL", 0, exec_out<false>},
    {Map::One, 0xE7, Pfx::Any, kAnyExt, "out", "Ib,eAX", 0, exec_out<false>},
    {Map::One, 0xEE, Pfx::Any, kAnyExt, "out", "DX,AL", 0, exec_out<true>},
    {Map::One, 0xEF, Pfx::Any, kAnyExt, "out", "DX,eAX", 0, exec_out<true>},
};

} // namespace

std::span<const OpcodeRow> io_rows() { return kRows; }

} // namespace hvlab::cpu
