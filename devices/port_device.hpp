// The interfaces a device model is written against (STYLE.md, devices/; after vm-superio).
// A device never includes machine/: the machine maps it on the port or MMIO bus and injects
// its interrupt line and output sink.
#pragma once
#include <cstdint>

namespace hvlab::devices {

// A device on the I/O port bus. offset is relative to the first port of its range; size is 1,
// 2 or 4.
class PortDevice {
  public:
    virtual ~PortDevice() = default;
    virtual uint32_t port_read(uint16_t offset, unsigned size) = 0;
    virtual void port_write(uint16_t offset, unsigned size, uint32_t value) = 0;
};

// An interrupt request line (level-triggered view: the device says whether it asserts it).
class IrqLine {
  public:
    virtual ~IrqLine() = default;
    virtual void set_level(bool asserted) = 0;
};

// Where a device's host-visible output goes (stdout, a file, a test buffer).
class ByteSink {
  public:
    virtual ~ByteSink() = default;
    virtual void put(uint8_t byte) = 0;
};

} // namespace hvlab::devices
