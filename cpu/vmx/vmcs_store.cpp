// VMCS cache and region serialization. Intel SDM, Dec 2023 (Order 325462-081).
#include "cpu/vmx/vmcs_store.hpp"

#include <cstring>
#include <stdexcept>

namespace hvlab::cpu::vmx {
namespace {

uint64_t truncate_to_field(uint32_t encoding, uint64_t value) {
    switch (field_width(encoding)) {
    case FieldWidth::Bits16: return value & 0xFFFF;
    case FieldWidth::Bits32: return value & 0xFFFFFFFF;
    case FieldWidth::Bits64:
    case FieldWidth::Natural: return value;
    }
    return value;
}

uint32_t load32(ConstVmcsRegion r, size_t off) {
    uint32_t v;
    std::memcpy(&v, r.data() + off, sizeof v); // the region is little-endian, like the host
    return v;
}
void store32(VmcsRegion r, size_t off, uint32_t v) {
    std::memcpy(r.data() + off, &v, sizeof v);
}

static_assert(kRegionFieldsOffset + kSupportedFieldCount * 8 <= kVmcsRegionSize);

} // namespace

std::optional<uint64_t> VmcsStore::read(uint32_t encoding) const {
    const auto i = dense_index(encoding);
    if (!i) return std::nullopt;
    if (is_high_access(encoding)) return values_[*i] >> 32;
    return values_[*i];
}

VmcsAccess VmcsStore::write(uint32_t encoding, uint64_t value) {
    const auto i = dense_index(encoding);
    if (!i) return VmcsAccess::UnsupportedField;
    if (is_read_only(encoding)) return VmcsAccess::ReadOnlyField;
    if (is_high_access(encoding))
        values_[*i] = (values_[*i] & 0xFFFFFFFFull) | (value << 32);
    else
        values_[*i] = truncate_to_field(encoding, value);
    return VmcsAccess::Ok;
}

void VmcsStore::throw_unsupported_encoding() {
    throw std::out_of_range("VmcsStore: not a supported full VMCS encoding");
}

VmcsRegionHeader read_region_header(ConstVmcsRegion region) {
    const uint32_t dword0 = load32(region, 0);
    return {dword0 & ~kShadowVmcsIndicator, (dword0 & kShadowVmcsIndicator) != 0,
            load32(region, 4)};
}

void write_abort_indicator(VmcsRegion region, uint32_t indicator) {
    store32(region, 4, indicator);
}

void write_launch_state(VmcsRegion region, LaunchState state) {
    store32(region, kRegionLaunchStateOffset, static_cast<uint32_t>(state));
}

void save_vmcs_region(const VmcsStore& store, VmcsRegion region) {
    store32(region, kRegionLaunchStateOffset, static_cast<uint32_t>(store.launch_state));
    store32(region, kRegionLayoutTagOffset, kRegionLayoutTag);
    size_t off = kRegionFieldsOffset;
    for (const FieldInfo& f : all_fields()) {
        const uint64_t v = store.get(f.encoding);
        std::memcpy(region.data() + off, &v, sizeof v);
        off += sizeof v;
    }
}

VmcsStore load_vmcs_region(ConstVmcsRegion region) {
    VmcsStore store;
    // Any non-zero launch-state word reads as "launched": a region software merely zeroed
    // (never VMCLEARed) loads as clear with every field 0.
    store.launch_state =
        load32(region, kRegionLaunchStateOffset) ? LaunchState::Launched : LaunchState::Clear;
    size_t off = kRegionFieldsOffset;
    for (const FieldInfo& f : all_fields()) {
        uint64_t v;
        std::memcpy(&v, region.data() + off, sizeof v);
        store.set(f.encoding, v);
        off += sizeof v;
    }
    return store;
}

} // namespace hvlab::cpu::vmx
