// docs/vmx-entry-checks.md is generated from the check tables and must match them. Run with
// HVLAB_UPDATE_DOCS=1 in the environment to rewrite the file after changing a table.
#include "cpu/vmx/entry_check.hpp"

#include <catch2/catch.hpp>

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
        << "sets the VM-instruction error field; an exit 33 is a VM-entry failure with exit reason\n"
        << "0x80000021 and the given exit qualification.\n\n"
        << checks.size() << " checks.\n\n"
        << "| # | Check | SDM section | Failure |\n|---|---|---|---|\n";
    int n = 1;
    for (const CheckDescription& c : checks)
        out << "| " << n++ << " | `" << c.id << "` | " << c.section.substr(13) << " | "
            << c.failure << " |\n";
    out << "\n## VM-entry MSR-load list\n\n"
        << "Checked after the guest state, entry by entry (SDM Vol. 3C, Loading MSRs). A failure\n"
        << "is exit reason 0x80000022 (34) with the entry number (1 for the first) as exit\n"
        << "qualification.\n\n| Check |\n|---|\n";
    for (std::string_view id : msr_load_check_ids()) out << "| `" << id << "` |\n";
    return out.str();
}

} // namespace

TEST_CASE("docs/vmx-entry-checks.md matches the check tables", "[vmx][docs]") {
    const std::string path = std::string(HVLAB_SOURCE_DIR) + "/docs/vmx-entry-checks.md";
    const std::string want = generate();
    if (std::getenv("HVLAB_UPDATE_DOCS")) std::ofstream(path) << want;
    std::ifstream in(path);
    std::stringstream have;
    have << in.rdbuf();
    CHECK(have.str() == want);
}
