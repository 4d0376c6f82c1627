// Encodings from the SDM Vol. 2 (Intel SDM, Dec 2023, Order 325462-081) instruction pages.
#include "ui/cli/bench_workloads.hpp"

namespace hvlab::ui {

namespace {

using namespace bench_layout;

class Asm {
  public:
    void bytes(std::initializer_list<uint8_t> b) { code.insert(code.end(), b); }
    void imm(uint64_t v, unsigned n) {
        for (unsigned i = 0; i < n; ++i) code.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
    void mov_imm64(uint8_t reg, uint64_t v) { // REX.W B8+r io
        bytes({static_cast<uint8_t>(0x48 | (reg >> 3)), static_cast<uint8_t>(0xB8 + (reg & 7))});
        imm(v, 8);
    }
    uint64_t here() const { return kCode + code.size(); }
    // jnz/jz back or forward to `target` with a rel8.
    void jcc8(uint8_t opcode, uint64_t target) {
        code.push_back(opcode);
        code.push_back(static_cast<uint8_t>(target - (here() + 1)));
    }
    std::vector<uint8_t> code;
};

constexpr uint8_t RDX = 2, RBX = 3, RSI = 6, RDI = 7;

// add rax,rbx; xor rcx,rax; imul r8,rcx; mov [rsi],rax; dec rdx; jnz (issue 3's ALU loop)
BenchProgram alu_loop(uint64_t n) {
    const uint64_t iters = n / 6 ? n / 6 : 1;
    Asm a;
    a.mov_imm64(RDX, iters);
    a.mov_imm64(RSI, kData);
    const uint64_t loop = a.here();
    a.bytes({0x48, 0x01, 0xD8});       // add rax, rbx
    a.bytes({0x48, 0x31, 0xC1});       // xor rcx, rax
    a.bytes({0x4C, 0x0F, 0xAF, 0xC1}); // imul r8, rcx
    a.bytes({0x48, 0x89, 0x06});       // mov [rsi], rax
    a.bytes({0x48, 0xFF, 0xCA});       // dec rdx
    a.jcc8(0x75, loop);                // jnz loop
    const uint64_t hlt = a.here();
    a.bytes({0xF4});
    return {a.code, hlt, 2 + 6 * iters, 0x1000};
}

// A load and a store on every 4 KiB page of an 8 MiB region, round and round: one TLB miss
// per iteration in a small TLB, none in a large one.
BenchProgram memory_walk(uint64_t n) {
    const uint64_t iters = n / 7 ? n / 7 : 1;
    Asm a;
    a.mov_imm64(RDX, iters);
    a.mov_imm64(RBX, kWalkBase);
    a.mov_imm64(RSI, kWalkBase);
    a.mov_imm64(RDI, kWalkBase + kWalkBytes);
    const uint64_t loop = a.here();
    a.bytes({0x48, 0x03, 0x06});                         // add rax, [rsi]
    a.bytes({0x48, 0x89, 0x46, 0x08});                   // mov [rsi+8], rax
    a.bytes({0x48, 0x81, 0xC6, 0x00, 0x10, 0x00, 0x00}); // add rsi, 0x1000
    a.bytes({0x48, 0x39, 0xFE});                         // cmp rsi, rdi
    a.bytes({0x48, 0x0F, 0x43, 0xF3});                   // cmovae rsi, rbx
    a.bytes({0x48, 0xFF, 0xCA});                         // dec rdx
    a.jcc8(0x75, loop);
    const uint64_t hlt = a.here();
    a.bytes({0xF4});
    return {a.code, hlt, 4 + 7 * iters, kWalkBytes / 4096 * 4096};
}

// A 32-deep recursion of near CALL/RET per outer iteration:
//   outer: mov edi,32; call rec; dec rdx; jnz outer; hlt
//   rec:   dec rdi; jz done; call rec; done: ret
BenchProgram call_ret(uint64_t n) {
    constexpr uint64_t kDepth = 32;
    constexpr uint64_t kPerOuter = 2 + (kDepth - 1) * 4 + 3 + 2;
    const uint64_t iters = n / kPerOuter ? n / kPerOuter : 1;
    Asm a;
    a.mov_imm64(RDX, iters);
    const uint64_t outer = a.here();
    a.bytes({0xBF});
    a.imm(kDepth, 4);                  // mov edi, 32
    const size_t call_outer = a.code.size();
    a.bytes({0xE8, 0, 0, 0, 0});       // call rec (patched below)
    a.bytes({0x48, 0xFF, 0xCA});       // dec rdx
    a.jcc8(0x75, outer);
    const uint64_t hlt = a.here();
    a.bytes({0xF4});
    const uint64_t rec = a.here();
    a.bytes({0x48, 0xFF, 0xCF});       // dec rdi
    a.bytes({0x74, 0x05});             // jz done
    a.bytes({0xE8});
    a.imm(rec - (a.here() + 4), 4);    // call rec
    a.bytes({0xC3});                   // done: ret
    const uint64_t rel = rec - (kCode + call_outer + 5);
    for (unsigned i = 0; i < 4; ++i) a.code[call_outer + 1 + i] = static_cast<uint8_t>(rel >> (8 * i));
    return {a.code, hlt, 1 + kPerOuter * iters, 0x1000};
}

// REP MOVSB of 4 KiB per outer iteration; every byte moved counts as one instruction
// (one iteration of the string instruction, as both emulators execute it).
BenchProgram rep_movsb(uint64_t n) {
    constexpr uint64_t kLen = 4096;
    const uint64_t iters = n / (kLen + 5) ? n / (kLen + 5) : 1;
    Asm a;
    a.mov_imm64(RDX, iters);
    const uint64_t outer = a.here();
    a.mov_imm64(RSI, kCopySrc);
    a.mov_imm64(RDI, kCopyDst);
    a.bytes({0xB9});
    a.imm(kLen, 4);                    // mov ecx, 4096
    a.bytes({0xF3, 0xA4});             // rep movsb
    a.bytes({0x48, 0xFF, 0xCA});       // dec rdx
    a.jcc8(0x75, outer);
    const uint64_t hlt = a.here();
    a.bytes({0xF4});
    return {a.code, hlt, 1 + (5 + kLen) * iters, 2 * kLen};
}

} // namespace

const std::vector<BenchWorkload>& bench_workloads() {
    static const std::vector<BenchWorkload> kAll = {
        {"alu", "add/xor/imul/store/dec/jnz loop", alu_loop},
        {"memwalk", "load+store at a 4 KiB stride over 8 MiB", memory_walk},
        {"callret", "32-deep near CALL/RET recursion", call_ret},
        {"repmovsb", "REP MOVSB of 4 KiB (per byte)", rep_movsb},
    };
    return kAll;
}

} // namespace hvlab::ui
