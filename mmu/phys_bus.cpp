#include "mmu/phys_bus.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>
#include <sys/mman.h>

namespace hvlab::mmu {

PhysBus::PhysBus(uint64_t ram_bytes) : ram_size_(ram_bytes) {
    void* p = ram_bytes ? mmap(nullptr, ram_bytes, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
                        : nullptr;
    if (p == MAP_FAILED) throw std::bad_alloc();
    ram_ = static_cast<uint8_t*>(p);
    low_end_ = std::min<uint64_t>(ram_bytes, kPciHoleStart);
    high_size_ = ram_bytes - low_end_;
    const uint64_t top = high_size_ ? kHighRamStart + high_size_ : low_end_;
    code_pages_.assign((top + 0xFFF) >> 12, 0);
}

PhysBus::~PhysBus() {
    if (ram_) munmap(ram_, ram_size_);
}

bool PhysBus::is_ram(Hpa addr, uint64_t len) {
    for (uint64_t a = addr.value & ~0xFFFull; a < addr.value + len; a += 0x1000)
        if (!ram_ptr(Hpa(a))) return false;
    return len == 0 || ram_ptr(Hpa(addr.value + len - 1)) != nullptr;
}

PhysBus::MmioRegion* PhysBus::find_mmio(uint64_t a) {
    for (auto& r : mmio_)
        if (a - r.base < r.size) return &r;
    return nullptr;
}

const MmioHandler* PhysBus::mmio_at(Hpa addr) const {
    for (auto& r : mmio_)
        if (addr.value - r.base < r.size) return r.handler;
    return nullptr;
}

bool PhysBus::can_map_mmio(Hpa base, uint64_t size) const {
    if (size == 0 || base.value + size < base.value) return false;
    for (uint64_t a = base.value & ~0xFFFull; a < base.value + size; a += 0x1000)
        if (const_cast<PhysBus*>(this)->ram_ptr(Hpa(a))) return false;
    for (auto& r : mmio_)
        if (base.value < r.base + r.size && r.base < base.value + size) return false;
    return true;
}

void PhysBus::unmap_mmio(const MmioHandler* handler) {
    std::erase_if(mmio_, [&](const MmioRegion& r) { return r.handler == handler; });
}

void PhysBus::map_mmio(Hpa base, uint64_t size, MmioHandler* handler, std::string name) {
    for (uint64_t a = base.value; a < base.value + size; a += 0x1000)
        if (ram_ptr(Hpa(a))) throw std::logic_error("MMIO region " + name + " overlaps RAM");
    for (auto& r : mmio_)
        if (base.value < r.base + r.size && r.base < base.value + size)
            throw std::logic_error("MMIO region " + name + " overlaps " + r.name);
    mmio_.push_back({base.value, size, handler, std::move(name)});
}

uint64_t PhysBus::read_slow_bytes(uint64_t a, unsigned size) {
    uint64_t v = 0;
    for (unsigned i = 0; i < size; ++i) v |= read(Hpa(a + i), 1) << (8 * i);
    return v;
}

void PhysBus::write_slow_bytes(uint64_t a, unsigned size, uint64_t value) {
    for (unsigned i = 0; i < size; ++i) write(Hpa(a + i), 1, (value >> (8 * i)) & 0xFF);
}

uint64_t PhysBus::read(Hpa addr, unsigned size) {
    const uint64_t a = addr.value;
    const bool same_page = ((a & 0xFFF) + size) <= 0x1000;
    if (uint8_t* p = ram_ptr(addr)) {
        if (!same_page && !ram_ptr(Hpa(a + size - 1))) return read_slow_bytes(a, size);
        uint64_t v = 0;
        std::memcpy(&v, p, size);
        return v;
    }
    if (MmioRegion* r = find_mmio(a)) {
        if (a + size - r->base > r->size) return read_slow_bytes(a, size);
        return r->handler->mmio_read(a - r->base, size);
    }
    if (size > 1 && !same_page) return read_slow_bytes(a, size);
    if (observer_) observer_->unassigned_access(addr, size, false, 0);
    return size == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * size)) - 1;
}

void PhysBus::write(Hpa addr, unsigned size, uint64_t value) {
    const uint64_t a = addr.value;
    const bool same_page = ((a & 0xFFF) + size) <= 0x1000;
    if (uint8_t* p = ram_ptr(addr)) {
        if (!same_page) return write_slow_bytes(a, size, value);
        std::memcpy(p, &value, size);
        if (is_code_page(a >> 12)) notify_code_write(a >> 12);
        return;
    }
    if (MmioRegion* r = find_mmio(a)) {
        if (a + size - r->base > r->size) return write_slow_bytes(a, size, value);
        return r->handler->mmio_write(a - r->base, size, value);
    }
    if (size > 1 && !same_page) return write_slow_bytes(a, size, value);
    if (observer_) observer_->unassigned_access(addr, size, true, value);
}

bool PhysBus::read_bytes(Hpa addr, void* dst, uint64_t len) {
    if (!is_ram(addr, len)) return false;
    auto* out = static_cast<uint8_t*>(dst);
    for (uint64_t done = 0; done < len;) {
        const uint64_t a = addr.value + done;
        const uint64_t chunk = std::min<uint64_t>(len - done, 0x1000 - (a & 0xFFF));
        std::memcpy(out + done, ram_ptr(Hpa(a)), chunk);
        done += chunk;
    }
    return true;
}

bool PhysBus::write_bytes(Hpa addr, const void* src, uint64_t len) {
    if (!is_ram(addr, len)) return false;
    auto* in = static_cast<const uint8_t*>(src);
    for (uint64_t done = 0; done < len;) {
        const uint64_t a = addr.value + done;
        const uint64_t chunk = std::min<uint64_t>(len - done, 0x1000 - (a & 0xFFF));
        std::memcpy(ram_ptr(Hpa(a)), in + done, chunk);
        if (is_code_page(a >> 12)) notify_code_write(a >> 12);
        done += chunk;
    }
    return true;
}

void PhysBus::mark_code_page(uint64_t page_number) {
    if (page_number < code_pages_.size()) code_pages_[page_number] = 1;
}

void PhysBus::notify_code_write(uint64_t page_number) {
    if (page_number >= code_pages_.size() || !code_pages_[page_number]) return;
    code_pages_[page_number] = 0;
    if (observer_) observer_->code_page_written(page_number);
}

} // namespace hvlab::mmu
