// QEMU's isa-debug-exit device (hw/misc/debugexit.c), as used with
// `-device isa-debug-exit,iobase=0xf4,iosize=4`: a write of value v, of any size at any offset
// in the range, ends the run with exit status (v << 1) | 1. So a guest can never report
// status 0, and a run that ends any other way is told apart from a guest's chosen status.
#pragma once
#include "devices/port_device.hpp"

#include <cstdint>
#include <functional>

namespace hvlab::devices {

class DebugExit : public PortDevice {
  public:
    static constexpr uint16_t kDefaultIoBase = 0xF4;
    static constexpr uint16_t kDefaultIoSize = 4;

    explicit DebugExit(std::function<void(int status)> on_exit);

    // QEMU registers no read callback for this device; qemu-system-x86_64 7.2 then returns 0
    // for every read (checked by tests/devices/debug_exit_qemu_oracle_test.cpp), so hvlab does.
    uint32_t port_read(uint16_t offset, unsigned size) override;
    void port_write(uint16_t offset, unsigned size, uint32_t value) override;

    // (v << 1) | 1 as QEMU computes it before exit(): the host process exit code is its low 8
    // bits, the value passed to on_exit is the full int.
    static int status_for(uint32_t value) { return static_cast<int>((value << 1) | 1); }
    uint64_t odd_size_accesses() const { return odd_size_accesses_; }

  private:
    std::function<void(int status)> on_exit_;
    uint64_t odd_size_accesses_ = 0;
};

} // namespace hvlab::devices
