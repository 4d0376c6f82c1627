// Intel SDM, Dec 2023 (Order 325462-081).
#include "cpu/decoder.hpp"

#include "cpu/opcode_map.hpp"

#include <string_view>

namespace hvlab::cpu {

namespace {

using Status = DecodeInfo::Status;

// A cursor over the instruction bytes that enforces the 15-byte limit
// (SDM Vol. 2A, "Instruction Format": an instruction longer than 15 bytes raises #GP).
struct Cursor {
    const uint8_t* bytes;
    size_t avail;
    size_t pos = 0;
    Status error = Status::Ok;

    bool next(uint8_t& b) {
        if (pos >= kMaxInsnLength) return fail(Status::TooLong);
        if (pos >= avail) return fail(Status::Truncated);
        b = bytes[pos++];
        return true;
    }
    bool peek(uint8_t& b) const {
        if (pos >= avail || pos >= kMaxInsnLength) return false;
        b = bytes[pos];
        return true;
    }
    // Little-endian value of n bytes.
    bool take(unsigned n, uint64_t& v) {
        v = 0;
        for (unsigned i = 0; i < n; ++i) {
            uint8_t b;
            if (!next(b)) return false;
            v |= uint64_t{b} << (8 * i);
        }
        return true;
    }
    bool fail(Status s) {
        if (error == Status::Ok) error = s;
        return false;
    }
};

struct Prefixes {
    bool opsize = false, addrsize = false, lock = false;
    uint8_t rep = 0, seg = 0xFF, rex = 0;
    Pfx mandatory() const {
        if (rep == 0xF3) return Pfx::F3;
        if (rep == 0xF2) return Pfx::F2;
        return opsize ? Pfx::P66 : Pfx::NP;
    }
};

bool prefix_matches(Pfx row, Pfx mp) {
    if (row == Pfx::Any) return true;
    return row == mp;
}

bool ext_matches(Ext e, uint8_t modrm) {
    const uint8_t mod = modrm >> 6, reg = (modrm >> 3) & 7;
    switch (e.kind()) {
    case 0: return true;
    case Ext::kSlash: return reg == e.value();
    case Ext::kSlashMem: return reg == e.value() && mod != 3;
    case Ext::kSlashReg: return reg == e.value() && mod == 3;
    case Ext::kModrm: return modrm == e.value();
    case Ext::kMem: return mod != 3;
    case Ext::kReg: return mod == 3;
    }
    return false;
}

// Legacy prefixes and REX (SDM Vol. 2A, "Instruction Prefixes", "REX Prefixes"). REX counts
// only when it immediately precedes the opcode; a legacy prefix after it cancels it.
bool read_prefixes(Cursor& c, bool is64, Prefixes& p) {
    for (;;) {
        uint8_t b;
        if (!c.peek(b)) {
            uint8_t dummy;
            return c.next(dummy); // records TooLong or Truncated
        }
        switch (b) {
        case 0x66: p.opsize = true; break;
        case 0x67: p.addrsize = true; break;
        case 0xF0: p.lock = true; break;
        case 0xF2:
        case 0xF3: p.rep = b; break;
        // In 64-bit mode the ES/CS/SS/DS overrides are ignored (SDM Vol. 1, "Segmentation in
        // IA-32e Mode"); FS and GS still select their base.
        case 0x26: if (!is64) p.seg = ES; break;
        case 0x2E: if (!is64) p.seg = CS; break;
        case 0x36: if (!is64) p.seg = SS; break;
        case 0x3E: if (!is64) p.seg = DS; break;
        case 0x64: p.seg = FS; break;
        case 0x65: p.seg = GS; break;
        default:
            if (is64 && (b & 0xF0) == 0x40) {
                p.rex = b;
                c.pos++;
                uint8_t n;
                // A legacy prefix after REX cancels it; the loop then reads that prefix.
                if (c.peek(n) && (n == 0x66 || n == 0x67 || n == 0xF0 || n == 0xF2 ||
                                  n == 0xF3 || n == 0x26 || n == 0x2E || n == 0x36 ||
                                  n == 0x3E || n == 0x64 || n == 0x65 || (n & 0xF0) == 0x40)) {
                    p.rex = 0;
                    continue;
                }
                return true;
            }
            return true;
        }
        c.pos++;
    }
}

// ModRM, SIB and displacement (SDM Vol. 2A, "ModR/M and SIB Bytes", Tables 2-1..2-3 and
// "RIP-Relative Addressing").
bool read_modrm(Cursor& c, uint8_t modrm, bool is64, DecodedInsn& d) {
    d.has_modrm = true;
    d.mod = modrm >> 6;
    const uint8_t rex = d.rex;
    d.reg = ((modrm >> 3) & 7) | ((rex & 4) << 1);
    d.rm = (modrm & 7) | ((rex & 1) << 3);
    if (d.mod == 3) return true;
    uint64_t disp = 0;
    bool ss_default = false;
    if (d.addrsize == 2) {
        static constexpr uint8_t kBase[8] = {RBX, RBX, RBP, RBP, RSI, RDI, RBP, RBX};
        static constexpr uint8_t kIndex[8] = {RSI, RDI, RSI, RDI, kNoReg, kNoReg, kNoReg, kNoReg};
        const uint8_t rm = modrm & 7;
        if (d.mod == 0 && rm == 6) {
            if (!c.take(2, disp)) return false;
            d.disp = static_cast<int16_t>(disp);
            d.seg = DS;
            return true;
        }
        d.base = kBase[rm];
        d.index = kIndex[rm];
        ss_default = d.base == RBP;
        if (d.mod == 1 && !c.take(1, disp)) return false;
        if (d.mod == 2 && !c.take(2, disp)) return false;
        d.disp = d.mod == 1 ? int64_t(int8_t(disp)) : int64_t(int16_t(disp));
        d.seg = ss_default ? SS : DS;
        return true;
    }
    uint8_t base = modrm & 7;
    if (base == 4) {
        uint8_t sib;
        if (!c.next(sib)) return false;
        d.scale = sib >> 6;
        const uint8_t index = ((sib >> 3) & 7) | ((rex & 2) << 2);
        d.index = index == RSP ? kNoReg : index;
        base = sib & 7;
        if (base == 5 && d.mod == 0) {
            d.base = kNoReg;
        } else {
            d.base = base | ((rex & 1) << 3);
        }
    } else if (base == 5 && d.mod == 0) {
        d.base = is64 ? kRipBase : kNoReg;
    } else {
        d.base = base | ((rex & 1) << 3);
    }
    ss_default = d.base == RSP || d.base == RBP;
    const unsigned dsize = (d.mod == 1) ? 1 : (d.mod == 2 || d.base == kNoReg || d.base == kRipBase) ? 4 : 0;
    if (dsize && !c.take(dsize, disp)) return false;
    d.disp = dsize == 1 ? int64_t(int8_t(disp)) : int64_t(int32_t(disp));
    d.seg = ss_default ? SS : DS;
    return true;
}

unsigned default_opsize(CpuMode mode) {
    return (mode == CpuMode::Protected16 || mode == CpuMode::Compat16) ? 2 : 4;
}

void set_sizes(const RowInfo& ri, const Prefixes& p, bool is64, unsigned def, bool vex_w,
               DecodedInsn& d) {
    const uint32_t f = ri.row->flags;
    if (ri.byte_op) {
        d.opsize = 1;
    } else if (is64 && (f & rowf::Force64)) {
        d.opsize = 8;
    } else if (f & rowf::Size32) {
        d.opsize = (is64 && (vex_w || (p.rex & 8))) ? 8 : 4;
    } else if (is64 && (p.rex & 8)) {
        d.opsize = 8;
    } else if (is64 && (f & rowf::Def64)) {
        d.opsize = p.opsize ? 2 : 8;
    } else {
        const bool prefix_is_size = p.opsize && ri.row->pfx != Pfx::P66;
        d.opsize = prefix_is_size ? (def == 2 ? 4 : 2) : def;
    }
}

bool read_imm(Cursor& c, Imm k, bool is64, DecodedInsn& d, uint64_t& out) {
    uint64_t v = 0;
    switch (k) {
    case Imm::None: out = 0; return true;
    case Imm::Ib:
    case Imm::Jb:
        if (!c.take(1, v)) return false;
        out = uint64_t(int64_t(int8_t(v)));
        return true;
    case Imm::Iw:
        if (!c.take(2, v)) return false;
        out = v;
        return true;
    case Imm::Iz:
        if (!c.take(d.opsize == 2 ? 2 : 4, v)) return false;
        out = d.opsize == 2 ? uint64_t(int64_t(int16_t(v))) : uint64_t(int64_t(int32_t(v)));
        return true;
    case Imm::Jz: {
        const unsigned n = (is64 || d.opsize != 2) ? 4 : 2;
        if (!c.take(n, v)) return false;
        out = n == 2 ? uint64_t(int64_t(int16_t(v))) : uint64_t(int64_t(int32_t(v)));
        return true;
    }
    case Imm::Iv:
        if (!c.take(d.opsize, v)) return false;
        out = v;
        return true;
    case Imm::O:
        if (!c.take(d.addrsize, v)) return false;
        d.disp = static_cast<int64_t>(v);
        out = 0;
        return true;
    case Imm::Ap: {
        uint64_t sel;
        if (!c.take(d.opsize == 2 ? 2 : 4, v) || !c.take(2, sel)) return false;
        d.imm2 = static_cast<uint16_t>(sel);
        out = v;
        return true;
    }
    }
    return false;
}

struct Vex {
    bool present = false;
    Map map = Map::One;
    Pfx pp = Pfx::NP;
    bool w = false;
};

// VEX prefix (SDM Vol. 2A, "VEX Prefix"). C4/C5 outside 64-bit mode are LES/LDS unless the
// next byte has mod=11. 66/F2/F3/REX/LOCK before VEX -> #UD.
bool read_vex(Cursor& c, uint8_t first, bool is64, const Prefixes& p, Vex& v, DecodedInsn& d,
              bool& undefined) {
    uint8_t b1;
    if (!c.next(b1)) return false;
    if (p.opsize || p.rep || p.rex || p.lock) {
        undefined = true;
        return true;
    }
    static constexpr Pfx kPp[4] = {Pfx::NP, Pfx::P66, Pfx::F3, Pfx::F2};
    uint8_t rex = 0x40;
    if (first == 0xC5) {
        if (!(b1 & 0x80)) rex |= 4;
        d.vvvv = (~b1 >> 3) & 0xF;
        d.vex_l = (b1 >> 2) & 1;
        v.pp = kPp[b1 & 3];
        v.map = Map::Vex0F;
    } else {
        uint8_t b2;
        if (!c.next(b2)) return false;
        if (!(b1 & 0x80)) rex |= 4;
        if (!(b1 & 0x40)) rex |= 2;
        if (!(b1 & 0x20)) rex |= 1;
        switch (b1 & 0x1F) {
        case 1: v.map = Map::Vex0F; break;
        case 2: v.map = Map::Vex0F38; break;
        case 3: v.map = Map::Vex0F3A; break;
        default: undefined = true; return true;
        }
        v.w = b2 & 0x80;
        d.vvvv = (~b2 >> 3) & 0xF;
        d.vex_l = (b2 >> 2) & 1;
        v.pp = kPp[b2 & 3];
    }
    if (!is64) {
        rex = 0x40;
        d.vvvv &= 7;
    }
    d.rex = rex == 0x40 ? 0 : rex;
    v.present = true;
    return true;
}

} // namespace

Status decode(const uint8_t* bytes, size_t avail, CpuMode mode, DecodedInsn& d) {
    d = DecodedInsn{};
    const bool is64 = mode == CpuMode::Long64;
    const unsigned def = default_opsize(mode);
    Cursor c{bytes, avail};
    Prefixes p;
    if (!read_prefixes(c, is64, p)) return c.error;
    d.rex = p.rex;
    d.rep = p.rep;
    d.lock = p.lock;
    d.opsize_prefix = p.opsize;
    d.addrsize = is64 ? (p.addrsize ? 4 : 8) : ((def == 2) != p.addrsize ? 2 : 4);

    uint8_t op;
    if (!c.next(op)) return c.error;
    Map map = Map::One;
    Vex vex;
    if (op == 0x0F) {
        if (!c.next(op)) return c.error;
        map = Map::Two;
        if (op == 0x38 || op == 0x3A) {
            map = op == 0x38 ? Map::Three38 : Map::Three3A;
            if (!c.next(op)) return c.error;
        }
    } else if (op == 0xC4 || op == 0xC5) {
        uint8_t n;
        const bool is_vex = is64 || (c.peek(n) && (n & 0xC0) == 0xC0);
        if (is_vex) {
            bool undefined = false;
            if (!read_vex(c, op, is64, p, vex, d, undefined)) return c.error;
            if (undefined) {
                d.length = static_cast<uint8_t>(c.pos);
                return Status::Undefined;
            }
            map = vex.map;
            if (!c.next(op)) return c.error;
        }
    }
    const Pfx mp = vex.present ? vex.pp : p.mandatory();

    bool have_modrm = false;
    uint8_t modrm = 0;
    const RowInfo* chosen = nullptr;
    for (const RowInfo& ri : OpcodeMap::get().rows(map, op)) {
        if (!prefix_matches(ri.row->pfx, mp)) continue;
        // In the three-byte maps F2/F3 are always mandatory prefixes, never REP: a row valid
        // with "any" prefix (MOVBE: NP or 66 only) does not take them. F2 0F 38 F0/F1 is CRC32
        // (SDM Vol. 2D, Table A-4; "MOVBE", "CRC32").
        if (ri.row->pfx == Pfx::Any && (map == Map::Three38 || map == Map::Three3A) &&
            (mp == Pfx::F2 || mp == Pfx::F3))
            continue;
        // F3 90 is PAUSE, but with REX.B 90 is XCHG r8, rAX (SDM "NOP", "XCHG": only 90 without
        // REX.B is the NOP alias); F3 is then an ignored REP prefix.
        if (map == Map::One && op == 0x90 && ri.row->pfx == Pfx::F3 && (p.rex & 0x01)) continue;
        if (ri.modrm && !have_modrm) {
            if (!c.next(modrm)) return c.error;
            have_modrm = true;
        }
        if (ri.modrm && !ext_matches(ri.row->ext, modrm)) continue;
        const uint32_t f = ri.row->flags;
        if (is64 && (f & rowf::Inv64)) continue;
        if (!is64 && (f & rowf::Only64)) continue;
        if ((f & rowf::VexL0) && d.vex_l) continue;
        chosen = &ri;
        break;
    }
    if (!chosen) {
        d.length = static_cast<uint8_t>(c.pos);
        return Status::Undefined;
    }
    d.row = chosen->row;
    d.opcode = op;
    d.handler = chosen->row->handler;
    set_sizes(*chosen, p, is64, def, vex.w, d);
    if (chosen->row->flags & rowf::PlusR) d.reg = (op & 7) | ((d.rex & 1) << 3);
    if (chosen->modrm) {
        d.seg = DS;
        // MOV CR/DR: "the 2 bits in the mod field are ignored" (SDM Vol. 2B, MOV—Move to/from
        // Control Registers): no SIB or displacement follows.
        if (chosen->row->flags & rowf::ModReg) modrm |= 0xC0;
        if (!read_modrm(c, modrm, is64, d)) return c.error;
    }
    if (p.seg != 0xFF) d.seg = p.seg;
    // LOCK is allowed only on the listed read-modify-write forms with a memory destination
    // (SDM Vol. 2A, "LOCK-Assert LOCK# Signal Prefix").
    if (p.lock && (!(chosen->row->flags & rowf::Lock) || !d.mem())) {
        d.length = static_cast<uint8_t>(c.pos);
        return Status::Undefined;
    }
    if (!read_imm(c, chosen->imm1, is64, d, d.imm)) return c.error;
    uint64_t second = 0;
    if (chosen->imm2 != Imm::None) {
        if (!read_imm(c, chosen->imm2, is64, d, second)) return c.error;
        d.imm2 = static_cast<uint16_t>(second);
    }
    d.length = static_cast<uint8_t>(c.pos);
    return Status::Ok;
}

namespace {

// Mnemonics of the opcode+cc rows, by condition code.
const char* const kJcc[16] = {"jo", "jno", "jb", "jae", "je", "jne", "jbe", "ja",
                              "js", "jns", "jp", "jnp", "jl", "jge", "jle", "jg"};
const char* const kSetcc[16] = {"seto", "setno", "setb", "setae", "sete", "setne",
                                "setbe", "seta", "sets", "setns", "setp", "setnp",
                                "setl", "setge", "setle", "setg"};
const char* const kCmovcc[16] = {"cmovo",  "cmovno", "cmovb",  "cmovae", "cmove", "cmovne",
                                 "cmovbe", "cmova",  "cmovs",  "cmovns", "cmovp", "cmovnp",
                                 "cmovl",  "cmovge", "cmovle", "cmovg"};

// CMPPS/CMPPD/CMPSS/CMPSD with an immediate 0..7: the pseudo-op Capstone (and the SDM's
// "CMPPS" page, "Pseudo-Op" table) spells, e.g. CMPLTPS for CMPPS with imm8 = 1.
const char* const kCmpPs[8] = {"cmpeqps", "cmpltps", "cmpleps", "cmpunordps",
                               "cmpneqps", "cmpnltps", "cmpnleps", "cmpordps"};
const char* const kCmpPd[8] = {"cmpeqpd", "cmpltpd", "cmplepd", "cmpunordpd",
                               "cmpneqpd", "cmpnltpd", "cmpnlepd", "cmpordpd"};
const char* const kCmpSs[8] = {"cmpeqss", "cmpltss", "cmpless", "cmpunordss",
                               "cmpneqss", "cmpnltss", "cmpnless", "cmpordss"};
const char* const kCmpSd[8] = {"cmpeqsd", "cmpltsd", "cmplesd", "cmpunordsd",
                               "cmpneqsd", "cmpnltsd", "cmpnlesd", "cmpordsd"};

// By operand size 2 / 4 / 8 (index 0 / 1 / 2).
const char* by_size(const DecodedInsn& d, const char* w, const char* dw, const char* q) {
    return d.opsize == 2 ? w : d.opsize == 8 ? q : dw;
}

// The spelling of the decoded form: the row mnemonic, refined by the decoded operand size,
// address size, REX bits and ModRM.reg where Capstone 4 (and the SDM) spell the forms apart.
// For tools only (decode_info); the interpreter never calls it.
const char* mnemonic_of(const DecodedInsn& d) {
    const OpcodeRow& r = *d.row;
    const std::string_view m = r.mnemonic;
    if (r.flags & rowf::PlusCC) {
        const unsigned cc = d.opcode & 0xF;
        if (m == "jcc") return kJcc[cc];
        if (m == "setcc") return kSetcc[cc];
        if (m == "cmovcc") return kCmovcc[cc];
        return r.mnemonic;
    }
    const bool rex_w = (d.rex & 0x08) != 0;
    if (r.map == Map::One) {
        switch (d.opcode) {
        case 0x90: // 90 is NOP unless REX.B selects r8 (SDM "NOP", "XCHG"); F3 90 is PAUSE
            if (m == "xchg" && !(d.rex & 0x01)) return "nop";
            return r.mnemonic;
        case 0x98: return by_size(d, "cbw", "cwde", "cdqe");
        case 0x99: return by_size(d, "cwd", "cdq", "cqo");
        case 0x9C: return by_size(d, "pushf", "pushfd", "pushfq");
        case 0x9D: return by_size(d, "popf", "popfd", "popfq");
        case 0x60: return by_size(d, "pushaw", "pushal", "pushal");
        case 0x61: return by_size(d, "popaw", "popal", "popal");
        case 0xCF: return by_size(d, "iret", "iretd", "iretq");
        case 0xCA: case 0xCB: return d.opsize == 8 ? "retfq" : "retf";
        case 0xA5: return by_size(d, "movsw", "movsd", "movsq");
        case 0xA7: return by_size(d, "cmpsw", "cmpsd", "cmpsq");
        case 0xAB: return by_size(d, "stosw", "stosd", "stosq");
        case 0xAD: return by_size(d, "lodsw", "lodsd", "lodsq");
        case 0xAF: return by_size(d, "scasw", "scasd", "scasq");
        case 0x6D: return d.opsize == 2 ? "insw" : "insd";
        case 0x6F: return d.opsize == 2 ? "outsw" : "outsd";
        case 0xE3: return d.addrsize == 2 ? "jcxz" : d.addrsize == 4 ? "jecxz" : "jrcxz";
        default: return r.mnemonic;
        }
    }
    if (r.map == Map::Two) {
        switch (d.opcode) {
        case 0x18: // PREFETCHh by ModRM.reg; /4../7 are reserved NOPs (SDM "PREFETCHh")
            if (m != "prefetch") return r.mnemonic;
            switch (d.reg & 7) {
            case 0: return "prefetchnta";
            case 1: return "prefetcht0";
            case 2: return "prefetcht1";
            case 3: return "prefetcht2";
            default: return "nop";
            }
        case 0xC2: {
            const unsigned imm = d.imm & 0xFF;
            if (imm >= 8) return r.mnemonic;
            if (m == "cmpps") return kCmpPs[imm];
            if (m == "cmppd") return kCmpPd[imm];
            if (m == "cmpss") return kCmpSs[imm];
            if (m == "cmpsd") return kCmpSd[imm];
            return r.mnemonic;
        }
        case 0xC7:
            if (m == "cmpxchg8b" && rex_w) return "cmpxchg16b";
            return r.mnemonic;
        case 0xAE:
            if (!rex_w) return r.mnemonic;
            if (m == "fxsave") return "fxsave64";
            if (m == "fxrstor") return "fxrstor64";
            if (m == "xsave") return "xsave64";
            if (m == "xrstor") return "xrstor64";
            if (m == "xsaveopt") return "xsaveopt64";
            return r.mnemonic;
        case 0x6E: case 0x7E:
            if (m == "movd" && rex_w) return "movq";
            return r.mnemonic;
        default: return r.mnemonic;
        }
    }
    return r.mnemonic;
}

} // namespace

DecodeInfo decode_info(const uint8_t* bytes, size_t avail, CpuMode mode) {
    DecodedInsn d;
    DecodeInfo info;
    info.status = decode(bytes, avail, mode, d);
    info.length = d.length;
    if (info.status == Status::Ok && d.row) info.mnemonic = mnemonic_of(d);
    return info;
}

} // namespace hvlab::cpu
