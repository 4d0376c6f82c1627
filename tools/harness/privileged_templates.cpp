// Encodings and rules from the Intel SDM, Dec 2023 (Order 325462-081), Vol. 2 ("MOV—Move
// to/from Control Registers", "MOV—Move to/from Debug Registers", "LGDT/LIDT", "SGDT", "SIDT",
// "SMSW", "LMSW", "CLTS", "RDMSR", "WRMSR", "POPF/POPFD/POPFQ", "IN", "OUT", "INS", "OUTS")
// and Vol. 3A ("Control Registers", "Debug Registers", "IA32_PAT MSR").
#include "tools/harness/privileged_templates.hpp"

#include "common/bits.hpp"
#include "tools/harness/system_regs.hpp"

namespace hvlab::tools {

namespace {

constexpr uint32_t reg_bit(unsigned r) {
    return 1u << r;
}
constexpr uint32_t kNoPointerRegs = reg_bit(4); // never RSP

uint8_t modrm(unsigned mod, unsigned reg, unsigned rm) {
    return static_cast<uint8_t>((mod << 6) | ((reg & 7) << 3) | (rm & 7));
}

// REX for a register in ModRM.rm (B) and/or ModRM.reg (R), if the mode has REX and one is needed.
void rex(StreamBuilder& b, std::vector<uint8_t>& out, bool w, unsigned reg, unsigned rm) {
    if (!b.long64()) return;
    const uint8_t r = static_cast<uint8_t>(0x40 | (w ? 8 : 0) | ((reg >> 3) << 2) | (rm >> 3));
    if (r != 0x40) out.push_back(r);
}

// Sign-extends bit 47: a canonical address (SDM Vol. 1, "Canonical Addressing").
uint64_t canonical(uint64_t v) {
    return static_cast<uint64_t>(static_cast<int64_t>(v << 16) >> 16);
}

uint64_t mode_value(StreamBuilder& b, uint64_t v) {
    return b.long64() ? v : v & 0xFFFF'FFFF;
}

// opcode /digit with an absolute [disp32] operand (no base, no index), at `address`.
std::vector<uint8_t> absolute_operand(StreamBuilder& b, std::vector<uint8_t> head, unsigned digit,
                                      uint64_t address) {
    if (b.long64()) {
        head.push_back(modrm(0, digit, 4));
        head.push_back(0x25); // SIB: no base, no index
    } else {
        head.push_back(modrm(0, digit, 5));
    }
    for (uint8_t x : le_bytes(address, 4))
        head.push_back(x);
    return head;
}

// MOV r, CRn / MOV CRn, r / MOV r, DRn / MOV DRn, r (0F 20/22/21/23 /r, register only; the
// operand size is 64 bits in 64-bit mode whatever REX.W says).
void mov_special(StreamBuilder& b, uint8_t opcode, unsigned special, unsigned gpr) {
    std::vector<uint8_t> bytes;
    rex(b, bytes, false, special, gpr);
    bytes.push_back(0x0F);
    bytes.push_back(opcode);
    bytes.push_back(modrm(3, special, gpr));
    b.emit_privileged(bytes);
}

// xor r, imm32 (sign-extended, REX.W in 64-bit mode): flips the chosen control-register bits.
void xor_imm32(StreamBuilder& b, unsigned r, uint32_t imm) {
    std::vector<uint8_t> bytes;
    rex(b, bytes, true, 0, r);
    bytes.push_back(0x81);
    bytes.push_back(modrm(3, 6, r));
    for (uint8_t x : le_bytes(imm, 4))
        bytes.push_back(x);
    b.emit(bytes);
}

uint32_t random_subset(StreamBuilder& b, const uint32_t (&bits)[7], unsigned n) {
    uint32_t m = 0;
    for (unsigned i = 0; i < n; ++i)
        if (b.rng().chance(35)) m |= bits[i];
    return m;
}

void gen_read_cr(StreamBuilder& b, const InsnTemplate&) {
    static const unsigned kCrs[] = {0, 2, 3, 4};
    mov_special(b, 0x20, b.rng().pick(kCrs), b.pick_gpr(kNoPointerRegs));
}

// CR0: MP, EM, TS, NE, WP, AM, CD flipped (PE and PG stay; CD = 1 with NW = 0 is legal).
// CR4: TSD, DE, PGE, PCE, OSFXSR, OSXMMEXCPT flipped (PAE stays, IA-32e mode needs it).
// CR2: any value. CR3: 64-bit mode keeps the page-table base (only PWT/PCD change); with
// paging off (32-bit set-up) any value.
void gen_write_cr(StreamBuilder& b, const InsnTemplate&) {
    const unsigned r = b.pick_gpr(kNoPointerRegs);
    static const uint32_t kCr0Bits[7] = {1u << 1,  1u << 2,  1u << 3, 1u << 5,
                                         1u << 16, 1u << 18, 1u << 30};
    static const uint32_t kCr4Bits[7] = {1u << 2,  1u << 7, 1u << 8, 1u << 9,
                                         1u << 10, 1u << 3, 0}; // DE: #GP
    switch (b.rng().below(4)) {
    case 0:
        mov_special(b, 0x20, 0, r);
        xor_imm32(b, r, random_subset(b, kCr0Bits, 7));
        mov_special(b, 0x22, 0, r);
        break;
    case 1:
        b.set_reg(r, mode_value(b, b.value()));
        mov_special(b, 0x22, 2, r);
        break;
    case 2:
        if (b.long64()) {
            mov_special(b, 0x20, 3, r);
            xor_imm32(b, r, static_cast<uint32_t>(b.rng().below(4)) << 3); // PWT, PCD
        } else {
            b.set_reg(r, b.rng().next() & 0xFFFF'FFFF);
        }
        mov_special(b, 0x22, 3, r);
        break;
    default:
        mov_special(b, 0x20, 4, r);
        // DE (bit 3) only rarely: hvlab does not advertise it, so the write must be #GP(0).
        xor_imm32(b, r, random_subset(b, kCr4Bits, b.rng().chance(10) ? 6 : 5));
        mov_special(b, 0x22, 4, r);
        break;
    }
    if (b.rng().chance(50)) mov_special(b, 0x20, 0, b.pick_gpr(kNoPointerRegs));
}

// DR0-DR3: any address. DR6/DR7: bits 31:0 (64-bit mode: #GP for a 1 in bits 63:32, SDM
// "MOV—Move to/from Debug Registers"); DR7 without the enable bits L0-G3 and GD (no
// breakpoint or general-detect #DB: neither emulator is compared on debug exceptions).
// Reads cover DR4/DR5, which alias DR6/DR7 while CR4.DE = 0 and are #UD otherwise.
void gen_debug_registers(StreamBuilder& b, const InsnTemplate&) {
    const unsigned r = b.pick_gpr(kNoPointerRegs);
    static const unsigned kWritable[] = {0, 1, 2, 3, 6, 7};
    const unsigned dr = b.rng().pick(kWritable);
    uint64_t v = mode_value(b, b.value());
    if (dr == 6) v &= 0xFFFF'FFFF;
    if (dr == 6) v &= ~uint64_t{1u << 12};
    if (dr == 7) v = (v & 0xFFFF'0300) | 0x400;
    if (dr >= 6 && b.long64() && b.rng().chance(10)) v |= (b.rng().next() | 1) << 32;
    b.set_reg(r, v);
    mov_special(b, 0x23, dr, r);
    mov_special(b, 0x21, static_cast<unsigned>(b.rng().below(8)), b.pick_gpr(kNoPointerRegs));
}

// SMSW r16 (all modes), r32/r64 (64-bit mode, where the SDM defines them as CR0 zero-extended;
// in 32-bit mode the upper half of r32 is undefined), m16; LMSW r16/m16; CLTS.
void gen_msw(StreamBuilder& b, const InsnTemplate&) {
    const unsigned r = b.pick_gpr(kNoPointerRegs);
    std::vector<uint8_t> bytes;
    bytes.reserve(16); // also keeps GCC 12's -Wstringop-overflow from a false positive
    switch (b.rng().below(6)) {
    case 0: // smsw r16
        bytes.push_back(0x66);
        rex(b, bytes, false, 0, r);
        bytes.insert(bytes.end(), {0x0F, 0x01, modrm(3, 4, r)});
        break;
    case 1: // smsw r32 / r64 (64-bit mode), else r16
        if (!b.long64()) bytes.push_back(0x66);
        rex(b, bytes, b.rng().chance(50), 0, r);
        bytes.insert(bytes.end(), {0x0F, 0x01, modrm(3, 4, r)});
        break;
    case 2: // smsw m16
        bytes = absolute_operand(b, {0x0F, 0x01}, 4, b.data_address(2, 1));
        break;
    case 3: // lmsw r16: PE, MP, EM, TS from the low bits (PE cannot be cleared)
        b.set_reg(r, b.rng().next() & 0xFFFF);
        rex(b, bytes, false, 0, r);
        bytes.insert(bytes.end(), {0x0F, 0x01, modrm(3, 6, r)});
        break;
    case 4: // lmsw m16
        bytes = absolute_operand(b, {0x0F, 0x01}, 6, b.data_address(2, 1));
        break;
    default: // clts
        bytes = {0x0F, 0x06};
        break;
    }
    b.emit_privileged(bytes);
}

// SxDT [m1]; LxDT [m2]; SxDT [m3]; LxDT [m1]: the register is loaded from random memory and
// stored back, then restored, so that hvlab's exception delivery (through its own GDT and
// IDT, which Unicorn does not have) works again for the rest of the stream. In 64-bit mode
// the loaded base is made canonical first. 66h in 32-bit mode loads a 24-bit base.
void gen_descriptor_tables(StreamBuilder& b, const InsnTemplate&) {
    const bool idt = b.rng().chance(50);
    const unsigned store = idt ? 1 : 0, load = idt ? 3 : 2;
    const uint64_t m1 = b.data_address(10, 1), m2 = b.data_address(10, 1),
                   m3 = b.data_address(10, 1);
    if (b.long64()) {
        const unsigned r = b.pick_gpr(kNoPointerRegs);
        b.set_reg(r, canonical(b.value()));
        std::vector<uint8_t> head;
        rex(b, head, true, r, 0);
        head.push_back(0x89); // mov [m2 + 2], r64
        b.emit(absolute_operand(b, head, r & 7, m2 + 2));
    }
    b.emit_privileged(absolute_operand(b, {0x0F, 0x01}, store, m1));
    std::vector<uint8_t> head;
    if (!b.long64() && b.rng().chance(20)) head.push_back(0x66);
    head.insert(head.end(), {0x0F, 0x01});
    b.emit_privileged(absolute_operand(b, head, load, m2));
    b.emit_privileged(absolute_operand(b, {0x0F, 0x01}, store, m3));
    b.emit_privileged(absolute_operand(b, {0x0F, 0x01}, load, m1));
}

// A value that hvlab's and Unicorn's WRMSR both accept for MSR `index` (see system_regs.hpp
// for the list); the reserved-bit #GP rules are Unicorn gaps, not exercised here.
uint64_t msr_value(StreamBuilder& b, uint32_t index) {
    Rng& rng = b.rng();
    switch (index) {
    case 0xC000'0080: { // EFER: SCE; LME and LMA stay (LMA is read-only)
        // The current value: Unicorn 2.0.1 drops SCE and NXE writes (system_rules.cpp), so
        // only RDMSR and the unchanged write are compared.
        (void)rng;
        return b.long64() ? (1u << 8) | (1u << 10) : 0;
    }
    case 0xC000'0081: return rng.next(); // STAR: any
    case 0xC000'0082:
    case 0xC000'0083:
    case 0xC000'0102:
    case 0x175:
    case 0x176: return canonical(b.value()); // addresses: canonical (#GP otherwise)
    case 0xC000'0084:
    case 0xC000'0103: return b.value() & 0xFFFF; // the selector (see system_rules.cpp)
    case 0x277: { // PAT: every entry a valid memory type (0, 1, 4, 5, 6, 7)
        static const uint8_t kTypes[] = {0, 1, 4, 5, 6, 7};
        uint64_t v = 0;
        for (unsigned i = 0; i < 8; ++i)
            v |= uint64_t{rng.pick(kTypes)} << (8 * i);
        return v;
    }
    default: return 0;
    }
}

void gen_msr(StreamBuilder& b, const InsnTemplate&) {
    static const uint32_t kReadOnly[] = {0xC000'0100, 0xC000'0101}; // FS_BASE, GS_BASE
    if (b.rng().chance(20)) {
        b.set_reg(1, b.rng().pick(kReadOnly));
        b.emit_privileged({0x0F, 0x32}); // rdmsr
        return;
    }
    const uint32_t index = b.rng().pick(kComparedMsrs);
    b.set_reg(1, index);
    if (b.rng().chance(70)) {
        const uint64_t v = msr_value(b, index);
        b.set_reg(0, mode_value(b, b.rng().next() << 32) | (v & 0xFFFF'FFFF)); // high half ignored
        b.set_reg(2, mode_value(b, b.rng().next() << 32) | (v >> 32));
        b.emit_privileged({0x0F, 0x30}); // wrmsr
    }
    b.emit_privileged({0x0F, 0x32}); // rdmsr
}

// push imm32; popf; pushf; pop r: POPF at CPL 0 changes IF, IOPL, NT, AC, ID and the status
// flags, clears RF and leaves VIP, VIF and VM alone; PUSHF stores RF and VM as 0. TF stays 0
// (Unicorn does not single-step, U13).
void gen_system_flags(StreamBuilder& b, const InsnTemplate&) {
    constexpr uint32_t kBits = 0x0CD5 | 0x0200 | 0x3000 | 0x4000 | 0x1'0000 | 0x2'0000 | 0x4'0000 |
                               0x8'0000 | 0x10'0000 | 0x20'0000;
    std::vector<uint8_t> push{0x68};
    for (uint8_t x : le_bytes((b.rng().next() & kBits) | 2, 4))
        push.push_back(x);
    b.emit(push);
    b.emit_privileged({0x9D});
    if (b.rng().chance(70)) {
        b.emit_privileged({0x9C});
        const unsigned r = b.pick_gpr(kNoPointerRegs);
        std::vector<uint8_t> pop;
        rex(b, pop, false, 0, r);
        pop.push_back(static_cast<uint8_t>(0x58 + (r & 7)));
        b.emit(pop);
    }
}

void gen_cli_sti(StreamBuilder& b, const InsnTemplate&) {
    b.emit_privileged({b.rng().chance(50) ? uint8_t{0xFA} : uint8_t{0xFB}});
}

// INVLPG m (no memory access: never #PF, a non-canonical address is a no-op), WBINVD, INVD.
void gen_cache_tlb(StreamBuilder& b, const InsnTemplate&) {
    switch (b.rng().below(3)) {
    case 0: {
        InsnSpec s;
        Fixup rip;
        s.rm = b.memory(1, 1, s.prefixes, 0, rip);
        s.opcode = {0x0F, 0x01};
        s.reg = 7;
        std::vector<uint8_t> bytes = encode(s, b.mode());
        if (rip.kind == Fixup::Kind::RipData) {
            // RIP-relative: aim at an arbitrary nearby address instead of patching a fixup.
            for (unsigned i = 0; i < 4; ++i)
                bytes[bytes.size() - 4 + i] = static_cast<uint8_t>(b.rng().next());
        }
        b.emit_privileged(bytes);
        break;
    }
    case 1: b.emit_privileged({0x0F, 0x09}); break;
    default: b.emit_privileged({0x0F, 0x08}); break;
    }
}

// IN/OUT with imm8 or DX, and INS/OUTS (REP sometimes) between the data region and a port.
void gen_port_io(StreamBuilder& b, const InsnTemplate&) {
    Rng& rng = b.rng();
    static const unsigned kSizes[] = {1, 2, 4};
    const unsigned size = rng.pick(kSizes);
    std::vector<uint8_t> bytes;
    if (size == 2) bytes.push_back(0x66);
    const uint8_t w = size == 1 ? 0 : 1;
    switch (rng.below(4)) {
    case 0: // in acc, imm8 / out imm8, acc
        bytes.push_back(static_cast<uint8_t>((rng.chance(50) ? 0xE4 : 0xE6) + w));
        bytes.push_back(static_cast<uint8_t>(rng.next()));
        break;
    case 1: // in acc, dx / out dx, acc
        b.set_reg(2, b.value());
        bytes.push_back(static_cast<uint8_t>((rng.chance(50) ? 0xEC : 0xEE) + w));
        break;
    default: { // ins / outs, CLD, rCX small
        b.set_reg(2, b.value());
        b.set_reg(6, b.data_address(64, 1));
        b.set_reg(7, b.data_address(64, 1));
        b.set_reg(1, rng.below(8));
        b.emit({0xFC});
        if (rng.chance(50)) bytes.insert(bytes.begin(), 0xF3);
        bytes.push_back(static_cast<uint8_t>((rng.chance(50) ? 0x6C : 0x6E) + w));
        break;
    }
    }
    b.emit_privileged(bytes);
}

} // namespace

std::vector<InsnTemplate> privileged_templates() {
    return {
        {"mov r,crN", "privileged", gen_read_cr, nullptr},
        {"mov crN,r", "privileged", gen_write_cr, nullptr},
        {"mov drN,r / mov r,drN", "privileged", gen_debug_registers, nullptr},
        {"smsw/lmsw/clts", "privileged", gen_msw, nullptr},
        {"lgdt/lidt/sgdt/sidt", "privileged", gen_descriptor_tables, nullptr},
        {"rdmsr/wrmsr", "privileged", gen_msr, nullptr},
        {"popf/pushf system flags", "privileged", gen_system_flags, nullptr},
        {"cli/sti", "privileged", gen_cli_sti, nullptr},
        {"invlpg/wbinvd/invd", "privileged", gen_cache_tlb, nullptr},
        {"in/out/ins/outs", "privileged", gen_port_io, nullptr},
    };
}

} // namespace hvlab::tools
