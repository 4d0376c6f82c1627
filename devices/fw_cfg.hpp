// QEMU's firmware configuration device (docs/specs/fw_cfg.txt, hw/nvram/fw_cfg.c) on its
// legacy x86 I/O ports, without DMA: 0x510 is the 16-bit selector, 0x511 the 8-bit data port.
// Writing a key to the selector picks an item and rewinds its data offset; each data read
// returns the next byte of the item, and 0 past its end or for a key with no item.
//
// Items provided: signature "QEMU" (0x0000), interface ID (0x0001: bit 0 = traditional
// interface, bit 1 DMA = 0), RAM size (0x0003, u64 LE), number of CPUs (0x0005, u16 LE),
// max CPUs (0x000f, u16 LE) and the file directory (0x0019: a big-endian u32 count, here 0).
#pragma once
#include "devices/port_device.hpp"

#include <cstdint>
#include <map>
#include <vector>

namespace hvlab::devices {

class FwCfg : public PortDevice {
  public:
    static constexpr uint16_t kIoBase = 0x510;
    enum Key : uint16_t {
        kSignature = 0x0000,
        kId = 0x0001,
        kRamSize = 0x0003,
        kNbCpus = 0x0005,
        kMaxCpus = 0x000F,
        kFileDir = 0x0019
    };

    FwCfg(uint64_t ram_size, uint16_t cpus);

    // offset 0 = selector (16-bit write), offset 1 = data (8-bit read). A 1-byte read at either
    // port returns a data byte and a 1-byte write is ignored, as in QEMU 7.2 (data writes were
    // removed in 2.4); any other access is invalid: it reads all ones and is counted.
    uint32_t port_read(uint16_t offset, unsigned size) override;
    void port_write(uint16_t offset, unsigned size, uint32_t value) override;

    // Side-effect-free views for tools.
    uint16_t peek_selector() const { return selector_; }
    uint32_t peek_offset() const { return offset_; }
    const std::vector<uint8_t>* peek_item(uint16_t key) const;
    uint64_t odd_size_accesses() const { return odd_size_accesses_; }

  private:
    void add_item(uint16_t key, std::vector<uint8_t> data) { items_[key] = std::move(data); }
    uint8_t read_data();

    std::map<uint16_t, std::vector<uint8_t>> items_;
    uint16_t selector_ = kSignature; // QEMU's reset selects key 0 (the signature)
    uint32_t offset_ = 0;
    uint64_t odd_size_accesses_ = 0;
};

} // namespace hvlab::devices
