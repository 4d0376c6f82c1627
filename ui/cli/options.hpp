// Parsing of option values shared by the subcommands (QEMU's spellings where they exist).
#pragma once
#include "machine/event.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace hvlab::ui {

// QEMU's -m syntax: a number with an optional suffix K, M, G or T (no suffix = MiB).
// Throws UserError on a malformed or out-of-range value.
uint64_t parse_memory_size(const std::string& text);

// A comma-separated list of event class names (machine::kEventTypeNames) or "all".
machine::EventMask parse_event_classes(const std::string& text);
std::string event_class_list();

// QEMU's single-dash long options (-initrd, -append, -kernel, -serial) become --options, so
// `hvlab run IMAGE -initrd "a,b"` works like QEMU.
std::vector<std::string> normalize_qemu_options(int argc, char** argv);

} // namespace hvlab::ui
