// docs/vmx-entry-checks.md and docs/vmx-vmcs-layout.md are generated from the check tables
// and the VMCS field table and must match them. Run with HVLAB_UPDATE_DOCS=1 in the
// environment to rewrite the files after changing a table.
#include "cpu/vmx/entry_check.hpp"
#include "cpu/vmx/vmcs_fields.hpp"
#include "cpu/vmx/vmcs_store.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

using namespace hvlab::cpu::vmx;

namespace {

std::string generate() {
    std::ostringstream out;
    const auto checks = list_entry_checks();
    out << "# VM-entry checks\n\n"
        << "Generated from the check tables in `cpu/vmx/entry_checks_*.cpp` by\n"
        << "`tests/vmx_checks/entry_check_docs_test.cpp` (run `test_vmx_checks` with\n"
        << "`HVLAB_UPDATE_DOCS=1` to regenerate). Sections are titles of Intel SDM, Dec 2023\n"
        << "(Order 325462-081), Vol. 3C, chapter \"VM Entries\". VM entry runs the checks in this\n"
        << "order and stops at the first failure. A VMfailValid leaves the guest untouched and\n"
        << "sets the VM-instruction error field; an exit 33 is a VM-entry failure with exit "
           "reason\n"
        << "0x80000021 and the given exit qualification.\n\n"
        << checks.size() << " checks.\n\n"
        << "| # | Check | SDM section | Failure |\n|---|---|---|---|\n";
    int n = 1;
    for (const CheckDescription& c : checks)
        out << "| " << n++ << " | `" << c.id << "` | " << c.section.substr(13) << " | " << c.failure
            << " |\n";
    out << "\n## VM-entry MSR-load list\n\n"
        << "Checked after the guest state, entry by entry (SDM Vol. 3C, Loading MSRs). A failure\n"
        << "is exit reason 0x80000022 (34) with the entry number (1 for the first) as exit\n"
        << "qualification.\n\n| Check |\n|---|\n";
    for (std::string_view id : msr_load_check_ids())
        out << "| `" << id << "` |\n";
    return out.str();
}

std::string hex4(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%04X", v);
    return buf;
}

std::string width_name(FieldWidth w) {
    switch (w) {
    case FieldWidth::Bits16: return "16";
    case FieldWidth::Bits32: return "32";
    case FieldWidth::Bits64: return "64";
    case FieldWidth::Natural: return "natural";
    }
    return "";
}

std::string generate_layout() {
    std::ostringstream out;
    out << "# VMCS region layout\n\n"
        << "Generated from the field table in `cpu/vmx/vmcs_fields.cpp` by\n"
        << "`tests/vmx_checks/entry_check_docs_test.cpp` (`HVLAB_UPDATE_DOCS=1` regenerates "
           "it).\n\n"
        << "The VMCS region is the 4 KiB block software allocates and names with VMPTRLD/VMCLEAR\n"
        << "(Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, \"Format of the VMCS Region\"). "
           "Only\n"
        << "the first 8 bytes are architectural; the rest is implementation-specific, and "
           "software\n"
        << "must not rely on it. hvlab's layout is below. The processor caches the current VMCS\n"
        << "(`cpu/vmx/vmcs_store.hpp`): VMWRITE changes the cache only, VMCLEAR writes the cache\n"
        << "back (`save_vmcs_region`), VMPTRLD fills it from memory (`load_vmcs_region`). So a\n"
        << "hypervisor that moves or copies a VMCS without VMCLEAR sees stale data, as on "
           "hardware.\n\n"
        << "| Offset | Size | Contents | Written by |\n|---|---|---|---|\n"
        << "| 0 | 4 | bits 30:0 VMCS revision identifier (IA32_VMX_BASIC[30:0]); bit 31 "
           "shadow-VMCS "
           "indicator | software |\n"
        << "| 4 | 4 | VMX-abort indicator (0 unless a VMX abort occurred) | processor, on VMX "
           "abort |\n"
        << "| " << kRegionLaunchStateOffset
        << " | 4 | launch state: 0 clear, 1 launched "
           "(any non-zero value loads as launched) | VMCLEAR |\n"
        << "| " << kRegionLayoutTagOffset << " | 4 | layout tag " << hex4(kRegionLayoutTag >> 16)
        << hex4(kRegionLayoutTag & 0xFFFF).substr(2)
        << " (\"vmx1\"), informational, not checked "
           "on load | VMCLEAR |\n"
        << "| " << kRegionFieldsOffset << " | " << 8 * kSupportedFieldCount
        << " | every supported field as a little-endian 64-bit value, in the order below | VMCLEAR "
           "|\n"
        << "| " << kRegionFieldsOffset + 8 * kSupportedFieldCount << " | "
        << kVmcsRegionSize - kRegionFieldsOffset - 8 * kSupportedFieldCount
        << " | unused, never written | - |\n\n"
        << "A field narrower than 64 bits is stored zero-extended. A region software only zeroed\n"
        << "(never VMCLEARed) therefore loads as a clear VMCS with every field 0.\n\n"
        << "## Fields\n\n"
        << "The dense index is the field's position in the table, which is sorted by encoding.\n\n"
        << "| Index | Offset | Field | Encoding | Width | Group |\n|---|---|---|---|---|---|\n";
    size_t i = 0;
    for (const FieldInfo& f : all_fields()) {
        out << "| " << i << " | " << kRegionFieldsOffset + 8 * i << " | `" << f.name << "` | "
            << hex4(f.encoding) << " | " << width_name(f.width()) << " | " << group_name(f.group())
            << " |\n";
        ++i;
    }
    return out.str();
}

void check_generated(const std::string& relative, const std::string& want) {
    const std::string path = std::string(HVLAB_SOURCE_DIR) + "/" + relative;
    if (std::getenv("HVLAB_UPDATE_DOCS")) std::ofstream(path) << want;
    std::ifstream in(path);
    std::stringstream have;
    have << in.rdbuf();
    INFO(relative << " is out of date: run test_vmx_checks with HVLAB_UPDATE_DOCS=1");
    CHECK(have.str() == want);
}

} // namespace

TEST_CASE("docs/vmx-entry-checks.md matches the check tables", "[vmx][docs]") {
    check_generated("docs/vmx-entry-checks.md", generate());
}

TEST_CASE("docs/vmx-vmcs-layout.md matches the field table", "[vmx][docs]") {
    check_generated("docs/vmx-vmcs-layout.md", generate_layout());
}
