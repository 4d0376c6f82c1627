// Long mode for the bench guest: identity mapping of 64 MiB with 2 MiB pages (SDM Vol. 3A,
// Intel SDM Dec 2023 (Order 325462-081), "4-Level Paging and 5-Level Paging"), CS.L = 1.
#include "ui/cli/bench_runners.hpp"

#include "cpu/cpu.hpp"
#include "mmu/phys_bus.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <unicorn/unicorn.h>

namespace hvlab::ui {

namespace {

using namespace bench_layout;
using Clock = std::chrono::steady_clock;

class NullEnv final : public cpu::CpuEnv {
  public:
    uint32_t port_in(uint16_t, unsigned) override { return 0xFFFF'FFFF; }
    void port_out(uint16_t, unsigned, uint32_t) override {}
};

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

int64_t vm_rss_bytes() {
    std::FILE* f = std::fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    long kb = 0;
    while (std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
    std::fclose(f);
    return static_cast<int64_t>(kb) * 1024;
}

void write64(mmu::PhysBus& bus, uint64_t at, uint64_t v) {
    bus.write_bytes(Hpa(at), &v, 8);
}

void build_page_tables(mmu::PhysBus& bus) {
    write64(bus, kPml4, (kPml4 + 0x1000) | 3);          // PML4[0] -> PDPT
    write64(bus, kPml4 + 0x1000, (kPml4 + 0x2000) | 3); // PDPT[0] -> PD
    for (uint64_t i = 0; i < kRamBytes >> 21; ++i)      // PD[i]: 2 MiB page, P|RW|PS
        write64(bus, kPml4 + 0x2000 + 8 * i, (i << 21) | 0x83);
}

void set_long_mode(cpu::CpuState& s) {
    using namespace hvlab::cpu;
    s.cr0 = cr0::PE | cr0::MP | cr0::ET | cr0::NE | cr0::WP | cr0::PG;
    s.cr3 = kPml4;
    s.cr4 = cr4::PAE | cr4::OSFXSR | cr4::OSXMMEXCPT;
    s.efer = efer::LME | efer::LMA;
    for (SegReg r : {ES, SS, DS, FS, GS})
        s.seg[r] = Segment{0x10, 0, 0xFFFF'FFFF, 0xC093};
    s.seg[CS] = Segment{0x08, 0, 0xFFFF'FFFF, 0xA09B};
    s.gdtr = DescriptorTable{kGdt, 0x17};
    s.rip = kCode;
    s.gpr[RSP] = kStackTop;
    s.gpr[RBX] = 0x9E37'79B9'7F4A'7C15ull; // the ALU loop's addend
    s.rflags = rflags::kFixed1;
}

} // namespace

BenchResult run_on_hvlab(const BenchProgram& p) {
    BenchResult r;
    const int64_t rss_before = vm_rss_bytes();
    {
        mmu::PhysBus bus(kRamBytes);
        NullEnv env;
        cpu::Cpu cpu(bus, env);
        build_page_tables(bus);
        bus.write_bytes(Hpa(kCode), p.code.data(), p.code.size());
        set_long_mode(cpu.state());
        cpu.invalidate_caches();
        const auto t0 = Clock::now();
        const double c0 = thread_cpu_seconds();
        // Run to the HLT (a REP string instruction may count as one retirement or as one per
        // iteration; the workload's own count is what the table reports).
        cpu::RunResult rr;
        for (uint64_t slices = 0; slices < 64; ++slices) {
            rr = cpu.run(p.instructions + 16);
            if (rr.reason != cpu::StopReason::Budget || cpu.state().rip == p.hlt_address) break;
        }
        r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        r.cpu_seconds = thread_cpu_seconds() - c0;
        r.instructions = p.instructions;
        r.rax = cpu.state().gpr[cpu::RAX];
        const uint64_t rip = cpu.state().rip;
        if (rip != p.hlt_address && rip != p.hlt_address + 1) {
            char buf[160];
            std::snprintf(buf, sizeof buf, "hvlab stopped at rip %#llx, not at the final HLT %#llx",
                          static_cast<unsigned long long>(cpu.state().rip),
                          static_cast<unsigned long long>(p.hlt_address));
            r.error = buf;
        }
        // Page tables, stack and code pages are guest RAM too.
        const int64_t guest = static_cast<int64_t>(p.touched_bytes + 0x6000 + 0x2000);
        r.extra_rss_bytes = vm_rss_bytes() - rss_before - guest;
    }
    return r;
}

BenchResult run_on_unicorn(const BenchProgram& p) {
    BenchResult r;
    uc_engine* uc = nullptr;
    if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK) {
        r.error = "uc_open failed";
        return r;
    }
    uc_mem_map(uc, 0, kRamBytes, UC_PROT_ALL);
    uc_mem_write(uc, kCode, p.code.data(), p.code.size());
    const uint64_t rsp = kStackTop, rbx = 0x9E37'79B9'7F4A'7C15ull, zero = 0, flags = 2;
    uc_reg_write(uc, UC_X86_REG_RSP, &rsp);
    uc_reg_write(uc, UC_X86_REG_RBX, &rbx);
    uc_reg_write(uc, UC_X86_REG_RAX, &zero);
    uc_reg_write(uc, UC_X86_REG_RFLAGS, &flags);
    const auto t0 = Clock::now();
    const double c0 = thread_cpu_seconds();
    // No instruction count: Unicorn would add a per-instruction hook. It stops at the HLT.
    const uc_err e = uc_emu_start(uc, kCode, p.hlt_address, 0, 0);
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    r.cpu_seconds = thread_cpu_seconds() - c0;
    r.instructions = p.instructions;
    uc_reg_read(uc, UC_X86_REG_RAX, &r.rax);
    if (e != UC_ERR_OK) r.error = std::string("Unicorn: ") + uc_strerror(e);
    uc_close(uc);
    return r;
}

} // namespace hvlab::ui
