// The physical bus: guest RAM plus MMIO dispatch, as a PC lays it out.
//
//   host-physical range            contents
//   0x0000_0000 .. 0x0009_FFFF     RAM (640 KiB conventional memory)
//   0x000A_0000 .. 0x000F_FFFF     hole: legacy VGA/BIOS area, reads all ones (no VGA, no BIOS)
//   0x0010_0000 .. low_ram_end     RAM (low_ram_end = min(ram size, 0xE000_0000))
//   0xE000_0000 .. 0xFFFF_FFFF     PCI hole: MMIO only (IOAPIC 0xFEC0_0000, LAPIC 0xFEE0_0000)
//   0x1_0000_0000 ..               RAM above 4 GiB (the part of -m that did not fit below)
//
// An address with neither RAM nor a device behind it reads as all ones and ignores writes, as on
// a PC; the access is reported to the unassigned-access listener (an event, never an error).
#pragma once
#include "common/address.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace hvlab::mmu {

// A memory-mapped device: offset is relative to the start of its region; size is 1, 2, 4 or 8.
class MmioHandler {
  public:
    virtual ~MmioHandler() = default;
    virtual uint64_t mmio_read(uint64_t offset, unsigned size) = 0;
    virtual void mmio_write(uint64_t offset, unsigned size, uint64_t value) = 0;
};

// Told when a RAM page that holds decoded code is written (self-modifying code), and when an
// access hits nothing.
class BusObserver {
  public:
    virtual ~BusObserver() = default;
    virtual void code_page_written(uint64_t page_number) = 0;
    virtual void unassigned_access(Hpa addr, unsigned size, bool write, uint64_t value) = 0;
};

class PhysBus {
  public:
    static constexpr uint64_t kPciHoleStart = 0xE000'0000;
    static constexpr uint64_t kHighRamStart = 0x1'0000'0000;
    static constexpr uint64_t kLegacyHoleStart = 0xA'0000;
    static constexpr uint64_t kLegacyHoleEnd = 0x10'0000;

    explicit PhysBus(uint64_t ram_bytes);

    ~PhysBus();
    PhysBus(const PhysBus&) = delete;
    PhysBus& operator=(const PhysBus&) = delete;

    uint64_t ram_size() const { return ram_size_; }
    uint64_t low_ram_end() const { return low_end_; }            // end of RAM below 4 GiB
    uint64_t high_ram_end() const { return kHighRamStart + high_size_; } // valid if high_ram_size()
    uint64_t high_ram_size() const { return high_size_; }

    // Host pointer to RAM at addr, valid for the rest of its 4 KiB page; nullptr if addr is not
    // plain RAM (hole, MMIO, beyond RAM). The fast path of every RAM access.
    uint8_t* ram_ptr(Hpa addr) {
        const uint64_t a = addr.value;
        if (a < low_end_) {
            if (a >= kLegacyHoleStart && a < kLegacyHoleEnd) return nullptr;
            return ram_ + a;
        }
        if (a >= kHighRamStart && a - kHighRamStart < high_size_)
            return ram_ + low_end_ + (a - kHighRamStart);
        return nullptr;
    }
    bool is_ram(Hpa addr, uint64_t len);

    // Slow path for any access (RAM, MMIO, unassigned). size 1, 2, 4 or 8, little-endian; an
    // access that crosses from RAM into something else is split into bytes.
    uint64_t read(Hpa addr, unsigned size);
    void write(Hpa addr, unsigned size, uint64_t value);
    // Bulk copies for loaders, DMA and tools. Return false if any byte is not RAM.
    bool read_bytes(Hpa addr, void* dst, uint64_t len);
    bool write_bytes(Hpa addr, const void* src, uint64_t len);

    // MMIO regions may not overlap RAM or each other; throws std::logic_error if they do
    // (a wiring bug, not a user error).
    void map_mmio(Hpa base, uint64_t size, MmioHandler* handler, std::string name);
    // Whether map_mmio(base, size, ...) would succeed (for guest-relocatable regions such as
    // the local APIC page).
    bool can_map_mmio(Hpa base, uint64_t size) const;
    // Removes every region of this handler (a relocated or disabled device).
    void unmap_mmio(const MmioHandler* handler);
    const MmioHandler* mmio_at(Hpa addr) const;

    // Self-modifying code support: the CPU marks RAM pages it decoded instructions from. A
    // write through this bus to a marked page clears the mark and calls code_page_written().
    void mark_code_page(uint64_t page_number);
    bool is_code_page(uint64_t page_number) const {
        return page_number < code_pages_.size() && code_pages_[page_number];
    }
    // Called by any writer that bypasses write() (e.g. the CPU's host-pointer fast path) after
    // it stored to a page for which is_code_page() was true.
    void notify_code_write(uint64_t page_number);

    void set_observer(BusObserver* o) { observer_ = o; }

  private:
    struct MmioRegion {
        uint64_t base, size;
        MmioHandler* handler;
        std::string name;
    };
    MmioRegion* find_mmio(uint64_t a);
    uint64_t read_slow_bytes(uint64_t a, unsigned size);
    void write_slow_bytes(uint64_t a, unsigned size, uint64_t value);

    // Anonymous mapping: zero-filled and committed lazily, so -m 8G costs nothing until used.
    uint8_t* ram_ = nullptr;
    uint64_t ram_size_ = 0;
    uint64_t low_end_ = 0, high_size_ = 0;
    std::vector<MmioRegion> mmio_;
    std::vector<uint8_t> code_pages_; // indexed by host-physical page number (covers RAM only)
    BusObserver* observer_ = nullptr;
};

} // namespace hvlab::mmu
