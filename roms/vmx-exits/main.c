/* vmx-exits: every VM exit a guest can cause with the controls hvlab advertises, with the
 * exit-information fields the SDM defines for it (exit qualification, instruction length,
 * VM-exit instruction information, interruption and IDT-vectoring information), the guest
 * RIP saved, event injection, and what a VM exit saves and loads. Intel SDM, Dec 2023
 * (Order 325462-081), Vol. 3C, "Instructions That Cause VM Exits", "Other Causes of VM
 * Exits", "VM-Exit Information Fields", "Event Injection", "Saving Guest State", "Loading
 * Host State"; Vol. 3D, "VMX Basic Exit Reasons". The guests are snippets of this ROM's own
 * code run in VMX non-root operation on the host's page tables. One line per case; ends with
 * debug-exit 0x22 (status 69) when every case held, 0x01 (status 3) otherwise. */
#include <stdint.h>

#include "lib/debug_exit.h"
#include "lib/gdt.h"
#include "lib/kmain.h"
#include "lib/printf.h"
#include "lib/serial.h"
#include "lib/string.h"
#include "lib/vmx.h"

#define PASS_STATUS 0x22
#define G "exit"
#define ANY 0xFFFFFFFFFFFFFFFFull
#define UNMAPPED 0x200000000ull /* the ROM maps 0-4 GiB only */

#define LAPIC 0xFEE00000ull
#define LAPIC_EOI 0xB0
#define LAPIC_SVR 0xF0
#define LAPIC_IRR 0x200

/* ---- Guests -------------------------------------------------------------------------- */
/* Each guest is g_<name>; the instruction that exits is at g_<name>_i. After it, a guest
 * that the host resumes runs VMCALL (exit 18). */
#define GUEST(name, body)                                                                          \
    extern char g_##name[], g_##name##_i[];                                                        \
    __asm__(".text\n.balign 16\ng_" #name ":\n\t" body "\n\tvmcall\n\tjmp .\n")

GUEST(cpuid, "xorl %eax, %eax\n\tmovl $0x55, %ebx\n g_cpuid_i:\n\tcpuid");
GUEST(hlt, "g_hlt_i:\n\thlt");
GUEST(invlpg, "movabsq $0x123000, %rax\n g_invlpg_i:\n\tinvlpg 0x45(%rax)");
GUEST(rdpmc, "xorl %ecx, %ecx\n g_rdpmc_i:\n\trdpmc");
GUEST(rdtsc, "g_rdtsc_i:\n\trdtsc");
GUEST(rdtscp, "g_rdtscp_i:\n\trdtscp");
GUEST(ud2, "g_ud2_i:\n\tud2");
GUEST(int3, "g_int3_i:\n\tint3");
GUEST(pf_read, "movabsq $0x200000010, %rax\n g_pf_read_i:\n\tmovq (%rax), %rax");
GUEST(pf_write, "movabsq $0x200000020, %rax\n g_pf_write_i:\n\tmovq %rax, (%rax)");
GUEST(gp_selector, "movl $0x48, %ecx\n g_gp_selector_i:\n\tmovw %cx, %ds");
GUEST(nmi, "movabsq $0xFEE00300, %rax\n\tmovl $0x400, %ecx\n g_nmi_i:\n\tmovl %ecx, (%rax)");
GUEST(extint,
      "movabsq $0xFEE00300, %rax\n\tmovl $0x40040, %ecx\n g_extint_i:\n\tmovl %ecx, (%rax)");
GUEST(init, "movabsq $0xFEE00300, %rax\n\tmovl $0x4500, %ecx\n g_init_i:\n\tmovl %ecx, (%rax)");
GUEST(triple, "lidt zero_idtr(%rip)\n g_triple_i:\n\tud2");
GUEST(intwin, "sti\n\tnop\n g_intwin_i:\n\tnop");
GUEST(mtf, "nop\n g_mtf_i:\n\tnop");
GUEST(spin, "g_spin_i:\n\tjmp g_spin_i");
GUEST(halt_only, "hlt\n g_halt_only_i:\n\tnop");
GUEST(mov_cr0, "movq %cr0, %rbx\n\txorq $8, %rbx\n g_mov_cr0_i:\n\tmovq %rbx, %cr0");
GUEST(mov_cr4, "movq %cr4, %rcx\n\txorq $0x80, %rcx\n g_mov_cr4_i:\n\tmovq %rcx, %cr4");
GUEST(read_cr3, "g_read_cr3_i:\n\tmovq %cr3, %rdx");
GUEST(write_cr3, "movq %cr3, %rsi\n g_write_cr3_i:\n\tmovq %rsi, %cr3");
GUEST(clts, "g_clts_i:\n\tclts");
GUEST(lmsw, "movl $0x33, %eax\n g_lmsw_i:\n\tlmsw %ax");
GUEST(write_cr8, "xorl %eax, %eax\n g_write_cr8_i:\n\tmovq %rax, %cr8");
GUEST(read_cr8, "g_read_cr8_i:\n\tmovq %cr8, %r9");
GUEST(read_cr0_shadow, "g_read_cr0_shadow_i:\n\tmovq %cr0, %rax");
GUEST(read_cr4_shadow, "g_read_cr4_shadow_i:\n\tmovq %cr4, %rax");
GUEST(mov_to_dr7, "movl $0x400, %eax\n g_mov_to_dr7_i:\n\tmovq %rax, %dr7");
GUEST(mov_from_dr1, "g_mov_from_dr1_i:\n\tmovq %dr1, %rbx");
GUEST(out_imm, "g_out_imm_i:\n\toutb %al, $0x80");
GUEST(in_dx, "movl $0x1234, %edx\n g_in_dx_i:\n\tinw %dx, %ax");
GUEST(out_dword, "movl $0x70, %edx\n g_out_dword_i:\n\toutl %eax, %dx");
GUEST(bitmap_a, "outb %al, $0x81\n g_bitmap_a_i:\n\toutb %al, $0x80");
GUEST(bitmap_b, "movl $0x8001, %edx\n g_bitmap_b_i:\n\tinb %dx, %al");
GUEST(rep_outsb, "leaq io_buffer(%rip), %rsi\n\tmovl $4, %ecx\n\tmovl $0x80, %edx\n "
                 "g_rep_outsb_i:\n\trep outsb");
GUEST(insw, "leaq io_buffer(%rip), %rdi\n\tmovl $0x80, %edx\n g_insw_i:\n\tinsw");
GUEST(rdmsr_tsc, "movl $0x10, %ecx\n g_rdmsr_tsc_i:\n\trdmsr");
GUEST(msr_bitmap, "movl $0x10, %ecx\n\trdmsr\n\tmovl $0xC0000080, %ecx\n g_msr_bitmap_i:\n\trdmsr");
GUEST(wrmsr_bitmap, "movl $0x174, %ecx\n\txorl %eax, %eax\n\txorl %edx, %edx\n\twrmsr\n\tmovl "
                    "$0x175, %ecx\n g_wrmsr_bitmap_i:\n\twrmsr");
GUEST(msr_out_of_range, "movl $0x40000000, %ecx\n g_msr_out_of_range_i:\n\trdmsr");
GUEST(pause, "g_pause_i:\n\tpause");
GUEST(wbinvd, "g_wbinvd_i:\n\twbinvd");
GUEST(monitor,
      "leaq io_buffer(%rip), %rax\n\txorl %ecx, %ecx\n\txorl %edx, %edx\n g_monitor_i:\n\tmonitor");
GUEST(mwait, "xorl %eax, %eax\n\txorl %ecx, %ecx\n g_mwait_i:\n\tmwait");
GUEST(monitor_mwait,
      "leaq io_buffer(%rip), %rax\n\txorl %ecx, %ecx\n\txorl %edx, %edx\n\tmonitor\n\t"
      "xorl %eax, %eax\n g_monitor_mwait_i:\n\tmwait");
GUEST(sgdt, "leaq io_buffer(%rip), %rbx\n g_sgdt_i:\n\tsgdt (%rbx)");
GUEST(lidt, "leaq io_buffer(%rip), %rbx\n g_lidt_i:\n\tlidt 8(%rbx)");
GUEST(str, "g_str_i:\n\tstr %eax");
GUEST(lldt, "xorl %edx, %edx\n g_lldt_i:\n\tlldt %dx");
GUEST(invpcid,
      "leaq io_buffer(%rip), %rbx\n\tmovl $2, %ecx\n g_invpcid_i:\n\tinvpcid (%rbx), %rcx");
GUEST(vmcall, "g_vmcall_i:\n\tvmcall");
GUEST(vmclear, "leaq io_buffer(%rip), %rbx\n g_vmclear_i:\n\tvmclear (%rbx)");
GUEST(vmlaunch, "g_vmlaunch_i:\n\tvmlaunch");
GUEST(vmptrld, "leaq io_buffer(%rip), %rbx\n g_vmptrld_i:\n\tvmptrld 0x10(%rbx)");
GUEST(vmptrst, "leaq io_buffer(%rip), %rbx\n g_vmptrst_i:\n\tvmptrst (%rbx)");
GUEST(vmread, "movl $0x681E, %eax\n g_vmread_i:\n\tvmread %rax, %rbx");
GUEST(vmresume, "g_vmresume_i:\n\tvmresume");
GUEST(vmwrite, "movl $0x681E, %edx\n g_vmwrite_i:\n\tvmwrite %rsi, %rdx");
GUEST(vmxoff, "g_vmxoff_i:\n\tvmxoff");
GUEST(vmxon, "leaq io_buffer(%rip), %rbx\n g_vmxon_i:\n\tvmxon (%rbx)");
GUEST(invept, "leaq io_buffer(%rip), %rbx\n\tmovl $2, %ecx\n g_invept_i:\n\tinvept (%rbx), %rcx");
GUEST(invvpid, "leaq io_buffer(%rip), %rbx\n\tmovl $2, %r8d\n g_invvpid_i:\n\tinvvpid (%rbx), %r8");
GUEST(push_then_vmcall, "pushq $0x77\n g_push_then_vmcall_i:\n\tnop");
GUEST(
    wrpat,
    "movl $0x277, %ecx\n\tmovl $0x00070406, %eax\n\tmovl $0x00070106, %edx\n g_wrpat_i:\n\twrmsr");
GUEST(read_tsc_aux, "movl $0xC0000103, %ecx\n g_read_tsc_aux_i:\n\trdmsr\n\tmovl %eax, %ebx\n\t"
                    "movl $0x99, %eax\n\txorl %edx, %edx\n\twrmsr");
GUEST(injected, "g_injected_i:\n\tnop");
GUEST(debug_regs, "movq %dr7, %rax\n\tmovl $0x700, %ecx\n g_debug_regs_i:\n\tmovq %rcx, %dr7");
GUEST(clear_nxe, "movl $0xC0000080, %ecx\n\trdmsr\n\tandl $~0x800, %eax\n g_clear_nxe_i:\n\twrmsr");
GUEST(sti_vmcall, "g_sti_vmcall_i:\n\tsti");
GUEST(std_vmcall, "g_std_vmcall_i:\n\tstd");
GUEST(outw_span, "movl $0x7FFF, %edx\n g_outw_span_i:\n\toutw %ax, %dx");

__asm__(".section .rodata\n.balign 16\nzero_idtr:\n\t.word 0\n\t.quad 0\n.text\n");
__attribute__((aligned(4096), used)) uint8_t io_buffer[4096];
__attribute__((aligned(4096))) static uint8_t io_bitmap_a[4096], io_bitmap_b[4096];
__attribute__((aligned(4096))) static uint8_t msr_bitmap[4096];
__attribute__((aligned(16))) static uint64_t exit_store[2], exit_load[2], entry_load[2];

/* ---- Checks ------------------------------------------------------------------------------ */

static uint32_t reason;
static int exceptions_checked;

static uint64_t addr(const char* p) {
    return (uint64_t)(uintptr_t)p;
}

/* Checks the basic reason and, unless ANY, the qualification, instruction length and the
 * guest RIP saved. */
static int expect_exit(const char* name, uint32_t want_reason, uint64_t qual, uint64_t len,
                       uint64_t rip) {
    uint64_t q = vmread(EXIT_QUALIFICATION), l = vmread(VM_EXIT_INSTRUCTION_LEN);
    uint64_t r = vmread(GUEST_RIP);
    int ok = reason == want_reason && (qual == ANY || q == qual) && (len == ANY || l == len) &&
             (rip == ANY || r == rip);
    /* RIPs are printed relative to the expected one: the text must not depend on the build. */
    vmx_check(G, name, ok,
              "expected reason %u qualification 0x%lx length %ld, got reason 0x%x qualification "
              "0x%lx length %lu, saved RIP %ld bytes from the expected one",
              want_reason, (unsigned long)qual, (long)len, reason, (unsigned long)q,
              (unsigned long)l, rip == ANY ? 0L : (long)(r - rip));
    return ok;
}

/* VM-exit instruction information, under the mask of the bits the SDM defines for it. */
static void expect_info(const char* name, uint32_t mask, uint32_t want) {
    uint32_t info = (uint32_t)vmread(VMX_INSTRUCTION_INFO);
    vmx_check(G, name, (info & mask) == want, "expected info 0x%x (mask 0x%x) got 0x%x", want, mask,
              info);
}

static void run(void (*rip)(void), void (*setup)(void)) {
    reason = vmx_run_guest(rip, setup);
}
#define RUN(name, setup) run((void (*)(void))g_##name, setup)

static volatile uint32_t* lapic(uint32_t reg) {
    return (volatile uint32_t*)(uintptr_t)(LAPIC + reg);
}

/* ---- Setups ---------------------------------------------------------------------------- */
static void s_hlt(void) {
    vmcs_set_proc(PROC_HLT_EXITING);
}
static void s_invlpg(void) {
    vmcs_set_proc(PROC_INVLPG_EXITING);
}
static void s_rdpmc(void) {
    vmcs_set_proc(PROC_RDPMC_EXITING);
}
static void s_rdtsc(void) {
    vmcs_set_proc(PROC_RDTSC_EXITING);
}
static void s_tsc_offset(void) {
    vmcs_set_proc(PROC_TSC_OFFSETTING);
    vmwrite(TSC_OFFSET, 1ull << 40);
}
static void s_rdtscp(void) {
    vmcs_set_proc(PROC_RDTSC_EXITING);
    vmcs_set_proc2(PROC2_ENABLE_RDTSCP);
}
static void s_rdtscp_only(void) {
    vmcs_set_proc2(PROC2_ENABLE_RDTSCP);
}
static void s_invpcid_only(void) {
    vmcs_set_proc2(PROC2_ENABLE_INVPCID);
}
static void s_ud_bitmap(void) {
    vmwrite(EXCEPTION_BITMAP, 1u << 6);
}
static void s_bp_bitmap(void) {
    vmwrite(EXCEPTION_BITMAP, 1u << 3);
}
static void s_pf_bitmap(void) {
    vmwrite(EXCEPTION_BITMAP, 1u << 14);
}
/* "Exception bitmap": a #PF exits iff (PFEC & MASK) == MATCH equals bit 14. */
static void s_pf_writes_only(void) {
    vmwrite(EXCEPTION_BITMAP, 1u << 14);
    vmwrite(PAGE_FAULT_ERROR_CODE_MASK, 2);
    vmwrite(PAGE_FAULT_ERROR_CODE_MATCH, 2);
    vmcs_use_guest_idt();
}
static void s_gp_bitmap(void) {
    vmwrite(EXCEPTION_BITMAP, 1u << 13);
}
static void s_nmi(void) {
    vmcs_set_pin(PIN_NMI_EXITING);
}
static void s_extint_ack(void) {
    vmcs_set_pin(PIN_EXTERNAL_INTERRUPT_EXITING);
    vmcs_set_exit(EXIT_ACK_INTERRUPT_ON_EXIT);
}
static void s_extint_noack(void) {
    vmcs_set_pin(PIN_EXTERNAL_INTERRUPT_EXITING);
}
static void s_intwin(void) {
    vmcs_set_proc(PROC_INTERRUPT_WINDOW);
}
static void s_intwin_sti_blocked(void) {
    vmcs_set_proc(PROC_INTERRUPT_WINDOW);
    vmwrite(GUEST_RFLAGS, 0x202);
    vmwrite(GUEST_INTERRUPTIBILITY_INFO, 1);
}
static void s_nmiwin(void) {
    vmcs_set_pin(PIN_NMI_EXITING | PIN_VIRTUAL_NMIS);
    vmcs_set_proc(PROC_NMI_WINDOW);
}
static void s_mtf(void) {
    vmcs_set_proc(PROC_MONITOR_TRAP_FLAG);
}
static void s_preempt(void) {
    vmcs_set_pin(PIN_PREEMPTION_TIMER);
    vmcs_set_exit(EXIT_SAVE_PREEMPTION_TIMER);
    vmwrite(VMX_PREEMPTION_TIMER_VALUE, 2000);
}
/* CR0/CR4 guest/host masks: a MOV to CR0/CR4 exits if it would change a masked bit from its
 * read-shadow value ("Control-Register Accesses"). */
static void s_mask_cr0_ts(void) {
    vmwrite(CR0_GUEST_HOST_MASK, CR0_TS);
    vmwrite(CR0_READ_SHADOW, read_cr0() & ~CR0_TS);
}
static void s_mask_cr4_pge(void) {
    vmwrite(CR4_GUEST_HOST_MASK, CR4_PGE);
    vmwrite(CR4_READ_SHADOW, read_cr4() & ~CR4_PGE);
}
static void s_cr3_store(void) {
    vmcs_set_proc(PROC_CR3_STORE_EXITING);
}
static void s_cr3_load(void) {
    vmcs_set_proc(PROC_CR3_LOAD_EXITING);
}
/* "MOV to CR3 ... does not cause a VM exit if its source operand matches one of the CR3-target
 * values". */
static void s_cr3_load_target(void) {
    vmcs_set_proc(PROC_CR3_LOAD_EXITING);
    vmwrite(CR3_TARGET_COUNT, 1);
    vmwrite(CR3_TARGET_VALUE0, read_cr3());
}
/* CLTS exits if CR0.TS is masked and the shadow has TS = 1. */
static void s_clts(void) {
    vmwrite(CR0_GUEST_HOST_MASK, CR0_TS);
    vmwrite(CR0_READ_SHADOW, read_cr0() | CR0_TS);
}
/* LMSW exits if a masked bit among CR0[3:0] differs from the shadow (or PE is set and
 * masked-clear in the shadow). */
static void s_lmsw(void) {
    vmwrite(CR0_GUEST_HOST_MASK, CR0_MP);
    vmwrite(CR0_READ_SHADOW, read_cr0() & ~CR0_MP);
}
static void s_cr8_load(void) {
    vmcs_set_proc(PROC_CR8_LOAD_EXITING);
}
static void s_cr8_store(void) {
    vmcs_set_proc(PROC_CR8_STORE_EXITING);
}
static void s_cr0_shadow(void) {
    vmwrite(CR0_GUEST_HOST_MASK, CR0_TS | CR0_CD);
    vmwrite(CR0_READ_SHADOW, (read_cr0() | CR0_TS) & ~CR0_CD);
}
static void s_mov_dr(void) {
    vmcs_set_proc(PROC_MOV_DR_EXITING);
}
static void s_io(void) {
    vmcs_set_proc(PROC_UNCONDITIONAL_IO);
}
static void s_io_bitmaps(void) {
    memset(io_bitmap_a, 0, sizeof io_bitmap_a);
    memset(io_bitmap_b, 0, sizeof io_bitmap_b);
    io_bitmap_a[0x80 / 8] |= 1u << (0x80 % 8);
    io_bitmap_b[(0x8001 - 0x8000) / 8] |= 1u << ((0x8001 - 0x8000) % 8);
    vmcs_set_proc(PROC_USE_IO_BITMAPS | PROC_UNCONDITIONAL_IO); /* bitmaps take precedence */
    vmwrite(IO_BITMAP_A, (uint64_t)(uintptr_t)io_bitmap_a);
    vmwrite(IO_BITMAP_B, (uint64_t)(uintptr_t)io_bitmap_b);
}
/* "MSR-Bitmap Address": read-low at 0, read-high (C0000000H-C0001FFFH) at 1024, write-low at
 * 2048, write-high at 3072; MSRs outside both ranges always exit. */
static void s_msr_bitmaps(void) {
    memset(msr_bitmap, 0, sizeof msr_bitmap);
    msr_bitmap[1024 + 0x80 / 8] |= 1u << (0x80 % 8);
    msr_bitmap[2048 + 0x175 / 8] |= 1u << (0x175 % 8);
    vmcs_set_proc(PROC_USE_MSR_BITMAPS);
    vmwrite(MSR_BITMAP, (uint64_t)(uintptr_t)msr_bitmap);
}
static void s_no_msr_exits(void) {
    s_msr_bitmaps();
    memset(msr_bitmap, 0, sizeof msr_bitmap);
}
static void s_pause(void) {
    vmcs_set_proc(PROC_PAUSE_EXITING);
}
static void s_wbinvd(void) {
    vmcs_set_proc2(PROC2_WBINVD_EXITING);
}
static void s_monitor(void) {
    vmcs_set_proc(PROC_MONITOR_EXITING);
    vmwrite(EXCEPTION_BITMAP, 1u << 6);
}
static void s_mwait(void) {
    vmcs_set_proc(PROC_MWAIT_EXITING);
    vmwrite(EXCEPTION_BITMAP, 1u << 6);
}
static void s_desc(void) {
    vmcs_set_proc2(PROC2_DESCRIPTOR_TABLE_EXITING);
}
/* "INVPCID exits if INVLPG exiting and enable INVPCID are both 1." */
static void s_invpcid(void) {
    vmcs_set_proc(PROC_INVLPG_EXITING);
    vmcs_set_proc2(PROC2_ENABLE_INVPCID);
}
static void s_rsp_check(void) {}
/* "Load debug controls" gives the guest GUEST_DR7; "save debug controls" saves it back. */
static void s_debug_controls(void) {
    vmcs_set_entry(ENTRY_LOAD_DEBUG_CONTROLS);
    vmcs_set_exit(EXIT_SAVE_DEBUG_CONTROLS);
    vmwrite(GUEST_DR7, 0x500);
}
static void s_preempt_long(void) {
    vmcs_set_pin(PIN_PREEMPTION_TIMER);
    vmcs_set_exit(EXIT_SAVE_PREEMPTION_TIMER);
    vmwrite(VMX_PREEMPTION_TIMER_VALUE, 100000);
}
static void s_preempt_zero(void) {
    vmcs_set_pin(PIN_PREEMPTION_TIMER);
    vmwrite(VMX_PREEMPTION_TIMER_VALUE, 0);
}
static void s_enter_hlt(void) {
    s_preempt();
    vmwrite(GUEST_ACTIVITY_STATE, 1);
}
static void s_cr3_not_target(void) {
    vmcs_set_proc(PROC_CR3_LOAD_EXITING);
    vmwrite(CR3_TARGET_COUNT, 2);
    vmwrite(CR3_TARGET_VALUE0, read_cr3() + 0x1000);
    vmwrite(CR3_TARGET_VALUE1, read_cr3() + 0x2000);
}
static void s_span_bitmaps(void) {
    s_io_bitmaps();
    memset(io_bitmap_b, 0, sizeof io_bitmap_b);
    io_bitmap_b[0] = 1; /* port 8000H only */
}
/* A guest IDT whose NMI handler is a bare IRETQ (the rest as guest_idt). */
__attribute__((aligned(4096))) static uint8_t nmi_iret_idt[4096];
void g_nmi_iret(void);
__asm__(".text\ng_nmi_iret:\n\tiretq\n");
/* "NMI-window exiting": with virtual NMIs, the injected NMI blocks virtual NMIs until the
 * guest's IRET; the window opens then, before the interrupted instruction. */
static void s_nmi_window_after_iret(void) {
    memcpy(nmi_iret_idt, guest_idt, sizeof nmi_iret_idt);
    uint64_t h = (uint64_t)(uintptr_t)g_nmi_iret;
    uint64_t* gate = (uint64_t*)(nmi_iret_idt + 2 * 16);
    gate[0] =
        (h & 0xFFFF) | (uint64_t)GDT_CODE64 << 16 | 0x8Eull << 40 | ((h >> 16) & 0xFFFF) << 48;
    gate[1] = h >> 32;
    vmcs_set_pin(PIN_NMI_EXITING | PIN_VIRTUAL_NMIS);
    vmcs_set_proc(PROC_NMI_WINDOW);
    vmwrite(GUEST_IDTR_BASE, (uint64_t)(uintptr_t)nmi_iret_idt);
    vmwrite(GUEST_IDTR_LIMIT, sizeof nmi_iret_idt - 1);
    vmwrite(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | INTR_TYPE_NMI | 2);
}
/* CR4.VMXE masked with a read shadow of 0: the guest does not see VMX. */
static void s_cr4_hide_vmxe(void) {
    vmwrite(CR4_GUEST_HOST_MASK, CR4_VMXE);
    vmwrite(CR4_READ_SHADOW, 0);
}
static void s_virtual_nmi_inject(void) {
    vmcs_set_pin(PIN_NMI_EXITING | PIN_VIRTUAL_NMIS);
    vmcs_use_guest_idt();
    vmwrite(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | INTR_TYPE_NMI | 2);
}
static void s_save_pat(void) {
    s_msr_bitmaps();
}
/* VM-exit MSR-store list saves the guest's IA32_TSC_AUX, the VM-exit MSR-load list loads the
 * host's, the VM-entry MSR-load list gives the guest its own. */
static void s_msr_lists(void) {
    s_msr_bitmaps();
    entry_load[0] = MSR_IA32_TSC_AUX;
    entry_load[1] = 0x42;
    exit_store[0] = MSR_IA32_TSC_AUX;
    exit_store[1] = 0;
    exit_load[0] = MSR_IA32_TSC_AUX;
    exit_load[1] = 0x7;
    vmwrite(VM_ENTRY_MSR_LOAD_COUNT, 1);
    vmwrite(VM_ENTRY_MSR_LOAD_ADDR, (uint64_t)(uintptr_t)entry_load);
    vmwrite(VM_EXIT_MSR_STORE_COUNT, 1);
    vmwrite(VM_EXIT_MSR_STORE_ADDR, (uint64_t)(uintptr_t)exit_store);
    vmwrite(VM_EXIT_MSR_LOAD_COUNT, 1);
    vmwrite(VM_EXIT_MSR_LOAD_ADDR, (uint64_t)(uintptr_t)exit_load);
}

/* ---- Cases ------------------------------------------------------------------------------- */

static void instruction_exits(void) {
    RUN(cpuid, 0);
    expect_exit("cpuid", EXIT_REASON_CPUID, 0, 2, addr(g_cpuid_i));
    /* The host emulates CPUID and resumes past it: the guest's other registers survive. */
    guest.rax = 0x4856;
    reason = vmx_resume_guest(1);
    vmx_check(G, "cpuid_resume",
              reason == EXIT_REASON_VMCALL && guest.rax == 0x4856 && guest.rbx == 0x55,
              "reason %u rax 0x%lx rbx 0x%lx", reason, (unsigned long)guest.rax,
              (unsigned long)guest.rbx);
    RUN(hlt, s_hlt);
    expect_exit("hlt", EXIT_REASON_HLT, 0, 1, addr(g_hlt_i));
    /* INVLPG: the qualification is the linear-address operand. */
    RUN(invlpg, s_invlpg);
    expect_exit("invlpg", EXIT_REASON_INVLPG, 0x123045, 4, addr(g_invlpg_i));
    RUN(rdpmc, s_rdpmc);
    expect_exit("rdpmc", EXIT_REASON_RDPMC, 0, 2, addr(g_rdpmc_i));
    RUN(rdtsc, s_rdtsc);
    expect_exit("rdtsc", EXIT_REASON_RDTSC, 0, 2, addr(g_rdtsc_i));
    /* "Use TSC offsetting": RDTSC returns the TSC plus the offset. */
    RUN(rdtsc, s_tsc_offset);
    uint64_t tsc = guest.rdx << 32 | (guest.rax & 0xFFFFFFFF);
    vmx_check(G, "rdtsc_tsc_offset",
              reason == EXIT_REASON_VMCALL && tsc >= (1ull << 40) &&
                  tsc < (1ull << 40) + (1ull << 36),
              "reason %u guest TSC 0x%lx", reason, (unsigned long)tsc);
    RUN(rdtscp, s_rdtscp);
    expect_exit("rdtscp", EXIT_REASON_RDTSCP, 0, 3, addr(g_rdtscp_i));
    /* Without "enable RDTSCP", RDTSCP is #UD in the guest ("Changes to Instruction Behavior in
     * VMX Non-Root Operation"). */
    RUN(rdtscp, s_ud_bitmap);
    expect_exit("rdtscp_disabled_ud", EXIT_REASON_EXCEPTION_NMI, 0, ANY, addr(g_rdtscp_i));
    /* With "enable RDTSCP" and no RDTSC exiting, RDTSCP runs: ECX = IA32_TSC_AUX. */
    RUN(rdtscp, s_rdtscp_only);
    vmx_check(G, "rdtscp_enabled_runs",
              reason == EXIT_REASON_VMCALL &&
                  (guest.rcx & 0xFFFFFFFF) == (rdmsr(MSR_IA32_TSC_AUX) & 0xFFFFFFFF),
              "reason %u ECX 0x%lx", reason, (unsigned long)guest.rcx);
    RUN(pause, s_pause);
    expect_exit("pause", EXIT_REASON_PAUSE, 0, 2, addr(g_pause_i));
    RUN(wbinvd, s_wbinvd);
    expect_exit("wbinvd", EXIT_REASON_WBINVD, 0, 2, addr(g_wbinvd_i));
    /* MONITOR/MWAIT exit only where they exist: with CPUID.1:ECX.MONITOR = 0 they are #UD,
     * which has priority over the VM exit ("Relative Priority of Faults and VM Exits"). */
    uint32_t r[4];
    cpuid(1, 0, r);
    int has_monitor = (r[2] >> 3) & 1;
    RUN(monitor, s_monitor);
    expect_exit("monitor", has_monitor ? EXIT_REASON_MONITOR : EXIT_REASON_EXCEPTION_NMI, 0,
                has_monitor ? 3 : ANY, addr(g_monitor_i));
    RUN(mwait, s_mwait);
    expect_exit("mwait", has_monitor ? EXIT_REASON_MWAIT : EXIT_REASON_EXCEPTION_NMI, 0,
                has_monitor ? 3 : ANY, addr(g_mwait_i));
    /* "Exit Qualification for MWAIT": bit 0 is 1 if the MONITOR hardware is armed. */
    if (has_monitor) {
        RUN(monitor_mwait, s_mwait);
        expect_exit("mwait_after_monitor_armed", EXIT_REASON_MWAIT, 1, 3, addr(g_monitor_mwait_i));
    }
    cpuid(7, 0, r);
    if ((r[1] >> 10) & 1) {
        RUN(invpcid, s_invpcid);
        /* INVPCID info: scaling, address size, segment, index/base, reg2 (the type register). */
        expect_exit("invpcid", EXIT_REASON_INVPCID, 0, 5, addr(g_invpcid_i));
        expect_info("invpcid_info", 0xFFC38783, 0x11C18100);
        /* Without "enable INVPCID", INVPCID is #UD in the guest. */
        RUN(invpcid, s_ud_bitmap);
        expect_exit("invpcid_disabled_ud", EXIT_REASON_EXCEPTION_NMI, 0, ANY, addr(g_invpcid_i));
        /* "Enable INVPCID" without INVLPG exiting: INVPCID runs in the guest. */
        RUN(invpcid, s_invpcid_only);
        expect_exit("invpcid_enabled_runs", EXIT_REASON_VMCALL, ANY, ANY, ANY);
    }
}

static void vmx_instruction_exits(void) {
    /* "Instructions That Cause VM Exits Unconditionally": every VMX instruction in VMX
     * non-root operation. */
    static const struct {
        const char* name;
        void (*guest)(void);
        const char* insn;
        uint32_t reason;
        uint32_t len;
    } t[] = {
        {"vmcall", (void (*)(void))g_vmcall, g_vmcall_i, EXIT_REASON_VMCALL, 3},
        {"vmclear", (void (*)(void))g_vmclear, g_vmclear_i, EXIT_REASON_VMCLEAR, 4},
        {"vmlaunch", (void (*)(void))g_vmlaunch, g_vmlaunch_i, EXIT_REASON_VMLAUNCH, 3},
        {"vmptrld", (void (*)(void))g_vmptrld, g_vmptrld_i, EXIT_REASON_VMPTRLD, 4},
        {"vmptrst", (void (*)(void))g_vmptrst, g_vmptrst_i, EXIT_REASON_VMPTRST, 3},
        {"vmread", (void (*)(void))g_vmread, g_vmread_i, EXIT_REASON_VMREAD, 3},
        {"vmresume", (void (*)(void))g_vmresume, g_vmresume_i, EXIT_REASON_VMRESUME, 3},
        {"vmwrite", (void (*)(void))g_vmwrite, g_vmwrite_i, EXIT_REASON_VMWRITE, 3},
        {"vmxoff", (void (*)(void))g_vmxoff, g_vmxoff_i, EXIT_REASON_VMXOFF, 3},
        {"vmxon", (void (*)(void))g_vmxon, g_vmxon_i, EXIT_REASON_VMXON, 4},
        {"invept", (void (*)(void))g_invept, g_invept_i, EXIT_REASON_INVEPT, 5},
        {"invvpid", (void (*)(void))g_invvpid, g_invvpid_i, EXIT_REASON_INVVPID, 6},
    };
    for (unsigned k = 0; k < sizeof t / sizeof t[0]; k++) {
        run(t[k].guest, 0);
        expect_exit(t[k].name, t[k].reason, k == 3 ? 0x10 : ANY, t[k].len, addr(t[k].insn));
        if (k == 3) /* VMPTRLD 0x10(%rbx): 64-bit address, DS, no index, base RBX */
            expect_info("vmptrld_info", 0x0FC38783, 0x01C18100);
        if (k == 5) /* VMREAD %rax, %rbx: register form, reg1 = RBX (dest), reg2 = RAX */
            expect_info("vmread_info", 0xF0000478, 0x00000418);
        if (k == 7) /* VMWRITE %rsi, %rdx: reg1 = RSI (source), reg2 = RDX (field) */
            expect_info("vmwrite_info", 0xF0000478, 0x20000430);
        if (k == 11) /* INVVPID (%rbx), %r8: reg2 = R8 */
            expect_info("invvpid_info", 0xFFC38783, 0x81C18100);
    }
}

static void cr_dr_exits(void) {
    /* "Exit Qualification for Control-Register Accesses": bits 3:0 CR, 5:4 access type (0 MOV
     * to CR, 1 MOV from CR, 2 CLTS, 3 LMSW), 6 LMSW operand type, 11:8 GPR, 31:16 LMSW data. */
    RUN(mov_cr0, s_mask_cr0_ts);
    expect_exit("mov_to_cr0_masked", EXIT_REASON_CR_ACCESS, 0x300, 3, addr(g_mov_cr0_i));
    RUN(mov_cr4, s_mask_cr4_pge);
    expect_exit("mov_to_cr4_masked", EXIT_REASON_CR_ACCESS, 0x104, 3, addr(g_mov_cr4_i));
    RUN(read_cr3, s_cr3_store);
    expect_exit("mov_from_cr3", EXIT_REASON_CR_ACCESS, 0x213, 3, addr(g_read_cr3_i));
    RUN(write_cr3, s_cr3_load);
    expect_exit("mov_to_cr3", EXIT_REASON_CR_ACCESS, 0x603, 3, addr(g_write_cr3_i));
    RUN(write_cr3, s_cr3_load_target);
    expect_exit("mov_to_cr3_target_value", EXIT_REASON_VMCALL, ANY, ANY, ANY);
    RUN(clts, s_clts);
    expect_exit("clts", EXIT_REASON_CR_ACCESS, 0x20, 2, addr(g_clts_i));
    RUN(lmsw, s_lmsw);
    expect_exit("lmsw", EXIT_REASON_CR_ACCESS, 0x330030, 3, addr(g_lmsw_i));
    RUN(write_cr8, s_cr8_load);
    expect_exit("mov_to_cr8", EXIT_REASON_CR_ACCESS, 0x8, 4, addr(g_write_cr8_i));
    RUN(read_cr8, s_cr8_store);
    expect_exit("mov_from_cr8", EXIT_REASON_CR_ACCESS, 0x918, 4, addr(g_read_cr8_i));
    /* A read of CR0 returns the read shadow for masked bits ("Changes to Instruction Behavior
     * in VMX Non-Root Operation", MOV from CR0). */
    RUN(read_cr0_shadow, s_cr0_shadow);
    uint64_t want = (read_cr0() | CR0_TS) & ~CR0_CD;
    vmx_check(G, "mov_from_cr0_read_shadow", reason == EXIT_REASON_VMCALL && guest.rax == want,
              "reason %u guest CR0 0x%lx expected 0x%lx", reason, (unsigned long)guest.rax,
              (unsigned long)want);
    /* "Exit Qualification for MOV DR": bits 2:0 DR, 4 direction (1 = MOV from DR), 11:8 GPR. */
    RUN(mov_to_dr7, s_mov_dr);
    expect_exit("mov_to_dr7", EXIT_REASON_MOV_DR, 0x7, 3, addr(g_mov_to_dr7_i));
    RUN(mov_from_dr1, s_mov_dr);
    expect_exit("mov_from_dr1", EXIT_REASON_MOV_DR, 0x311, 3, addr(g_mov_from_dr1_i));
}

static void io_msr_exits(void) {
    /* "Exit Qualification for I/O Instructions": bits 2:0 size - 1, 3 direction (1 = IN), 4
     * string, 5 REP, 6 operand encoding (1 = immediate), 31:16 port. */
    RUN(out_imm, s_io);
    expect_exit("out_imm8", EXIT_REASON_IO, 0x800040, 2, addr(g_out_imm_i));
    RUN(in_dx, s_io);
    expect_exit("in_dx_word", EXIT_REASON_IO, 0x12340009, 2, addr(g_in_dx_i));
    RUN(out_dword, s_io);
    expect_exit("out_dx_dword", EXIT_REASON_IO, 0x700003, 1, addr(g_out_dword_i));
    /* "I/O-Bitmap Addresses": A covers ports 0-7FFFH, B 8000H-FFFFH; with bitmaps,
     * unconditional I/O exiting is ignored. */
    RUN(bitmap_a, s_io_bitmaps);
    expect_exit("io_bitmap_a", EXIT_REASON_IO, 0x800040, 2, addr(g_bitmap_a_i));
    RUN(bitmap_b, s_io_bitmaps);
    expect_exit("io_bitmap_b", EXIT_REASON_IO, 0x80010008, 1, addr(g_bitmap_b_i));
    /* String I/O: the guest-linear-address field holds the memory operand's linear address,
     * and (IA32_VMX_BASIC[54]) the instruction information gives address size and segment. */
    RUN(rep_outsb, s_io);
    expect_exit("rep_outsb", EXIT_REASON_IO, 0x800030, 2, addr(g_rep_outsb_i));
    vmx_expect(G, "rep_outsb_linear_address", vmread(GUEST_LINEAR_ADDRESS), addr((char*)io_buffer));
    if (rdmsr(MSR_IA32_VMX_BASIC) & (1ull << 54)) expect_info("rep_outsb_info", 0x38380, 0x18100);
    RUN(insw, s_io);
    expect_exit("insw", EXIT_REASON_IO, 0x800019, 2, addr(g_insw_i));
    vmx_expect(G, "insw_linear_address", vmread(GUEST_LINEAR_ADDRESS), addr((char*)io_buffer));
    if (rdmsr(MSR_IA32_VMX_BASIC) & (1ull << 54)) expect_info("insw_info", 0x38380, 0x100);

    /* Without MSR bitmaps every RDMSR/WRMSR exits. */
    RUN(rdmsr_tsc, 0);
    expect_exit("rdmsr_no_bitmaps", EXIT_REASON_RDMSR, 0, 2, addr(g_rdmsr_tsc_i));
    RUN(msr_bitmap, s_msr_bitmaps);
    expect_exit("rdmsr_bitmap_high", EXIT_REASON_RDMSR, 0, 2, addr(g_msr_bitmap_i));
    RUN(wrmsr_bitmap, s_msr_bitmaps);
    expect_exit("wrmsr_bitmap_low", EXIT_REASON_WRMSR, 0, 2, addr(g_wrmsr_bitmap_i));
    RUN(msr_out_of_range, s_msr_bitmaps);
    expect_exit("rdmsr_outside_bitmap_ranges", EXIT_REASON_RDMSR, 0, 2, addr(g_msr_out_of_range_i));
}

static void descriptor_table_exits(void) {
    /* "VM-Exit Instruction-Information Field as Used for LIDT, LGDT, SIDT, or SGDT": bits
     * 29:28 identity (0 SGDT, 1 SIDT, 2 LGDT, 3 LIDT); qualification = displacement. */
    RUN(sgdt, s_desc);
    expect_exit("sgdt", EXIT_REASON_GDTR_IDTR, 0, 3, addr(g_sgdt_i));
    expect_info("sgdt_info", 0x3FC38783, 0x01C18100);
    RUN(lidt, s_desc);
    expect_exit("lidt", EXIT_REASON_GDTR_IDTR, 8, 4, addr(g_lidt_i));
    expect_info("lidt_info", 0x3FC38783, 0x31C18100);
    /* "... for LLDT, LTR, SLDT, and STR": bit 10 register form, bits 6:3 reg1, 29:28 identity
     * (0 SLDT, 1 STR, 2 LLDT, 3 LTR). */
    RUN(str, s_desc);
    expect_exit("str", EXIT_REASON_LDTR_TR, 0, 3, addr(g_str_i));
    expect_info("str_info", 0x30000478, 0x10000400);
    RUN(lldt, s_desc);
    expect_exit("lldt", EXIT_REASON_LDTR_TR, 0, 3, addr(g_lldt_i));
    expect_info("lldt_info", 0x30000478, 0x20000410);
}

static void exception_exits(void) {
    /* "Exception bitmap" exits report the event in the VM-exit interruption information:
     * vector, type (3 hardware exception, 6 software exception), bit 11 error code valid. */
    RUN(ud2, s_ud_bitmap);
    if (expect_exit("exception_ud", EXIT_REASON_EXCEPTION_NMI, 0, ANY, addr(g_ud2_i)))
        vmx_expect(G, "exception_ud_info", vmread(VM_EXIT_INTR_INFO), 0x80000306);
    RUN(int3, s_bp_bitmap);
    if (expect_exit("exception_int3", EXIT_REASON_EXCEPTION_NMI, 0, 1, addr(g_int3_i)))
        vmx_expect(G, "exception_int3_info", vmread(VM_EXIT_INTR_INFO), 0x80000603);
    /* #PF: qualification = the faulting linear address, CR2 is not written ("Exit Qualification
     * for Exceptions"). */
    __asm__ volatile("mov %0, %%cr2" : : "r"(0x1234ull));
    RUN(pf_read, s_pf_bitmap);
    expect_exit("exception_pf", EXIT_REASON_EXCEPTION_NMI, UNMAPPED + 0x10, ANY, addr(g_pf_read_i));
    uint64_t cr2;
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    vmx_check(G, "exception_pf_info_error_cr2",
              vmread(VM_EXIT_INTR_INFO) == 0x80000B0E && vmread(VM_EXIT_INTR_ERROR_CODE) == 0 &&
                  cr2 == 0x1234,
              "info 0x%lx error 0x%lx CR2 0x%lx", (unsigned long)vmread(VM_EXIT_INTR_INFO),
              (unsigned long)vmread(VM_EXIT_INTR_ERROR_CODE), (unsigned long)cr2);
    /* Mask/match 2/2: a read fault (error code 0) goes to the guest's IDT instead. */
    RUN(pf_read, s_pf_writes_only);
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    vmx_check(G, "exception_pf_mask_match_delivers",
              reason == EXIT_REASON_VMCALL && guest.rbx == 14 && cr2 == UNMAPPED + 0x10,
              "reason %u vector %lu CR2 0x%lx", reason, (unsigned long)guest.rbx,
              (unsigned long)cr2);
    RUN(pf_write, s_pf_writes_only);
    vmx_check(G, "exception_pf_mask_match_exits",
              reason == EXIT_REASON_EXCEPTION_NMI && vmread(VM_EXIT_INTR_ERROR_CODE) == 2,
              "reason %u error code 0x%lx", reason, (unsigned long)vmread(VM_EXIT_INTR_ERROR_CODE));
    RUN(gp_selector, s_gp_bitmap);
    expect_exit("exception_gp", EXIT_REASON_EXCEPTION_NMI, 0, ANY, addr(g_gp_selector_i));
    vmx_check(G, "exception_gp_error_code",
              vmread(VM_EXIT_INTR_INFO) == 0x80000B0D && vmread(VM_EXIT_INTR_ERROR_CODE) == 0x48,
              "info 0x%lx error 0x%lx", (unsigned long)vmread(VM_EXIT_INTR_INFO),
              (unsigned long)vmread(VM_EXIT_INTR_ERROR_CODE));
    /* Triple fault: #UD with an empty IDT, #GP, #DF: exit 2 instead of shutdown. */
    RUN(triple, 0);
    expect_exit("triple_fault", EXIT_REASON_TRIPLE_FAULT, 0, ANY, ANY);
    exceptions_checked = 1;
}

static void event_exits(void) {
    /* The guest sends itself an NMI through the local APIC; NMI exiting turns it into exit 0
     * with type 2 vector 2, at the next instruction boundary. */
    RUN(nmi, s_nmi);
    if (expect_exit("nmi", EXIT_REASON_EXCEPTION_NMI, 0, ANY, addr(g_nmi_i) + 2))
        vmx_expect(G, "nmi_info", vmread(VM_EXIT_INTR_INFO) & 0x800007FF, 0x80000202);
    /* External interrupt without "acknowledge interrupt on exit": the interruption information
     * is not valid and the interrupt stays requested in the local APIC's IRR. */
    RUN(extint, s_extint_noack);
    expect_exit("external_interrupt_no_ack", EXIT_REASON_EXTERNAL_INTERRUPT, 0, ANY,
                addr(g_extint_i) + 2);
    vmx_check(G, "external_interrupt_no_ack_pending",
              !(vmread(VM_EXIT_INTR_INFO) & INTR_INFO_VALID) && (*lapic(LAPIC_IRR + 0x20) & 1),
              "info 0x%lx IRR[63:32] 0x%x", (unsigned long)vmread(VM_EXIT_INTR_INFO),
              *lapic(LAPIC_IRR + 0x20));
    /* ... so the next entry exits before the first guest instruction; with ack the vector is
     * in the interruption information and the interrupt moves to the ISR. */
    RUN(extint, s_extint_ack);
    expect_exit("external_interrupt_pending_at_entry", EXIT_REASON_EXTERNAL_INTERRUPT, 0, ANY,
                addr(g_extint));
    vmx_expect(G, "external_interrupt_ack_info", vmread(VM_EXIT_INTR_INFO), 0x80000040);
    *lapic(LAPIC_EOI) = 0;
    RUN(extint, s_extint_ack);
    expect_exit("external_interrupt_ack", EXIT_REASON_EXTERNAL_INTERRUPT, 0, ANY,
                addr(g_extint_i) + 2);
    *lapic(LAPIC_EOI) = 0;
    /* INIT to the processor's own APIC ID: exit 3 (INIT is never delivered in non-root). */
    RUN(init, 0);
    expect_exit("init_signal", EXIT_REASON_INIT, 0, ANY, addr(g_init_i) + 2);
    /* Interrupt window: STI blocks for one instruction, then the window is open. */
    RUN(intwin, s_intwin);
    expect_exit("interrupt_window", EXIT_REASON_INTERRUPT_WINDOW, 0, ANY, addr(g_intwin_i));
    /* Blocking by STI from the interruptibility-state field lasts for the first guest
     * instruction ("Interruptibility State" in "Special Features of VM Entry"). */
    RUN(mtf, s_intwin_sti_blocked);
    expect_exit("interrupt_window_after_sti_blocking", EXIT_REASON_INTERRUPT_WINDOW, 0, ANY,
                addr(g_mtf_i));
    /* NMI window with no blocking by NMI: exit before the first guest instruction. */
    RUN(cpuid, s_nmiwin);
    expect_exit("nmi_window", EXIT_REASON_NMI_WINDOW, 0, ANY, addr(g_cpuid));
    /* Monitor trap flag: exit after one guest instruction. */
    RUN(mtf, s_mtf);
    expect_exit("monitor_trap_flag", EXIT_REASON_MTF, 0, ANY, addr(g_mtf_i));
    /* VMX-preemption timer: counts down in the guest, exit 52, saved value 0. */
    RUN(spin, s_preempt);
    expect_exit("preemption_timer", EXIT_REASON_PREEMPTION_TIMER, 0, ANY, addr(g_spin_i));
    vmx_expect(G, "preemption_timer_saved_zero", vmread(VMX_PREEMPTION_TIMER_VALUE), 0);
    /* The timer also counts in the HLT state; the guest is saved halted, RIP after HLT. */
    RUN(halt_only, s_preempt);
    expect_exit("preemption_timer_in_hlt", EXIT_REASON_PREEMPTION_TIMER, 0, ANY,
                addr(g_halt_only_i));
    vmx_expect(G, "hlt_activity_state_saved", vmread(GUEST_ACTIVITY_STATE), 1);
}

/* Event injection ("Event Injection"): the event is delivered through the guest IDT as the
 * first guest action; the guest IDT's trampoline for vector n reports RBX = n, RBP = its frame. */
static uint32_t inject_info;
static uint32_t inject_error;
static void s_inject(void) {
    vmcs_use_guest_idt();
    vmwrite(VM_ENTRY_INTR_INFO_FIELD, inject_info);
    vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, inject_error);
    vmwrite(VM_ENTRY_INSTRUCTION_LEN, 2);
    vmwrite(GUEST_RFLAGS, 0x202);
}
static void s_inject_in_hlt(void) {
    s_inject();
    vmwrite(GUEST_ACTIVITY_STATE, 1);
}
static void s_inject_mtf(void) {
    s_inject();
    vmcs_set_proc(PROC_MONITOR_TRAP_FLAG);
}
extern const uint8_t guest_vector_trampolines[];
static uint64_t guest_frame(unsigned k) {
    return ((uint64_t*)(uintptr_t)guest.rbp)[k];
}

static void injection_cases(void) {
    uint64_t start = addr(g_injected);
    inject_info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | 6;
    RUN(injected, s_inject);
    vmx_check(G, "inject_ud",
              reason == EXIT_REASON_VMCALL && guest.rbx == 6 && guest_frame(0) == start,
              "reason %u vector %lu frame RIP 0x%lx", reason, (unsigned long)guest.rbx,
              (unsigned long)guest_frame(0));
    vmx_check(G, "inject_clears_valid_bit", !(vmread(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID),
              "VM-entry interruption information 0x%lx",
              (unsigned long)vmread(VM_ENTRY_INTR_INFO_FIELD));
    inject_info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | INTR_INFO_DELIVER_ERROR | 13;
    inject_error = 0x1234;
    RUN(injected, s_inject);
    vmx_check(G, "inject_gp_error_code",
              reason == EXIT_REASON_VMCALL && guest.rbx == 13 && guest_frame(0) == 0x1234 &&
                  guest_frame(1) == start,
              "reason %u vector %lu frame 0x%lx 0x%lx", reason, (unsigned long)guest.rbx,
              (unsigned long)guest_frame(0), (unsigned long)guest_frame(1));
    /* A software interrupt pushes RIP + VM-entry instruction length. */
    inject_info = INTR_INFO_VALID | INTR_TYPE_SW_INTERRUPT | 0x80;
    RUN(injected, s_inject);
    vmx_check(G, "inject_software_interrupt",
              reason == EXIT_REASON_VMCALL && guest.rbx == 0x80 && guest_frame(0) == start + 2,
              "reason %u vector %lu frame RIP 0x%lx", reason, (unsigned long)guest.rbx,
              (unsigned long)guest_frame(0));
    inject_info = INTR_INFO_VALID | INTR_TYPE_EXTERNAL | 0x41;
    RUN(injected, s_inject);
    vmx_check(G, "inject_external_interrupt", reason == EXIT_REASON_VMCALL && guest.rbx == 0x41,
              "reason %u vector %lu", reason, (unsigned long)guest.rbx);
    inject_info = INTR_INFO_VALID | INTR_TYPE_NMI | 2;
    RUN(injected, s_inject);
    vmx_check(G, "inject_nmi", reason == EXIT_REASON_VMCALL && guest.rbx == 2,
              "reason %u vector %lu", reason, (unsigned long)guest.rbx);
    /* An external interrupt injected into the HLT activity state is delivered and the guest
     * is active afterwards ("Activity State" in "Special Features of VM Entry"). */
    inject_info = INTR_INFO_VALID | INTR_TYPE_EXTERNAL | 0x42;
    RUN(injected, s_inject_in_hlt);
    vmx_check(G, "inject_wakes_hlt_state",
              reason == EXIT_REASON_VMCALL && guest.rbx == 0x42 &&
                  vmread(GUEST_ACTIVITY_STATE) == 0 && guest_frame(0) == start,
              "reason %u vector %lu activity %lu", reason, (unsigned long)guest.rbx,
              (unsigned long)vmread(GUEST_ACTIVITY_STATE));
    /* "Monitor Trap Flag": with an injected event, the MTF VM exit is pending before the
     * first instruction after the delivery (the guest IDT trampoline of the vector); an injected
     * pending MTF (type 7, vector 0) gives one at the entry even with the control 0. */
    inject_info = INTR_INFO_VALID | INTR_TYPE_EXTERNAL | 0x41;
    RUN(injected, s_inject_mtf);
    expect_exit("mtf_after_injected_event", EXIT_REASON_MTF, 0, ANY,
                addr((const char*)guest_vector_trampolines) + 0x41 * 16);
    if (vmx_allowed1(MSR_IA32_VMX_PROCBASED_CTLS, PROC_MONITOR_TRAP_FLAG)) {
        inject_info = INTR_INFO_VALID | 7u << 8 | 0;
        RUN(injected, s_inject);
        expect_exit("pending_mtf_injected", EXIT_REASON_MTF, 0, ANY, start);
    }
    /* IDT-vectoring information: delivering vector 0x41 past the guest's IDT limit raises
     * #GP(0x41 * 8 + 2 + EXT), which exits; the interrupted event is reported. */
    inject_info = INTR_INFO_VALID | INTR_TYPE_EXTERNAL | 0x41;
    RUN(injected, s_inject);
    vmwrite(GUEST_IDTR_LIMIT, 0x41 * 16 - 1);
    vmwrite(EXCEPTION_BITMAP, 1u << 13);
    vmwrite(VM_ENTRY_INTR_INFO_FIELD, inject_info);
    vmwrite(GUEST_RIP, start);
    vmwrite(GUEST_RFLAGS, 0x202);
    uint32_t r2 = vmx_enter(&guest, VMX_RESUME) == 0 ? (uint32_t)vmread(VM_EXIT_REASON) : ~0u;
    vmx_check(G, "idt_vectoring_info",
              r2 == EXIT_REASON_EXCEPTION_NMI && vmread(VM_EXIT_INTR_INFO) == 0x80000B0D &&
                  vmread(VM_EXIT_INTR_ERROR_CODE) == 0x20B &&
                  vmread(IDT_VECTORING_INFO_FIELD) == 0x80000041,
              "reason 0x%x info 0x%lx error 0x%lx IDT-vectoring 0x%lx", r2,
              (unsigned long)vmread(VM_EXIT_INTR_INFO),
              (unsigned long)vmread(VM_EXIT_INTR_ERROR_CODE),
              (unsigned long)vmread(IDT_VECTORING_INFO_FIELD));
}

static void state_cases(void) {
    /* "Saving Guest State": RSP as the guest left it. */
    RUN(push_then_vmcall, s_rsp_check);
    vmx_expect(G, "guest_rsp_saved", vmread(GUEST_RSP),
               (uint64_t)(uintptr_t)(guest_stack + sizeof(guest_stack)) - 8);
    /* "Loading Host Segment and Descriptor-Table Registers": GDTR and IDTR limits are FFFFH;
     * RFLAGS is cleared except bit 1. */
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } gd, id;
    uint64_t fl;
    RUN(cpuid, 0);
    __asm__ volatile("pushfq\n\tpopq %0\n\tsgdt %1\n\tsidt %2" : "=r"(fl), "=m"(gd), "=m"(id));
    vmx_check(G, "host_gdtr_idtr_limits_ffff", gd.limit == 0xFFFF && id.limit == 0xFFFF,
              "GDTR limit 0x%x IDTR limit 0x%x", gd.limit, id.limit);
    vmx_check(G, "host_rflags_cleared", (fl & ~(uint64_t)(RFLAGS_ARITH | 0x100)) == 0x2,
              "RFLAGS 0x%lx", (unsigned long)fl);
    /* "save IA32_PAT": the guest's WRMSR of PAT lands in the VMCS; "load IA32_PAT" gives the host
     * its own back. */
    uint64_t host_pat = rdmsr(MSR_IA32_PAT);
    RUN(wrpat, s_save_pat);
    vmx_check(G, "save_and_load_pat",
              vmread(GUEST_IA32_PAT) == 0x0007010600070406ull && rdmsr(MSR_IA32_PAT) == host_pat,
              "guest PAT 0x%lx host PAT 0x%lx", (unsigned long)vmread(GUEST_IA32_PAT),
              (unsigned long)rdmsr(MSR_IA32_PAT));
    /* MSR lists: the guest reads the entry-loaded value and writes 0x99; the exit stores 0x99
     * and loads the host's 7. */
    RUN(read_tsc_aux, s_msr_lists);
    vmx_check(G, "msr_load_store_lists",
              reason == EXIT_REASON_VMCALL && guest.rbx == 0x42 && exit_store[1] == 0x99 &&
                  rdmsr(MSR_IA32_TSC_AUX) == 7,
              "reason %u guest read 0x%lx stored 0x%lx host 0x%lx", reason,
              (unsigned long)guest.rbx, (unsigned long)exit_store[1],
              (unsigned long)rdmsr(MSR_IA32_TSC_AUX));
}

/* More of what VM entry loads and VM exit saves ("Loading Guest State", "Saving Guest State",
 * "Loading Host State"). */
static void more_state_cases(void) {
    uint64_t dr7;
    RUN(debug_regs, s_debug_controls);
    __asm__ volatile("movq %%dr7, %0" : "=r"(dr7));
    vmx_check(G, "load_debug_controls", reason == EXIT_REASON_VMCALL && guest.rax == 0x500,
              "reason %u guest DR7 0x%lx", reason, (unsigned long)guest.rax);
    vmx_expect(G, "save_debug_controls", vmread(GUEST_DR7), 0x700);
    vmx_expect(G, "host_dr7_0x400", dr7, 0x400);
    /* "save IA32_EFER" / "load IA32_EFER": the guest clears NXE, the host gets its own back. */
    uint64_t efer = rdmsr(MSR_IA32_EFER);
    if (efer & EFER_NXE) {
        RUN(clear_nxe, s_no_msr_exits);
        vmx_check(G, "save_and_load_efer",
                  reason == EXIT_REASON_VMCALL && vmread(GUEST_IA32_EFER) == (efer & ~EFER_NXE) &&
                      rdmsr(MSR_IA32_EFER) == efer,
                  "reason %u guest EFER 0x%lx host EFER 0x%lx", reason,
                  (unsigned long)vmread(GUEST_IA32_EFER), (unsigned long)rdmsr(MSR_IA32_EFER));
    }
    /* The timer counts only in the guest; "save VMX-preemption timer value" stores what is
     * left at an exit for another reason. */
    RUN(cpuid, s_preempt_long);
    uint64_t left = vmread(VMX_PREEMPTION_TIMER_VALUE);
    vmx_check(G, "preemption_timer_saved_value",
              reason == EXIT_REASON_CPUID && left > 0 && left < 100000, "reason %u value %lu",
              reason, (unsigned long)left);
    /* "If the value is zero at VM entry, a VM exit occurs before any guest instruction." */
    RUN(cpuid, s_preempt_zero);
    expect_exit("preemption_timer_zero", EXIT_REASON_PREEMPTION_TIMER, 0, ANY, addr(g_cpuid));
    /* Entering the HLT activity state: the guest executes nothing until the timer expires. */
    RUN(cpuid, s_enter_hlt);
    expect_exit("entry_in_hlt_state", EXIT_REASON_PREEMPTION_TIMER, 0, ANY, addr(g_cpuid));
    vmx_expect(G, "entry_in_hlt_state_saved", vmread(GUEST_ACTIVITY_STATE), 1);
    /* MOV to CR3 with CR3-target values that do not match: exits. */
    RUN(write_cr3, s_cr3_not_target);
    expect_exit("mov_to_cr3_not_target_value", EXIT_REASON_CR_ACCESS, 0x603, 3,
                addr(g_write_cr3_i));
    /* An access that covers a port whose bit is set (8000H of a word at 7FFFH) exits. */
    RUN(outw_span, s_span_bitmaps);
    expect_exit("io_bitmap_access_spanning_a_and_b", EXIT_REASON_IO, 0x7FFF0001, 2,
                addr(g_outw_span_i));
    /* Interruptibility and RFLAGS saved: VMCALL in the shadow of STI; DF set by STD. */
    RUN(sti_vmcall, 0);
    vmx_check(G, "sti_blocking_saved",
              reason == EXIT_REASON_VMCALL && (vmread(GUEST_INTERRUPTIBILITY_INFO) & 3) == 1 &&
                  (vmread(GUEST_RFLAGS) & RFLAGS_IF),
              "reason %u interruptibility 0x%lx RFLAGS 0x%lx", reason,
              (unsigned long)vmread(GUEST_INTERRUPTIBILITY_INFO),
              (unsigned long)vmread(GUEST_RFLAGS));
    RUN(std_vmcall, 0);
    vmx_expect(G, "guest_rflags_saved", vmread(GUEST_RFLAGS), 0x402);
    /* Segment access rights saved, unusable LDTR included (bit 16). */
    vmx_check(G, "guest_access_rights_saved",
              vmread(GUEST_CS_AR_BYTES) == 0xA09B && vmread(GUEST_TR_AR_BYTES) == 0x8B &&
                  (vmread(GUEST_LDTR_AR_BYTES) & 0x10000),
              "CS 0x%lx TR 0x%lx LDTR 0x%lx", (unsigned long)vmread(GUEST_CS_AR_BYTES),
              (unsigned long)vmread(GUEST_TR_AR_BYTES), (unsigned long)vmread(GUEST_LDTR_AR_BYTES));
    /* Host selectors after the exit: TR and SS from the host-state area. */
    uint16_t tr, ss;
    __asm__ volatile("str %0\n\tmovw %%ss, %1" : "=r"(tr), "=r"(ss));
    vmx_check(G, "host_selectors_loaded", tr == HOST_TR_SEL && ss == GDT_DATA, "TR 0x%x SS 0x%x",
              tr, ss);
    /* Injecting an NMI with "virtual NMIs" blocks virtual NMIs: saved in interruptibility. */
    RUN(injected, s_virtual_nmi_inject);
    vmx_check(G, "virtual_nmi_blocking_saved",
              reason == EXIT_REASON_VMCALL && guest.rbx == 2 &&
                  (vmread(GUEST_INTERRUPTIBILITY_INFO) & 8),
              "reason %u vector %lu interruptibility 0x%lx", reason, (unsigned long)guest.rbx,
              (unsigned long)vmread(GUEST_INTERRUPTIBILITY_INFO));
    RUN(injected, s_nmi_window_after_iret);
    expect_exit("nmi_window_after_iret", EXIT_REASON_NMI_WINDOW, 0, ANY, addr(g_injected));
    vmx_expect(G, "nmi_window_after_iret_unblocked", vmread(GUEST_INTERRUPTIBILITY_INFO) & 8, 0);
    RUN(read_cr4_shadow, s_cr4_hide_vmxe);
    vmx_check(G, "mov_from_cr4_read_shadow",
              reason == EXIT_REASON_VMCALL && guest.rax == (read_cr4() & ~CR4_VMXE),
              "reason %u guest CR4 0x%lx", reason, (unsigned long)guest.rax);
}

void kmain(uint32_t magic, uint32_t mbinfo) {
    (void)magic;
    (void)mbinfo;
    serial_init();
    printf("vmx-exits: VM exits, their information fields, event injection\n");
    if (vmx_enable() != VMX_OK) {
        printf("vmx-exits: VMXON failed\n");
        debug_exit(0x01);
    }
    *lapic(LAPIC_SVR) = 0x1FF; /* software-enable the local APIC for the IPI cases */
    instruction_exits();
    vmx_instruction_exits();
    cr_dr_exits();
    io_msr_exits();
    descriptor_table_exits();
    exception_exits();
    event_exits();
    injection_cases();
    state_cases();
    more_state_cases();
    vmx_finish("vmx-exits", PASS_STATUS);
}
