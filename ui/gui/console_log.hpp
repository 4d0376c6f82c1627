// The serial console as the inspector shows it: every COM line with the time it was written
// and who wrote it (the host/hypervisor, or a guest), so each guest gets its own console.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hvlab::gui {

struct ConsoleLine {
    uint64_t time = 0;
    int source = -1; // GuestRegistry id, -1 for the host (VMX root or no VMX)
    std::string text;
};

class ConsoleLog {
  public:
    void add(uint64_t time, int source, std::string_view text);
    const std::vector<ConsoleLine>& lines() const { return lines_; }
    // Line indices written by one source (-1 host, or a guest id).
    std::vector<size_t> lines_of(int source) const;
    // Sources that wrote at least one line, in order of first line.
    const std::vector<int>& sources() const { return sources_; }

  private:
    std::vector<ConsoleLine> lines_;
    std::vector<int> sources_;
};

} // namespace hvlab::gui
