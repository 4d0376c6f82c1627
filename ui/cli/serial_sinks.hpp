// Where COM1's output goes: stdout, a file, or nowhere (QEMU's -serial stdio|file:F|none).
#pragma once
#include "devices/port_device.hpp"

#include <cstdio>
#include <memory>
#include <string>

namespace hvlab::ui {

class FileSink : public devices::ByteSink {
  public:
    explicit FileSink(std::FILE* f) : f_(f) {}
    void put(uint8_t byte) override { std::fputc(byte, f_); }

  private:
    std::FILE* f_;
};

class NullSink : public devices::ByteSink {
  public:
    void put(uint8_t) override {}
};

// Opens the sink named by a --serial value; throws UserError if the file cannot be created.
// The returned sink owns the file it opened.
std::unique_ptr<devices::ByteSink> open_serial_sink(const std::string& spec);

} // namespace hvlab::ui
