/* The hypercall ABI of the teaching hypervisor, shared by the hypervisor (hypercall.c) and
 * paravirtualized guests (roms/guest-pv). docs/hypervisor.md describes it for students.
 *
 *   VMCALL with RAX = number, arguments in RDI, RSI, RDX; the result comes back in RAX
 *   (negative values are errors). Only CPL 0 may call; other registers are preserved.
 *
 * Detection: CPUID.01H:ECX[31] ("hypervisor present") = 1, and CPUID leaf 0x40000000 returns
 * EAX = the highest hypervisor leaf, EBX:ECX:EDX = the signature HV_SIGNATURE. Leaf
 * 0x40000001 returns EAX = HV_ABI_VERSION and EBX = a bit mask of the hypercall numbers
 * implemented (bit n = number n). */
#ifndef HYPERVISOR_HYPERCALL_H
#define HYPERVISOR_HYPERCALL_H

#define HV_CPUID_BASE 0x40000000u
#define HV_CPUID_FEATURES 0x40000001u
#define HV_SIGNATURE "hvlabTeachHV" /* 12 characters: EBX, ECX, EDX */
#define HV_ABI_VERSION 1

#define HC_CONSOLE_WRITE 1 /* (buf, len): write len bytes at guest-linear buf; -> len */
#define HC_YIELD 2         /* (): give the CPU to the next guest; -> 0 */
#define HC_TIME 3          /* (): -> the virtual clock (TSC ticks = instructions) */
#define HC_SHUTDOWN 4      /* (status): stop this guest; does not return */

#define HC_ERR_UNKNOWN (-1) /* no such hypercall number */
#define HC_ERR_FAULT (-2)   /* the buffer is not mapped in guest memory */
#define HC_ERR_PERM (-3)    /* called from CPL > 0 */
#define HC_ERR_RANGE (-4)   /* an argument is too large */

#endif
