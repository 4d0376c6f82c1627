// VMCS field encodings: the bit rules of the encoding (width, type, access type), the table
// against SDM values, and a round trip of every supported field through the store.
#include "cpu/vmx/vmcs_fields.hpp"
#include "cpu/vmx/vmcs_store.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace hvlab::cpu::vmx;

TEST_CASE("encoding bits 14:13 give the width and bits 11:10 the group", "[vmx][fields]") {
    CHECK(field_width(vmcs::GUEST_CS_SELECTOR) == FieldWidth::Bits16);
    CHECK(field_width(vmcs::VMCS_LINK_POINTER) == FieldWidth::Bits64);
    CHECK(field_width(vmcs::GUEST_CS_LIMIT) == FieldWidth::Bits32);
    CHECK(field_width(vmcs::GUEST_RIP) == FieldWidth::Natural);
    CHECK(field_group(vmcs::PIN_BASED_VM_EXEC_CONTROL) == FieldGroup::Control);
    CHECK(field_group(vmcs::VM_EXIT_REASON) == FieldGroup::ExitInformation);
    CHECK(field_group(vmcs::GUEST_CR0) == FieldGroup::GuestState);
    CHECK(field_group(vmcs::HOST_CR0) == FieldGroup::HostState);
    CHECK(group_name(FieldGroup::ExitInformation) == "VM-exit information");
    CHECK(access_width_bits(vmcs::GUEST_ES_SELECTOR) == 16);
    CHECK(access_width_bits(vmcs::EXCEPTION_BITMAP) == 32);
    CHECK(access_width_bits(vmcs::TSC_OFFSET) == 64);
    CHECK(access_width_bits(vmcs::TSC_OFFSET | 1) == 32);
    CHECK(access_width_bits(vmcs::HOST_RIP) == 64);
}

TEST_CASE("only VM-exit information fields are read-only", "[vmx][fields]") {
    for (const FieldInfo& f : all_fields()) {
        INFO(f.name);
        CHECK(is_read_only(f.encoding) == (f.group() == FieldGroup::ExitInformation));
    }
    CHECK(is_read_only(vmcs::EXIT_QUALIFICATION));
    CHECK(is_read_only(vmcs::GUEST_PHYSICAL_ADDRESS));
    CHECK(is_read_only(vmcs::GUEST_PHYSICAL_ADDRESS | 1));
    CHECK_FALSE(is_read_only(vmcs::GUEST_RIP));
}

TEST_CASE("the high access type is valid for 64-bit fields only", "[vmx][fields]") {
    REQUIRE(lookup_field(vmcs::EPT_POINTER | 1) != nullptr);
    CHECK(lookup_field(vmcs::EPT_POINTER | 1) == lookup_field(vmcs::EPT_POINTER));
    CHECK(lookup_field(vmcs::GUEST_IA32_EFER | 1)->name == "GUEST_IA32_EFER");
    CHECK(lookup_field(vmcs::GUEST_RIP | 1) == nullptr);            // natural width
    CHECK(lookup_field(vmcs::GUEST_CS_LIMIT | 1) == nullptr);       // 32-bit
    CHECK(lookup_field(vmcs::VIRTUAL_PROCESSOR_ID | 1) == nullptr); // 16-bit
    CHECK_FALSE(encoding_well_formed(vmcs::HOST_RIP | 1));
    CHECK(encoding_well_formed(vmcs::HOST_IA32_PAT | 1));
}

TEST_CASE("encodings with reserved bits set are unsupported", "[vmx][fields]") {
    CHECK(lookup_field(vmcs::GUEST_RIP | 0x1000) == nullptr);  // bit 12
    CHECK(lookup_field(vmcs::GUEST_RIP | 0x8000) == nullptr);  // bit 15
    CHECK(lookup_field(vmcs::GUEST_RIP | 0x10000) == nullptr); // bits 31:15
    CHECK(lookup_field(0xFFFFFFFF) == nullptr);
    for (uint32_t enc : vmcs::kUnsupportedExamples) {
        INFO(enc);
        CHECK(lookup_field(enc) == nullptr);
        CHECK_FALSE(dense_index(enc).has_value());
    }
}

TEST_CASE("field encodings match the SDM appendix", "[vmx][fields]") {
    // Spot values from SDM Vol. 3D, "Field Encoding in VMCS", one per table.
    CHECK(lookup_field(0x0000)->name == "VIRTUAL_PROCESSOR_ID");
    CHECK(lookup_field(0x080E)->name == "GUEST_TR_SELECTOR");
    CHECK(lookup_field(0x0C0C)->name == "HOST_TR_SELECTOR");
    CHECK(lookup_field(0x201A)->name == "EPT_POINTER");
    CHECK(lookup_field(0x2400)->name == "GUEST_PHYSICAL_ADDRESS");
    CHECK(lookup_field(0x2810)->name == "GUEST_PDPTE3");
    CHECK(lookup_field(0x2C02)->name == "HOST_IA32_EFER");
    CHECK(lookup_field(0x401E)->name == "SECONDARY_VM_EXEC_CONTROL");
    CHECK(lookup_field(0x440E)->name == "VMX_INSTRUCTION_INFO");
    CHECK(lookup_field(0x482E)->name == "VMX_PREEMPTION_TIMER_VALUE");
    CHECK(lookup_field(0x4C00)->name == "HOST_IA32_SYSENTER_CS");
    CHECK(lookup_field(0x600E)->name == "CR3_TARGET_VALUE3");
    CHECK(lookup_field(0x640A)->name == "GUEST_LINEAR_ADDRESS");
    CHECK(lookup_field(0x6826)->name == "GUEST_SYSENTER_EIP");
    CHECK(lookup_field(0x6C16)->name == "HOST_RIP");
}

TEST_CASE("table names agree with their groups and the table is dense", "[vmx][fields]") {
    REQUIRE(all_fields().size() == kSupportedFieldCount);
    size_t i = 0;
    for (const FieldInfo& f : all_fields()) {
        INFO(f.name);
        const std::string name(f.name);
        CHECK(dense_index(f.encoding) == i++);
        CHECK(field_name(f.encoding) == f.name);
        switch (f.group()) {
        case FieldGroup::GuestState:
            CHECK((name.starts_with("GUEST_") || name == "VMCS_LINK_POINTER" ||
                   name == "VMX_PREEMPTION_TIMER_VALUE"));
            break;
        case FieldGroup::HostState: CHECK(name.starts_with("HOST_")); break;
        case FieldGroup::ExitInformation: CHECK_FALSE(name.starts_with("HOST_")); break;
        case FieldGroup::Control:
            CHECK_FALSE(name.starts_with("HOST_"));
            CHECK_FALSE(name.starts_with("GUEST_"));
            break;
        }
    }
    // VMX_PREEMPTION_TIMER_VALUE (0x482E) has the highest index, 0x17.
    CHECK(highest_field_index() == 0x17);
}

TEST_CASE("every supported field round-trips through the store at its width", "[vmx][fields]") {
    constexpr uint64_t kPattern = 0xF0E1D2C3B4A59687;
    VmcsStore store;
    for (const FieldInfo& f : all_fields()) {
        INFO(f.name);
        if (is_read_only(f.encoding)) {
            CHECK(store.write(f.encoding, kPattern) == VmcsAccess::ReadOnlyField);
            store.set(f.encoding, kPattern); // the processor writes exit information
        } else {
            CHECK(store.write(f.encoding, kPattern) == VmcsAccess::Ok);
        }
        const unsigned bits = access_width_bits(f.encoding);
        const uint64_t expect = bits == 64 ? kPattern : kPattern & ((uint64_t{1} << bits) - 1);
        CHECK(store.read(f.encoding) == expect);
        CHECK(store.get(f.encoding) == expect);
        if (f.width() == FieldWidth::Bits64) CHECK(store.read(f.encoding | 1) == kPattern >> 32);
    }
}
