// Every VM exit of the run, in order, with what the inspector shows for it: instruction
// count, guest, reason, decoded qualification, guest RIP, and the guest registers and VMCS as
// they were at that exit. Filtering by reason and guest keeps an index list, so drawing
// 100,000 exits touches only the visible rows.
#pragma once
#include "ui/gui/vmcs_history.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hvlab::gui {

struct ExitRecord {
    uint64_t time = 0;   // virtual clock at the exit
    uint32_t reason = 0; // full exit reason (bit 31: VM-entry failure)
    uint64_t qualification = 0;
    uint64_t guest_rip = 0;
    uint64_t guest_physical = 0;    // EPT violation / misconfiguration
    int guest = -1;                 // GuestRegistry id, -1 if unknown
    std::array<uint64_t, 16> gpr{}; // guest GPRs (RSP from the VMCS guest-state area)
    std::string decoded;            // decode_exit() at record time
};

class ExitTimeline {
  public:
    static constexpr int kAny = -1;

    void record(ExitRecord r, const cpu::vmx::VmcsStore& vmcs);
    size_t size() const { return records_.size(); }
    const ExitRecord& at(size_t i) const { return records_[i]; }
    cpu::vmx::VmcsStore vmcs_at(size_t i) const { return vmcs_.at(i); }
    // Number of exits per basic reason (for the filter list).
    const std::map<uint32_t, size_t>& reason_counts() const { return reason_counts_; }

    void set_filter(int reason, int guest);
    int filter_reason() const { return filter_reason_; }
    int filter_guest() const { return filter_guest_; }
    // Indices of the records that pass the filter, in order.
    const std::vector<uint32_t>& visible();

    // The exit the user picked (index into all records), or -1.
    int selected = -1;

    // Synthetic exits for the frame-time measurement (`fill-timeline N` in scripts): a
    // deterministic mix of reasons over two guests, with VMCS changes like a real handler's.
    void fill_synthetic(size_t count);
    void clear();

  private:
    bool passes(const ExitRecord& r) const;
    std::vector<ExitRecord> records_;
    VmcsHistory vmcs_;
    std::map<uint32_t, size_t> reason_counts_;
    int filter_reason_ = kAny, filter_guest_ = kAny;
    std::vector<uint32_t> visible_;
    size_t visible_scanned_ = 0; // records_ already considered for visible_
};

} // namespace hvlab::gui
