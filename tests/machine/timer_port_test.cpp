#include "machine/port_bus.hpp"
#include "machine/timer_queue.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <vector>

using namespace hvlab;
using namespace hvlab::machine;

namespace {
struct Dummy : devices::PortDevice {
    uint32_t port_read(uint16_t offset, unsigned) override { return offset; }
    void port_write(uint16_t, unsigned, uint32_t) override {}
};
} // namespace

TEST_CASE("The port bus finds a device and the offset within its range") {
    PortBus ports;
    Dummy d;
    ports.map(0x3F8, 8, &d, "com1");
    auto hit = ports.find(0x3FD);
    CHECK(hit.dev == &d);
    CHECK(hit.offset == 5);
    CHECK(ports.find(0x3F7).dev == nullptr);
    CHECK(ports.find(0x400).dev == nullptr);
    CHECK(ports.name_of(0x3FF) == "com1");
    CHECK_THROWS_AS(ports.map(0x3FF, 2, &d, "clash"), std::logic_error);
}

TEST_CASE("Timers fire in deadline order on the virtual clock and may re-arm themselves") {
    TimerQueue q;
    std::vector<uint64_t> fired;
    TimerHandle periodic;
    periodic = q.add([&](uint64_t now) {
        fired.push_back(now);
        periodic.arm(now + 100);
    });
    TimerHandle once = q.add([&](uint64_t now) { fired.push_back(1000 + now); });
    CHECK(q.next_deadline() == TimerQueue::kNever);
    periodic.arm(100);
    once.arm(150);
    CHECK(q.next_deadline() == 100);
    q.fire_due(99);
    CHECK(fired.empty());
    q.fire_due(100);
    CHECK(fired == std::vector<uint64_t>{100});
    CHECK(q.next_deadline() == 150);
    q.fire_due(200);
    CHECK(fired == std::vector<uint64_t>{100, 1150, 200});
    CHECK_FALSE(once.armed());
    once.arm(250);
    once.cancel();
    CHECK(q.next_deadline() == 300);
}
