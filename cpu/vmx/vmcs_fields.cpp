// The table of supported VMCS fields. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3D,
// "Field Encoding in VMCS". Sorted by encoding: the position in this table is the field's
// dense index, which the VMCS store and the VMCS region layout (docs/vmx-vmcs-layout.md) use.
#include "cpu/vmx/vmcs_fields.hpp"

#include <algorithm>
#include <array>
#include <iterator>

namespace hvlab::cpu::vmx {
namespace {

constexpr FieldInfo kFields[] = {
    {vmcs::VIRTUAL_PROCESSOR_ID, "VIRTUAL_PROCESSOR_ID"},
    {vmcs::GUEST_ES_SELECTOR, "GUEST_ES_SELECTOR"},
    {vmcs::GUEST_CS_SELECTOR, "GUEST_CS_SELECTOR"},
    {vmcs::GUEST_SS_SELECTOR, "GUEST_SS_SELECTOR"},
    {vmcs::GUEST_DS_SELECTOR, "GUEST_DS_SELECTOR"},
    {vmcs::GUEST_FS_SELECTOR, "GUEST_FS_SELECTOR"},
    {vmcs::GUEST_GS_SELECTOR, "GUEST_GS_SELECTOR"},
    {vmcs::GUEST_LDTR_SELECTOR, "GUEST_LDTR_SELECTOR"},
    {vmcs::GUEST_TR_SELECTOR, "GUEST_TR_SELECTOR"},
    {vmcs::HOST_ES_SELECTOR, "HOST_ES_SELECTOR"},
    {vmcs::HOST_CS_SELECTOR, "HOST_CS_SELECTOR"},
    {vmcs::HOST_SS_SELECTOR, "HOST_SS_SELECTOR"},
    {vmcs::HOST_DS_SELECTOR, "HOST_DS_SELECTOR"},
    {vmcs::HOST_FS_SELECTOR, "HOST_FS_SELECTOR"},
    {vmcs::HOST_GS_SELECTOR, "HOST_GS_SELECTOR"},
    {vmcs::HOST_TR_SELECTOR, "HOST_TR_SELECTOR"},
    {vmcs::IO_BITMAP_A, "IO_BITMAP_A"},
    {vmcs::IO_BITMAP_B, "IO_BITMAP_B"},
    {vmcs::MSR_BITMAP, "MSR_BITMAP"},
    {vmcs::VM_EXIT_MSR_STORE_ADDR, "VM_EXIT_MSR_STORE_ADDR"},
    {vmcs::VM_EXIT_MSR_LOAD_ADDR, "VM_EXIT_MSR_LOAD_ADDR"},
    {vmcs::VM_ENTRY_MSR_LOAD_ADDR, "VM_ENTRY_MSR_LOAD_ADDR"},
    {vmcs::TSC_OFFSET, "TSC_OFFSET"},
    {vmcs::EPT_POINTER, "EPT_POINTER"},
    {vmcs::GUEST_PHYSICAL_ADDRESS, "GUEST_PHYSICAL_ADDRESS"},
    {vmcs::VMCS_LINK_POINTER, "VMCS_LINK_POINTER"},
    {vmcs::GUEST_IA32_DEBUGCTL, "GUEST_IA32_DEBUGCTL"},
    {vmcs::GUEST_IA32_PAT, "GUEST_IA32_PAT"},
    {vmcs::GUEST_IA32_EFER, "GUEST_IA32_EFER"},
    {vmcs::GUEST_PDPTE0, "GUEST_PDPTE0"},
    {vmcs::GUEST_PDPTE1, "GUEST_PDPTE1"},
    {vmcs::GUEST_PDPTE2, "GUEST_PDPTE2"},
    {vmcs::GUEST_PDPTE3, "GUEST_PDPTE3"},
    {vmcs::HOST_IA32_PAT, "HOST_IA32_PAT"},
    {vmcs::HOST_IA32_EFER, "HOST_IA32_EFER"},
    {vmcs::PIN_BASED_VM_EXEC_CONTROL, "PIN_BASED_VM_EXEC_CONTROL"},
    {vmcs::CPU_BASED_VM_EXEC_CONTROL, "CPU_BASED_VM_EXEC_CONTROL"},
    {vmcs::EXCEPTION_BITMAP, "EXCEPTION_BITMAP"},
    {vmcs::PAGE_FAULT_ERROR_CODE_MASK, "PAGE_FAULT_ERROR_CODE_MASK"},
    {vmcs::PAGE_FAULT_ERROR_CODE_MATCH, "PAGE_FAULT_ERROR_CODE_MATCH"},
    {vmcs::CR3_TARGET_COUNT, "CR3_TARGET_COUNT"},
    {vmcs::VM_EXIT_CONTROLS, "VM_EXIT_CONTROLS"},
    {vmcs::VM_EXIT_MSR_STORE_COUNT, "VM_EXIT_MSR_STORE_COUNT"},
    {vmcs::VM_EXIT_MSR_LOAD_COUNT, "VM_EXIT_MSR_LOAD_COUNT"},
    {vmcs::VM_ENTRY_CONTROLS, "VM_ENTRY_CONTROLS"},
    {vmcs::VM_ENTRY_MSR_LOAD_COUNT, "VM_ENTRY_MSR_LOAD_COUNT"},
    {vmcs::VM_ENTRY_INTR_INFO_FIELD, "VM_ENTRY_INTR_INFO_FIELD"},
    {vmcs::VM_ENTRY_EXCEPTION_ERROR_CODE, "VM_ENTRY_EXCEPTION_ERROR_CODE"},
    {vmcs::VM_ENTRY_INSTRUCTION_LEN, "VM_ENTRY_INSTRUCTION_LEN"},
    {vmcs::SECONDARY_VM_EXEC_CONTROL, "SECONDARY_VM_EXEC_CONTROL"},
    {vmcs::VM_INSTRUCTION_ERROR, "VM_INSTRUCTION_ERROR"},
    {vmcs::VM_EXIT_REASON, "VM_EXIT_REASON"},
    {vmcs::VM_EXIT_INTR_INFO, "VM_EXIT_INTR_INFO"},
    {vmcs::VM_EXIT_INTR_ERROR_CODE, "VM_EXIT_INTR_ERROR_CODE"},
    {vmcs::IDT_VECTORING_INFO_FIELD, "IDT_VECTORING_INFO_FIELD"},
    {vmcs::IDT_VECTORING_ERROR_CODE, "IDT_VECTORING_ERROR_CODE"},
    {vmcs::VM_EXIT_INSTRUCTION_LEN, "VM_EXIT_INSTRUCTION_LEN"},
    {vmcs::VMX_INSTRUCTION_INFO, "VMX_INSTRUCTION_INFO"},
    {vmcs::GUEST_ES_LIMIT, "GUEST_ES_LIMIT"},
    {vmcs::GUEST_CS_LIMIT, "GUEST_CS_LIMIT"},
    {vmcs::GUEST_SS_LIMIT, "GUEST_SS_LIMIT"},
    {vmcs::GUEST_DS_LIMIT, "GUEST_DS_LIMIT"},
    {vmcs::GUEST_FS_LIMIT, "GUEST_FS_LIMIT"},
    {vmcs::GUEST_GS_LIMIT, "GUEST_GS_LIMIT"},
    {vmcs::GUEST_LDTR_LIMIT, "GUEST_LDTR_LIMIT"},
    {vmcs::GUEST_TR_LIMIT, "GUEST_TR_LIMIT"},
    {vmcs::GUEST_GDTR_LIMIT, "GUEST_GDTR_LIMIT"},
    {vmcs::GUEST_IDTR_LIMIT, "GUEST_IDTR_LIMIT"},
    {vmcs::GUEST_ES_AR_BYTES, "GUEST_ES_AR_BYTES"},
    {vmcs::GUEST_CS_AR_BYTES, "GUEST_CS_AR_BYTES"},
    {vmcs::GUEST_SS_AR_BYTES, "GUEST_SS_AR_BYTES"},
    {vmcs::GUEST_DS_AR_BYTES, "GUEST_DS_AR_BYTES"},
    {vmcs::GUEST_FS_AR_BYTES, "GUEST_FS_AR_BYTES"},
    {vmcs::GUEST_GS_AR_BYTES, "GUEST_GS_AR_BYTES"},
    {vmcs::GUEST_LDTR_AR_BYTES, "GUEST_LDTR_AR_BYTES"},
    {vmcs::GUEST_TR_AR_BYTES, "GUEST_TR_AR_BYTES"},
    {vmcs::GUEST_INTERRUPTIBILITY_INFO, "GUEST_INTERRUPTIBILITY_INFO"},
    {vmcs::GUEST_ACTIVITY_STATE, "GUEST_ACTIVITY_STATE"},
    {vmcs::GUEST_SMBASE, "GUEST_SMBASE"},
    {vmcs::GUEST_SYSENTER_CS, "GUEST_SYSENTER_CS"},
    {vmcs::VMX_PREEMPTION_TIMER_VALUE, "VMX_PREEMPTION_TIMER_VALUE"},
    {vmcs::HOST_IA32_SYSENTER_CS, "HOST_IA32_SYSENTER_CS"},
    {vmcs::CR0_GUEST_HOST_MASK, "CR0_GUEST_HOST_MASK"},
    {vmcs::CR4_GUEST_HOST_MASK, "CR4_GUEST_HOST_MASK"},
    {vmcs::CR0_READ_SHADOW, "CR0_READ_SHADOW"},
    {vmcs::CR4_READ_SHADOW, "CR4_READ_SHADOW"},
    {vmcs::CR3_TARGET_VALUE0, "CR3_TARGET_VALUE0"},
    {vmcs::CR3_TARGET_VALUE1, "CR3_TARGET_VALUE1"},
    {vmcs::CR3_TARGET_VALUE2, "CR3_TARGET_VALUE2"},
    {vmcs::CR3_TARGET_VALUE3, "CR3_TARGET_VALUE3"},
    {vmcs::EXIT_QUALIFICATION, "EXIT_QUALIFICATION"},
    {vmcs::IO_RCX, "IO_RCX"},
    {vmcs::IO_RSI, "IO_RSI"},
    {vmcs::IO_RDI, "IO_RDI"},
    {vmcs::IO_RIP, "IO_RIP"},
    {vmcs::GUEST_LINEAR_ADDRESS, "GUEST_LINEAR_ADDRESS"},
    {vmcs::GUEST_CR0, "GUEST_CR0"},
    {vmcs::GUEST_CR3, "GUEST_CR3"},
    {vmcs::GUEST_CR4, "GUEST_CR4"},
    {vmcs::GUEST_ES_BASE, "GUEST_ES_BASE"},
    {vmcs::GUEST_CS_BASE, "GUEST_CS_BASE"},
    {vmcs::GUEST_SS_BASE, "GUEST_SS_BASE"},
    {vmcs::GUEST_DS_BASE, "GUEST_DS_BASE"},
    {vmcs::GUEST_FS_BASE, "GUEST_FS_BASE"},
    {vmcs::GUEST_GS_BASE, "GUEST_GS_BASE"},
    {vmcs::GUEST_LDTR_BASE, "GUEST_LDTR_BASE"},
    {vmcs::GUEST_TR_BASE, "GUEST_TR_BASE"},
    {vmcs::GUEST_GDTR_BASE, "GUEST_GDTR_BASE"},
    {vmcs::GUEST_IDTR_BASE, "GUEST_IDTR_BASE"},
    {vmcs::GUEST_DR7, "GUEST_DR7"},
    {vmcs::GUEST_RSP, "GUEST_RSP"},
    {vmcs::GUEST_RIP, "GUEST_RIP"},
    {vmcs::GUEST_RFLAGS, "GUEST_RFLAGS"},
    {vmcs::GUEST_PENDING_DBG_EXCEPTIONS, "GUEST_PENDING_DBG_EXCEPTIONS"},
    {vmcs::GUEST_SYSENTER_ESP, "GUEST_SYSENTER_ESP"},
    {vmcs::GUEST_SYSENTER_EIP, "GUEST_SYSENTER_EIP"},
    {vmcs::HOST_CR0, "HOST_CR0"},
    {vmcs::HOST_CR3, "HOST_CR3"},
    {vmcs::HOST_CR4, "HOST_CR4"},
    {vmcs::HOST_FS_BASE, "HOST_FS_BASE"},
    {vmcs::HOST_GS_BASE, "HOST_GS_BASE"},
    {vmcs::HOST_TR_BASE, "HOST_TR_BASE"},
    {vmcs::HOST_GDTR_BASE, "HOST_GDTR_BASE"},
    {vmcs::HOST_IDTR_BASE, "HOST_IDTR_BASE"},
    {vmcs::HOST_IA32_SYSENTER_ESP, "HOST_IA32_SYSENTER_ESP"},
    {vmcs::HOST_IA32_SYSENTER_EIP, "HOST_IA32_SYSENTER_EIP"},
    {vmcs::HOST_RSP, "HOST_RSP"},
    {vmcs::HOST_RIP, "HOST_RIP"},
};

constexpr bool sorted_and_well_formed() {
    for (size_t i = 0; i < std::size(kFields); ++i) {
        if (!encoding_well_formed(kFields[i].encoding) || is_high_access(kFields[i].encoding))
            return false;
        if (i > 0 && kFields[i - 1].encoding >= kFields[i].encoding) return false;
    }
    return true;
}
static_assert(sorted_and_well_formed(), "kFields must be sorted full encodings");
static_assert(std::size(kFields) == kSupportedFieldCount);

static_assert(kSupportedFieldCount < detail::kNoField);

} // namespace

constexpr std::array<uint8_t, 1u << 13> detail::kFieldSlots = [] {
    std::array<uint8_t, 1u << 13> t{};
    t.fill(kNoField);
    for (size_t i = 0; i < std::size(kFields); ++i)
        t[field_slot(kFields[i].encoding)] = static_cast<uint8_t>(i);
    return t;
}();

std::span<const FieldInfo> all_fields() {
    return kFields;
}

// A high access names the 64-bit field it halves (dense_index ignores bit 0).
const FieldInfo* lookup_field(uint32_t encoding) {
    const auto i = dense_index(encoding);
    return i ? &kFields[*i] : nullptr;
}

std::string_view field_name(uint32_t encoding) {
    const FieldInfo* f = lookup_field(encoding);
    return f ? f->name : std::string_view{};
}

std::string_view group_name(FieldGroup group) {
    switch (group) {
    case FieldGroup::Control: return "control";
    case FieldGroup::ExitInformation: return "VM-exit information";
    case FieldGroup::GuestState: return "guest-state";
    case FieldGroup::HostState: return "host-state";
    }
    return "control";
}

unsigned highest_field_index() {
    unsigned highest = 0;
    for (const FieldInfo& f : kFields)
        highest = std::max(highest, field_index_bits(f.encoding));
    return highest;
}

} // namespace hvlab::cpu::vmx
