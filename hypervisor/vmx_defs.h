/* Numbers from the Intel SDM, Dec 2023 (Order 325462-081): VMCS field encodings (Vol. 3D,
 * "Field Encoding in VMCS"), control bits (Vol. 3C, "VM-Execution Controls", "VM-Exit
 * Controls", "VM-Entry Controls"), basic exit reasons (Vol. 3D, "VMX Basic Exit Reasons") and
 * the MSRs the hypervisor touches (Vol. 4). Names follow the SDM. */
#ifndef HYPERVISOR_VMX_DEFS_H
#define HYPERVISOR_VMX_DEFS_H

/* ---- 16-bit fields ---- */
#define VMCS_VPID 0x0000
#define GUEST_ES_SELECTOR 0x0800 /* +2 per register: ES CS SS DS FS GS LDTR TR */
#define HOST_ES_SELECTOR 0x0C00
#define HOST_CS_SELECTOR 0x0C02
#define HOST_SS_SELECTOR 0x0C04
#define HOST_DS_SELECTOR 0x0C06
#define HOST_FS_SELECTOR 0x0C08
#define HOST_GS_SELECTOR 0x0C0A
#define HOST_TR_SELECTOR 0x0C0C
/* ---- 64-bit fields ---- */
#define IO_BITMAP_A 0x2000
#define IO_BITMAP_B 0x2002
#define MSR_BITMAP 0x2004
#define TSC_OFFSET 0x2010
#define EPT_POINTER 0x201A
#define GUEST_PHYSICAL_ADDRESS 0x2400
#define VMCS_LINK_POINTER 0x2800
#define GUEST_IA32_PAT 0x2804
#define GUEST_IA32_EFER 0x2806
#define GUEST_PDPTE0 0x280A /* +2 per PDPTE */
#define HOST_IA32_PAT 0x2C00
#define HOST_IA32_EFER 0x2C02
/* ---- 32-bit fields ---- */
#define PIN_BASED_CONTROLS 0x4000
#define PROC_BASED_CONTROLS 0x4002
#define EXCEPTION_BITMAP 0x4004
#define CR3_TARGET_COUNT 0x400A
#define VM_EXIT_CONTROLS 0x400C
#define VM_EXIT_MSR_STORE_COUNT 0x400E
#define VM_EXIT_MSR_LOAD_COUNT 0x4010
#define VM_ENTRY_CONTROLS 0x4012
#define VM_ENTRY_MSR_LOAD_COUNT 0x4014
#define VM_ENTRY_INTERRUPTION_INFO 0x4016
#define VM_ENTRY_EXCEPTION_ERROR_CODE 0x4018
#define VM_ENTRY_INSTRUCTION_LENGTH 0x401A
#define SECONDARY_PROC_BASED_CONTROLS 0x401E
#define VM_INSTRUCTION_ERROR 0x4400
#define VM_EXIT_REASON 0x4402
#define VM_EXIT_INTERRUPTION_INFO 0x4404
#define IDT_VECTORING_INFO 0x4408
#define IDT_VECTORING_ERROR_CODE 0x440A
#define VM_EXIT_INSTRUCTION_LENGTH 0x440C
#define VM_EXIT_INSTRUCTION_INFO 0x440E
#define GUEST_ES_LIMIT 0x4800 /* +2 per register, same order as the selectors */
#define GUEST_GDTR_LIMIT 0x4810
#define GUEST_IDTR_LIMIT 0x4812
#define GUEST_ES_ACCESS_RIGHTS 0x4814 /* +2 per register */
#define GUEST_INTERRUPTIBILITY 0x4824
#define GUEST_ACTIVITY_STATE 0x4826
#define GUEST_IA32_SYSENTER_CS 0x482A
#define PREEMPTION_TIMER_VALUE 0x482E
#define HOST_IA32_SYSENTER_CS 0x4C00
/* ---- natural-width fields ---- */
#define CR0_GUEST_HOST_MASK 0x6000
#define CR4_GUEST_HOST_MASK 0x6002
#define CR0_READ_SHADOW 0x6004
#define CR4_READ_SHADOW 0x6006
#define EXIT_QUALIFICATION 0x6400
#define GUEST_LINEAR_ADDRESS 0x640A
#define GUEST_CR0 0x6800
#define GUEST_CR3 0x6802
#define GUEST_CR4 0x6804
#define GUEST_ES_BASE 0x6806 /* +2 per register */
#define GUEST_GDTR_BASE 0x6816
#define GUEST_IDTR_BASE 0x6818
#define GUEST_DR7 0x681A
#define GUEST_RSP 0x681C
#define GUEST_RIP 0x681E
#define GUEST_RFLAGS 0x6820
#define GUEST_PENDING_DEBUG 0x6822
#define GUEST_IA32_SYSENTER_ESP 0x6824
#define GUEST_IA32_SYSENTER_EIP 0x6826
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

/* Segment register order in the guest-state area. */
enum seg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR };

/* ---- controls ---- */
#define PIN_EXTERNAL_INTERRUPT_EXITING (1u << 0)
#define PIN_NMI_EXITING (1u << 3)
#define PIN_PREEMPTION_TIMER (1u << 6)
#define PROC_INTERRUPT_WINDOW_EXITING (1u << 2)
#define PROC_USE_TSC_OFFSETTING (1u << 3)
#define PROC_HLT_EXITING (1u << 7)
#define PROC_MWAIT_EXITING (1u << 10)
#define PROC_CR3_LOAD_EXITING (1u << 15)
#define PROC_CR3_STORE_EXITING (1u << 16)
#define PROC_USE_IO_BITMAPS (1u << 25)
#define PROC_USE_MSR_BITMAPS (1u << 28)
#define PROC_MONITOR_EXITING (1u << 29)
#define PROC_SECONDARY_CONTROLS (1u << 31)
#define PROC2_ENABLE_EPT (1u << 1)
#define PROC2_ENABLE_RDTSCP (1u << 3)
#define PROC2_ENABLE_VPID (1u << 5)
#define PROC2_ENABLE_INVPCID (1u << 12)
#define EXIT_HOST_ADDRESS_SPACE_SIZE (1u << 9)
#define EXIT_ACK_INTERRUPT_ON_EXIT (1u << 15)
#define EXIT_SAVE_PAT (1u << 18)
#define EXIT_LOAD_PAT (1u << 19)
#define EXIT_SAVE_EFER (1u << 20)
#define EXIT_LOAD_EFER (1u << 21)
#define ENTRY_IA32E_MODE_GUEST (1u << 9)
#define ENTRY_LOAD_PAT (1u << 14)
#define ENTRY_LOAD_EFER (1u << 15)

/* Interruption information (VM-entry and VM-exit): vector, type, error-code flag, valid. */
#define INTR_INFO_VALID (1u << 31)
#define INTR_INFO_DELIVER_ERROR_CODE (1u << 11)
#define INTR_TYPE_EXTERNAL (0u << 8)
#define INTR_TYPE_HW_EXCEPTION (3u << 8)
/* Guest interruptibility state: blocking by STI and by MOV SS. */
#define INTERRUPTIBILITY_STI_MOVSS 0x3u

/* ---- basic exit reasons (the ones this hypervisor names; exit_names.c has them all) ---- */
#define EXIT_EXCEPTION_NMI 0
#define EXIT_EXTERNAL_INTERRUPT 1
#define EXIT_TRIPLE_FAULT 2
#define EXIT_INTERRUPT_WINDOW 7
#define EXIT_CPUID 10
#define EXIT_GETSEC 11
#define EXIT_HLT 12
#define EXIT_INVD 13
#define EXIT_VMCALL 18
#define EXIT_VMCLEAR 19
#define EXIT_VMXON 27
#define EXIT_CR_ACCESS 28
#define EXIT_IO 30
#define EXIT_RDMSR 31
#define EXIT_WRMSR 32
#define EXIT_INVALID_GUEST_STATE 33
#define EXIT_MSR_LOADING 34
#define EXIT_MWAIT 36
#define EXIT_MONITOR 39
#define EXIT_MACHINE_CHECK 41
#define EXIT_EPT_VIOLATION 48
#define EXIT_EPT_MISCONFIG 49
#define EXIT_INVEPT 50
#define EXIT_PREEMPTION_TIMER 52
#define EXIT_INVVPID 53
#define EXIT_XSETBV 55
#define EXIT_REASON_COUNT 70

/* ---- MSRs ---- */
#define MSR_TSC 0x10
#define MSR_APIC_BASE 0x1B
#define MSR_FEATURE_CONTROL 0x3A
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_MISC_ENABLE 0x1A0
#define MSR_PAT 0x277
#define MSR_TSC_DEADLINE 0x6E0
#define MSR_VMX_BASIC 0x480
#define MSR_VMX_PINBASED_CTLS 0x481
#define MSR_VMX_PROCBASED_CTLS 0x482
#define MSR_VMX_EXIT_CTLS 0x483
#define MSR_VMX_ENTRY_CTLS 0x484
#define MSR_VMX_MISC 0x485
#define MSR_VMX_CR0_FIXED0 0x486
#define MSR_VMX_CR0_FIXED1 0x487
#define MSR_VMX_CR4_FIXED0 0x488
#define MSR_VMX_CR4_FIXED1 0x489
#define MSR_VMX_PROCBASED_CTLS2 0x48B
#define MSR_VMX_TRUE_PINBASED_CTLS 0x48D
#define MSR_VMX_TRUE_PROCBASED_CTLS 0x48E
#define MSR_VMX_TRUE_EXIT_CTLS 0x48F
#define MSR_VMX_TRUE_ENTRY_CTLS 0x490
#define MSR_VMX_LAST 0x491
#define MSR_EFER 0xC0000080
#define MSR_STAR 0xC0000081
#define MSR_LSTAR 0xC0000082
#define MSR_CSTAR 0xC0000083
#define MSR_SFMASK 0xC0000084
#define MSR_FS_BASE 0xC0000100
#define MSR_GS_BASE 0xC0000101
#define MSR_KERNEL_GS_BASE 0xC0000102
#define MSR_TSC_AUX 0xC0000103

#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_AM (1ull << 18)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_PGE (1ull << 7)
#define CR4_VMXE (1ull << 13)
#define CR4_PCIDE (1ull << 17)
#define CR4_OSXSAVE (1ull << 18)

#define RFLAGS_IF (1ull << 9)

#endif
