/* Guest-side VMX helpers for the vmx-* conformance ROMs: the VMX instructions as C calls that
 * return the RFLAGS outcome, a builder for a minimal valid VMCS (a 64-bit guest sharing the
 * host's page tables, GDT and code), a launch/resume stub that returns to C at each VM exit,
 * and an exception catcher so a case can expect #UD/#GP. Linked only into vmx-* ROMs.
 * Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "VMX Instruction Reference",
 * "VM Entries", "VM Exits"; Vol. 3D, "Field Encoding in VMCS" and "VMX Capability
 * Reporting Facility". */
#ifndef ROMS_LIB_VMX_H
#define ROMS_LIB_VMX_H

#include <stdint.h>

/* ---- MSRs (SDM Vol. 4, "Model-Specific Registers") ------------------------------------- */
#define MSR_IA32_FEATURE_CONTROL 0x3A
#define FEATURE_CONTROL_LOCK (1u << 0)
#define FEATURE_CONTROL_VMXON_OUTSIDE_SMX (1u << 2)
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_DEBUGCTL 0x1D9
#define MSR_IA32_PAT 0x277
#define MSR_IA32_EFER 0xC0000080
#define MSR_IA32_STAR 0xC0000081
#define MSR_IA32_LSTAR 0xC0000082
#define MSR_IA32_FS_BASE 0xC0000100
#define MSR_IA32_GS_BASE 0xC0000101
#define MSR_IA32_KERNEL_GS_BASE 0xC0000102
#define MSR_IA32_TSC_AUX 0xC0000103
#define MSR_IA32_VMX_BASIC 0x480
#define MSR_IA32_VMX_PINBASED_CTLS 0x481
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482
#define MSR_IA32_VMX_EXIT_CTLS 0x483
#define MSR_IA32_VMX_ENTRY_CTLS 0x484
#define MSR_IA32_VMX_MISC 0x485
#define MSR_IA32_VMX_CR0_FIXED0 0x486
#define MSR_IA32_VMX_CR0_FIXED1 0x487
#define MSR_IA32_VMX_CR4_FIXED0 0x488
#define MSR_IA32_VMX_CR4_FIXED1 0x489
#define MSR_IA32_VMX_VMCS_ENUM 0x48A
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48B
#define MSR_IA32_VMX_EPT_VPID_CAP 0x48C
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48D
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48E
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48F
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490
#define MSR_IA32_VMX_VMFUNC 0x491

#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_TS (1ull << 3)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_PGE (1ull << 7)
#define CR4_VMXE (1ull << 13)
#define CR4_PCIDE (1ull << 17)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

/* ---- VMCS field encodings (SDM Vol. 3D, "Field Encoding in VMCS") ---------------------- */
#define VIRTUAL_PROCESSOR_ID 0x0000
#define GUEST_ES_SELECTOR 0x0800
#define GUEST_CS_SELECTOR 0x0802
#define GUEST_SS_SELECTOR 0x0804
#define GUEST_DS_SELECTOR 0x0806
#define GUEST_FS_SELECTOR 0x0808
#define GUEST_GS_SELECTOR 0x080A
#define GUEST_LDTR_SELECTOR 0x080C
#define GUEST_TR_SELECTOR 0x080E
#define HOST_ES_SELECTOR 0x0C00
#define HOST_CS_SELECTOR 0x0C02
#define HOST_SS_SELECTOR 0x0C04
#define HOST_DS_SELECTOR 0x0C06
#define HOST_FS_SELECTOR 0x0C08
#define HOST_GS_SELECTOR 0x0C0A
#define HOST_TR_SELECTOR 0x0C0C
#define IO_BITMAP_A 0x2000
#define IO_BITMAP_B 0x2002
#define MSR_BITMAP 0x2004
#define VM_EXIT_MSR_STORE_ADDR 0x2006
#define VM_EXIT_MSR_LOAD_ADDR 0x2008
#define VM_ENTRY_MSR_LOAD_ADDR 0x200A
#define TSC_OFFSET 0x2010
#define EPT_POINTER 0x201A
#define GUEST_PHYSICAL_ADDRESS 0x2400
#define VMCS_LINK_POINTER 0x2800
#define GUEST_IA32_DEBUGCTL 0x2802
#define GUEST_IA32_PAT 0x2804
#define GUEST_IA32_EFER 0x2806
#define GUEST_PDPTE0 0x280A
#define HOST_IA32_PAT 0x2C00
#define HOST_IA32_EFER 0x2C02
#define PIN_BASED_VM_EXEC_CONTROL 0x4000
#define CPU_BASED_VM_EXEC_CONTROL 0x4002
#define EXCEPTION_BITMAP 0x4004
#define PAGE_FAULT_ERROR_CODE_MASK 0x4006
#define PAGE_FAULT_ERROR_CODE_MATCH 0x4008
#define CR3_TARGET_COUNT 0x400A
#define VM_EXIT_CONTROLS 0x400C
#define VM_EXIT_MSR_STORE_COUNT 0x400E
#define VM_EXIT_MSR_LOAD_COUNT 0x4010
#define VM_ENTRY_CONTROLS 0x4012
#define VM_ENTRY_MSR_LOAD_COUNT 0x4014
#define VM_ENTRY_INTR_INFO_FIELD 0x4016
#define VM_ENTRY_EXCEPTION_ERROR_CODE 0x4018
#define VM_ENTRY_INSTRUCTION_LEN 0x401A
#define SECONDARY_VM_EXEC_CONTROL 0x401E
#define VM_INSTRUCTION_ERROR 0x4400
#define VM_EXIT_REASON 0x4402
#define VM_EXIT_INTR_INFO 0x4404
#define VM_EXIT_INTR_ERROR_CODE 0x4406
#define IDT_VECTORING_INFO_FIELD 0x4408
#define IDT_VECTORING_ERROR_CODE 0x440A
#define VM_EXIT_INSTRUCTION_LEN 0x440C
#define VMX_INSTRUCTION_INFO 0x440E
#define GUEST_ES_LIMIT 0x4800
#define GUEST_CS_LIMIT 0x4802
#define GUEST_SS_LIMIT 0x4804
#define GUEST_DS_LIMIT 0x4806
#define GUEST_FS_LIMIT 0x4808
#define GUEST_GS_LIMIT 0x480A
#define GUEST_LDTR_LIMIT 0x480C
#define GUEST_TR_LIMIT 0x480E
#define GUEST_GDTR_LIMIT 0x4810
#define GUEST_IDTR_LIMIT 0x4812
#define GUEST_ES_AR_BYTES 0x4814
#define GUEST_CS_AR_BYTES 0x4816
#define GUEST_SS_AR_BYTES 0x4818
#define GUEST_DS_AR_BYTES 0x481A
#define GUEST_FS_AR_BYTES 0x481C
#define GUEST_GS_AR_BYTES 0x481E
#define GUEST_LDTR_AR_BYTES 0x4820
#define GUEST_TR_AR_BYTES 0x4822
#define GUEST_INTERRUPTIBILITY_INFO 0x4824
#define GUEST_ACTIVITY_STATE 0x4826
#define GUEST_SMBASE 0x4828
#define GUEST_SYSENTER_CS 0x482A
#define VMX_PREEMPTION_TIMER_VALUE 0x482E
#define HOST_IA32_SYSENTER_CS 0x4C00
#define CR0_GUEST_HOST_MASK 0x6000
#define CR4_GUEST_HOST_MASK 0x6002
#define CR0_READ_SHADOW 0x6004
#define CR4_READ_SHADOW 0x6006
#define CR3_TARGET_VALUE0 0x6008
#define CR3_TARGET_VALUE1 0x600A
#define EXIT_QUALIFICATION 0x6400
#define IO_RCX 0x6402
#define IO_RSI 0x6404
#define IO_RDI 0x6406
#define IO_RIP 0x6408
#define GUEST_LINEAR_ADDRESS 0x640A
#define GUEST_CR0 0x6800
#define GUEST_CR3 0x6802
#define GUEST_CR4 0x6804
#define GUEST_ES_BASE 0x6806
#define GUEST_CS_BASE 0x6808
#define GUEST_SS_BASE 0x680A
#define GUEST_DS_BASE 0x680C
#define GUEST_FS_BASE 0x680E
#define GUEST_GS_BASE 0x6810
#define GUEST_LDTR_BASE 0x6812
#define GUEST_TR_BASE 0x6814
#define GUEST_GDTR_BASE 0x6816
#define GUEST_IDTR_BASE 0x6818
#define GUEST_DR7 0x681A
#define GUEST_RSP 0x681C
#define GUEST_RIP 0x681E
#define GUEST_RFLAGS 0x6820
#define GUEST_PENDING_DBG_EXCEPTIONS 0x6822
#define GUEST_SYSENTER_ESP 0x6824
#define GUEST_SYSENTER_EIP 0x6826
#define HOST_CR0 0x6C00
#define HOST_CR3 0x6C02
#define HOST_CR4 0x6C04
#define HOST_FS_BASE 0x6C06
#define HOST_GS_BASE 0x6C08
#define HOST_TR_BASE 0x6C0A
#define HOST_GDTR_BASE 0x6C0C
#define HOST_IDTR_BASE 0x6C0E
#define HOST_IA32_SYSENTER_ESP 0x6C10
#define HOST_IA32_SYSENTER_EIP 0x6C12
#define HOST_RSP 0x6C14
#define HOST_RIP 0x6C16

/* ---- Control bits (SDM Vol. 3C, "VM-Execution Control Fields", "VM-Exit Control Fields",
 * "VM-Entry Control Fields") ------------------------------------------------------------- */
#define PIN_EXTERNAL_INTERRUPT_EXITING (1u << 0)
#define PIN_NMI_EXITING (1u << 3)
#define PIN_VIRTUAL_NMIS (1u << 5)
#define PIN_PREEMPTION_TIMER (1u << 6)
#define PIN_POSTED_INTERRUPTS (1u << 7)

#define PROC_INTERRUPT_WINDOW (1u << 2)
#define PROC_TSC_OFFSETTING (1u << 3)
#define PROC_HLT_EXITING (1u << 7)
#define PROC_INVLPG_EXITING (1u << 9)
#define PROC_MWAIT_EXITING (1u << 10)
#define PROC_RDPMC_EXITING (1u << 11)
#define PROC_RDTSC_EXITING (1u << 12)
#define PROC_CR3_LOAD_EXITING (1u << 15)
#define PROC_CR3_STORE_EXITING (1u << 16)
#define PROC_CR8_LOAD_EXITING (1u << 19)
#define PROC_CR8_STORE_EXITING (1u << 20)
#define PROC_TPR_SHADOW (1u << 21)
#define PROC_NMI_WINDOW (1u << 22)
#define PROC_MOV_DR_EXITING (1u << 23)
#define PROC_UNCONDITIONAL_IO (1u << 24)
#define PROC_USE_IO_BITMAPS (1u << 25)
#define PROC_MONITOR_TRAP_FLAG (1u << 27)
#define PROC_USE_MSR_BITMAPS (1u << 28)
#define PROC_MONITOR_EXITING (1u << 29)
#define PROC_PAUSE_EXITING (1u << 30)
#define PROC_SECONDARY_CONTROLS (1u << 31)

#define PROC2_VIRTUALIZE_APIC (1u << 0)
#define PROC2_ENABLE_EPT (1u << 1)
#define PROC2_DESCRIPTOR_TABLE_EXITING (1u << 2)
#define PROC2_ENABLE_RDTSCP (1u << 3)
#define PROC2_ENABLE_VPID (1u << 5)
#define PROC2_WBINVD_EXITING (1u << 6)
#define PROC2_UNRESTRICTED_GUEST (1u << 7)
#define PROC2_ENABLE_INVPCID (1u << 12)

#define EXIT_SAVE_DEBUG_CONTROLS (1u << 2)
#define EXIT_HOST_ADDRESS_SPACE_SIZE (1u << 9)
#define EXIT_ACK_INTERRUPT_ON_EXIT (1u << 15)
#define EXIT_SAVE_PAT (1u << 18)
#define EXIT_LOAD_PAT (1u << 19)
#define EXIT_SAVE_EFER (1u << 20)
#define EXIT_LOAD_EFER (1u << 21)
#define EXIT_SAVE_PREEMPTION_TIMER (1u << 22)

#define ENTRY_LOAD_DEBUG_CONTROLS (1u << 2)
#define ENTRY_IA32E_MODE_GUEST (1u << 9)
#define ENTRY_TO_SMM (1u << 10)
#define ENTRY_LOAD_PAT (1u << 14)
#define ENTRY_LOAD_EFER (1u << 15)

/* Interruption-information format (entry and exit): vector 7:0, type 10:8, error code 11,
 * valid 31 (SDM Vol. 3C, "VM-Entry Controls for Event Injection"). */
#define INTR_INFO_VALID (1u << 31)
#define INTR_INFO_DELIVER_ERROR (1u << 11)
#define INTR_TYPE_EXTERNAL (0u << 8)
#define INTR_TYPE_NMI (2u << 8)
#define INTR_TYPE_HW_EXCEPTION (3u << 8)
#define INTR_TYPE_SW_INTERRUPT (4u << 8)
#define INTR_TYPE_PRIV_SW_EXCEPTION (5u << 8)
#define INTR_TYPE_SW_EXCEPTION (6u << 8)

/* Basic exit reasons (SDM Vol. 3D, "VMX Basic Exit Reasons"). */
#define EXIT_REASON_EXCEPTION_NMI 0
#define EXIT_REASON_EXTERNAL_INTERRUPT 1
#define EXIT_REASON_TRIPLE_FAULT 2
#define EXIT_REASON_INIT 3
#define EXIT_REASON_INTERRUPT_WINDOW 7
#define EXIT_REASON_NMI_WINDOW 8
#define EXIT_REASON_CPUID 10
#define EXIT_REASON_HLT 12
#define EXIT_REASON_INVD 13
#define EXIT_REASON_INVLPG 14
#define EXIT_REASON_RDPMC 15
#define EXIT_REASON_RDTSC 16
#define EXIT_REASON_VMCALL 18
#define EXIT_REASON_VMCLEAR 19
#define EXIT_REASON_VMLAUNCH 20
#define EXIT_REASON_VMPTRLD 21
#define EXIT_REASON_VMPTRST 22
#define EXIT_REASON_VMREAD 23
#define EXIT_REASON_VMRESUME 24
#define EXIT_REASON_VMWRITE 25
#define EXIT_REASON_VMXOFF 26
#define EXIT_REASON_VMXON 27
#define EXIT_REASON_CR_ACCESS 28
#define EXIT_REASON_MOV_DR 29
#define EXIT_REASON_IO 30
#define EXIT_REASON_RDMSR 31
#define EXIT_REASON_WRMSR 32
#define EXIT_REASON_INVALID_GUEST_STATE 33
#define EXIT_REASON_MSR_LOADING 34
#define EXIT_REASON_MWAIT 36
#define EXIT_REASON_MTF 37
#define EXIT_REASON_MONITOR 39
#define EXIT_REASON_PAUSE 40
#define EXIT_REASON_GDTR_IDTR 46
#define EXIT_REASON_LDTR_TR 47
#define EXIT_REASON_EPT_VIOLATION 48
#define EXIT_REASON_EPT_MISCONFIG 49
#define EXIT_REASON_INVEPT 50
#define EXIT_REASON_RDTSCP 51
#define EXIT_REASON_PREEMPTION_TIMER 52
#define EXIT_REASON_INVVPID 53
#define EXIT_REASON_WBINVD 54
#define EXIT_REASON_INVPCID 58
#define EXIT_REASON_ENTRY_FAILURE (1u << 31)

/* ---- Instruction outcomes (SDM Vol. 3C, "Conventions") --------------------------------- */
/* VMsucceed clears CF PF AF ZF SF OF; VMfailInvalid sets CF and clears the rest; VMfailValid
 * sets ZF and clears the rest. Every wrapper sets all six flags before the instruction, so a
 * flag the CPU forgot to clear shows up as VMX_FLAGS_BAD. */
enum vmx_outcome { VMX_OK = 0, VMX_FAIL_INVALID = 1, VMX_FAIL_VALID = 2, VMX_FLAGS_BAD = 3 };
#define RFLAGS_ARITH 0x8D5ull /* CF PF AF ZF SF OF */
#define RFLAGS_CF 0x1ull
#define RFLAGS_ZF 0x40ull
#define RFLAGS_IF 0x200ull
#define RFLAGS_TF 0x100ull

enum vmx_outcome vmx_classify(uint64_t rflags);
const char* vmx_outcome_name(enum vmx_outcome o);

/* Each returns RFLAGS after the instruction (the six flags set before it). */
uint64_t vmx_vmxon_raw(uint64_t pa);
uint64_t vmx_vmclear_raw(uint64_t pa);
uint64_t vmx_vmptrld_raw(uint64_t pa);
uint64_t vmx_vmptrst_raw(uint64_t* out);
uint64_t vmx_vmread_raw(uint64_t field, uint64_t* value);
uint64_t vmx_vmread_mem_raw(uint64_t field, uint64_t* value); /* memory destination form */
uint64_t vmx_vmwrite_raw(uint64_t field, uint64_t value);
uint64_t vmx_vmwrite_mem_raw(uint64_t field, const uint64_t* value); /* memory source */
uint64_t vmx_vmxoff_raw(void);
uint64_t vmx_vmcall_raw(void);
uint64_t vmx_invept_raw(uint64_t type, const void* descriptor);
uint64_t vmx_invvpid_raw(uint64_t type, const void* descriptor);

static inline enum vmx_outcome vmx_vmxon(uint64_t pa) {
    return vmx_classify(vmx_vmxon_raw(pa));
}
static inline enum vmx_outcome vmx_vmclear(uint64_t pa) {
    return vmx_classify(vmx_vmclear_raw(pa));
}
static inline enum vmx_outcome vmx_vmptrld(uint64_t pa) {
    return vmx_classify(vmx_vmptrld_raw(pa));
}
static inline enum vmx_outcome vmx_vmwrite(uint64_t f, uint64_t v) {
    return vmx_classify(vmx_vmwrite_raw(f, v));
}
static inline enum vmx_outcome vmx_vmxoff(void) {
    return vmx_classify(vmx_vmxoff_raw());
}
/* VMREAD that returns the value (0 on failure); for fields a case knows exist. */
uint64_t vmread(uint64_t field);
/* VMWRITE of a field the case knows exists; a failure is reported as a ROM bug. */
void vmwrite(uint64_t field, uint64_t value);
/* VM-instruction error field (VMREAD of 0x4400). */
uint32_t vmx_error(void);

struct invept_descriptor {
    uint64_t eptp;
    uint64_t reserved;
};
struct invvpid_descriptor {
    uint64_t vpid; /* bits 15:0; bits 63:16 reserved (must be 0) */
    uint64_t linear_address;
};

/* ---- Exception catcher ------------------------------------------------------------------- */
/* vmx_catch_init installs the trap handler. VMX_TRY(asm, inputs) runs the instructions in
 * `asm` and evaluates to the vector one of them raised (-1 if none); the error code is in
 * vmx_caught_error. The asm may use RAX, RCX, RDX and R11 freely (set them inside the
 * string); inputs must be "r" operands, which never land in those four. */
extern volatile int vmx_caught_vector;
extern volatile uint64_t vmx_caught_error;
extern volatile uint64_t vmx_catch_resume;
void vmx_catch_init(void);
#define VMX_TRY(insn, ...)                                                                         \
    ({                                                                                             \
        vmx_caught_vector = -1;                                                                    \
        __asm__ volatile("leaq 9f(%%rip), %%r11\n\t"                                               \
                         "movq %%r11, vmx_catch_resume(%%rip)\n\t" insn "\n9:\n\t"                 \
                         :                                                                         \
                         : __VA_ARGS__                                                             \
                         : "rax", "rcx", "rdx", "r11", "memory", "cc");                            \
        vmx_catch_resume = 0;                                                                      \
        vmx_caught_vector;                                                                         \
    })

/* VMX_TRY_CPL3(asm, inputs): the same at CPL 3. IRETQ to a user code segment on
 * vmx_user_stack, run `asm` there; the exception it raises comes back to CPL 0 after the
 * asm (an `ud2` follows it, so an instruction that does not fault shows up as #UD). Needs
 * vmx_user_pages() first: the pages must be user-accessible. */
extern volatile uint64_t vmx_catch_kernel_rsp;
extern uint8_t vmx_user_stack[4096];
#define VMX_TRY_CPL3(insn, ...)                                                                    \
    ({                                                                                             \
        vmx_caught_vector = -1;                                                                    \
        __asm__ volatile("leaq 9f(%%rip), %%r11\n\t"                                               \
                         "movq %%r11, vmx_catch_resume(%%rip)\n\t"                                 \
                         "movq %%rsp, vmx_catch_kernel_rsp(%%rip)\n\t"                             \
                         "pushq $0x33\n\t"                                                         \
                         "leaq vmx_user_stack+4096(%%rip), %%r11\n\t"                              \
                         "pushq %%r11\n\t"                                                         \
                         "pushq $2\n\t"                                                            \
                         "pushq $0x3B\n\t"                                                         \
                         "leaq 8f(%%rip), %%r11\n\t"                                               \
                         "pushq %%r11\n\t"                                                         \
                         "iretq\n"                                                                 \
                         "8:\t" insn "\n\tud2\n9:\n\t"                                             \
                         :                                                                         \
                         : __VA_ARGS__                                                             \
                         : "rax", "rcx", "rdx", "r11", "memory", "cc");                            \
        vmx_catch_resume = 0;                                                                      \
        vmx_caught_vector;                                                                         \
    })
/* Sets the U/S bit in the entries that map the first GiB, so CPL-3 code can run there. */
void vmx_user_pages(void);

/* ---- Processor helpers -------------------------------------------------------------------- */
uint64_t rdmsr(uint32_t index);
void wrmsr(uint32_t index, uint64_t value);
uint64_t read_cr0(void);
uint64_t read_cr3(void);
uint64_t read_cr4(void);
void write_cr0(uint64_t v);
void write_cr4(uint64_t v);
void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);

/* ---- Capabilities ---------------------------------------------------------------------- */
/* apply the allowed-0 (bits 31:0, must be 1) and allowed-1 (bits 63:32, may be 1) settings
 * of a capability MSR to the wanted controls (SDM Vol. 3D, "VMX Capability Reporting
 * Facility"). Uses the TRUE_ MSR when IA32_VMX_BASIC[55] says it exists. */
uint32_t vmx_adjust(uint32_t msr, uint32_t wanted);
/* 1 if every bit of `bits` may be 1 in the (TRUE_) capability MSR. */
int vmx_allowed1(uint32_t msr, uint32_t bits);
uint32_t vmx_revision_id(void);

/* ---- The host side --------------------------------------------------------------------- */
#define HOST_TR_SEL 0x20   /* the TSS descriptor vmx_init adds to a copy of the ROMs' GDT */
#define USER_DATA_SEL 0x30 /* DPL-3 data (RPL 3: 0x33) */
#define USER_CODE_SEL 0x38 /* DPL-3 64-bit code (RPL 3: 0x3B) */
/* The VMXON region, VMCS and data areas, all 4 KiB aligned, in the ROM's .bss. */
extern uint8_t vmxon_region[4096];
extern uint8_t vmcs_region[4096];
extern uint8_t vmcs_region2[4096];
extern uint8_t guest_stack[16384];
extern uint8_t vmx_tss[104];

/* Loads the GDT with a TSS, sets up the catcher, locks IA32_FEATURE_CONTROL with VMXON
 * enabled if it is unlocked (when `lock` is 1), sets CR4.VMXE and the CR0/CR4 fixed bits.
 * Does not execute VMXON. */
void vmx_prepare(int lock_feature_control);
/* vmx_prepare(1) then VMXON on vmxon_region; returns the outcome. */
enum vmx_outcome vmx_enable(void);

/* Guest general registers (RSP and RIP live in the VMCS). vmx_enter loads them before
 * VMLAUNCH/VMRESUME and stores them at the VM exit. */
struct guest_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};
extern struct guest_regs guest;

/* How vmx_enter enters: VMLAUNCH, VMRESUME, or VMLAUNCH right after a MOV SS (blocking by
 * MOV SS is then in force: VM-instruction error 26). */
enum vmx_entry_mode { VMX_LAUNCH = 0, VMX_RESUME = 1, VMX_LAUNCH_AFTER_MOV_SS = 2 };
/* Writes HOST_RSP and HOST_RIP, loads the guest registers, and enters. Returns 0 after a VM
 * exit (including a VM-entry failure exit, whose reason has bit 31 set), or the RFLAGS of a
 * VMLAUNCH/VMRESUME that failed (never 0: bit 1 is always set). */
uint64_t vmx_enter(struct guest_regs* regs, enum vmx_entry_mode mode);
/* Nonzero: vmx_enter writes this HOST_RIP instead of its exit stub (for host-state checks;
 * an entry that then succeeds or exits would not come back). */
extern uint64_t vmx_host_rip_override;

/* VMCLEAR + VMPTRLD of `region` (revision written first), then every field of a valid
 * 64-bit guest that starts at `rip` with RSP at the top of guest_stack, runs on the host's
 * CR0/CR3/CR4, GDT, IDT and TSS, and exits back to vmx_enter. Controls: only what the
 * capability MSRs force, plus host address-space size, IA-32e mode guest, and the
 * EFER/PAT save/load controls. */
void vmcs_build(uint8_t* region, void (*rip)(void));
/* The controls vmcs_build chose; cases OR their own bits in with vmcs_set_*. */
void vmcs_set_pin(uint32_t wanted);
void vmcs_set_proc(uint32_t wanted);
void vmcs_set_proc2(uint32_t wanted); /* also sets "activate secondary controls" */
void vmcs_set_exit(uint32_t wanted);
void vmcs_set_entry(uint32_t wanted);

/* Convenience for exit cases: builds a VMCS for guest code `rip`, lets `setup` adjust it,
 * runs the guest until its first VM exit and returns the basic exit reason (with bit 31 for
 * entry failures), or 0xFFFFFFFF if VMLAUNCH itself failed. */
uint32_t vmx_run_guest(void (*rip)(void), void (*setup)(void));
/* VMRESUME the current VMCS after moving GUEST_RIP past the exiting instruction when
 * `skip` is 1; returns the next exit reason as vmx_run_guest does. */
uint32_t vmx_resume_guest(int skip);

/* A second IDT for guests: vector n's gate leads to a stub that executes
 * "mov $n, %ebx; mov %rsp, %rbp; vmcall", so the host sees which vector the guest took (RBX)
 * and where its frame is (RBP). vmcs_use_guest_idt points GUEST_IDTR at it. */
void vmcs_use_guest_idt(void);
extern uint8_t guest_idt[4096];

/* ---- Reporting ---------------------------------------------------------------------------- */
/* One line per case: "ok <group>/<case>" or "FAIL <group>/<case>: expected .. got ..". */
void vmx_check(const char* group, const char* name, int ok, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* ok if got == want; the FAIL line says "expected 0x.. got 0x..". Returns ok. */
int vmx_expect(const char* group, const char* name, uint64_t got, uint64_t want);
/* Prints the summary line and ends the run: debug-exit pass_status if every case held,
 * 0x01 otherwise. */
__attribute__((noreturn)) void vmx_finish(const char* rom, uint32_t pass_status);
extern int vmx_cases, vmx_failures;

#endif
