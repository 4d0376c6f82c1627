// VMCS field encodings (Intel SDM, Dec 2023 (Order 325462-081), Vol. 3D, "Field Encoding in
// VMCS" and Vol. 3C, "VMREAD, VMWRITE, and Encodings of VMCS Fields").
//
// A field encoding is a 32-bit value:
//   bit  0     access type: 0 = full, 1 = high (upper 32 bits of a 64-bit field only)
//   bits 9:1   index
//   bits 11:10 type: 0 control, 1 VM-exit information (read-only), 2 guest state, 3 host state
//   bit  12    reserved (0)
//   bits 14:13 width: 0 16-bit, 1 64-bit, 2 32-bit, 3 natural width
//   bits 31:15 reserved (0)
// The table in vmcs_fields.cpp lists every field hvlab supports; any other encoding is
// "unsupported" and VMREAD/VMWRITE fail with VM-instruction error 12. Fields of features hvlab
// does not implement (posted interrupts, APIC virtualization, PML, VM functions, VMCS
// shadowing, PERF_GLOBAL_CTRL, ...) are deliberately absent: docs/vmx-capabilities.md.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace hvlab::cpu::vmx {

enum class FieldWidth : uint8_t { Bits16 = 0, Bits64 = 1, Bits32 = 2, Natural = 3 };
// The SDM's grouping of fields (Vol. 3C, "Organization of VMCS Data"), taken from bits 11:10.
enum class FieldGroup : uint8_t { Control = 0, ExitInformation = 1, GuestState = 2, HostState = 3 };

struct FieldInfo {
    uint32_t encoding; // always the "full" encoding (bit 0 = 0)
    std::string_view name;
    constexpr FieldWidth width() const { return static_cast<FieldWidth>((encoding >> 13) & 3); }
    constexpr FieldGroup group() const { return static_cast<FieldGroup>((encoding >> 10) & 3); }
};

// --- Encoding bit rules (pure functions of the encoding, independent of support) ----------
constexpr bool is_high_access(uint32_t encoding) {
    return encoding & 1;
}
constexpr FieldWidth field_width(uint32_t encoding) {
    return static_cast<FieldWidth>((encoding >> 13) & 3);
}
constexpr FieldGroup field_group(uint32_t encoding) {
    return static_cast<FieldGroup>((encoding >> 10) & 3);
}
constexpr unsigned field_index_bits(uint32_t encoding) {
    return (encoding >> 1) & 0x1FF;
}
// VM-exit information fields are read-only unless IA32_VMX_MISC bit 29 is 1, which hvlab does
// not advertise (SDM Vol. 3C, "VMWRITE", error 13).
constexpr bool is_read_only(uint32_t encoding) {
    return field_group(encoding) == FieldGroup::ExitInformation;
}
// The "high" access type is valid only for 64-bit fields; bits 31:15 and 12 must be zero.
constexpr bool encoding_well_formed(uint32_t encoding) {
    if (encoding & 0xFFFF9000u) return false;
    return !is_high_access(encoding) || field_width(encoding) == FieldWidth::Bits64;
}
// Width in bits of a VMREAD/VMWRITE access with this encoding: a high access moves 32 bits,
// natural width is 64 bits on a processor that supports Intel 64.
constexpr unsigned access_width_bits(uint32_t encoding) {
    if (is_high_access(encoding)) return 32;
    switch (field_width(encoding)) {
    case FieldWidth::Bits16: return 16;
    case FieldWidth::Bits32: return 32;
    case FieldWidth::Bits64:
    case FieldWidth::Natural: return 64;
    }
    return 64;
}

// --- Table lookups ----------------------------------------------------------------------
// Number of supported fields (checked against the table at compile time).
inline constexpr size_t kSupportedFieldCount = 128;
std::span<const FieldInfo> all_fields();
// The field an encoding names (a high encoding names its 64-bit field), or nullptr if hvlab
// does not support it: VMREAD/VMWRITE then fail with error 12.
const FieldInfo* lookup_field(uint32_t encoding);
// Direct lookup for the hot paths (VMREAD/VMWRITE, VM entry and exit touch ~200 fields per
// round trip): the width (14:13), type (11:10) and index (9:1) bits of a full encoding select
// a slot holding the field's dense index, or kNoField.
namespace detail {
inline constexpr uint8_t kNoField = 0xFF;
extern const std::array<uint8_t, 1u << 13> kFieldSlots;
constexpr size_t field_slot(uint32_t full_encoding) {
    return (((full_encoding >> 13) & 3) << 11) | (((full_encoding >> 10) & 3) << 9) |
           ((full_encoding >> 1) & 0x1FF);
}
} // namespace detail
// Dense index (0 .. all_fields().size()-1) of the field an encoding names, for the store.
inline std::optional<size_t> dense_index(uint32_t encoding) {
    if (!encoding_well_formed(encoding)) return std::nullopt;
    const uint8_t i = detail::kFieldSlots[detail::field_slot(encoding & ~1u)];
    if (i == detail::kNoField) return std::nullopt;
    return i;
}
std::string_view field_name(uint32_t encoding); // "" if unsupported
std::string_view group_name(FieldGroup group);  // "control", "VM-exit information", ...
// The highest index value (bits 9:1) of any supported encoding, for IA32_VMX_VMCS_ENUM.
unsigned highest_field_index();

// --- Encodings ----------------------------------------------------------------------------
namespace vmcs {
// 16-bit control fields
inline constexpr uint32_t VIRTUAL_PROCESSOR_ID = 0x0000;
// 16-bit guest-state fields
inline constexpr uint32_t GUEST_ES_SELECTOR = 0x0800, GUEST_CS_SELECTOR = 0x0802,
                          GUEST_SS_SELECTOR = 0x0804, GUEST_DS_SELECTOR = 0x0806,
                          GUEST_FS_SELECTOR = 0x0808, GUEST_GS_SELECTOR = 0x080A,
                          GUEST_LDTR_SELECTOR = 0x080C, GUEST_TR_SELECTOR = 0x080E;
// 16-bit host-state fields
inline constexpr uint32_t HOST_ES_SELECTOR = 0x0C00, HOST_CS_SELECTOR = 0x0C02,
                          HOST_SS_SELECTOR = 0x0C04, HOST_DS_SELECTOR = 0x0C06,
                          HOST_FS_SELECTOR = 0x0C08, HOST_GS_SELECTOR = 0x0C0A,
                          HOST_TR_SELECTOR = 0x0C0C;
// 64-bit control fields
inline constexpr uint32_t IO_BITMAP_A = 0x2000, IO_BITMAP_B = 0x2002, MSR_BITMAP = 0x2004,
                          VM_EXIT_MSR_STORE_ADDR = 0x2006, VM_EXIT_MSR_LOAD_ADDR = 0x2008,
                          VM_ENTRY_MSR_LOAD_ADDR = 0x200A, TSC_OFFSET = 0x2010,
                          EPT_POINTER = 0x201A;
// 64-bit read-only data field
inline constexpr uint32_t GUEST_PHYSICAL_ADDRESS = 0x2400;
// 64-bit guest-state fields
inline constexpr uint32_t VMCS_LINK_POINTER = 0x2800, GUEST_IA32_DEBUGCTL = 0x2802,
                          GUEST_IA32_PAT = 0x2804, GUEST_IA32_EFER = 0x2806, GUEST_PDPTE0 = 0x280A,
                          GUEST_PDPTE1 = 0x280C, GUEST_PDPTE2 = 0x280E, GUEST_PDPTE3 = 0x2810;
// 64-bit host-state fields
inline constexpr uint32_t HOST_IA32_PAT = 0x2C00, HOST_IA32_EFER = 0x2C02;
// 32-bit control fields
inline constexpr uint32_t PIN_BASED_VM_EXEC_CONTROL = 0x4000, CPU_BASED_VM_EXEC_CONTROL = 0x4002,
                          EXCEPTION_BITMAP = 0x4004, PAGE_FAULT_ERROR_CODE_MASK = 0x4006,
                          PAGE_FAULT_ERROR_CODE_MATCH = 0x4008, CR3_TARGET_COUNT = 0x400A,
                          VM_EXIT_CONTROLS = 0x400C, VM_EXIT_MSR_STORE_COUNT = 0x400E,
                          VM_EXIT_MSR_LOAD_COUNT = 0x4010, VM_ENTRY_CONTROLS = 0x4012,
                          VM_ENTRY_MSR_LOAD_COUNT = 0x4014, VM_ENTRY_INTR_INFO_FIELD = 0x4016,
                          VM_ENTRY_EXCEPTION_ERROR_CODE = 0x4018, VM_ENTRY_INSTRUCTION_LEN = 0x401A,
                          SECONDARY_VM_EXEC_CONTROL = 0x401E;
// 32-bit read-only data fields
inline constexpr uint32_t VM_INSTRUCTION_ERROR = 0x4400, VM_EXIT_REASON = 0x4402,
                          VM_EXIT_INTR_INFO = 0x4404, VM_EXIT_INTR_ERROR_CODE = 0x4406,
                          IDT_VECTORING_INFO_FIELD = 0x4408, IDT_VECTORING_ERROR_CODE = 0x440A,
                          VM_EXIT_INSTRUCTION_LEN = 0x440C, VMX_INSTRUCTION_INFO = 0x440E;
// 32-bit guest-state fields
inline constexpr uint32_t GUEST_ES_LIMIT = 0x4800, GUEST_CS_LIMIT = 0x4802, GUEST_SS_LIMIT = 0x4804,
                          GUEST_DS_LIMIT = 0x4806, GUEST_FS_LIMIT = 0x4808, GUEST_GS_LIMIT = 0x480A,
                          GUEST_LDTR_LIMIT = 0x480C, GUEST_TR_LIMIT = 0x480E,
                          GUEST_GDTR_LIMIT = 0x4810, GUEST_IDTR_LIMIT = 0x4812,
                          GUEST_ES_AR_BYTES = 0x4814, GUEST_CS_AR_BYTES = 0x4816,
                          GUEST_SS_AR_BYTES = 0x4818, GUEST_DS_AR_BYTES = 0x481A,
                          GUEST_FS_AR_BYTES = 0x481C, GUEST_GS_AR_BYTES = 0x481E,
                          GUEST_LDTR_AR_BYTES = 0x4820, GUEST_TR_AR_BYTES = 0x4822,
                          GUEST_INTERRUPTIBILITY_INFO = 0x4824, GUEST_ACTIVITY_STATE = 0x4826,
                          GUEST_SMBASE = 0x4828, GUEST_SYSENTER_CS = 0x482A,
                          VMX_PREEMPTION_TIMER_VALUE = 0x482E;
// 32-bit host-state field
inline constexpr uint32_t HOST_IA32_SYSENTER_CS = 0x4C00;
// Natural-width control fields
inline constexpr uint32_t CR0_GUEST_HOST_MASK = 0x6000, CR4_GUEST_HOST_MASK = 0x6002,
                          CR0_READ_SHADOW = 0x6004, CR4_READ_SHADOW = 0x6006,
                          CR3_TARGET_VALUE0 = 0x6008, CR3_TARGET_VALUE1 = 0x600A,
                          CR3_TARGET_VALUE2 = 0x600C, CR3_TARGET_VALUE3 = 0x600E;
// Natural-width read-only data fields
inline constexpr uint32_t EXIT_QUALIFICATION = 0x6400, IO_RCX = 0x6402, IO_RSI = 0x6404,
                          IO_RDI = 0x6406, IO_RIP = 0x6408, GUEST_LINEAR_ADDRESS = 0x640A;
// Natural-width guest-state fields
inline constexpr uint32_t GUEST_CR0 = 0x6800, GUEST_CR3 = 0x6802, GUEST_CR4 = 0x6804,
                          GUEST_ES_BASE = 0x6806, GUEST_CS_BASE = 0x6808, GUEST_SS_BASE = 0x680A,
                          GUEST_DS_BASE = 0x680C, GUEST_FS_BASE = 0x680E, GUEST_GS_BASE = 0x6810,
                          GUEST_LDTR_BASE = 0x6812, GUEST_TR_BASE = 0x6814,
                          GUEST_GDTR_BASE = 0x6816, GUEST_IDTR_BASE = 0x6818, GUEST_DR7 = 0x681A,
                          GUEST_RSP = 0x681C, GUEST_RIP = 0x681E, GUEST_RFLAGS = 0x6820,
                          GUEST_PENDING_DBG_EXCEPTIONS = 0x6822, GUEST_SYSENTER_ESP = 0x6824,
                          GUEST_SYSENTER_EIP = 0x6826;
// Natural-width host-state fields
inline constexpr uint32_t HOST_CR0 = 0x6C00, HOST_CR3 = 0x6C02, HOST_CR4 = 0x6C04,
                          HOST_FS_BASE = 0x6C06, HOST_GS_BASE = 0x6C08, HOST_TR_BASE = 0x6C0A,
                          HOST_GDTR_BASE = 0x6C0C, HOST_IDTR_BASE = 0x6C0E,
                          HOST_IA32_SYSENTER_ESP = 0x6C10, HOST_IA32_SYSENTER_EIP = 0x6C12,
                          HOST_RSP = 0x6C14, HOST_RIP = 0x6C16;

// Encodings the SDM defines that hvlab deliberately does not support (error 12), listed so
// tests and docs can show them: posted-interrupt notification vector, EPTP index, guest
// interrupt status, PML index, virtual-APIC address, APIC-access address, posted-interrupt
// descriptor, VM-function controls, EPTP-list address, IA32_PERF_GLOBAL_CTRL (guest, host),
// TPR threshold, PLE_Gap, PLE_Window.
inline constexpr uint32_t kUnsupportedExamples[] = {0x0002, 0x0004, 0x0810, 0x0812, 0x2012,
                                                    0x2014, 0x2016, 0x2018, 0x2024, 0x2808,
                                                    0x2C04, 0x401C, 0x4020, 0x4022};
} // namespace vmcs

} // namespace hvlab::cpu::vmx
