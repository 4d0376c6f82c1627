// Encodings from the SDM Vol. 2 (Intel SDM, Dec 2023, Order 325462-081) instruction pages.
#include "ui/cli/bench_workloads.hpp"

namespace hvlab::ui {

namespace {

using namespace bench_layout;

class Asm {
  public:
    void bytes(std::initializer_list<uint8_t> b) { code.insert(code.end(), b); }
    void imm(uint64_t v, unsigned n) {
        for (unsigned i = 0; i < n; ++i)
            code.push_back(static_cast<uint8_t>(v >> (8 * i)));
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

constexpr uint8_t RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSI = 6, RDI = 7, R9 = 9;

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
    a.imm(kDepth, 4); // mov edi, 32
    const size_t call_outer = a.code.size();
    a.bytes({0xE8, 0, 0, 0, 0}); // call rec (patched below)
    a.bytes({0x48, 0xFF, 0xCA}); // dec rdx
    a.jcc8(0x75, outer);
    const uint64_t hlt = a.here();
    a.bytes({0xF4});
    const uint64_t rec = a.here();
    a.bytes({0x48, 0xFF, 0xCF}); // dec rdi
    a.bytes({0x74, 0x05});       // jz done
    a.bytes({0xE8});
    a.imm(rec - (a.here() + 4), 4); // call rec
    a.bytes({0xC3});                // done: ret
    const uint64_t rel = rec - (kCode + call_outer + 5);
    for (unsigned i = 0; i < 4; ++i)
        a.code[call_outer + 1 + i] = static_cast<uint8_t>(rel >> (8 * i));
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
    a.imm(kLen, 4);              // mov ecx, 4096
    a.bytes({0xF3, 0xA4});       // rep movsb
    a.bytes({0x48, 0xFF, 0xCA}); // dec rdx
    a.jcc8(0x75, outer);
    const uint64_t hlt = a.here();
    a.bytes({0xF4});
    return {a.code, hlt, 1 + (5 + kLen) * iters, 2 * kLen};
}

// VMX pieces for the vmexit workload (SDM Vol. 3C, "Virtual Machine Control Structures",
// field encodings from Appendix B; Vol. 2, VMXON/VMCLEAR/VMPTRLD/VMWRITE/VMREAD/VMLAUNCH).
class VmxAsm : public Asm {
  public:
    // mov eax, imm32 (zero-extends into RAX)
    void mov_eax(uint32_t v) {
        bytes({0xB8});
        imm(v, 4);
    }
    void vmwrite_rax_rbx() { bytes({0x0F, 0x79, 0xC3}); } // VMWRITE rax (field), rbx (value)
    void vmwrite(uint32_t field, uint64_t value) {
        mov_eax(field);
        mov_imm64(RBX, value);
        vmwrite_rax_rbx();
    }
    // field <- (wanted | allowed-0 settings) & allowed-1 settings of capability MSR `msr`
    // (SDM Vol. 3C, "VMX Capability Reporting Facility", Appendix A.3-A.5).
    void vmwrite_control(uint32_t field, uint32_t msr, uint32_t wanted) {
        bytes({0xB9});
        imm(msr, 4);         // mov ecx, msr
        bytes({0x0F, 0x32}); // rdmsr
        bytes({0x0D});
        imm(wanted, 4);      // or eax, wanted
        bytes({0x21, 0xD0}); // and eax, edx
        bytes({0x89, 0xC3}); // mov ebx, eax
        mov_eax(field);
        vmwrite_rax_rbx();
    }
    // field <- CRn (mov rbx, crN)
    void vmwrite_cr(uint32_t field, unsigned cr) {
        bytes({0x0F, 0x20, static_cast<uint8_t>(0xC3 | (cr << 3))});
        mov_eax(field);
        vmwrite_rax_rbx();
    }
    void segment(uint32_t selector_field, uint16_t sel, uint64_t base, uint32_t limit,
                 uint32_t ar) {
        const uint32_t idx = selector_field - 0x0800;
        vmwrite(selector_field, sel);
        vmwrite(0x6806 + idx, base);
        vmwrite(0x4800 + idx, limit);
        vmwrite(0x4814 + idx, ar);
    }
};

// A guest CPUID loop under a minimal hypervisor: the host sets up VMX (IA32_FEATURE_CONTROL,
// CR4.VMXE, VMXON, a VMCS whose guest is this 64-bit CPL-0 code on the same page tables),
// VMLAUNCHes (with VPID 1), and on every exit with reason 10 (CPUID, which always exits in VMX
// non-root operation) advances the guest RIP by the exit instruction length and VMRESUMEs. The
// guest's VMCALL (reason 18) ends the run. GPRs are shared: the guest counts in R9, the host uses
// RAX-RCX.
BenchProgram vm_exit_roundtrip(uint64_t n) {
    constexpr uint64_t kPerTrip = 3 + 12; // guest: cpuid dec jnz; host handler: 12
    const uint64_t trips = n / kPerTrip ? n / kPerTrip : 1;
    VmxAsm a;
    // IA32_FEATURE_CONTROL: lock + VMXON outside SMX (SDM Vol. 3C, "Enabling and Entering VMX
    // Operation").
    a.bytes({0xB9, 0x3A, 0, 0, 0, 0xB8, 0x05, 0, 0, 0, 0x31, 0xD2, 0x0F,
             0x30}); // ecx=3Ah eax=5 edx=0 wrmsr
    a.bytes({0x0F, 0x20, 0xE0, 0x0D, 0x00, 0x20, 0x00, 0x00, 0x0F, 0x22,
             0xE0}); // rax=cr4; or eax,VMXE; cr4=rax
    // Revision identifier (IA32_VMX_BASIC[30:0]) into the VMXON region and the VMCS.
    a.bytes({0xB9, 0x80, 0x04, 0, 0, 0x0F, 0x32, 0x25, 0xFF, 0xFF, 0xFF,
             0x7F}); // rdmsr 480h; and eax,7FFFFFFFh
    a.bytes({0x89, 0x04, 0x25});
    a.imm(kVmxon, 4); // mov [kVmxon], eax
    a.bytes({0x89, 0x04, 0x25});
    a.imm(kVmcs, 4); // mov [kVmcs], eax
    a.mov_imm64(RAX, kVmxon);
    a.bytes({0x48, 0x89, 0x04, 0x25});
    a.imm(kVmxPointers, 4); // mov [ptr], rax
    a.mov_imm64(RAX, kVmcs);
    a.bytes({0x48, 0x89, 0x04, 0x25});
    a.imm(kVmxPointers + 8, 4);
    a.bytes({0xF3, 0x0F, 0xC7, 0x34, 0x25});
    a.imm(kVmxPointers, 4); // vmxon [ptr]
    a.bytes({0x66, 0x0F, 0xC7, 0x34, 0x25});
    a.imm(kVmxPointers + 8, 4); // vmclear [ptr + 8]
    a.bytes({0x0F, 0xC7, 0x34, 0x25});
    a.imm(kVmxPointers + 8, 4); // vmptrld [ptr + 8]
    // Controls: only what the capability MSRs force, a 64-bit host and an IA-32e guest.
    a.vmwrite_control(0x4000, 0x481, 0); // pin-based
    // Primary processor-based: CPUID exits anyway; activate the secondary controls for VPID,
    // so that VM entries and exits need not flush the guest's and host's TLB entries (SDM Vol.
    // 3C, "VPID and TLB invalidation"), as a real hypervisor would run.
    a.vmwrite_control(0x4002, 0x482, 1u << 31);
    a.vmwrite_control(0x401E, 0x48B, 1u << 5); // secondary: enable VPID
    a.vmwrite(0x0000, 1);                      // VPID 1
    a.vmwrite_control(0x400C, 0x483, 1u << 9); // VM-exit: host address-space size
    a.vmwrite_control(0x4012, 0x484, 1u << 9); // VM-entry: IA-32e mode guest
    for (uint32_t f : {0x4004u, 0x400Au, 0x400Eu, 0x4010u, 0x4014u, 0x4016u})
        a.vmwrite(f, 0);
    for (uint32_t f : {0x6000u, 0x6002u})
        a.vmwrite(f, 0);             // CR0/CR4 guest/host masks
    a.vmwrite(0x2800, ~uint64_t{0}); // VMCS link pointer
    // Host state.
    a.vmwrite_cr(0x6C00, 0);
    a.vmwrite_cr(0x6C02, 3);
    a.vmwrite_cr(0x6C04, 4);
    for (uint32_t f : {0x0C00u, 0x0C04u, 0x0C06u, 0x0C08u, 0x0C0Au})
        a.vmwrite(f, 0x10);
    a.vmwrite(0x0C02, 0x08); // CS
    a.vmwrite(0x0C0C, 0x18); // TR
    for (uint32_t f : {0x6C06u, 0x6C08u, 0x6C0Eu, 0x6C10u, 0x6C12u, 0x4C00u})
        a.vmwrite(f, 0);
    a.vmwrite(0x6C0A, kTss);
    a.vmwrite(0x6C0C, kGdt);
    a.vmwrite(0x6C14, kStackTop);
    const size_t host_rip_at = a.code.size() + 5 + 2; // the imm64 of the next vmwrite
    a.vmwrite(0x6C16, 0);                             // HOST_RIP, patched below
    // Guest state: the same flat 64-bit CPL-0 environment.
    a.vmwrite_cr(0x6800, 0);
    a.vmwrite_cr(0x6802, 3);
    a.vmwrite_cr(0x6804, 4);
    a.vmwrite(0x681A, 0x400);
    a.vmwrite(0x681C, kGuestStackTop);
    const size_t guest_rip_at = a.code.size() + 5 + 2;
    a.vmwrite(0x681E, 0); // GUEST_RIP, patched below
    a.vmwrite(0x6820, 2);
    for (uint32_t f : {0x0800u, 0x0804u, 0x0806u, 0x0808u, 0x080Au})
        a.segment(f, 0x10, 0, 0xFFFF'FFFF, 0xC093);
    a.segment(0x0802, 0x08, 0, 0xFFFF'FFFF, 0xA09B);
    a.segment(0x080C, 0, 0, 0, 0x1'0000); // LDTR unusable
    a.segment(0x080E, 0x18, kTss, 0x67, 0x8B);
    a.vmwrite(0x6816, kGdt);
    a.vmwrite(0x4810, 0x17);
    a.vmwrite(0x6818, 0);
    a.vmwrite(0x4812, 0);
    for (uint32_t f : {0x2802u, 0x482Au, 0x6824u, 0x6826u, 0x4824u, 0x4826u, 0x6822u})
        a.vmwrite(f, 0);
    a.mov_imm64(R9, trips);
    a.bytes({0x0F, 0x01, 0xC2}); // vmlaunch
    const uint64_t fail = a.here();
    a.bytes({0xF4}); // VM entry failed: stop here (not the final HLT)
    // Host: the VM-exit handler.
    const uint64_t handler = a.here();
    a.mov_eax(0x4402);
    a.bytes({0x0F, 0x78, 0xC3}); // vmread rbx, [exit reason]
    a.bytes({0x83, 0xFB, 0x0A}); // cmp ebx, 10 (CPUID)
    const size_t jne_at = a.code.size();
    a.bytes({0x75, 0}); // jne done
    a.mov_eax(0x681E);
    a.bytes({0x0F, 0x78, 0xC3}); // vmread rbx, [guest RIP]
    a.mov_eax(0x440C);
    a.bytes({0x0F, 0x78, 0xC1}); // vmread rcx, [exit instruction length]
    a.bytes({0x48, 0x01, 0xCB}); // add rbx, rcx
    a.mov_eax(0x681E);
    a.vmwrite_rax_rbx();         // guest RIP += length
    a.bytes({0x0F, 0x01, 0xC3}); // vmresume
    a.jcc8(0xEB, fail);          // VMRESUME failed
    const uint64_t done = a.here();
    a.code[jne_at + 1] = static_cast<uint8_t>(done - (kCode + jne_at + 2));
    a.bytes({0xF4}); // the final HLT
    // Guest.
    const uint64_t guest = a.here();
    a.bytes({0x0F, 0xA2});       // cpuid (exits)
    a.bytes({0x49, 0xFF, 0xC9}); // dec r9
    a.jcc8(0x75, guest);         // jnz
    a.bytes({0x0F, 0x01, 0xC1}); // vmcall (exit reason 18: the handler stops)
    for (unsigned i = 0; i < 8; ++i) {
        a.code[host_rip_at + i] = static_cast<uint8_t>(handler >> (8 * i));
        a.code[guest_rip_at + i] = static_cast<uint8_t>(guest >> (8 * i));
    }
    BenchProgram p{a.code, done, trips * kPerTrip, 0x4000};
    p.vm_exits = trips + 1;
    return p;
}

} // namespace

const std::vector<BenchWorkload>& bench_workloads() {
    static const std::vector<BenchWorkload> kAll = {
        {"alu", "add/xor/imul/store/dec/jnz loop", alu_loop},
        {"memwalk", "load+store at a 4 KiB stride over 8 MiB", memory_walk},
        {"callret", "32-deep near CALL/RET recursion", call_ret},
        {"repmovsb", "REP MOVSB of 4 KiB (per byte)", rep_movsb},
        {"vmexit", "guest CPUID loop, host advances RIP and VMRESUMEs (hvlab only)",
         vm_exit_roundtrip},
    };
    return kAll;
}

} // namespace hvlab::ui
