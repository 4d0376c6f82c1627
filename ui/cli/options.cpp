#include "ui/cli/options.hpp"

#include "common/error.hpp"

#include <cctype>
#include <cstring>
#include <sstream>

namespace hvlab::ui {

uint64_t parse_memory_size(const std::string& text) {
    // Large enough for any realistic guest, small enough that the size arithmetic can't wrap.
    constexpr uint64_t kMin = 2ull << 20, kMax = 1ull << 40;
    size_t i = 0;
    uint64_t n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        if (n > (kMax >> 10)) throw UserError("memory size '" + text + "' is too large");
        n = n * 10 + static_cast<uint64_t>(text[i++] - '0');
    }
    if (i == 0) throw UserError("invalid memory size '" + text + "' (expected e.g. 256M or 1G)");
    uint64_t unit = 1ull << 20;
    if (i < text.size()) {
        switch (std::toupper(static_cast<unsigned char>(text[i++]))) {
        case 'K': unit = 1ull << 10; break;
        case 'M': unit = 1ull << 20; break;
        case 'G': unit = 1ull << 30; break;
        case 'T': unit = 1ull << 40; break;
        default: throw UserError("invalid memory size '" + text + "' (expected e.g. 256M or 1G)");
        }
        if (i < text.size() && std::toupper(static_cast<unsigned char>(text[i])) == 'B') ++i;
    }
    if (i != text.size()) throw UserError("invalid memory size '" + text + "' (expected e.g. 256M or 1G)");
    if (n > kMax / unit) throw UserError("memory size '" + text + "' is too large (at most 1T)");
    const uint64_t bytes = n * unit;
    if (bytes < kMin) throw UserError("memory size '" + text + "' is too small (at least 2M)");
    if (bytes % 4096) throw UserError("memory size '" + text + "' is not a multiple of 4 KiB");
    return bytes;
}

machine::EventMask parse_event_classes(const std::string& text) {
    machine::EventMask mask = 0;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        if (item == "all") {
            mask |= machine::kAllEvents;
            continue;
        }
        bool found = false;
        for (unsigned t = 0; t < static_cast<unsigned>(machine::EventType::Count); ++t) {
            if (item == machine::kEventTypeNames[t]) {
                mask |= machine::EventMask{1} << t;
                found = true;
            }
        }
        if (!found)
            throw UserError("unknown event class '" + item + "' (known: " + event_class_list() + ")");
    }
    return mask;
}

std::string event_class_list() {
    std::string s = "all";
    for (const char* n : machine::kEventTypeNames) s += std::string(",") + n;
    return s;
}

std::vector<std::string> normalize_qemu_options(int argc, char** argv) {
    static const char* const kQemuLong[] = {"-initrd", "-append", "-serial", "-trace"};
    std::vector<std::string> out;
    for (int i = 0; i < argc; ++i) {
        std::string a = argv[i];
        for (const char* q : kQemuLong)
            if (a == q) a = std::string("-") + q;
        out.push_back(a);
    }
    return out;
}

} // namespace hvlab::ui
