#include "tools/harness/system_regs.hpp"

#include <cstdio>

namespace hvlab::tools {

namespace {

void compare(std::vector<std::string>& out, const char* what, uint64_t hv, uint64_t uc) {
    if (hv == uc) return;
    char buf[128];
    std::snprintf(buf, sizeof buf, "%s: hvlab=%016llx unicorn=%016llx", what,
                  static_cast<unsigned long long>(hv), static_cast<unsigned long long>(uc));
    out.push_back(buf);
}

} // namespace

std::vector<std::string> diff_system(const SystemRegs& hv, const SystemRegs& uc, Mode mode) {
    std::vector<std::string> out;
    const bool l64 = mode == Mode::Long64;
    const uint64_t width = l64 ? ~0ull : 0xFFFF'FFFFull;
    compare(out, "cr0", hv.cr0 & width & (l64 ? ~kCr0Pg : ~0ull),
            uc.cr0 & width & (l64 ? ~kCr0Pg : ~0ull));
    if (l64 && !(hv.cr0 & kCr0Pg))
        out.push_back("cr0: hvlab has PG = 0 in IA-32e mode (SDM: PG must be 1)");
    compare(out, "cr2", hv.cr2 & width, uc.cr2 & width);
    compare(out, "cr3", hv.cr3 & width, uc.cr3 & width);
    compare(out, "cr4", hv.cr4, uc.cr4);
    static const char* const kDr[] = {"dr0", "dr1", "dr2", "dr3"};
    for (unsigned i = 0; i < 4; ++i)
        compare(out, kDr[i], hv.dr[i] & width, uc.dr[i] & width);
    compare(out, "dr6", hv.dr6 & width, uc.dr6 & width);
    compare(out, "dr7", hv.dr7 & width, uc.dr7 & width);
    compare(out, "gdtr.base", hv.gdtr_base & width, uc.gdtr_base & width);
    compare(out, "gdtr.limit", hv.gdtr_limit, uc.gdtr_limit);
    compare(out, "idtr.base", hv.idtr_base & width, uc.idtr_base & width);
    compare(out, "idtr.limit", hv.idtr_limit, uc.idtr_limit);
    for (unsigned i = 0; i < kComparedMsrCount; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "msr[%x]", kComparedMsrs[i]);
        compare(out, name, hv.msr[i], uc.msr[i]);
    }
    return out;
}

} // namespace hvlab::tools
