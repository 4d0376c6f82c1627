#include "tools/harness/arch_state.hpp"

#include <cstdio>

namespace hvlab::tools {

const char* gpr_name(unsigned index) {
    static const char* const kNames[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp",
                                           "rsi", "rdi", "r8",  "r9",  "r10", "r11",
                                           "r12", "r13", "r14", "r15"};
    return index < 16 ? kNames[index] : "?";
}

static std::string hex_pair(const char* what, uint64_t hv, uint64_t uc) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "%s: hvlab=%016llx unicorn=%016llx", what,
                  static_cast<unsigned long long>(hv), static_cast<unsigned long long>(uc));
    return buf;
}

std::vector<std::string> diff_states(const ArchState& hv, const ArchState& uc, Mode mode,
                                     uint64_t flag_mask, uint32_t skip_gpr) {
    std::vector<std::string> out;
    const uint64_t width = mode == Mode::Long64 ? ~0ull : 0xFFFF'FFFFull;
    for (unsigned i = 0; i < gpr_count(mode); ++i) {
        if (skip_gpr & (1u << i)) continue;
        if ((hv.gpr[i] & width) != (uc.gpr[i] & width))
            out.push_back(hex_pair(gpr_name(i), hv.gpr[i] & width, uc.gpr[i] & width));
    }
    if ((hv.rip & width) != (uc.rip & width)) out.push_back(hex_pair("rip", hv.rip, uc.rip));
    const uint64_t fm = kComparedFlags & ~flag_mask;
    if ((hv.rflags & fm) != (uc.rflags & fm))
        out.push_back(hex_pair("rflags", hv.rflags & fm, uc.rflags & fm));
    for (unsigned i = 0; i < gpr_count(mode); ++i) {
        if (hv.xmm[i] == uc.xmm[i]) continue;
        char name[32];
        std::snprintf(name, sizeof name, "xmm%u.lo", i);
        out.push_back(hex_pair(name, hv.xmm[i][0], uc.xmm[i][0]));
        std::snprintf(name, sizeof name, "xmm%u.hi", i);
        out.push_back(hex_pair(name, hv.xmm[i][1], uc.xmm[i][1]));
    }
    return out;
}

std::string format_state(const ArchState& s, Mode mode) {
    std::string out;
    char buf[64];
    for (unsigned i = 0; i < gpr_count(mode); ++i) {
        std::snprintf(buf, sizeof buf, "%s=%016llx%s", gpr_name(i),
                      static_cast<unsigned long long>(s.gpr[i]), i % 4 == 3 ? "\n" : " ");
        out += buf;
    }
    std::snprintf(buf, sizeof buf, "rip=%016llx rflags=%08llx\n",
                  static_cast<unsigned long long>(s.rip), static_cast<unsigned long long>(s.rflags));
    out += buf;
    return out;
}

} // namespace hvlab::tools
