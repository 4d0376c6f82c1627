// System-instruction front ends: privilege and operand checks here, the architectural effect
// through cpu/system.hpp. MOV CR/DR, LGDT/LIDT/SGDT/SIDT, LLDT/LTR/SLDT/STR, LAR/LSL/VERR/VERW,
// CLTS/LMSW/SMSW, INVLPG, INVPCID, INVD/WBINVD, RDMSR/WRMSR, SWAPGS, SYSCALL/SYSRET/SYSENTER/
// SYSEXIT, CLAC/STAC, XGETBV/XSETBV, RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2A-2D, the instruction pages of each; Vol. 3A,
// "Privileged Instructions".
#include "cpu/exec_context.hpp"
#include "cpu/opcode_row.hpp"
#include "cpu/vmx/nonroot_events.hpp"
#include "cpu/vmx/nonroot_exits.hpp"

namespace hvlab::cpu {

namespace {

// Privileged instructions raise #GP(0) unless CPL = 0 (SDM Vol. 3A, "Privileged Instructions").
bool cpl0(const Exec& x) { return x.s.cpl() == 0; }

// CR4.UMIP makes SGDT/SIDT/SLDT/SMSW/STR privileged (SDM Vol. 3A, "User-Mode Instruction
// Prevention").
bool umip_blocks(const Exec& x) { return (x.s.cr4 & cr4::UMIP) && x.s.cpl() > 0; }

// CPUID.(EAX=7,ECX=0):EBX feature bits.
bool has_leaf7_ebx(const Exec& x, unsigned bit) { return (cpuid(x.s, 7, 0).ebx >> bit) & 1; }

// MOV CR and MOV DR operate on 64-bit registers in 64-bit mode, else 32-bit.
unsigned cr_size(const Exec& x) { return x.is64 ? 8 : 4; }

Fault exec_mov_from_cr(Exec& x, const DecodedInsn& d) {
    if (!cpl0(x)) return fault_ec(GP, 0);
    uint64_t v;
    switch (d.reg) {
    case 0: v = x.s.cr0; break;
    case 2: v = x.s.cr2; break;
    case 3: v = x.s.cr3; break;
    case 4: v = x.s.cr4; break;
    case 8:
        if (!x.is64) return fault(UD);
        // CR8 reads the local APIC's TPR[7:4], also after MMIO writes of TPR (SDM Vol. 3A,
        // "Interaction of Task Priorities between CR8 and APIC").
        if (!x.env.cr8_read(v)) v = x.s.cr8;
        break;
    default: return fault(UD);
    }
    if (x.s.vmx.non_root) if (Fault f = vmx::mov_from_cr(x, d, d.reg, v)) return f;
    set_reg(x, d, d.rm, cr_size(x), v);
    return kNoFault;
}

Fault exec_mov_to_cr(Exec& x, const DecodedInsn& d) {
    if (d.reg != 0 && d.reg != 2 && d.reg != 3 && d.reg != 4 && d.reg != 8) return fault(UD);
    if (d.reg == 8 && !x.is64) return fault(UD);
    if (!cpl0(x)) return fault_ec(GP, 0);
    uint64_t v = get_reg(x, d, d.rm, cr_size(x));
    if (x.s.vmx.non_root) if (Fault f = vmx::mov_to_cr(x, d, d.reg, v)) return f;
    auto c = x.sys();
    x.after_system_op();
    switch (d.reg) {
    case 0: return write_cr0(c, v);
    case 2: x.s.cr2 = v; return kNoFault;
    case 3: return write_cr3(c, v);
    case 4: return write_cr4(c, v);
    default: return write_cr8(c, v);
    }
}

// DR4/DR5 alias DR6/DR7 unless CR4.DE, where they are #UD (SDM Vol. 3B, "Debug Registers").
Fault debug_register_index(const Exec& x, unsigned reg, unsigned& idx) {
    if (reg > 7) return fault(UD);
    idx = reg;
    if (reg == 4 || reg == 5) {
        if (x.s.cr4 & cr4::DE) return fault(UD);
        idx = reg + 2;
    }
    return kNoFault;
}

// DR7.GD: any MOV DR is a fault-class #DB with DR6.BD set, and the #DB clears GD so the
// handler can use the debug registers (SDM Vol. 3B, "General-Detect Exception Condition").
// A #DB that the exception bitmap turns into a VM exit reports BD in the qualification and
// leaves DR6 and DR7 alone (SDM Vol. 3C, "Exit Qualification for Debug Exceptions").
Fault general_detect(Exec& x) {
    if (x.s.vmx.non_root && vmx::event_causes_exit(x.s, EventKind::Exception, DB, 0)) {
        vmx::request_event_exit(x.s, EventKind::Exception, DB, false, 0, dr6::BD, 0);
        return vm_exit_fault();
    }
    x.s.dr[6] |= dr6::BD;
    x.s.dr[7] &= ~dr7::GD;
    return fault(DB);
}

// In VMX non-root operation "MOV-DR exiting" takes priority over the CPL #GP and the CR4.DE
// #UD for DR4/DR5 (SDM Vol. 3C, "Instructions That Cause VM Exits Conditionally", MOV DR);
// only the #UD for a register beyond DR7 (REX.R) comes first.
Fault exec_mov_from_dr(Exec& x, const DecodedInsn& d) {
    if (d.reg > 7) return fault(UD);
    if (x.s.vmx.non_root) if (Fault f = vmx::exit_on_mov_dr(x, d, true)) return f;
    unsigned idx;
    if (Fault f = debug_register_index(x, d.reg, idx)) return f;
    if (!cpl0(x)) return fault_ec(GP, 0);
    if (x.s.dr[7] & dr7::GD) return general_detect(x);
    set_reg(x, d, d.rm, cr_size(x), x.s.dr[idx]);
    return kNoFault;
}

// DR6/DR7: the upper 32 bits must be zero in 64-bit mode (#GP(0)); the fixed bits read back
// as the SDM lists (DR6 bits 31:16 and 11:4 set, DR7 bit 10 set).
Fault exec_mov_to_dr(Exec& x, const DecodedInsn& d) {
    if (d.reg > 7) return fault(UD);
    if (x.s.vmx.non_root) if (Fault f = vmx::exit_on_mov_dr(x, d, false)) return f;
    unsigned idx;
    if (Fault f = debug_register_index(x, d.reg, idx)) return f;
    if (!cpl0(x)) return fault_ec(GP, 0);
    if (x.s.dr[7] & dr7::GD) return general_detect(x);
    uint64_t v = get_reg(x, d, d.rm, cr_size(x));
    if (idx >= 6 && (v >> 32)) return fault_ec(GP, 0);
    if (idx == 6) v = (v & 0x1E00Full) | 0xFFFF0FF0ull;
    if (idx == 7) v = (v & ~0xD800ull) | 0x400;
    x.s.dr[idx] = v;
    if (idx == 7) x.after_system_op(); // breakpoints armed or disarmed: re-derive debug_armed
    return kNoFault;
}

// LGDT/LIDT read limit then base: 8 bytes of base in 64-bit mode, else 4 (24 bits used with a
// 16-bit operand size). A non-canonical 64-bit base is #GP(0) (as Bochs checks).
template <bool Idt> Fault exec_lgdt(Exec& x, const DecodedInsn& d) {
    if (!cpl0(x)) return fault_ec(GP, 0);
    using DT = vmx::DescriptorTableInstruction;
    if (x.s.vmx.non_root) if (Fault f = vmx::exit_on_descriptor_table(x, d, Idt ? DT::Lidt : DT::Lgdt)) return f;
    const uint64_t ea = effective_address(x, d);
    uint64_t limit, base;
    if (Fault f = read_mem(x, d.seg, ea, 2, limit)) return f;
    if (Fault f = read_mem(x, d.seg, (ea + 2) & size_mask(d.addrsize), x.is64 ? 8 : 4, base))
        return f;
    if (x.is64 && !is_canonical48(base)) return fault_ec(GP, 0);
    if (!x.is64 && d.opsize == 2) base &= 0xFFFFFF;
    DescriptorTable& t = Idt ? x.s.idtr : x.s.gdtr;
    t.base = base;
    t.limit = static_cast<uint32_t>(limit);
    return kNoFault;
}

template <bool Idt> Fault exec_sgdt(Exec& x, const DecodedInsn& d) {
    if (umip_blocks(x)) return fault_ec(GP, 0);
    using DT = vmx::DescriptorTableInstruction;
    if (x.s.vmx.non_root) if (Fault f = vmx::exit_on_descriptor_table(x, d, Idt ? DT::Sidt : DT::Sgdt)) return f;
    const DescriptorTable& t = Idt ? x.s.idtr : x.s.gdtr;
    const uint64_t ea = effective_address(x, d);
    const unsigned bsize = x.is64 ? 8 : 4;
    if (Fault f = probe_write(x, d.seg, ea, 2 + bsize)) return f;
    if (Fault f = write_mem(x, d.seg, ea, 2, t.limit)) return f;
    return write_mem(x, d.seg, (ea + 2) & size_mask(d.addrsize), bsize, t.base);
}

// SMSW/SLDT/STR: a register destination takes the operand size, memory always 16 bits.
Fault store_selector_like(Exec& x, const DecodedInsn& d, uint64_t v) {
    if (d.mod == 3) {
        set_reg(x, d, d.rm, d.opsize, v);
        return kNoFault;
    }
    return write_mem(x, d.seg, effective_address(x, d), 2, v & 0xFFFF);
}

Fault exec_smsw(Exec& x, const DecodedInsn& d) {
    if (umip_blocks(x)) return fault_ec(GP, 0);
    uint64_t v = x.s.cr0;
    if (x.s.vmx.non_root) if (Fault f = vmx::mov_from_cr(x, d, 0, v)) return f; // read shadow
    return store_selector_like(x, d, v);
}

// LMSW: loads CR0.PE/MP/EM/TS; it can set PE but never clear it (SDM Vol. 2A, LMSW).
Fault exec_lmsw(Exec& x, const DecodedInsn& d) {
    if (!cpl0(x)) return fault_ec(GP, 0);
    uint64_t v;
    if (Fault f = read_rm(x, d, 2, v)) return f;
    uint64_t cr0 = (x.s.cr0 & ~uint64_t{0xE}) | (v & 0xF) | (x.s.cr0 & cr0::PE);
    if (x.s.vmx.non_root) if (Fault f = vmx::lmsw(x, d, static_cast<uint16_t>(v), cr0)) return f;
    auto c = x.sys();
    x.after_system_op();
    return write_cr0(c, cr0);
}

Fault exec_clts(Exec& x, const DecodedInsn& d) {
    if (!cpl0(x)) return fault_ec(GP, 0);
    uint64_t cr0 = x.s.cr0 & ~cr0::TS;
    if (x.s.vmx.non_root) if (Fault f = vmx::clts(x, d, cr0)) return f;
    auto c = x.sys();
    x.after_system_op();
    return write_cr0(c, cr0);
}

// INVLPG m: the linear address of the operand (no access, no limit check).
Fault exec_invlpg(Exec& x, const DecodedInsn& d) {
    if (!cpl0(x)) return fault_ec(GP, 0);
    const uint64_t ea = effective_address(x, d);
    const Segment& sg = x.s.seg[d.seg];
    const uint64_t lin = x.is64 ? ea + (d.seg >= FS ? sg.base : 0) : (sg.base + ea) & 0xFFFFFFFF;
    if (x.s.vmx.non_root) if (Fault f = vmx::exit_on_invlpg(x, d, lin)) return f;
    x.materialize_flags();
    x.mem.invlpg(x.s, Gva(lin));
    x.after_system_op();
    return kNoFault;
}

// INVPCID r, m128: type 0..3 in the register, {PCID, linear address} in memory
// (SDM Vol. 2A, INVPCID).
Fault exec_invpcid(Exec& x, const DecodedInsn& d) {
    if (!has_leaf7_ebx(x, 10)) return fault(UD);
    if (x.s.vmx.non_root) if (Fault f = vmx::invpcid_undefined(x)) return f;
    if (!cpl0(x)) return fault_ec(GP, 0);
    if (x.s.vmx.non_root) if (Fault f = vmx::exit_on_invpcid(x, d)) return f;
    const uint64_t type = get_reg(x, d, d.reg, x.is64 ? 8 : 4);
    uint64_t desc[2];
    if (Fault f = read_mem_bytes(x, d.seg, effective_address(x, d), desc, 16)) return f;
    // The operand checks (including "types 0 and 1 need PCID 0 while CR4.PCIDE = 0", SDM
    // Vol. 2A, "INVPCID") and the invalidation are the system layer's invpcid().
    auto c = x.sys();
    x.after_system_op();
    return invpcid(c, type, desc[0], desc[1]);
}

// RDPMC: #GP(0) at CPL > 0 without CR4.PCE; the CPU model has no performance counters
// (CPUID leaf 0AH), so every counter index is invalid: #GP(0) (SDM Vol. 2B, RDPMC). In VMX
// non-root operation the privilege check comes before "RDPMC exiting", the index check after.
Fault exec_rdpmc(Exec& x, const DecodedInsn& d) {
    if (!cpl0(x) && !(x.s.cr4 & cr4::PCE)) return fault_ec(GP, 0);
    if (x.s.vmx.non_root) if (Fault f = vmx::exit_on_rdpmc(x, d)) return f;
    return fault_ec(GP, 0);
}

// INVD/WBINVD: no caches are modelled; only the privilege check remains.
Fault exec_invd(Exec& x, const DecodedInsn& d) {
    if (!cpl0(x)) return fault_ec(GP, 0);
    if (x.s.vmx.non_root) return vmx::exit_on_invd(x, d);
    return kNoFault;
}

Fault exec_wbinvd(Exec& x, const DecodedInsn& d) {
    if (!cpl0(x)) return fault_ec(GP, 0);
    if (x.s.vmx.non_root) return vmx::exit_on_wbinvd(x, d);
    return kNoFault;
}

using LT = vmx::LdtrTrInstruction;

Fault exec_sldt(Exec& x, const DecodedInsn& d) {
    if (umip_blocks(x)) return fault_ec(GP, 0);
    if (x.s.vmx.non_root) if (Fault f = vmx::exit_on_ldtr_tr(x, d, LT::Sldt)) return f;
    return store_selector_like(x, d, x.s.ldtr.selector);
}

Fault exec_str(Exec& x, const DecodedInsn& d) {
    if (umip_blocks(x)) return fault_ec(GP, 0);
    if (x.s.vmx.non_root) if (Fault f = vmx::exit_on_ldtr_tr(x, d, LT::Str)) return f;
    return store_selector_like(x, d, x.s.tr.selector);
}

template <bool Tr> Fault exec_lldt(Exec& x, const DecodedInsn& d) {
    if (!cpl0(x)) return fault_ec(GP, 0);
    if (x.s.vmx.non_root) if (Fault f = vmx::exit_on_ldtr_tr(x, d, Tr ? LT::Ltr : LT::Lldt)) return f;
    uint64_t sel;
    if (Fault f = read_rm(x, d, 2, sel)) return f;
    auto c = x.sys();
    x.after_system_op();
    return Tr ? load_tr(c, static_cast<uint16_t>(sel)) : load_ldtr(c, static_cast<uint16_t>(sel));
}

void set_zf(Exec& x, bool z) {
    uint64_t& f = flags(x);
    f = (f & ~rflags::ZF) | (z ? rflags::ZF : 0);
}

// LAR/LSL: ZF=1 and the destination written only for a selector the instruction accepts.
template <bool Lsl> Fault exec_lar(Exec& x, const DecodedInsn& d) {
    uint64_t sel;
    if (Fault f = read_rm(x, d, 2, sel)) return f;
    auto c = x.sys();
    uint32_t v = 0;
    Fault fault;
    const bool ok = Lsl ? lsl(c, static_cast<uint16_t>(sel), v, &fault)
                        : lar(c, static_cast<uint16_t>(sel), v, &fault);
    if (fault) return fault; // a #PF reading the descriptor table (SDM Vol. 2A, LAR; LSL)
    if (ok) set_reg(x, d, d.reg, d.opsize, v);
    set_zf(x, ok);
    return kNoFault;
}

template <bool Write> Fault exec_verr(Exec& x, const DecodedInsn& d) {
    uint64_t sel;
    if (Fault f = read_rm(x, d, 2, sel)) return f;
    auto c = x.sys();
    Fault fault;
    const bool ok = Write ? verw(c, static_cast<uint16_t>(sel), &fault)
                          : verr(c, static_cast<uint16_t>(sel), &fault);
    if (fault) return fault; // a #PF reading the descriptor table (SDM Vol. 2B, VERR/VERW)
    set_zf(x, ok);
    return kNoFault;
}

Fault exec_rdmsr(Exec& x, const DecodedInsn& d) {
    if (!cpl0(x)) return fault_ec(GP, 0);
    if (x.s.vmx.non_root) if (Fault f = vmx::exit_on_msr(x, d, false)) return f;
    uint64_t v;
    auto c = x.sys();
    if (Fault f = read_msr(c, static_cast<uint32_t>(x.s.gpr[RCX]), v)) return f;
    x.s.gpr[RAX] = v & 0xFFFFFFFF;
    x.s.gpr[RDX] = v >> 32;
    return kNoFault;
}

Fault exec_wrmsr(Exec& x, const DecodedInsn& d) {
    if (!cpl0(x)) return fault_ec(GP, 0);
    if (x.s.vmx.non_root) if (Fault f = vmx::exit_on_msr(x, d, true)) return f;
    const uint64_t v = (x.s.gpr[RDX] << 32) | (x.s.gpr[RAX] & 0xFFFFFFFF);
    auto c = x.sys();
    x.after_system_op(); // EFER, APIC and paging-related MSRs change what the CPU does
    return write_msr(c, static_cast<uint32_t>(x.s.gpr[RCX]), v);
}

// SWAPGS: 64-bit mode only (#UD elsewhere), CPL 0.
Fault exec_swapgs(Exec& x, const DecodedInsn&) {
    if (!x.is64) return fault(UD);
    if (!cpl0(x)) return fault_ec(GP, 0);
    auto c = x.sys();
    x.after_system_op();
    return swapgs(c);
}

// SYSCALL/SYSRET: #UD outside 64-bit mode on Intel processors; the EFER.SCE and MSR rules are
// the system layer's.
Fault exec_syscall(Exec& x, const DecodedInsn&) {
    if (!x.is64) return fault(UD);
    auto c = x.sys();
    x.after_system_op();
    return syscall(c, x.s.rip);
}

// SYSRET: "IF (CS.L != 1) or (IA32_EFER.LMA != 1) or (IA32_EFER.SCE != 1) THEN #UD; FI; IF (CPL
// != 0) THEN #GP(0)" (SDM Vol. 2B, SYSRET): sysret() checks in that order.
Fault exec_sysret(Exec& x, const DecodedInsn& d) {
    if (!x.is64) return fault(UD);
    auto c = x.sys();
    x.after_system_op();
    return sysret(c, d.opsize == 8 ? 8 : 4);
}

Fault exec_sysenter(Exec& x, const DecodedInsn&) {
    auto c = x.sys();
    x.after_system_op();
    return sysenter(c);
}

Fault exec_sysexit(Exec& x, const DecodedInsn& d) {
    if (!cpl0(x)) return fault_ec(GP, 0);
    auto c = x.sys();
    x.after_system_op();
    return sysexit(c, d.opsize == 8 ? 8 : 4);
}

// CLAC/STAC: #UD without SMAP or at CPL > 0 (SDM Vol. 2A, CLAC).
template <bool Set> Fault exec_stac(Exec& x, const DecodedInsn&) {
    if (!has_leaf7_ebx(x, 20) || !cpl0(x)) return fault(UD);
    x.s.rflags = Set ? (x.s.rflags | rflags::AC) : (x.s.rflags & ~rflags::AC);
    x.after_system_op(); // SMAP decisions cached in the fast paths change
    return kNoFault;
}

// XGETBV: #UD unless CR4.OSXSAVE; only XCR0 exists here, other indexes are #GP(0).
Fault exec_xgetbv(Exec& x, const DecodedInsn&) {
    if (!(x.s.cr4 & cr4::OSXSAVE)) return fault(UD);
    if ((x.s.gpr[RCX] & 0xFFFFFFFF) != 0) return fault_ec(GP, 0);
    x.s.gpr[RAX] = x.s.xcr0 & 0xFFFFFFFF;
    x.s.gpr[RDX] = x.s.xcr0 >> 32;
    return kNoFault;
}

// XSETBV exits unconditionally in VMX non-root operation (reason 55), after its #UD and CPL
// checks. hvlab's CPU model has no XSAVE, so CR4.OSXSAVE cannot be set and the #UD always wins.
Fault exec_xsetbv(Exec& x, const DecodedInsn& d) {
    if (!(x.s.cr4 & cr4::OSXSAVE)) return fault(UD);
    if (!cpl0(x)) return fault_ec(GP, 0);
    if (x.s.vmx.non_root) return vmx::exit_on_xsetbv(x, d);
    const uint64_t v = (x.s.gpr[RDX] << 32) | (x.s.gpr[RAX] & 0xFFFFFFFF);
    auto c = x.sys();
    x.after_system_op();
    return write_xcr0(c, static_cast<uint32_t>(x.s.gpr[RCX]), v);
}

// RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE: 64-bit mode, CR4.FSGSBASE and the CPUID bit, else #UD;
// a non-canonical write is #GP(0) (SDM Vol. 2C, RDFSBASE/RDGSBASE, WRFSBASE/WRGSBASE).
Fault fsgsbase_allowed(const Exec& x) {
    if (!x.is64 || !(x.s.cr4 & cr4::FSGSBASE) || !has_leaf7_ebx(x, 0)) return fault(UD);
    return kNoFault;
}

template <SegReg S> Fault exec_rdfsbase(Exec& x, const DecodedInsn& d) {
    if (Fault f = fsgsbase_allowed(x)) return f;
    set_reg(x, d, d.rm, d.opsize, x.s.seg[S].base);
    return kNoFault;
}

template <SegReg S> Fault exec_wrfsbase(Exec& x, const DecodedInsn& d) {
    if (Fault f = fsgsbase_allowed(x)) return f;
    const uint64_t v = get_reg(x, d, d.rm, d.opsize);
    if (!is_canonical48(v)) return fault_ec(GP, 0);
    x.s.seg[S].base = v;
    return kNoFault;
}

constexpr uint32_t F64 = rowf::Force64, MR = rowf::ModReg, S32 = rowf::Size32;

const OpcodeRow kRows[] = {
    // map       op    pfx       ext               mnemonic operands flags handler
    {Map::Two, 0x20, Pfx::Any, kAnyExt, "mov", "Rd,Cd", MR | F64, exec_mov_from_cr},
    {Map::Two, 0x22, Pfx::Any, kAnyExt, "mov", "Cd,Rd", MR | F64, exec_mov_to_cr},
    {Map::Two, 0x21, Pfx::Any, kAnyExt, "mov", "Rd,Dd", MR | F64, exec_mov_from_dr},
    {Map::Two, 0x23, Pfx::Any, kAnyExt, "mov", "Dd,Rd", MR | F64, exec_mov_to_dr},
    {Map::Two, 0x01, Pfx::Any, slash_mem(0), "sgdt", "Ms", 0, exec_sgdt<false>},
    {Map::Two, 0x01, Pfx::Any, slash_mem(1), "sidt", "Ms", 0, exec_sgdt<true>},
    {Map::Two, 0x01, Pfx::Any, slash_mem(2), "lgdt", "Ms", 0, exec_lgdt<false>},
    {Map::Two, 0x01, Pfx::Any, slash_mem(3), "lidt", "Ms", 0, exec_lgdt<true>},
    {Map::Two, 0x01, Pfx::Any, slash(4), "smsw", "Ew", 0, exec_smsw},
    {Map::Two, 0x01, Pfx::Any, slash(6), "lmsw", "Ew", 0, exec_lmsw},
    {Map::Two, 0x01, Pfx::Any, slash_mem(7), "invlpg", "Mb", 0, exec_invlpg},
    {Map::Two, 0x01, Pfx::Any, modrm_is(0xCA), "clac", "", 0, exec_stac<false>},
    {Map::Two, 0x01, Pfx::Any, modrm_is(0xCB), "stac", "", 0, exec_stac<true>},
    {Map::Two, 0x01, Pfx::Any, modrm_is(0xD0), "xgetbv", "", 0, exec_xgetbv},
    {Map::Two, 0x01, Pfx::Any, modrm_is(0xD1), "xsetbv", "", 0, exec_xsetbv},
    {Map::Two, 0x01, Pfx::Any, modrm_is(0xF8), "swapgs", "", 0, exec_swapgs},
    {Map::Two, 0x00, Pfx::Any, slash(0), "sldt", "Ev", 0, exec_sldt},
    {Map::Two, 0x00, Pfx::Any, slash(1), "str", "Ev", 0, exec_str},
    {Map::Two, 0x00, Pfx::Any, slash(2), "lldt", "Ew", 0, exec_lldt<false>},
    {Map::Two, 0x00, Pfx::Any, slash(3), "ltr", "Ew", 0, exec_lldt<true>},
    {Map::Two, 0x00, Pfx::Any, slash(4), "verr", "Ew", 0, exec_verr<false>},
    {Map::Two, 0x00, Pfx::Any, slash(5), "verw", "Ew", 0, exec_verr<true>},
    {Map::Two, 0x02, Pfx::Any, kAnyExt, "lar", "Gv,Ew", 0, exec_lar<false>},
    {Map::Two, 0x03, Pfx::Any, kAnyExt, "lsl", "Gv,Ew", 0, exec_lar<true>},
    {Map::Two, 0x06, Pfx::Any, kAnyExt, "clts", "", 0, exec_clts},
    {Map::Two, 0x08, Pfx::Any, kAnyExt, "invd", "", 0, exec_invd},
    {Map::Two, 0x09, Pfx::Any, kAnyExt, "wbinvd", "", 0, exec_wbinvd},
    {Map::Two, 0x30, Pfx::Any, kAnyExt, "wrmsr", "", 0, exec_wrmsr},
    {Map::Two, 0x33, Pfx::Any, kAnyExt, "rdpmc", "", 0, exec_rdpmc},
    {Map::Two, 0x32, Pfx::Any, kAnyExt, "rdmsr", "", 0, exec_rdmsr},
    {Map::Two, 0x05, Pfx::Any, kAnyExt, "syscall", "", 0, exec_syscall},
    {Map::Two, 0x07, Pfx::Any, kAnyExt, "sysret", "", 0, exec_sysret},
    {Map::Two, 0x34, Pfx::Any, kAnyExt, "sysenter", "", 0, exec_sysenter},
    {Map::Two, 0x35, Pfx::Any, kAnyExt, "sysexit", "", 0, exec_sysexit},
    {Map::Three38, 0x82, Pfx::P66, kMemOnly, "invpcid", "Gy,Mdq", 0, exec_invpcid},
    {Map::Two, 0xAE, Pfx::F3, slash_reg(0), "rdfsbase", "Ry", S32, exec_rdfsbase<FS>},
    {Map::Two, 0xAE, Pfx::F3, slash_reg(1), "rdgsbase", "Ry", S32, exec_rdfsbase<GS>},
    {Map::Two, 0xAE, Pfx::F3, slash_reg(2), "wrfsbase", "Ry", S32, exec_wrfsbase<FS>},
    {Map::Two, 0xAE, Pfx::F3, slash_reg(3), "wrgsbase", "Ry", S32, exec_wrfsbase<GS>},
};

} // namespace

std::span<const OpcodeRow> system_rows() { return kRows; }

} // namespace hvlab::cpu
