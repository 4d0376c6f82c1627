// Intel SDM, Dec 2023 (Order 325462-081).
#include "tools/harness/sdm_rules.hpp"
#include "tools/harness/prefixes.hpp"

#include "common/bits.hpp"
#include "tools/harness/guest_layout.hpp"

#include "tools/harness/flag_rules.hpp"

#include <cstring>
#include <string_view>

namespace hvlab::tools {

namespace {

bool is_sse(const cs_insn& insn) {
    for (unsigned i = 0; i < insn.detail->groups_count; ++i) {
        switch (insn.detail->groups[i]) {
        case X86_GRP_SSE1:
        case X86_GRP_SSE2:
        case X86_GRP_SSE3:
        case X86_GRP_SSSE3:
        case X86_GRP_SSE41:
        case X86_GRP_SSE42:
        case X86_GRP_AES:
        case X86_GRP_PCLMUL:
        case X86_GRP_SHA: return true;
        default: break;
        }
    }
    return false;
}

bool alignment_exempt(unsigned id) {
    switch (id) {
    case X86_INS_MOVUPS:
    case X86_INS_MOVUPD:
    case X86_INS_MOVDQU:
    case X86_INS_LDDQU:
    case X86_INS_PCMPESTRI:
    case X86_INS_PCMPESTRM:
    case X86_INS_PCMPISTRI:
    case X86_INS_PCMPISTRM: return true;
    // Scalar compares: COMISS/UCOMISS xmm, m32 and COMISD/UCOMISD xmm, m64 (SDM Vol. 2,
    // "COMISS", "COMISD": no alignment rule for the scalar operand). Capstone 4 reports the
    // memory operand as 16 bytes (xmmword), which made this rule demand #GP wrongly.
    case X86_INS_COMISS:
    case X86_INS_UCOMISS:
    case X86_INS_COMISD:
    case X86_INS_UCOMISD: return true;
    default: return false;
    }
}

uint64_t reg_value(unsigned reg, const ArchState& pre) {
    const int g = capstone_gpr(reg);
    return g >= 0 ? pre.gpr[static_cast<unsigned>(g)] : 0;
}

} // namespace

bool memory_offset(const cs_insn& insn, const ArchState& pre, uint64_t& offset, unsigned& size) {
    const cs_x86& x = insn.detail->x86;
    for (unsigned i = 0; i < x.op_count; ++i) {
        const cs_x86_op& op = x.operands[i];
        if (op.type != X86_OP_MEM) continue;
        uint64_t ea =
            static_cast<uint64_t>(op.mem.disp) + op.mem.scale * reg_value(op.mem.index, pre);
        // 67h with RIP-relative addressing: Capstone names the base EIP (SDM Vol. 2, 2.2.1.6:
        // the 32-bit sum, which the mask below gives).
        const bool rip_relative = op.mem.base == X86_REG_RIP || op.mem.base == X86_REG_EIP;
        ea += rip_relative ? pre.rip + insn.size : reg_value(op.mem.base, pre);
        if (x.addr_size == 4) ea &= 0xFFFF'FFFF;
        offset = ea;
        size = op.size;
        return true;
    }
    return false;
}

bool unicorn_rip_relative_imm8(const cs_insn& insn) {
    if (insn.id != X86_INS_SHLD && insn.id != X86_INS_SHRD && insn.id != X86_INS_RORX) return false;
    const cs_x86& x = insn.detail->x86;
    bool rip = false, imm = false;
    for (unsigned i = 0; i < x.op_count; ++i) {
        if (x.operands[i].type == X86_OP_MEM && x.operands[i].mem.base == X86_REG_RIP) rip = true;
        if (x.operands[i].type == X86_OP_IMM) imm = true;
    }
    return rip && imm;
}

bool legacy_cmp_high_predicate(const cs_insn& insn, const uint8_t* bytes) {
    const cs_x86& x = insn.detail->x86;
    return x.opcode[0] == 0x0F && x.opcode[1] == 0xC2 && insn.size >= 1 &&
           bytes[insn.size - 1] > 7 && insn.mnemonic[0] == 'c';
}

bool mmx_form(const cs_insn& insn) {
    const cs_x86& x = insn.detail->x86;
    if (x.opcode[0] != 0x0F || x.prefix[2] == 0x66 || x.prefix[0] == X86_PREFIX_REP ||
        x.prefix[0] == X86_PREFIX_REPNE)
        return false;
    const uint8_t op = x.opcode[1];
    if (op == 0x38) return x.opcode[2] <= 0x0B || (x.opcode[2] >= 0x1C && x.opcode[2] <= 0x1E);
    if (op == 0x3A) return x.opcode[2] == 0x0F;
    // 0F C4/C5 (PINSRW/PEXTRW) have an MMX form too; Capstone prints xmm with REX.W
    // (observed: `67 4E 0F C4 73 EE D0`).
    if (op == 0xC4 || op == 0xC5) return true;
    if (op == 0x6C || op == 0x6D || op == 0xD6 || op == 0xE6 || op == 0xF0)
        return false; // no MMX form
    return (op >= 0x60 && op <= 0x76) || op == 0x7E || op == 0x7F || (op >= 0xD1 && op <= 0xFE);
}

bool sse_alignment_must_fault(const cs_insn& insn, const ArchState& pre) {
    if (!is_sse(insn) || alignment_exempt(insn.id)) return false;
    // 0F 5A without 66h is CVTPS2PD xmm, xmm/m64 (no alignment rule); Capstone 4 names it
    // cvtpd2ps with an xmmword operand when REX.W is present (observed: `4D 0F 5A 8F ..`).
    const bool op_5a = insn.detail->x86.opcode[0] == 0x0F && insn.detail->x86.opcode[1] == 0x5A;
    if (op_5a && insn.detail->x86.prefix[2] != 0x66) return false;
    // 66h RCPPS/RSQRTPS do not exist (opcode map: 66 0F 52/53 blank): #UD, not the alignment rule.
    if ((insn.id == X86_INS_RCPPS || insn.id == X86_INS_RSQRTPS) &&
        insn.detail->x86.prefix[2] == 0x66)
        return false;
    uint64_t ea = 0;
    unsigned size = 0;
    // 66 0F 5A is CVTPD2PS xmm, xmm/m128; Capstone 4 prints it as cvtps2pd with a qword
    // operand when REX.W is present (observed: `66 66 3E 47 0F 5A 43 7E`).
    if (op_5a) return memory_offset(insn, pre, ea, size) && (ea & 15) != 0;
    // Segment bases (0, FS and GS bases) are multiples of 16: the offset decides.
    return memory_offset(insn, pre, ea, size) && size == 16 && (ea & 15) != 0;
}

uint64_t neg_flags(uint64_t result, unsigned size) {
    const unsigned bits = size * 8;
    const uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
    const uint64_t r = result & mask;
    const uint64_t sign = 1ull << (bits - 1);
    uint64_t f = 0;
    if (r) f |= 0x001;                                                  // CF: source was not 0
    if (!__builtin_parity(static_cast<unsigned>(r & 0xFF))) f |= 0x004; // PF
    if (r & 0xF) f |= 0x010;                                            // AF: borrow out of bit 3
    if (!r) f |= 0x040;                                                 // ZF
    if (r & sign) f |= 0x080;                                           // SF
    if (r == sign) f |= 0x800; // OF: source was the most negative value
    return f;
}

bool misplaced_rex(const uint8_t* b, size_t avail) {
    bool rex = false;
    for (size_t i = 0; i < avail; ++i) {
        if ((b[i] & 0xF0) == 0x40)
            rex = true;
        else if (is_legacy_prefix(b[i])) {
            if (rex) return true;
        } else
            return false;
    }
    return false;
}

bool opsize_prefixed_near_branch(const cs_insn& insn, const uint8_t* b) {
    bool relative = false;
    for (unsigned i = 0; i < insn.detail->groups_count; ++i)
        relative |= insn.detail->groups[i] == X86_GRP_BRANCH_RELATIVE;
    const uint8_t op = insn.detail->x86.opcode[0];
    const bool near_ret = insn.id == X86_INS_RET && (op == 0xC3 || op == 0xC2);
    // FF /2 and FF /4: near CALL/JMP r/m (observed: `26 66 67 ff 50 89`, Unicorn loaded a
    // 16-bit target where Intel takes 64 bits).
    const unsigned digit = (insn.detail->x86.modrm >> 3) & 7;
    const bool near_indirect = op == 0xFF && (digit == 2 || digit == 4);
    if (!relative && !near_ret && !near_indirect) return false;
    for (size_t i = 0; i < insn.size && is_legacy_prefix(b[i]); ++i)
        if (b[i] == 0x66) return true;
    return false;
}

bool opsize_prefixed_enter(const cs_insn& insn, const uint8_t* b) {
    if (insn.id != X86_INS_ENTER) return false;
    for (size_t i = 0; i < insn.size && is_legacy_prefix(b[i]); ++i)
        if (b[i] == 0x66) return true;
    return false;
}

bool prefix_not_allowed(const cs_insn& insn) {
    const cs_x86& x = insn.detail->x86;
    if (x.opcode[0] != 0x0F) return false;
    const uint8_t op = x.opcode[1];
    const bool any_sse_prefix =
        x.prefix[2] == 0x66 || x.prefix[0] == X86_PREFIX_REP || x.prefix[0] == X86_PREFIX_REPNE;
    if (op == 0xC3) return any_sse_prefix;
    // NP 0F AE /2, /3 (LDMXCSR, STMXCSR m32): "NP" prefixes "cause #UD or result in another
    // instruction" (SDM Vol. 2, 3.1.1.2); hvlab raises #UD, Unicorn 2.0.1 runs LDMXCSR.
    if (insn.id == X86_INS_LDMXCSR || insn.id == X86_INS_STMXCSR) return any_sse_prefix;
    const bool register_form = (x.modrm >> 6) == 3;
    return (op == 0x12 || op == 0x13 || op == 0x16 || op == 0x17) && x.prefix[2] == 0x66 &&
           register_form;
}

int sse_unavailable_vector(const cs_insn& insn, uint64_t cr0, uint64_t cr4) {
    if (!is_sse(insn)) return -1;
    if ((cr0 & 4) || !(cr4 & (1u << 9))) return 6; // CR0.EM or CR4.OSFXSR = 0: #UD
    return (cr0 & 8) ? 7 : -1;                     // CR0.TS: #NM
}

bool mov_imm_with_rex_r(const cs_insn& insn) {
    const cs_x86& x = insn.detail->x86;
    return (x.opcode[0] == 0xC6 || x.opcode[0] == 0xC7) && (x.rex & 4) && ((x.modrm >> 3) & 7) == 0;
}

bool segment_move_unknown_to_capstone(const uint8_t* b, size_t avail, bool long_mode) {
    size_t i = 0; // prefixes and REX bytes in any order (observed: `45 44 8C`, `64 42 67 44 8C`)
    while (i < avail && (is_legacy_prefix(b[i]) || (long_mode && (b[i] & 0xF0) == 0x40)))
        ++i;
    return i < avail && (b[i] == 0x8C || b[i] == 0x8E);
}

const char* undefined_prefix_combination(const cs_insn& insn, const uint8_t* b) {
    uint8_t seg = 0;
    bool f2 = false, f3 = false, opsize = false;
    for (size_t i = 0; i < insn.size && is_legacy_prefix(b[i]); ++i) {
        switch (b[i]) {
        case 0xF2: f2 = true; break;
        case 0xF3: f3 = true; break;
        case 0x66: opsize = true; break;
        case 0xF0:
        case 0x67: break;
        default:
            if (seg && seg != b[i])
                return "two different segment overrides (SDM: only one per group is useful)";
            seg = b[i];
        }
    }
    if (f2 && f3) return "both REPNE and REP prefixes (SDM: only one per group is useful)";
    if (opsize && (f2 || f3) && is_sse(insn)) return "66h with F2h/F3h on an SSE instruction";
    // ADCX is 66 0F 38 F6, ADOX F3 0F 38 F6: with both prefixes the SDM names neither
    // (observed: hvlab ran ADCX, Unicorn 2.0.1 ADOX for `66 F3 4D 0F 38 F6 E3`).
    if (opsize && (f2 || f3) && (insn.id == X86_INS_ADCX || insn.id == X86_INS_ADOX))
        return "66h with F2h/F3h on ADCX/ADOX (SDM: neither form)";
    // Capstone names the packed/no-prefix form although F2h/F3h is present: that opcode has no
    // F2/F3 form (the opcode map cell is empty), Capstone and Unicorn ignore the prefix.
    const std::string_view mn = insn.mnemonic;
    const bool packed = mn.ends_with("ps") || mn.ends_with("pd") ||
                        (mn.starts_with("p") && mn != "pshufhw" && mn != "pshuflw") ||
                        insn.id == X86_INS_MOVNTI;
    if ((f2 || f3) && !opsize && (is_sse(insn) || insn.id == X86_INS_MOVNTI) && packed)
        return "F2h/F3h on an SSE form that has none (Capstone and Unicorn ignore it)";
    return nullptr;
}

// Instructions whose first (memory) operand is only read.
bool reads_only_first_operand(unsigned id) {
    switch (id) {
    case X86_INS_CMP:
    case X86_INS_TEST:
    case X86_INS_BT:
    case X86_INS_PUSH:
    case X86_INS_CALL:
    case X86_INS_JMP:
    case X86_INS_NOP:
    case X86_INS_PREFETCHT0:
    case X86_INS_PREFETCHT1:
    case X86_INS_PREFETCHT2:
    case X86_INS_PREFETCHNTA:
    case X86_INS_PREFETCHW:
    case X86_INS_PREFETCH:
    case X86_INS_CLFLUSH:
    case X86_INS_LDMXCSR:
    case X86_INS_UCOMISS:
    case X86_INS_COMISS:
    case X86_INS_UCOMISD:
    case X86_INS_COMISD:
    // One-operand multiply and divide read r/m (the results go to rAX/rDX).
    case X86_INS_MUL:
    case X86_INS_IMUL:
    case X86_INS_DIV:
    case X86_INS_IDIV:
    // CMPS reads both operands; a CS-overridden source is a read of a readable code segment.
    case X86_INS_CMPSB:
    case X86_INS_CMPSW:
    case X86_INS_CMPSD:
    case X86_INS_CMPSQ: return true;
    default: return false;
    }
}

bool undefined_sse_form(const cs_insn& insn) {
    return (insn.id == X86_INS_RCPPS || insn.id == X86_INS_RSQRTPS) &&
           insn.detail->x86.prefix[2] == 0x66;
}

bool clflush_must_fault(const cs_insn& insn, const ArchState& pre, uint64_t seg_base, bool long64,
                        int& vector, int& alt_vector) {
    if (insn.id != X86_INS_CLFLUSH) return false;
    // Only NP 0F AE /7 is CLFLUSH; with 66h it is CLFLUSHOPT, with F2h/F3h undefined.
    const cs_x86& x = insn.detail->x86;
    if (x.prefix[2] == 0x66 || x.prefix[0] == X86_PREFIX_REP || x.prefix[0] == X86_PREFIX_REPNE)
        return false;
    uint64_t ea = 0;
    unsigned size = 0;
    if (!memory_offset(insn, pre, ea, size)) return false;
    uint64_t linear = seg_base + ea;
    if (!long64) linear &= 0xFFFF'FFFF;
    for (const layout::Region& r : layout::kRegions)
        if (r.contains(linear)) return false;
    if (!long64) return false; // 32-bit set-up: no paging, every address is on the bus
    alt_vector = -1;
    if (!is_canonical48(linear)) {
        vector = 13; // #GP(0), or #SS(0) for an SS-relative operand
        alt_vector = 12;
    } else {
        vector = 14;
    }
    return true;
}

bool two_segment_overrides(const uint8_t* b, size_t avail) {
    uint8_t seg = 0;
    for (size_t i = 0; i < avail; ++i) {
        const uint8_t p = b[i];
        const bool is_seg =
            p == 0x26 || p == 0x2E || p == 0x36 || p == 0x3E || p == 0x64 || p == 0x65;
        if (is_seg) {
            if (seg && seg != p) return true;
            seg = p;
        } else if (!is_legacy_prefix(p) && (p & 0xF0) != 0x40) {
            return false;
        }
    }
    return false;
}

bool amd_svm_instruction(const cs_insn& insn) {
    switch (insn.id) {
    case X86_INS_STGI:
    case X86_INS_CLGI:
    case X86_INS_SKINIT:
    case X86_INS_VMRUN:
    case X86_INS_VMLOAD:
    case X86_INS_VMSAVE:
    case X86_INS_VMMCALL:
    case X86_INS_INVLPGA: return true;
    default: return false;
    }
}

bool code_segment_write(const cs_insn& insn) {
    const cs_x86& x = insn.detail->x86;
    for (unsigned i = 0; i < x.op_count; ++i) {
        const cs_x86_op& op = x.operands[i];
        if (op.type != X86_OP_MEM || op.mem.segment != X86_REG_CS) continue;
        // Capstone 4 does not fill in `access` for every instruction: also take a memory
        // first operand as written unless the instruction only reads it.
        // Capstone 4 also marks some read-only first operands as written (observed: TEST
        // r/m8, imm8 `2E F6 00 5E`): the instruction list decides for the first operand.
        if (i == 0 && reads_only_first_operand(insn.id)) continue;
        if ((op.access & CS_AC_WRITE) || i == 0) return true;
    }
    return false;
}

bool ret_imm_rsp(const cs_insn& insn, const ArchState& pre, Mode mode, uint64_t& rsp) {
    const cs_x86& x = insn.detail->x86;
    if (insn.id != X86_INS_RET || x.op_count != 1 || x.operands[0].type != X86_OP_IMM) return false;
    const uint64_t slot = mode == Mode::Long64 ? 8 : (x.prefix[2] == X86_PREFIX_OPSIZE ? 2 : 4);
    rsp = pre.gpr[4] + slot + (static_cast<uint64_t>(x.operands[0].imm) & 0xFFFF);
    if (mode == Mode::Protected32) rsp &= 0xFFFF'FFFF;
    return true;
}

} // namespace hvlab::tools
