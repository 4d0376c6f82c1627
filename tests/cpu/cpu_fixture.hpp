// A small machine for CPU tests: RAM on a PhysBus, a CpuEnv that records port I/O and can raise
// interrupts, identity-mapped paging (2 MiB pages over the first 1 GiB) for 64-bit and
// compatibility mode, a flat GDT, and an IDT whose every vector points at a one-byte HLT stub,
// so a test sees which exception was delivered by where the CPU halted.
#pragma once
#include "cpu/cpu.hpp"
#include "mmu/phys_bus.hpp"

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hvlab::cpu::test {

class TestEnv : public CpuEnv {
  public:
    struct PortAccess {
        uint16_t port;
        unsigned size;
        bool write;
        uint32_t value;
    };
    std::vector<PortAccess> log;
    std::map<uint16_t, uint32_t> port_values; // what IN reads (default all ones)
    int pending_vector = -1;
    bool nmi = false;
    std::vector<uint8_t> acknowledged;

    uint32_t port_in(uint16_t port, unsigned size) override {
        auto it = port_values.find(port);
        const uint32_t v = it == port_values.end() ? 0xFFFFFFFFu : it->second;
        const uint32_t m = size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
        log.push_back({port, size, false, v & m});
        return v & m;
    }
    void port_out(uint16_t port, unsigned size, uint32_t value) override {
        log.push_back({port, size, true, value});
    }
    int pending_interrupt() override { return pending_vector; }
    void acknowledge_interrupt(uint8_t v) override {
        acknowledged.push_back(v);
        pending_vector = -1;
    }
    bool nmi_pending() override { return nmi; }
    void acknowledge_nmi() override { nmi = false; }
    bool init = false; // an INIT signal (VMX non-root tests)
    bool init_pending() override { return init; }
    void acknowledge_init() override { init = false; }

    // VMX observability callbacks (tests/vmx_insn).
    struct EntryFailure {
        std::string check_id, section, diagnostic;
        uint32_t result;
    };
    std::vector<EntryFailure> entry_failures;
    std::vector<vmx::ExitInfo> vm_exits;
    std::vector<uint64_t> vm_exit_rips, vm_entry_rips;
    void vm_entered(bool, uint64_t rip) override { vm_entry_rips.push_back(rip); }
    void vm_entry_failed(std::string_view id, std::string_view section, std::string_view diag,
                         uint32_t result) override {
        entry_failures.push_back(
            {std::string(id), std::string(section), std::string(diag), result});
    }
    void vm_exited(const vmx::ExitInfo& info, uint64_t rip) override {
        vm_exits.push_back(info);
        vm_exit_rips.push_back(rip);
    }
};

class CodeObserver : public mmu::BusObserver {
  public:
    explicit CodeObserver(Cpu& c) : cpu(c) {}
    void code_page_written(uint64_t page) override { cpu.code_page_written(page); }
    void unassigned_access(Hpa, unsigned, bool, uint64_t) override {}
    Cpu& cpu;
};

enum class TestMode { Long64, Compat32, Protected32 };

struct CpuFixture {
    static constexpr uint64_t kRamBytes = 32ull << 20;
    static constexpr uint64_t kPml4 = 0x1000, kPdpt = 0x2000, kPd = 0x3000;
    static constexpr uint64_t kGdt = 0x4000, kIdt = 0x5000, kStubs = 0x6000, kTss = 0x7000;
    static constexpr uint64_t kKernelStackTop = 0x1F0000; // TSS RSP0/ESP0
    static constexpr uint64_t kCode = 0x100000;  // where load() puts code
    static constexpr uint64_t kStackTop = 0x1FF000;
    static constexpr uint64_t kData = 0x300000;  // scratch data area
    // GDT selectors.
    static constexpr uint16_t kCode64 = 0x08, kData32 = 0x10, kCode32 = 0x18, kCode16 = 0x20,
                              kDataRo = 0x28, kUserCode64 = 0x33, kUserData = 0x3B;

    mmu::PhysBus bus{kRamBytes};
    TestEnv env;
    Cpu cpu{bus, env};
    CodeObserver observer{cpu};
    TestMode mode;

    explicit CpuFixture(TestMode m = TestMode::Long64) : mode(m) {
        bus.set_observer(&observer);
        write_gdt();
        write_idt();
        if (m != TestMode::Protected32) write_page_tables();
        set_mode(m);
    }

    CpuState& s() { return cpu.state(); }
    uint64_t& reg(Gpr r) { return cpu.state().gpr[r]; }

    void poke(uint64_t pa, const void* src, size_t n) { bus.write_bytes(Hpa(pa), src, n); }
    void poke(uint64_t pa, std::initializer_list<uint8_t> bytes) {
        std::vector<uint8_t> v(bytes);
        poke(pa, v.data(), v.size());
    }
    template <class T> void poke_val(uint64_t pa, T v) { poke(pa, &v, sizeof v); }
    template <class T> T peek_val(uint64_t pa) {
        T v{};
        bus.read_bytes(Hpa(pa), &v, sizeof v);
        return v;
    }

    // Puts code at kCode (or `at`) and points RIP there.
    void load(std::initializer_list<uint8_t> code, uint64_t at = kCode) {
        std::vector<uint8_t> v(code);
        load(v, at);
    }
    void load(const std::vector<uint8_t>& code, uint64_t at = kCode) {
        poke(at, code.data(), code.size());
        s().rip = at;
    }

    RunResult run(uint64_t n) { return cpu.run(n); }

    // Runs `n` instructions and expects no exception: RIP must not be in the stub area.
    uint64_t rip() const { return cpu.state().rip; }

    // The vector whose HLT stub the CPU stopped at, or -1.
    int delivered_vector() const {
        const uint64_t r = cpu.state().rip;
        if (r <= kStubs || r > kStubs + 256 * 8) return -1;
        return static_cast<int>((r - 1 - kStubs) / 8);
    }
    // The error code pushed by the exception (valid for vectors that push one).
    uint64_t pushed_error_code() {
        return mode == TestMode::Protected32 ? peek_val<uint32_t>(s().gpr[RSP])
                                             : peek_val<uint64_t>(s().gpr[RSP]);
    }
    // The RIP saved in the exception frame.
    uint64_t pushed_rip(bool has_error_code) {
        const unsigned w = mode == TestMode::Protected32 ? 4 : 8;
        const uint64_t at = s().gpr[RSP] + (has_error_code ? w : 0);
        return w == 4 ? peek_val<uint32_t>(at) : peek_val<uint64_t>(at);
    }

    // Runs until HLT (or n instructions) and returns the delivered vector or -1.
    int run_until_exception(uint64_t n = 1000) {
        run(n);
        return delivered_vector();
    }

  private:
    void write_gdt() {
        const uint64_t gdt[] = {
            0,
            0x00AF9B000000FFFFull, // 0x08 64-bit code, DPL 0
            0x00CF93000000FFFFull, // 0x10 flat 32-bit data, DPL 0
            0x00CF9B000000FFFFull, // 0x18 flat 32-bit code, DPL 0
            0x00009B000000FFFFull, // 0x20 16-bit code, limit 0xFFFF
            0x00CF91000000FFFFull, // 0x28 read-only data
            0x00AFFB000000FFFFull, // 0x30 64-bit code, DPL 3
            0x00CFF3000000FFFFull, // 0x38 flat data, DPL 3
        };
        poke(kGdt, gdt, sizeof gdt);
    }

    // Each vector v jumps to kStubs + 8*v, which holds HLT.
    void write_idt() {
        for (unsigned v = 0; v < 256; ++v) {
            const uint64_t target = kStubs + 8 * v;
            poke(target, {0xF4});
            const uint16_t sel = mode == TestMode::Protected32 ? kCode32 : kCode64;
            if (mode == TestMode::Protected32) {
                const uint64_t gate = (target & 0xFFFF) | (uint64_t(sel) << 16) |
                                      (uint64_t(0xEE00) << 32) | ((target >> 16) << 48);
                poke_val<uint64_t>(kIdt + 8 * v, gate);
            } else {
                const uint64_t lo = (target & 0xFFFF) | (uint64_t(sel) << 16) |
                                    (uint64_t(0xEE00) << 32) | (((target >> 16) & 0xFFFF) << 48);
                poke_val<uint64_t>(kIdt + 16 * v, lo);
                poke_val<uint64_t>(kIdt + 16 * v + 8, target >> 32);
            }
        }
    }

    void write_page_tables() {
        poke_val<uint64_t>(kPml4, kPdpt | 0x7);
        poke_val<uint64_t>(kPdpt, kPd | 0x7);
        for (uint64_t i = 0; i < 512; ++i) poke_val<uint64_t>(kPd + 8 * i, (i << 21) | 0x87);
    }

    static Segment seg(uint16_t sel, uint32_t attr) { return Segment{sel, 0, 0xFFFFFFFF, attr}; }

    void set_mode(TestMode m) {
        CpuState& st = cpu.state();
        st.cr0 = cr0::PE | cr0::ET | cr0::NE | cr0::MP;
        st.cr4 = cr4::OSFXSR | cr4::OSXMMEXCPT;
        const uint32_t data_attr = 0xC093; // P, S, type 3, D/B, G
        for (auto r : {ES, SS, DS, FS, GS}) st.seg[r] = seg(kData32, data_attr);
        st.gdtr = {kGdt, 0x3F};
        st.idtr = {kIdt, m == TestMode::Protected32 ? 0x7FFu : 0xFFFu};
        // The TSS gives the CPL-0 stack for events taken at CPL 3.
        poke_val<uint32_t>(kTss + 4, static_cast<uint32_t>(kKernelStackTop));
        poke_val<uint32_t>(kTss + 8, m == TestMode::Protected32 ? kData32 : 0);
        poke_val<uint16_t>(kTss + 0x66, 0x68); // I/O map base past the limit: no I/O bitmap
        st.tr = Segment{0, kTss, 0x67, 0x8B};
        if (m == TestMode::Protected32) {
            st.seg[CS] = seg(kCode32, 0xC09B);
        } else {
            st.cr0 |= cr0::PG;
            st.cr4 |= cr4::PAE;
            st.cr3 = kPml4;
            st.efer = efer::LME | efer::LMA | efer::NXE | efer::SCE;
            st.seg[CS] = m == TestMode::Long64 ? seg(kCode64, 0xA09B) : seg(kCode32, 0xC09B);
        }
        st.rflags = rflags::kFixed1;
        st.gpr[RSP] = kStackTop;
        cpu.invalidate_caches();
    }
};

} // namespace hvlab::cpu::test
