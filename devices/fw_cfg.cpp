#include "devices/fw_cfg.hpp"

namespace hvlab::devices {

namespace {
std::vector<uint8_t> le_bytes(uint64_t v, unsigned n) {
    std::vector<uint8_t> out(n);
    for (unsigned i = 0; i < n; ++i)
        out[i] = static_cast<uint8_t>(v >> (8 * i));
    return out;
}
} // namespace

FwCfg::FwCfg(uint64_t ram_size, uint16_t cpus) {
    add_item(kSignature, {'Q', 'E', 'M', 'U'});
    add_item(kId, le_bytes(1, 4)); // traditional interface only: no DMA
    add_item(kRamSize, le_bytes(ram_size, 8));
    add_item(kNbCpus, le_bytes(cpus, 2));
    add_item(kMaxCpus, le_bytes(cpus, 2)); // no CPU hot-plug: the maximum is what exists
    add_item(kFileDir, {0, 0, 0, 0});      // big-endian file count: no files
}

const std::vector<uint8_t>* FwCfg::peek_item(uint16_t key) const {
    auto it = items_.find(key);
    return it == items_.end() ? nullptr : &it->second;
}

uint8_t FwCfg::read_data() {
    const std::vector<uint8_t>* item = peek_item(selector_);
    if (!item || offset_ >= item->size()) return 0;
    return (*item)[offset_++];
}

uint32_t FwCfg::port_read(uint16_t offset, unsigned size) {
    if (size != 1 || offset > 1) {
        ++odd_size_accesses_;
        return size >= 4 ? 0xFFFF'FFFFu : (1u << (8 * size)) - 1;
    }
    return read_data();
}

void FwCfg::port_write(uint16_t offset, unsigned size, uint32_t value) {
    if (size == 2 && offset == 0) {
        // Selecting any key rewinds the data offset, even re-selecting the current one.
        selector_ = static_cast<uint16_t>(value);
        offset_ = 0;
        return;
    }
    if (size == 1 && offset <= 1) return; // data writes are ignored without DMA
    ++odd_size_accesses_;
}

} // namespace hvlab::devices
