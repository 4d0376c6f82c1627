// Opcodes and forms from the SDM Vol. 2 (Intel SDM, Dec 2023, Order 325462-081) instruction
// reference and its "Opcode Map" appendix.
#include "tools/harness/insn_templates.hpp"

#include "tools/harness/guest_layout.hpp"
#include "tools/harness/privileged_templates.hpp"

namespace hvlab::tools {

namespace {

enum Size : uint8_t { S8 = 1, S16 = 2, S32 = 4, S64 = 8, SW = S16 | S32 | S64, SDQ = S32 | S64 };
enum class Imm : uint8_t { None, Ib, Iz, Iw, Count };
enum RowFlag : uint32_t {
    kMemOnly = 1u << 0,
    kRegOnly = 1u << 1,
    kLock = 1u << 2,       // LOCK is legal with a memory destination
    kXmmReg = 1u << 3,     // ModRM.reg names an XMM register
    kXmmRm = 1u << 4,      // ModRM.rm names an XMM register (or memory)
    kAlign16 = 1u << 5,    // memory operand must be 16-byte aligned (#GP otherwise)
    kShiftCl = 1u << 6,    // count in CL
    kDiv = 1u << 7,        // DIV/IDIV: often prepare RDX so that no #DE is raised
    kBitOffset = 1u << 8,  // BT* r/m, r: the register is a signed bit offset into memory
    kPreloadAcc = 1u << 9, // CMPXCHG: often load the accumulator from the operand (success path)
    kRm8 = 1u << 10,       // rm is a byte whatever the operand size (MOVZX/MOVSX)
    kRm16 = 1u << 11,      // rm is a word (MOVZX/MOVSX r, r/m16)
    kRm32 = 1u << 12,      // rm is a dword (MOVSXD)
    kCc = 1u << 13,        // low opcode nibble is a random condition code
    kVex = 1u << 14,       // VEX-encoded: op[0] = map, op[1] = opcode, prefix = pp
    kNoVvvv = 1u << 15,    // VEX.vvvv unused (must be 1111b)
    kMem8 = 1u << 16,      // XMM row with an 8-byte memory operand
    kMem4 = 1u << 17,      // XMM row with a 4-byte memory operand
};

struct Row {
    const char* name;
    const char* klass;
    uint8_t prefix; // mandatory prefix (66/F2/F3), or VEX.pp with kVex
    uint8_t op[3];
    uint8_t op_len;
    int8_t digit; // ModRM.reg opcode extension, or -1: a register operand
    uint8_t sizes;
    Imm imm;
    uint32_t flags;
};

// ---------------------------------------------------------------------------------------------
// The table. ALU rows are written out per form; the condition-code families use kCc.
// clang-format off
const Row kRows[] = {
    // arithmetic and logic: op r/m,r / op r,r/m / op r/m,imm / op acc,imm
#define ALU(name, k, lockable)                                                                   \
    {name " r/m8,r8", "alu", 0, {uint8_t(k * 8 + 0)}, 1, -1, S8, Imm::None, lockable},            \
    {name " r/m,r", "alu", 0, {uint8_t(k * 8 + 1)}, 1, -1, SW, Imm::None, lockable},             \
    {name " r8,r/m8", "alu", 0, {uint8_t(k * 8 + 2)}, 1, -1, S8, Imm::None, 0},                    \
    {name " r,r/m", "alu", 0, {uint8_t(k * 8 + 3)}, 1, -1, SW, Imm::None, 0},                     \
    {name " al,imm8", "alu", 0, {uint8_t(k * 8 + 4)}, 1, 0, S8, Imm::Ib, kRegOnly},              \
    {name " acc,imm", "alu", 0, {uint8_t(k * 8 + 5)}, 1, 0, SW, Imm::Iz, kRegOnly},              \
    {name " r/m8,imm8", "alu", 0, {0x80}, 1, k, S8, Imm::Ib, lockable},                           \
    {name " r/m,imm", "alu", 0, {0x81}, 1, k, SW, Imm::Iz, lockable},                             \
    {name " r/m,simm8", "alu", 0, {0x83}, 1, k, SW, Imm::Ib, lockable}
    ALU("add", 0, kLock), ALU("or", 1, kLock), ALU("adc", 2, kLock), ALU("sbb", 3, kLock),
    ALU("and", 4, kLock), ALU("sub", 5, kLock), ALU("xor", 6, kLock), ALU("cmp", 7, 0),
#undef ALU
    {"test r/m8,r8", "alu", 0, {0x84}, 1, -1, S8, Imm::None, 0},
    {"test r/m,r", "alu", 0, {0x85}, 1, -1, SW, Imm::None, 0},
    {"test r/m8,imm8", "alu", 0, {0xF6}, 1, 0, S8, Imm::Ib, 0},
    {"test r/m,imm", "alu", 0, {0xF7}, 1, 0, SW, Imm::Iz, 0},
    {"not r/m8", "alu", 0, {0xF6}, 1, 2, S8, Imm::None, kLock},
    {"not r/m", "alu", 0, {0xF7}, 1, 2, SW, Imm::None, kLock},
    {"neg r/m8", "alu", 0, {0xF6}, 1, 3, S8, Imm::None, kLock},
    {"neg r/m", "alu", 0, {0xF7}, 1, 3, SW, Imm::None, kLock},
    {"inc r/m8", "alu", 0, {0xFE}, 1, 0, S8, Imm::None, kLock},
    {"dec r/m8", "alu", 0, {0xFE}, 1, 1, S8, Imm::None, kLock},
    {"inc r/m", "alu", 0, {0xFF}, 1, 0, SW, Imm::None, kLock},
    {"dec r/m", "alu", 0, {0xFF}, 1, 1, SW, Imm::None, kLock},
    // multiply and divide
    {"mul r/m8", "muldiv", 0, {0xF6}, 1, 4, S8, Imm::None, 0},
    {"mul r/m", "muldiv", 0, {0xF7}, 1, 4, SW, Imm::None, 0},
    {"imul r/m8", "muldiv", 0, {0xF6}, 1, 5, S8, Imm::None, 0},
    {"imul r/m", "muldiv", 0, {0xF7}, 1, 5, SW, Imm::None, 0},
    {"imul r,r/m", "muldiv", 0, {0x0F, 0xAF}, 2, -1, SW, Imm::None, 0},
    {"imul r,r/m,imm", "muldiv", 0, {0x69}, 1, -1, SW, Imm::Iz, 0},
    {"imul r,r/m,simm8", "muldiv", 0, {0x6B}, 1, -1, SW, Imm::Ib, 0},
    {"div r/m8", "muldiv", 0, {0xF6}, 1, 6, S8, Imm::None, kDiv},
    {"div r/m", "muldiv", 0, {0xF7}, 1, 6, SW, Imm::None, kDiv},
    {"idiv r/m8", "muldiv", 0, {0xF6}, 1, 7, S8, Imm::None, kDiv},
    {"idiv r/m", "muldiv", 0, {0xF7}, 1, 7, SW, Imm::None, kDiv},
    // shifts and rotates: /0 rol /1 ror /2 rcl /3 rcr /4 shl /5 shr /7 sar
#define SHIFT(name, d)                                                                           \
    {name " r/m8,imm8", "shift", 0, {0xC0}, 1, d, S8, Imm::Count, 0},                             \
    {name " r/m,imm8", "shift", 0, {0xC1}, 1, d, SW, Imm::Count, 0},                              \
    {name " r/m8,1", "shift", 0, {0xD0}, 1, d, S8, Imm::None, 0},                                 \
    {name " r/m,1", "shift", 0, {0xD1}, 1, d, SW, Imm::None, 0},                                  \
    {name " r/m8,cl", "shift", 0, {0xD2}, 1, d, S8, Imm::None, kShiftCl},                         \
    {name " r/m,cl", "shift", 0, {0xD3}, 1, d, SW, Imm::None, kShiftCl}
    SHIFT("rol", 0), SHIFT("ror", 1), SHIFT("rcl", 2), SHIFT("rcr", 3), SHIFT("shl", 4),
    SHIFT("shr", 5), SHIFT("sar", 7),
#undef SHIFT
    {"shld r/m,r,imm8", "shift", 0, {0x0F, 0xA4}, 2, -1, SW, Imm::Count, 0},
    {"shld r/m,r,cl", "shift", 0, {0x0F, 0xA5}, 2, -1, SW, Imm::None, kShiftCl},
    {"shrd r/m,r,imm8", "shift", 0, {0x0F, 0xAC}, 2, -1, SW, Imm::Count, 0},
    {"shrd r/m,r,cl", "shift", 0, {0x0F, 0xAD}, 2, -1, SW, Imm::None, kShiftCl},
    // bit operations
    {"bt r/m,r", "bit", 0, {0x0F, 0xA3}, 2, -1, SW, Imm::None, kBitOffset},
    {"bts r/m,r", "bit", 0, {0x0F, 0xAB}, 2, -1, SW, Imm::None, kBitOffset | kLock},
    {"btr r/m,r", "bit", 0, {0x0F, 0xB3}, 2, -1, SW, Imm::None, kBitOffset | kLock},
    {"btc r/m,r", "bit", 0, {0x0F, 0xBB}, 2, -1, SW, Imm::None, kBitOffset | kLock},
    {"bt r/m,imm8", "bit", 0, {0x0F, 0xBA}, 2, 4, SW, Imm::Count, 0},
    {"bts r/m,imm8", "bit", 0, {0x0F, 0xBA}, 2, 5, SW, Imm::Count, kLock},
    {"btr r/m,imm8", "bit", 0, {0x0F, 0xBA}, 2, 6, SW, Imm::Count, kLock},
    {"btc r/m,imm8", "bit", 0, {0x0F, 0xBA}, 2, 7, SW, Imm::Count, kLock},
    {"bsf r,r/m", "bit", 0, {0x0F, 0xBC}, 2, -1, SW, Imm::None, 0},
    {"bsr r,r/m", "bit", 0, {0x0F, 0xBD}, 2, -1, SW, Imm::None, 0},
    {"tzcnt r,r/m", "bit", 0xF3, {0x0F, 0xBC}, 2, -1, SW, Imm::None, 0},
    {"lzcnt r,r/m", "bit", 0xF3, {0x0F, 0xBD}, 2, -1, SW, Imm::None, 0},
    // BMI1/BMI2 (VEX.LZ.0F38 / 0F3A; pp: 0 none, 1 66, 2 F3, 3 F2)
    {"andn", "bmi", 0, {2, 0xF2}, 2, -1, SDQ, Imm::None, kVex},
    {"bextr", "bmi", 0, {2, 0xF7}, 2, -1, SDQ, Imm::None, kVex},
    {"blsr", "bmi", 0, {2, 0xF3}, 2, 1, SDQ, Imm::None, kVex},
    {"blsmsk", "bmi", 0, {2, 0xF3}, 2, 2, SDQ, Imm::None, kVex},
    {"blsi", "bmi", 0, {2, 0xF3}, 2, 3, SDQ, Imm::None, kVex},
    {"bzhi", "bmi", 0, {2, 0xF5}, 2, -1, SDQ, Imm::None, kVex},
    {"pdep", "bmi", 3, {2, 0xF5}, 2, -1, SDQ, Imm::None, kVex},
    {"pext", "bmi", 2, {2, 0xF5}, 2, -1, SDQ, Imm::None, kVex},
    {"mulx", "bmi", 3, {2, 0xF6}, 2, -1, SDQ, Imm::None, kVex},
    {"sarx", "bmi", 2, {2, 0xF7}, 2, -1, SDQ, Imm::None, kVex},
    {"shlx", "bmi", 1, {2, 0xF7}, 2, -1, SDQ, Imm::None, kVex},
    {"shrx", "bmi", 3, {2, 0xF7}, 2, -1, SDQ, Imm::None, kVex},
    {"rorx", "bmi", 3, {3, 0xF0}, 2, -1, SDQ, Imm::Count, kVex | kNoVvvv},
    // ADCX/ADOX
    {"adcx r,r/m", "alu", 0x66, {0x0F, 0x38, 0xF6}, 3, -1, SDQ, Imm::None, 0},
    {"adox r,r/m", "alu", 0xF3, {0x0F, 0x38, 0xF6}, 3, -1, SDQ, Imm::None, 0},
    // data movement
    {"mov r/m8,r8", "move", 0, {0x88}, 1, -1, S8, Imm::None, 0},
    {"mov r/m,r", "move", 0, {0x89}, 1, -1, SW, Imm::None, 0},
    {"mov r8,r/m8", "move", 0, {0x8A}, 1, -1, S8, Imm::None, 0},
    {"mov r,r/m", "move", 0, {0x8B}, 1, -1, SW, Imm::None, 0},
    {"mov r/m8,imm8", "move", 0, {0xC6}, 1, 0, S8, Imm::Ib, 0},
    {"mov r/m,imm", "move", 0, {0xC7}, 1, 0, SW, Imm::Iz, 0},
    {"movzx r,r/m8", "move", 0, {0x0F, 0xB6}, 2, -1, SW, Imm::None, kRm8},
    {"movzx r,r/m16", "move", 0, {0x0F, 0xB7}, 2, -1, SDQ, Imm::None, kRm16},
    {"movsx r,r/m8", "move", 0, {0x0F, 0xBE}, 2, -1, SW, Imm::None, kRm8},
    {"movsx r,r/m16", "move", 0, {0x0F, 0xBF}, 2, -1, SDQ, Imm::None, kRm16},
    {"movsxd r64,r/m32", "move", 0, {0x63}, 1, -1, S64, Imm::None, kRm32},
    {"xchg r/m8,r8", "move", 0, {0x86}, 1, -1, S8, Imm::None, kLock},
    {"xchg r/m,r", "move", 0, {0x87}, 1, -1, SW, Imm::None, kLock},
    {"lea r,m", "move", 0, {0x8D}, 1, -1, SW, Imm::None, kMemOnly},
    {"cmovcc r,r/m", "move", 0, {0x0F, 0x40}, 2, -1, SW, Imm::None, kCc},
    {"setcc r/m8", "control", 0, {0x0F, 0x90}, 2, 0, S8, Imm::None, kCc},
    {"push r/m", "move", 0, {0xFF}, 1, 6, 0, Imm::None, kMemOnly},
    {"pop r/m", "move", 0, {0x8F}, 1, 0, 0, Imm::None, kMemOnly},
    {"nop r/m", "move", 0, {0x0F, 0x1F}, 2, 0, SW, Imm::None, 0},
    // atomics
    {"xadd r/m8,r8", "atomic", 0, {0x0F, 0xC0}, 2, -1, S8, Imm::None, kLock},
    {"xadd r/m,r", "atomic", 0, {0x0F, 0xC1}, 2, -1, SW, Imm::None, kLock},
    {"cmpxchg r/m8,r8", "atomic", 0, {0x0F, 0xB0}, 2, -1, S8, Imm::None, kLock | kPreloadAcc},
    {"cmpxchg r/m,r", "atomic", 0, {0x0F, 0xB1}, 2, -1, SW, Imm::None, kLock | kPreloadAcc},
    // SSE/SSE2 moves, logic, compares and integer operations
    {"movdqa x,x/m", "sse", 0x66, {0x0F, 0x6F}, 2, -1, 0, Imm::None, kXmmReg | kXmmRm | kAlign16},
    {"movdqa x/m,x", "sse", 0x66, {0x0F, 0x7F}, 2, -1, 0, Imm::None, kXmmReg | kXmmRm | kAlign16},
    {"movdqu x,x/m", "sse", 0xF3, {0x0F, 0x6F}, 2, -1, 0, Imm::None, kXmmReg | kXmmRm},
    {"movdqu x/m,x", "sse", 0xF3, {0x0F, 0x7F}, 2, -1, 0, Imm::None, kXmmReg | kXmmRm},
    {"movaps x,x/m", "sse", 0, {0x0F, 0x28}, 2, -1, 0, Imm::None, kXmmReg | kXmmRm | kAlign16},
    {"movaps x/m,x", "sse", 0, {0x0F, 0x29}, 2, -1, 0, Imm::None, kXmmReg | kXmmRm | kAlign16},
    {"movups x,x/m", "sse", 0, {0x0F, 0x10}, 2, -1, 0, Imm::None, kXmmReg | kXmmRm},
    {"movups x/m,x", "sse", 0, {0x0F, 0x11}, 2, -1, 0, Imm::None, kXmmReg | kXmmRm},
    {"movntdq m,x", "sse", 0x66, {0x0F, 0xE7}, 2, -1, 0, Imm::None, kXmmReg | kXmmRm | kAlign16 | kMemOnly},
    {"movq x/m64,x", "sse", 0x66, {0x0F, 0xD6}, 2, -1, 0, Imm::None, kXmmReg | kXmmRm | kMem8},
    {"movq x,x/m64", "sse", 0xF3, {0x0F, 0x7E}, 2, -1, 0, Imm::None, kXmmReg | kXmmRm | kMem8},
    {"movd/q x,r/m", "sse", 0x66, {0x0F, 0x6E}, 2, -1, SDQ, Imm::None, kXmmReg},
    {"movd/q r/m,x", "sse", 0x66, {0x0F, 0x7E}, 2, -1, SDQ, Imm::None, kXmmReg},
    {"pmovmskb r,x", "sse", 0x66, {0x0F, 0xD7}, 2, -1, SDQ, Imm::None, kXmmRm | kRegOnly},
    {"pshufd x,x/m,imm8", "sse", 0x66, {0x0F, 0x70}, 2, -1, 0, Imm::Ib, kXmmReg | kXmmRm | kAlign16},
    {"psrldq x,imm8", "sse", 0x66, {0x0F, 0x73}, 2, 3, 0, Imm::Count, kXmmRm | kRegOnly},
    {"pslldq x,imm8", "sse", 0x66, {0x0F, 0x73}, 2, 7, 0, Imm::Count, kXmmRm | kRegOnly},
    {"psrlw x,imm8", "sse", 0x66, {0x0F, 0x71}, 2, 2, 0, Imm::Count, kXmmRm | kRegOnly},
    {"psraw x,imm8", "sse", 0x66, {0x0F, 0x71}, 2, 4, 0, Imm::Count, kXmmRm | kRegOnly},
    {"psllw x,imm8", "sse", 0x66, {0x0F, 0x71}, 2, 6, 0, Imm::Count, kXmmRm | kRegOnly},
    {"psrld x,imm8", "sse", 0x66, {0x0F, 0x72}, 2, 2, 0, Imm::Count, kXmmRm | kRegOnly},
    {"psrad x,imm8", "sse", 0x66, {0x0F, 0x72}, 2, 4, 0, Imm::Count, kXmmRm | kRegOnly},
    {"pslld x,imm8", "sse", 0x66, {0x0F, 0x72}, 2, 6, 0, Imm::Count, kXmmRm | kRegOnly},
    {"psrlq x,imm8", "sse", 0x66, {0x0F, 0x73}, 2, 2, 0, Imm::Count, kXmmRm | kRegOnly},
    {"psllq x,imm8", "sse", 0x66, {0x0F, 0x73}, 2, 6, 0, Imm::Count, kXmmRm | kRegOnly},
#define SSE2(name, opc) {name " x,x/m", "sse", 0x66, {0x0F, opc}, 2, -1, 0, Imm::None, kXmmReg | kXmmRm | kAlign16}
    SSE2("pxor", 0xEF), SSE2("por", 0xEB), SSE2("pand", 0xDB), SSE2("pandn", 0xDF),
    SSE2("pcmpeqb", 0x74), SSE2("pcmpeqw", 0x75), SSE2("pcmpeqd", 0x76),
    SSE2("pcmpgtb", 0x64), SSE2("pcmpgtw", 0x65), SSE2("pcmpgtd", 0x66),
    SSE2("punpcklbw", 0x60), SSE2("punpcklwd", 0x61), SSE2("punpckldq", 0x62),
    SSE2("punpcklqdq", 0x6C), SSE2("punpckhbw", 0x68), SSE2("punpckhwd", 0x69),
    SSE2("punpckhdq", 0x6A), SSE2("punpckhqdq", 0x6D),
    SSE2("paddb", 0xFC), SSE2("paddw", 0xFD), SSE2("paddd", 0xFE), SSE2("paddq", 0xD4),
    SSE2("psubb", 0xF8), SSE2("psubw", 0xF9), SSE2("psubd", 0xFA), SSE2("psubq", 0xFB),
    SSE2("pmullw", 0xD5), SSE2("pminub", 0xDA), SSE2("pmaxub", 0xDE), SSE2("psadbw", 0xF6),
    SSE2("packuswb", 0x67), SSE2("packsswb", 0x63),
#undef SSE2
    {"xorps x,x/m", "sse", 0, {0x0F, 0x57}, 2, -1, 0, Imm::None, kXmmReg | kXmmRm | kAlign16},
    {"andps x,x/m", "sse", 0, {0x0F, 0x54}, 2, -1, 0, Imm::None, kXmmReg | kXmmRm | kAlign16},
    {"orps x,x/m", "sse", 0, {0x0F, 0x56}, 2, -1, 0, Imm::None, kXmmReg | kXmmRm | kAlign16},
};
// clang-format on

constexpr uint32_t reg_bit(unsigned r) {
    return 1u << r;
}

unsigned pick_size(StreamBuilder& b, uint8_t sizes) {
    uint8_t allowed = sizes;
    if (!b.long64()) allowed &= static_cast<uint8_t>(~S64);
    if (!allowed) return 0;
    for (;;) {
        const uint8_t s = static_cast<uint8_t>(1u << b.rng().below(4));
        if (allowed & s) return s;
    }
}

unsigned rm_size(const Row& r, unsigned size) {
    if (r.flags & kRm8) return 1;
    if (r.flags & kRm16) return 2;
    if (r.flags & kRm32) return 4;
    if (r.flags & kMem8) return 8;
    if (r.flags & kMem4) return 4;
    if (r.flags & kXmmRm || (r.flags & kXmmReg && !r.sizes)) return 16;
    return size ? size : 8; // PUSH/POP r/m: at most a quadword
}

std::vector<uint8_t> imm_bytes(StreamBuilder& b, Imm imm, unsigned size) {
    switch (imm) {
    case Imm::None: return {};
    case Imm::Ib: return le_bytes(b.value(), 1);
    case Imm::Count: return {b.shift_count()};
    case Imm::Iw: return le_bytes(b.value(), 2);
    case Imm::Iz: return le_bytes(b.value(), size == 2 ? 2 : 4);
    }
    return {};
}

// Emits `spec`, resolving the RIP-relative displacement if the memory operand has one.
void emit_spec(StreamBuilder& b, const InsnSpec& spec, Fixup rip) {
    std::vector<uint8_t> bytes = encode(spec, b.mode());
    if (rip.kind == Fixup::Kind::RipData)
        rip.offset = static_cast<unsigned>(bytes.size() - spec.imm.size() - 4);
    b.emit(std::move(bytes), rip);
}

// mov acc, [same memory operand]: lets CMPXCHG take its success path.
void preload_accumulator(StreamBuilder& b, const InsnSpec& target, unsigned size, Fixup rip) {
    InsnSpec s;
    for (uint8_t p : target.prefixes)
        if (p != 0xF0) s.prefixes.push_back(p);
    s.opcode = {static_cast<uint8_t>(size == 1 ? 0x8A : 0x8B)};
    s.rex_w = size == 8;
    s.reg = 0;
    s.rm = target.rm;
    emit_spec(b, s, rip);
}

// Makes DIV/IDIV mostly not overflow: clear (DIV) or sign-extend (IDIV) the high half.
void prepare_divide(StreamBuilder& b, bool is_signed, unsigned size) {
    if (!b.rng().chance(60)) return;
    if (size == 1) {
        b.emit({0x66, 0x98});                 // cbw: AX = sign-extended AL
        if (!is_signed) b.emit({0x30, 0xE4}); // xor ah, ah
        return;
    }
    if (is_signed) {
        std::vector<uint8_t> cqo;
        if (size == 2) cqo.push_back(0x66);
        if (size == 8) cqo.push_back(0x48);
        cqo.push_back(0x99);
        b.emit(cqo);
    } else {
        b.emit({0x31, 0xD2}); // xor edx, edx
    }
}

void gen_row(StreamBuilder& b, const InsnTemplate& t) {
    const Row& r = *static_cast<const Row*>(t.row);
    const unsigned size = pick_size(b, r.sizes);
    if (r.sizes && !size) return; // e.g. a 64-bit-only form in 32-bit mode
    Rng& rng = b.rng();
    InsnSpec s;
    const bool xmm_reg = r.flags & kXmmReg;
    const bool xmm_rm = r.flags & kXmmRm;
    s.reg = static_cast<uint8_t>(r.digit >= 0 ? r.digit : xmm_reg ? b.pick_xmm() : b.pick_gpr());
    uint32_t exclude = (r.digit < 0 && !xmm_reg) ? reg_bit(s.reg) : 0;
    if (r.flags & kShiftCl) {
        b.set_reg(1, b.shift_count());
        exclude |= reg_bit(1);
    }
    if (r.flags & (kPreloadAcc | kDiv)) exclude |= reg_bit(0) | reg_bit(2);
    const bool mem = (r.flags & kMemOnly) || (!(r.flags & kRegOnly) && rng.chance(50));
    std::vector<uint8_t> mem_prefixes;
    Fixup rip;
    if (mem) {
        s.rm =
            b.memory(rm_size(r, size), (r.flags & kAlign16) ? 16 : 1, mem_prefixes, exclude, rip);
    } else {
        s.rm.reg = static_cast<uint8_t>(xmm_rm ? b.pick_xmm() : b.pick_gpr());
    }
    if ((r.flags & kBitOffset) && mem)
        b.set_reg(s.reg, static_cast<uint64_t>(static_cast<int64_t>(rng.below(2048)) - 1024));
    if (r.flags & kDiv) prepare_divide(b, r.digit == 7, size);

    const bool lock = ((r.flags & kLock) && mem && rng.chance(50)) || rng.chance(2);
    if (lock) s.prefixes.push_back(0xF0);
    s.prefixes.insert(s.prefixes.end(), mem_prefixes.begin(), mem_prefixes.end());
    if (size == 2) s.prefixes.push_back(0x66);
    s.rex_w = size == 8;
    s.imm = imm_bytes(b, r.imm, size);
    if (r.flags & kVex) {
        s.use_vex = true;
        s.vex.map = r.op[0];
        s.vex.pp = r.prefix;
        s.vex.w = size == 8;
        s.rex_w = false;
        s.vex.vvvv = static_cast<uint8_t>((r.flags & kNoVvvv) ? 0 : b.pick_gpr());
        s.opcode = {r.op[1]};
    } else {
        if (r.prefix) s.prefixes.push_back(r.prefix);
        s.opcode.assign(r.op, r.op + r.op_len);
        if (r.flags & kCc) s.opcode.back() = static_cast<uint8_t>(s.opcode.back() + rng.below(16));
        s.force_rex = b.long64() && size == 1 && rng.chance(30);
    }
    if ((r.flags & kPreloadAcc) && mem && rng.chance(50)) preload_accumulator(b, s, size, rip);
    emit_spec(b, s, rip);
}

// ---------------------------------------------------------------------------------------------
// Forms with setup or control flow.

std::vector<uint8_t> opsize_prefix(StreamBuilder& b, unsigned size) {
    if (size == 2) return {0x66};
    if (size == 8 && b.long64()) return {0x48};
    return {};
}

void gen_push_pop(StreamBuilder& b, const InsnTemplate&) {
    Rng& rng = b.rng();
    const unsigned r = b.pick_gpr(reg_bit(4));
    std::vector<uint8_t> rex;
    if (b.long64() && r >= 8) rex.push_back(0x41);
    std::vector<uint8_t> bytes =
        rng.chance(15) ? std::vector<uint8_t>{0x66} : std::vector<uint8_t>{};
    bytes.insert(bytes.end(), rex.begin(), rex.end());
    switch (rng.below(4)) {
    case 0: bytes.push_back(static_cast<uint8_t>(0x50 + (r & 7))); break;
    case 1: bytes.push_back(static_cast<uint8_t>(0x58 + (r & 7))); break;
    case 2:
        bytes.push_back(0x6A);
        bytes.push_back(static_cast<uint8_t>(b.value()));
        break;
    default:
        bytes.push_back(0x68);
        for (uint8_t x : le_bytes(b.value(), bytes[0] == 0x66 ? 2 : 4))
            bytes.push_back(x);
        break;
    }
    b.emit(bytes);
}

void gen_flags(StreamBuilder& b, const InsnTemplate&) {
    static const uint8_t kOps[] = {0xF8, 0xF9, 0xF5, 0xFC,
                                   0xFD, 0x9E, 0x9F}; // clc stc cmc cld std sahf lahf
    b.emit({b.rng().pick(kOps)});
}

// push imm (status flags and DF only); popf. And pushf.
void gen_pushf_popf(StreamBuilder& b, const InsnTemplate&) {
    if (b.rng().chance(30)) {
        b.emit({0x9C});
        return;
    }
    constexpr uint32_t kSafe = 0x0CD5; // CF PF AF ZF SF DF OF
    std::vector<uint8_t> push{0x68};
    for (uint8_t x : le_bytes((b.rng().next() & kSafe) | 2, 4))
        push.push_back(x);
    b.emit(push);
    b.emit({0x9D});
}

void gen_convert(StreamBuilder& b, const InsnTemplate&) {
    static const unsigned kSizes[] = {2, 4, 8};
    const unsigned size = b.rng().pick(kSizes);
    std::vector<uint8_t> bytes = opsize_prefix(b, size);
    bytes.push_back(b.rng().chance(50) ? 0x98 : 0x99);
    b.emit(bytes);
}

void gen_xlat(StreamBuilder& b, const InsnTemplate&) {
    b.set_reg(3, b.data_address(256, 1) - 0x80);
    b.emit({0xD7});
}

void gen_bswap(StreamBuilder& b, const InsnTemplate&) {
    const unsigned r = b.pick_gpr(reg_bit(4));
    std::vector<uint8_t> bytes;
    const bool wide = b.long64() && b.rng().chance(50);
    if (b.long64() && (wide || r >= 8))
        bytes.push_back(static_cast<uint8_t>(0x40 | (wide ? 8 : 0) | (r >> 3)));
    bytes.push_back(0x0F);
    bytes.push_back(static_cast<uint8_t>(0xC8 + (r & 7)));
    b.emit(bytes);
}

void gen_xchg_acc(StreamBuilder& b, const InsnTemplate&) {
    static const unsigned kSizes[] = {2, 4, 8};
    const unsigned size = b.rng().pick(kSizes);
    const unsigned r = b.pick_gpr(reg_bit(4));
    std::vector<uint8_t> bytes;
    if (size == 2) bytes.push_back(0x66);
    if (b.long64() && (size == 8 || r >= 8))
        bytes.push_back(static_cast<uint8_t>(0x40 | (size == 8 ? 8 : 0) | (r >> 3)));
    bytes.push_back(static_cast<uint8_t>(0x90 + (r & 7)));
    b.emit(bytes);
}

void gen_mov_imm(StreamBuilder& b, const InsnTemplate&) {
    const unsigned r = b.pick_gpr(reg_bit(4));
    std::vector<uint8_t> bytes;
    const bool byte_form = b.rng().chance(40);
    const bool wide = !byte_form && b.long64() && b.rng().chance(50);
    if (b.long64() && (wide || r >= 8 || b.rng().chance(20)))
        bytes.push_back(static_cast<uint8_t>(0x40 | (wide ? 8 : 0) | (r >> 3)));
    bytes.push_back(static_cast<uint8_t>((byte_form ? 0xB0 : 0xB8) + (r & 7)));
    for (uint8_t x : le_bytes(b.value(), byte_form ? 1 : wide ? 8 : 4))
        bytes.push_back(x);
    b.emit(bytes);
}

// MOV AL/rAX <-> moffs: a full-width absolute address (SDM Vol. 2, MOV).
void gen_mov_moffs(StreamBuilder& b, const InsnTemplate&) {
    Rng& rng = b.rng();
    static const unsigned kSizes[] = {1, 2, 4, 8};
    unsigned size = rng.pick(kSizes);
    if (size == 8 && !b.long64()) size = 4;
    std::vector<uint8_t> bytes = size == 1 ? std::vector<uint8_t>{} : opsize_prefix(b, size);
    const bool store = rng.chance(50);
    bytes.push_back(static_cast<uint8_t>((store ? 0xA2 : 0xA0) + (size == 1 ? 0 : 1)));
    for (uint8_t x : le_bytes(b.data_address(size, 1), b.long64() ? 8 : 4))
        bytes.push_back(x);
    b.emit(bytes);
}

void gen_enter_leave(StreamBuilder& b, const InsnTemplate&) {
    b.set_reg(5, layout::kStackStart + 8 * b.rng().below(32));
    if (b.rng().chance(50)) {
        b.emit({0xC9}); // leave
        return;
    }
    std::vector<uint8_t> enter{0xC8};
    for (uint8_t x : le_bytes(8 * b.rng().below(16), 2))
        enter.push_back(x);
    enter.push_back(static_cast<uint8_t>(b.rng().below(3))); // nesting level 0..2
    b.emit(enter);
}

Fixup rel_fixup(unsigned offset, unsigned size, StreamBuilder& b) {
    return Fixup{Fixup::Kind::Rel, offset, size, static_cast<unsigned>(b.rng().below(3)), 0};
}

void gen_jcc(StreamBuilder& b, const InsnTemplate&) {
    const uint8_t cc = static_cast<uint8_t>(b.rng().below(16));
    if (b.rng().chance(50))
        b.emit({static_cast<uint8_t>(0x70 + cc), 0}, rel_fixup(1, 1, b));
    else
        b.emit({0x0F, static_cast<uint8_t>(0x80 + cc), 0, 0, 0, 0}, rel_fixup(2, 4, b));
}

void gen_jmp_call(StreamBuilder& b, const InsnTemplate&) {
    switch (b.rng().below(3)) {
    case 0: b.emit({0xEB, 0}, rel_fixup(1, 1, b)); break;
    case 1: b.emit({0xE9, 0, 0, 0, 0}, rel_fixup(1, 4, b)); break;
    default: b.emit({0xE8, 0, 0, 0, 0}, rel_fixup(1, 4, b)); break;
    }
}

// jmp/call through a register that holds a later instruction's address.
void gen_indirect(StreamBuilder& b, const InsnTemplate&) {
    const unsigned r = b.pick_gpr(reg_bit(4));
    const unsigned imm = b.long64() ? 8 : 4;
    Fixup abs{Fixup::Kind::Abs, 0, imm, 1 + static_cast<unsigned>(b.rng().below(2)), 0};
    std::vector<uint8_t> mov;
    if (b.long64()) mov.push_back(static_cast<uint8_t>(0x48 | (r >> 3)));
    mov.push_back(static_cast<uint8_t>(0xB8 + (r & 7)));
    abs.offset = static_cast<unsigned>(mov.size());
    mov.resize(mov.size() + imm);
    b.emit(mov, abs);
    std::vector<uint8_t> jmp;
    if (b.long64() && r >= 8) jmp.push_back(0x41);
    jmp.push_back(0xFF);
    jmp.push_back(static_cast<uint8_t>(0xC0 | ((b.rng().chance(50) ? 4 : 2) << 3) | (r & 7)));
    b.emit(jmp);
}

// push <later instruction>; ret [imm16]
void gen_ret(StreamBuilder& b, const InsnTemplate&) {
    b.emit({0x68, 0, 0, 0, 0},
           Fixup{Fixup::Kind::Abs, 1, 4, 1 + static_cast<unsigned>(b.rng().below(2)), 0});
    if (b.rng().chance(70))
        b.emit({0xC3});
    else
        b.emit({0xC2, static_cast<uint8_t>(8 * b.rng().below(4)), 0});
}

void gen_loop(StreamBuilder& b, const InsnTemplate&) {
    if (b.rng().chance(60)) b.set_reg(1, b.rng().below(3));
    static const uint8_t kOps[] = {0xE0, 0xE1, 0xE2, 0xE3}; // loopne loope loop jrcxz
    std::vector<uint8_t> bytes;
    if (b.rng().chance(15)) bytes.push_back(0x67); // ECX (or CX) as the counter
    bytes.push_back(b.rng().pick(kOps));
    bytes.push_back(0);
    b.emit(bytes, rel_fixup(static_cast<unsigned>(bytes.size() - 1), 1, b));
}

void gen_string(StreamBuilder& b, const InsnTemplate&) {
    Rng& rng = b.rng();
    const uint8_t op = static_cast<uint8_t>(0xA4 + rng.below(12));
    if (op == 0xA8 || op == 0xA9) return; // TEST acc, imm: not a string op
    const bool cmp_like = op == 0xA6 || op == 0xA7 || op == 0xAE || op == 0xAF;
    b.set_reg(6, b.data_address(1, 1) & ~uint64_t{7});
    b.set_reg(7, b.data_address(1, 1) & ~uint64_t{7});
    b.set_reg(1, rng.below(rng.chance(80) ? 12 : 40));
    b.emit({static_cast<uint8_t>(rng.chance(50) ? 0xFC : 0xFD)}); // cld / std
    std::vector<uint8_t> bytes;
    const unsigned rep = static_cast<unsigned>(rng.below(3));
    if (rep == 1) bytes.push_back(0xF3);
    if (rep == 2 && cmp_like) bytes.push_back(0xF2);
    if (b.long64() && rng.chance(10)) bytes.push_back(0x67);
    if (op & 1) {
        static const unsigned kSizes[] = {2, 4, 8};
        const unsigned size = rng.pick(kSizes);
        for (uint8_t p : opsize_prefix(b, size))
            bytes.push_back(p);
    }
    bytes.push_back(op);
    b.emit(bytes);
}

void gen_interrupt(StreamBuilder& b, const InsnTemplate&) {
    switch (b.rng().below(4)) {
    case 0: b.emit({0xCC}); break;
    case 1: b.emit({0xCD, static_cast<uint8_t>(b.rng().next())}); break;
    case 2: b.emit({0x0F, 0x0B}); break; // ud2
    default: b.emit({0xCE}); break;      // into (#UD in 64-bit mode)
    }
}

// CMPXCHG8B/16B, often with EDX:EAX (RDX:RAX) preloaded from the operand so that it succeeds.
void gen_cmpxchg_wide(StreamBuilder& b, const InsnTemplate&) {
    Rng& rng = b.rng();
    const bool wide = b.long64() && rng.chance(50);
    const unsigned size = wide ? 16 : 8;
    InsnSpec s;
    std::vector<uint8_t> mem_prefixes;
    Fixup rip;
    const uint32_t exclude = reg_bit(0) | reg_bit(1) | reg_bit(2) | reg_bit(3);
    s.rm = b.memory(size, wide ? 16 : 8, mem_prefixes, exclude, rip);
    if (rng.chance(50)) {
        InsnSpec load;
        load.prefixes = mem_prefixes;
        load.opcode = {0x8B};
        load.rex_w = wide;
        load.rm = s.rm;
        emit_spec(b, load, rip);
        load.reg = 2;
        Fixup rip_hi = rip;
        if (rip.kind == Fixup::Kind::RipData)
            rip_hi.data += size / 2;
        else
            load.rm.mem.disp += static_cast<int32_t>(size / 2);
        emit_spec(b, load, rip_hi);
    }
    if (rng.chance(50)) s.prefixes.push_back(0xF0);
    s.prefixes.insert(s.prefixes.end(), mem_prefixes.begin(), mem_prefixes.end());
    s.opcode = {0x0F, 0xC7};
    s.reg = 1;
    s.rex_w = wide;
    emit_spec(b, s, rip);
}

std::vector<InsnTemplate> build_templates() {
    std::vector<InsnTemplate> out;
    for (const Row& r : kRows)
        out.push_back({r.name, r.klass, gen_row, &r, (r.flags & kVex) != 0});
    const InsnTemplate custom[] = {
        {"push/pop", "move", gen_push_pop, nullptr},
        {"clc/stc/cmc/cld/std/lahf/sahf", "move", gen_flags, nullptr},
        {"pushf/popf", "move", gen_pushf_popf, nullptr},
        {"cbw/cwd family", "move", gen_convert, nullptr},
        {"xlat", "move", gen_xlat, nullptr},
        {"bswap", "move", gen_bswap, nullptr},
        {"xchg acc,r", "move", gen_xchg_acc, nullptr},
        {"mov r,imm", "move", gen_mov_imm, nullptr},
        {"mov acc,moffs", "move", gen_mov_moffs, nullptr},
        {"enter/leave", "control", gen_enter_leave, nullptr},
        {"jcc", "control", gen_jcc, nullptr},
        {"jmp/call rel", "control", gen_jmp_call, nullptr},
        {"jmp/call reg", "control", gen_indirect, nullptr},
        {"ret", "control", gen_ret, nullptr},
        {"loop/jrcxz", "control", gen_loop, nullptr},
        {"string", "string", gen_string, nullptr},
        {"string", "string", gen_string, nullptr}, // twice: strings have many variants
        {"int3/int n/ud2/into", "control", gen_interrupt, nullptr},
        {"cmpxchg8b/16b", "atomic", gen_cmpxchg_wide, nullptr},
    };
    out.insert(out.end(), std::begin(custom), std::end(custom));
    for (const InsnTemplate& t : privileged_templates())
        out.push_back(t);
    return out;
}

} // namespace

const std::vector<InsnTemplate>& insn_templates() {
    static const std::vector<InsnTemplate> kAll = build_templates();
    return kAll;
}

} // namespace hvlab::tools
