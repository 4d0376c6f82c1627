/* Multiboot v1 header and the 32-bit entry: from the loader's protected mode to kmain in
 * 64-bit mode. Intel SDM, Dec 2023 (Order 325462-081).
 *
 * A Multiboot loader enters here with EAX = 0x2BADB002, EBX = boot information (physical),
 * flat 4 GiB CS/DS in 32-bit protected mode, paging off, interrupts off, and no valid GDTR,
 * IDT or stack (Multiboot Specification 0.6.96, "Machine state"). This code:
 *   1. checks the magic, loads its own GDT and stack, zeroes .bss;
 *   2. checks CPUID for long mode (and NX, used if present);
 *   3. builds page tables identity-mapping 0..4 GiB with 2 MiB pages;
 *   4. turns on PAE, EFER.LME(+NXE), paging, SSE, and far-jumps to 64-bit code;
 *   5. loads the exception handlers (trap.c), calls kmain(magic, mbinfo), halts if it returns.
 * The register names for magic and info across these steps: EBP = magic, ESI = info. */
#include "debug_exit.h"
#include "gdt.h"
#include "multiboot.h"

#define CR0_MP (1 << 1)  /* monitor coprocessor: WAIT/FWAIT obey TS */
#define CR0_EM (1 << 2)  /* x87 emulation: must be clear for SSE */
#define CR0_TS (1 << 3)  /* task switched: #NM on the first FP/SSE use */
#define CR0_PG (1 << 31) /* paging */
#define CR4_PAE (1 << 5)
#define CR4_OSFXSR (1 << 9)     /* OS saves SSE state with FXSAVE */
#define CR4_OSXMMEXCPT (1 << 10) /* SIMD FP exceptions raise #XM, not #UD */
#define MSR_EFER 0xC0000080
#define EFER_LME (1 << 8)  /* IA-32e mode enable */
#define EFER_NXE (1 << 11) /* execute-disable bit in page tables */
#define CPUID_EXT_LM (1 << 29) /* CPUID.80000001H:EDX long mode */
#define CPUID_EXT_NX (1 << 20) /* CPUID.80000001H:EDX execute disable */

#define PTE_P 0x01   /* present */
#define PTE_RW 0x02  /* writable */
#define PTE_PWT 0x08 /* write-through */
#define PTE_PCD 0x10 /* cache disable */
#define PTE_PS 0x80  /* 2 MiB page in a PD entry */

    .section .multiboot, "a"
    .balign 4
multiboot_header:
    .long MB_HEADER_MAGIC
    .long MB_HEADER_FLAGS
    .long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

    .section .text.entry32, "ax"
    .code32
    .globl _start32
_start32:
    cli
    cld
    cmpl $MB_BOOT_MAGIC, %eax
    jne not_multiboot
    movl %eax, %ebp
    movl %ebx, %esi

    /* The loader's GDTR may point anywhere: load ours before touching a segment. */
    lgdt gdt_pointer
    ljmp $GDT_CODE32, $1f
1:  movl $GDT_DATA, %eax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movl $boot_stack_top, %esp

    /* ELF loaders zero .bss already; doing it again keeps the ROM independent of that. */
    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb

    call check_long_mode
    call build_page_tables
    call enable_long_mode
    ljmp $GDT_CODE64, $start64

/* Long mode is required; NX is optional. Sets EBX = EFER bits to enable.
 * Clobbers EAX, EBX, ECX, EDX. */
check_long_mode:
    movl $0x80000000, %eax
    cpuid
    cmpl $0x80000001, %eax
    jb no_long_mode
    movl $0x80000001, %eax
    cpuid
    testl $CPUID_EXT_LM, %edx
    jz no_long_mode
    movl $EFER_LME, %ebx
    testl $CPUID_EXT_NX, %edx
    jz 1f
    orl $EFER_NXE, %ebx
1:  ret

/* PML4[0] -> PDPT; PDPT[0..3] -> four PDs; each PD maps 1 GiB with 512 2 MiB pages.
 * The fourth GiB holds the MMIO of a PC (IOAPIC, LAPIC, firmware), so it is mapped
 * uncacheable (PCD|PWT); RAM is write-back. SDM Vol. 3A, "4-Level Paging and 5-Level Paging".
 * Clobbers EAX, ECX, EDX, EDI. */
build_page_tables:
    movl $pdpt, %eax
    orl $(PTE_P | PTE_RW), %eax
    movl %eax, pml4

    movl $pd, %eax
    orl $(PTE_P | PTE_RW), %eax
    movl $pdpt, %edi
    movl $4, %ecx
1:  movl %eax, (%edi)
    addl $4096, %eax
    addl $8, %edi
    loop 1b

    /* EAX = physical address | flags of the next 2 MiB page; entries' high dwords stay 0. */
    movl $(PTE_P | PTE_RW | PTE_PS), %eax
    movl $pd, %edi
    movl $(3 * 512), %ecx
2:  movl %eax, (%edi)
    addl $0x200000, %eax
    addl $8, %edi
    loop 2b
    orl $(PTE_PCD | PTE_PWT), %eax
    movl $512, %ecx
3:  movl %eax, (%edi)
    addl $0x200000, %eax
    addl $8, %edi
    loop 3b
    ret

/* SDM Vol. 3A, "Initializing IA-32e Mode": PAE, then CR3, then EFER.LME, then CR0.PG; the
 * far jump that follows loads the 64-bit code segment. SSE is set up on the way:
 * SDM Vol. 3A, "Initialization of the SSE Extensions" (CR4.OSFXSR, CR4.OSXMMEXCPT,
 * CR0.EM = 0, CR0.MP = 1). Expects EBX = EFER bits from check_long_mode. */
enable_long_mode:
    movl %cr4, %eax
    orl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
    movl %eax, %cr4

    movl $pml4, %eax
    movl %eax, %cr3

    movl $MSR_EFER, %ecx
    rdmsr
    orl %ebx, %eax
    wrmsr

    movl %cr0, %eax
    andl $~(CR0_EM | CR0_TS), %eax
    orl $(CR0_PG | CR0_MP), %eax
    movl %eax, %cr0
    ret

/* Without a usable console, report through debug-exit, then stop for good. */
not_multiboot:
    movl $ROM_EXIT_NOT_MULTIBOOT, %eax
    jmp exit32
no_long_mode:
    movl $ROM_EXIT_NO_LONG_MODE, %eax
exit32:
    outl %eax, $DEBUG_EXIT_PORT
1:  cli
    hlt
    jmp 1b

    .code64
start64:
    movl $GDT_DATA, %eax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movq $boot_stack_top, %rsp
    /* The upper halves of the GPRs are undefined after the switch: zero-extend both. */
    movl %ebp, %edi
    movl %esi, %esi
    xorl %ebp, %ebp
    pushq %rdi
    pushq %rsi
    call trap_init
    popq %rsi
    popq %rdi
    call kmain
    call rom_halt

    .section .bss.stack, "aw", @nobits
    .balign 16
boot_stack:
    .skip 16384
boot_stack_top:

    .section .bss.pagetables, "aw", @nobits
    .balign 4096
pml4:
    .skip 4096
pdpt:
    .skip 4096
pd:
    .skip 4 * 4096

    .section .note.GNU-stack, "", @progbits
