/* The VMX instructions and the few privileged instructions the hypervisor uses, as inline C.
 * A VMX instruction reports failure in RFLAGS: CF = 1 is VMfailInvalid, ZF = 1 is VMfailValid
 * with the error number in the VM-instruction error field (SDM Vol. 3C, "Conventions" in
 * "VMX Instruction Reference"); these helpers return 0 on success and 1 or 2 on failure. */
#ifndef HYPERVISOR_VMX_OPS_H
#define HYPERVISOR_VMX_OPS_H

#include <stdint.h>

#define VMX_FAIL_CHECK(insn, operand)                                                              \
    uint8_t cf, zf;                                                                                \
    __asm__ volatile(insn "; setc %0; setz %1" : "=qm"(cf), "=qm"(zf) : operand : "cc", "memory"); \
    return cf ? 1 : zf ? 2 : 0

static inline int vmxon(uint64_t phys) {
    VMX_FAIL_CHECK("vmxon %2", "m"(phys));
}
static inline int vmclear(uint64_t phys) {
    VMX_FAIL_CHECK("vmclear %2", "m"(phys));
}
static inline int vmptrld(uint64_t phys) {
    VMX_FAIL_CHECK("vmptrld %2", "m"(phys));
}

static inline uint64_t vmread(uint64_t field) {
    uint64_t value;
    __asm__ volatile("vmread %1, %0" : "=rm"(value) : "r"(field) : "cc");
    return value;
}

static inline void vmwrite(uint64_t field, uint64_t value) {
    __asm__ volatile("vmwrite %1, %0" : : "r"(field), "rm"(value) : "cc");
}

/* INVVPID type 1 (single context): forget the TLB entries of one guest after the hypervisor
 * changed its CR0/CR3/CR4 behind its back (SDM Vol. 3C, "INVVPID"). */
static inline void invvpid_single(uint16_t vpid) {
    struct {
        uint64_t vpid, address;
    } desc = {vpid, 0};
    __asm__ volatile("invvpid %0, %1" : : "m"(desc), "r"(1ull) : "cc", "memory");
}

static inline uint64_t rdmsr(uint32_t index) {
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index));
    return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t index, uint64_t value) {
    __asm__ volatile("wrmsr" : : "c"(index), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

static inline uint64_t rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static inline void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4]) {
    __asm__ volatile("cpuid"
                     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(subleaf));
}

#define READ_CR(n)                                                                                 \
    static inline uint64_t read_cr##n(void) {                                                      \
        uint64_t v;                                                                                \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                                          \
        return v;                                                                                  \
    }
READ_CR(0)
READ_CR(2)
READ_CR(3)
READ_CR(4)

static inline void write_cr0(uint64_t v) {
    __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}
static inline void write_cr2(uint64_t v) {
    __asm__ volatile("mov %0, %%cr2" : : "r"(v) : "memory");
}
static inline void write_cr4(uint64_t v) {
    __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

#endif
