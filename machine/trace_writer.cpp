#include "machine/trace_writer.hpp"

#include <cinttypes>

namespace hvlab::machine {
namespace {

// Quote serial text so that a line holds exactly one event whatever the guest printed.
std::string quoted(std::string_view s) {
    std::string q = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            q += '\\';
            q += static_cast<char>(c);
        } else if (c < 0x20 || c >= 0x7F) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            q += buf;
        } else {
            q += static_cast<char>(c);
        }
    }
    return q + "\"";
}

std::string fields(const Event& e) {
    char b[160];
    const char* rw = e.write ? "w" : "r";
    switch (e.type) {
    case EventType::Exception:
        if (e.flag)
            std::snprintf(b, sizeof b, "vec=%02x err=%08x rip=%016" PRIx64, e.code,
                          static_cast<unsigned>(e.value), e.addr);
        else
            std::snprintf(b, sizeof b, "vec=%02x rip=%016" PRIx64, e.code, e.addr);
        return b;
    case EventType::Interrupt:
        std::snprintf(b, sizeof b, "vec=%02x rip=%016" PRIx64, e.code, e.addr);
        return b;
    case EventType::PortIo:
        std::snprintf(b, sizeof b, "port=%04x %s size=%u val=%08" PRIx64, e.code, rw, e.size,
                      e.value);
        return b;
    case EventType::Mmio:
        std::snprintf(b, sizeof b, "addr=%016" PRIx64 " %s size=%u val=%016" PRIx64, e.addr, rw,
                      e.size, e.value);
        return b;
    case EventType::Unassigned:
        std::snprintf(b, sizeof b, "%s addr=%016" PRIx64 " %s size=%u val=%016" PRIx64,
                      e.flag ? "io" : "mem", e.addr, rw, e.size, e.value);
        return b;
    case EventType::SerialOutput:
        std::snprintf(b, sizeof b, "com%u ", e.code + 1);
        return b + quoted(e.text);
    case EventType::Halt:
        std::snprintf(b, sizeof b, "rip=%016" PRIx64, e.addr);
        return b;
    case EventType::Shutdown:
        return std::string("why=") + quoted(e.name ? e.name : "");
    case EventType::DebugExit:
        std::snprintf(b, sizeof b, "status=%u", e.code);
        return b;
    case EventType::VmEntry:
        std::snprintf(b, sizeof b, "%s rip=%016" PRIx64, e.flag ? "launch" : "resume", e.addr);
        return b;
    case EventType::VmExit:
        // EPT violations (48) and misconfigurations (49) also name the guest-physical address.
        if ((e.code & 0xFFFF) == 48 || (e.code & 0xFFFF) == 49)
            std::snprintf(b, sizeof b,
                          "reason=%u qual=%016" PRIx64 " rip=%016" PRIx64 " gpa=%016" PRIx64,
                          e.code, e.value, e.addr, e.extra);
        else
            std::snprintf(b, sizeof b, "reason=%u qual=%016" PRIx64 " rip=%016" PRIx64, e.code,
                          e.value, e.addr);
        return b;
    case EventType::VmEntryFailure:
        std::snprintf(b, sizeof b, "result=%08x ", e.code);
        return b + std::string("check=") + (e.name ? e.name : "?") + " " + quoted(e.text);
    default:
        std::snprintf(b, sizeof b, "code=%08x addr=%016" PRIx64 " val=%016" PRIx64, e.code,
                      e.addr, e.value);
        return b;
    }
}

} // namespace

std::string format_event(const Event& e) {
    char head[40];
    std::snprintf(head, sizeof head, "%016" PRIx64 " %s ", e.time,
                  kEventTypeNames[static_cast<unsigned>(e.type)]);
    return head + fields(e);
}

TraceWriter::TraceWriter(std::FILE* out, bool write_header) : out_(out) {
    if (write_header) std::fprintf(out_, "hvlab-trace %d\n", kTraceVersion);
}

void TraceWriter::on_event(const Event& e) {
    const std::string line = format_event(e);
    std::fwrite(line.data(), 1, line.size(), out_);
    std::fputc('\n', out_);
}

} // namespace hvlab::machine
