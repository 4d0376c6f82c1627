#include "qemu_runner.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sys/wait.h>
#include <unistd.h>

namespace hvlab::test {

bool have_qemu() {
    return std::system("command -v qemu-system-x86_64 >/dev/null 2>&1") == 0;
}

std::vector<uint8_t> run_on_qemu(const std::vector<uint8_t>& body, const std::string& extra_args) {
    const uint32_t magic = 0x1BADB002, flags = 1u << 16; // a.out kludge: a flat image
    const uint32_t header[8] = {
        magic, flags, static_cast<uint32_t>(-(magic + flags)), 0x100000, 0x100000, 0, 0, 0x100020};
    std::vector<uint8_t> image(sizeof header);
    std::memcpy(image.data(), header, sizeof header);
    image.insert(image.end(), body.begin(), body.end());

    char dir_template[] = "/tmp/hvlab-devqemu-XXXXXX";
    REQUIRE(mkdtemp(dir_template) != nullptr);
    const std::filesystem::path dir(dir_template);
    const auto kernel = (dir / "kernel.bin").string(), out = (dir / "serial.out").string();
    std::ofstream(kernel, std::ios::binary)
        .write(reinterpret_cast<const char*>(image.data()),
               static_cast<std::streamsize>(image.size()));
    const std::string cmd = "timeout 60 qemu-system-x86_64 -m 64 -display none -monitor none "
                            "-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 "
                            "-serial file:" +
                            out + " " + extra_args + " -kernel " + kernel +
                            " </dev/null >/dev/null 2>&1";
    const int rc = std::system(cmd.c_str());
    std::ifstream in(out, std::ios::binary);
    std::vector<uint8_t> got{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    std::filesystem::remove_all(dir);
    INFO(cmd);
    REQUIRE(WIFEXITED(rc));
    REQUIRE(WEXITSTATUS(rc) == 33); // debug-exit 0x10
    return got;
}

} // namespace hvlab::test
