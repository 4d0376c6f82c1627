// Every register form of the SSE2 integer, logic, shuffle, pack, shift and mask instructions,
// on operands mixing random lanes with edge values (0, all ones, sign boundaries, shift counts
// around the lane widths), compared with Unicorn. The seed is fixed and printed.
#include "tests/cpu_simd/simd_rig.hpp"
#include "tests/cpu_simd/unicorn_ref.hpp"

#include <cstdio>
#include <random>

using namespace hvlab::cpu;
using namespace hvlab::cpu::test;

namespace {

constexpr uint64_t kSeed = 0x5EED'55E2;
constexpr unsigned kRounds = 40;

// A 16-bit chunk: random, or one of the values where saturation, sign and carry rules change.
uint16_t edge_chunk(std::mt19937_64& g) {
    static constexpr uint16_t kEdges[] = {0x0000, 0xFFFF, 0x8000, 0x7FFF, 0x0001, 0x00FF,
                                          0xFF00, 0x0080, 0x007F, 0x8080, 0x7F7F, 0xFF80};
    const unsigned pick = g() % 24;
    return pick < 12 ? kEdges[pick] : static_cast<uint16_t>(g());
}

uint64_t edge_qword(std::mt19937_64& g) {
    uint64_t v = 0;
    for (unsigned i = 0; i < 4; ++i)
        v |= uint64_t{edge_chunk(g)} << (16 * i);
    return v;
}

// Shift counts in the low quadword of the count operand.
uint64_t shift_count(std::mt19937_64& g) {
    static constexpr uint64_t kCounts[] = {
        0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255, 0x100000000ull, ~uint64_t{0}};
    return kCounts[g() % 16];
}

struct Insn {
    std::vector<uint8_t> code;
    const char* name;
    bool count_in_xmm2 = false; // xmm2's low quadword is a shift count
};

// ModRM 0xCA: reg = xmm1 (destination), rm = xmm2 (source). ModRM 0xC1: reg = eax, rm = xmm1.
std::vector<Insn> binary_ops() {
    std::vector<Insn> v;
    const struct {
        uint8_t pfx, op;
        const char* name;
        bool count;
    } k[] = {
        {0x66, 0xD4, "paddq", false},      {0x66, 0xD5, "pmullw", false},
        {0x66, 0xD8, "psubusb", false},    {0x66, 0xD9, "psubusw", false},
        {0x66, 0xDA, "pminub", false},     {0x66, 0xDB, "pand", false},
        {0x66, 0xDC, "paddusb", false},    {0x66, 0xDD, "paddusw", false},
        {0x66, 0xDE, "pmaxub", false},     {0x66, 0xDF, "pandn", false},
        {0x66, 0xE0, "pavgb", false},      {0x66, 0xE3, "pavgw", false},
        {0x66, 0xE4, "pmulhuw", false},    {0x66, 0xE5, "pmulhw", false},
        {0x66, 0xE8, "psubsb", false},     {0x66, 0xE9, "psubsw", false},
        {0x66, 0xEA, "pminsw", false},     {0x66, 0xEB, "por", false},
        {0x66, 0xEC, "paddsb", false},     {0x66, 0xED, "paddsw", false},
        {0x66, 0xEE, "pmaxsw", false},     {0x66, 0xEF, "pxor", false},
        {0x66, 0xF4, "pmuludq", false},    {0x66, 0xF5, "pmaddwd", false},
        {0x66, 0xF6, "psadbw", false},     {0x66, 0xF8, "psubb", false},
        {0x66, 0xF9, "psubw", false},      {0x66, 0xFA, "psubd", false},
        {0x66, 0xFB, "psubq", false},      {0x66, 0xFC, "paddb", false},
        {0x66, 0xFD, "paddw", false},      {0x66, 0xFE, "paddd", false},
        {0x66, 0x60, "punpcklbw", false},  {0x66, 0x61, "punpcklwd", false},
        {0x66, 0x62, "punpckldq", false},  {0x66, 0x63, "packsswb", false},
        {0x66, 0x64, "pcmpgtb", false},    {0x66, 0x65, "pcmpgtw", false},
        {0x66, 0x66, "pcmpgtd", false},    {0x66, 0x67, "packuswb", false},
        {0x66, 0x68, "punpckhbw", false},  {0x66, 0x69, "punpckhwd", false},
        {0x66, 0x6A, "punpckhdq", false},  {0x66, 0x6B, "packssdw", false},
        {0x66, 0x6C, "punpcklqdq", false}, {0x66, 0x6D, "punpckhqdq", false},
        {0x66, 0x74, "pcmpeqb", false},    {0x66, 0x75, "pcmpeqw", false},
        {0x66, 0x76, "pcmpeqd", false},    {0x66, 0x54, "andpd", false},
        {0x66, 0x55, "andnpd", false},     {0x66, 0x56, "orpd", false},
        {0x66, 0x57, "xorpd", false},      {0x00, 0x54, "andps", false},
        {0x00, 0x55, "andnps", false},     {0x00, 0x56, "orps", false},
        {0x00, 0x57, "xorps", false},      {0x00, 0x14, "unpcklps", false},
        {0x00, 0x15, "unpckhps", false},   {0x66, 0x14, "unpcklpd", false},
        {0x66, 0x15, "unpckhpd", false},   {0x66, 0xD1, "psrlw", true},
        {0x66, 0xD2, "psrld", true},       {0x66, 0xD3, "psrlq", true},
        {0x66, 0xE1, "psraw", true},       {0x66, 0xE2, "psrad", true},
        {0x66, 0xF1, "psllw", true},       {0x66, 0xF2, "pslld", true},
        {0x66, 0xF3, "psllq", true},
    };
    for (const auto& e : k) {
        Insn i{{}, e.name, e.count};
        if (e.pfx) i.code.push_back(e.pfx);
        i.code.insert(i.code.end(), {0x0F, e.op, 0xCA});
        v.push_back(i);
    }
    return v;
}

// Forms with an immediate, for every interesting immediate value.
std::vector<Insn> immediate_ops() {
    std::vector<Insn> v;
    const struct {
        std::vector<uint8_t> head;
        const char* name;
    } k[] = {
        {{0x66, 0x0F, 0x70, 0xCA}, "pshufd"},
        {{0xF3, 0x0F, 0x70, 0xCA}, "pshufhw"},
        {{0xF2, 0x0F, 0x70, 0xCA}, "pshuflw"},
        {{0x0F, 0xC6, 0xCA}, "shufps"},
        {{0x66, 0x0F, 0xC6, 0xCA}, "shufpd"},
        {{0x66, 0x0F, 0x71, 0xD1}, "psrlw imm"},
        {{0x66, 0x0F, 0x71, 0xE1}, "psraw imm"},
        {{0x66, 0x0F, 0x71, 0xF1}, "psllw imm"},
        {{0x66, 0x0F, 0x72, 0xD1}, "psrld imm"},
        {{0x66, 0x0F, 0x72, 0xE1}, "psrad imm"},
        {{0x66, 0x0F, 0x72, 0xF1}, "pslld imm"},
        {{0x66, 0x0F, 0x73, 0xD1}, "psrlq imm"},
        {{0x66, 0x0F, 0x73, 0xD9}, "psrldq"},
        {{0x66, 0x0F, 0x73, 0xF1}, "psllq imm"},
        {{0x66, 0x0F, 0x73, 0xF9}, "pslldq"},
        {{0x66, 0x0F, 0xC4, 0xC8}, "pinsrw xmm1,eax"},
        {{0x66, 0x0F, 0xC5, 0xC1}, "pextrw eax,xmm1"},
        {{0x66, 0x4C, 0x0F, 0xC5, 0xD9}, "pextrw r11,xmm1"},
    };
    for (const auto& e : k) {
        for (unsigned imm : {0x00u, 0x01u, 0x07u, 0x08u, 0x0Fu, 0x10u, 0x1Bu, 0x1Fu, 0x20u, 0x3Fu,
                             0x40u, 0x4Eu, 0x80u, 0xB1u, 0xE4u, 0xFFu}) {
            Insn i{e.head, e.name};
            i.code.push_back(static_cast<uint8_t>(imm));
            v.push_back(i);
        }
    }
    return v;
}

std::vector<Insn> mask_ops() {
    return {
        {{0x66, 0x0F, 0xD7, 0xC1}, "pmovmskb eax,xmm1"},
        {{0x66, 0x48, 0x0F, 0xD7, 0xC1}, "pmovmskb rax,xmm1"},
        {{0x0F, 0x50, 0xC1}, "movmskps eax,xmm1"},
        {{0x66, 0x0F, 0x50, 0xC1}, "movmskpd eax,xmm1"},
        {{0x66, 0x45, 0x0F, 0xD7, 0xC7}, "pmovmskb r8d,xmm15"},
    };
}

void compare_with_unicorn(const std::vector<Insn>& insns) {
    std::printf("sse integer vs unicorn: seed %#llx\n", static_cast<unsigned long long>(kSeed));
    std::mt19937_64 g(kSeed);
    UnicornRef uc;
    for (const Insn& insn : insns) {
        for (unsigned round = 0; round < kRounds; ++round) {
            SimdRig r;
            for (unsigned i = 0; i < 16; ++i)
                r.set_x(i, edge_qword(g), edge_qword(g));
            for (unsigned i = 0; i < 16; ++i)
                if (i != RSP) r.reg(static_cast<Gpr>(i)) = edge_qword(g);
            if (insn.count_in_xmm2) r.x(2).lo = shift_count(g);
            if (round == 0) r.set_x(2, r.x(1).lo, r.x(1).hi); // equal operands
            const CpuState in = r.s();
            CpuState before = in;
            before.gpr[RSP] = CpuFixture::kStackTop;
            const CpuState want = uc.run(insn.code, before);
            INFO(insn.name << " round " << round << " seed " << kSeed);
            REQUIRE(r.exec(insn.code) == kRetired);
            for (unsigned i = 0; i < 16; ++i) {
                INFO("xmm" << i);
                CHECK(r.x(i).lo == want.xmm[i].lo);
                CHECK(r.x(i).hi == want.xmm[i].hi);
                if (i == RSP) continue;
                INFO("gpr " << i);
                CHECK(r.s().gpr[i] == want.gpr[i]);
            }
        }
    }
}

} // namespace

TEST_CASE("sse integer vs unicorn: two-operand packed operations", "[sse][unicorn]") {
    compare_with_unicorn(binary_ops());
}

TEST_CASE("sse integer vs unicorn: shuffles, shifts by immediate, PINSRW/PEXTRW",
          "[sse][unicorn]") {
    compare_with_unicorn(immediate_ops());
}

TEST_CASE("sse integer vs unicorn: sign-mask extraction", "[sse][unicorn]") {
    compare_with_unicorn(mask_ops());
}
