#!/usr/bin/env bash
# Every user-caused error of `hvlab run` gives exactly one line on stderr, starting with
# "hvlab: error:", naming the problem, and exit status 2 (ui/cli/exit_codes.hpp).
set -u
hvlab=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# expect_error DESCRIPTION PATTERN -- ARGS...
expect_error() {
  local what=$1 pattern=$2
  shift 3
  "$hvlab" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  local status=$?
  local lines
  lines=$(wc -l <"$tmp/err")
  if [ "$status" -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q "^hvlab: error: .*$pattern" "$tmp/err"; then
    echo "FAIL: $what: status=$status (want 2), stderr lines=$lines (want 1), want /$pattern/:"
    sed 's/^/    /' "$tmp/err"
    fail=1
  else
    echo "ok:   $what -> $(cat "$tmp/err")"
  fi
}

# A Multiboot ELF32 image with one PT_LOAD segment at PADDR of SIZE bytes (python3 is part of
# every Debian install that has apt).
make_elf() {
  python3 - "$1" "$2" "$3" <<'PY'
import struct, sys
out, paddr, size = sys.argv[1], int(sys.argv[2], 0), int(sys.argv[3], 0)
code = b"\xf4" * 16
mb = struct.pack("<III", 0x1BADB002, 0, (-0x1BADB002) & 0xffffffff)
payload = mb + code
ehdr = struct.pack("<16sHHIIIIIHHHHHH", b"\x7fELF\x01\x01\x01" + b"\0" * 9, 2, 3, 1,
                   paddr + 12, 52, 0, 0, 52, 32, 1, 0, 0, 0)
phdr = struct.pack("<IIIIIIII", 1, 84, paddr, paddr, len(payload), max(size, len(payload)), 7, 4)
open(out, "wb").write(ehdr + phdr + payload)
PY
}

expect_error "missing image" "does-not-exist" -- run "$tmp/does-not-exist.elf"
printf 'just some text, not a kernel\n' >"$tmp/text.bin"
expect_error "neither ELF nor Multiboot" "text.bin" -- run "$tmp/text.bin"
make_elf "$tmp/hole.elf" 0xA0000 0x1000
expect_error "segment in the VGA/BIOS hole" "hole.elf" -- run "$tmp/hole.elf"
make_elf "$tmp/high.elf" 0x20000000 0x1000
expect_error "segment beyond RAM" "high.elf" -- run "$tmp/high.elf" -m 256M
make_elf "$tmp/mmio.elf" 0xFEE00000 0x1000
expect_error "segment over the LAPIC page" "mmio.elf" -- run "$tmp/mmio.elf" -m 4G
make_elf "$tmp/ok.elf" 0x100000 0x1000
expect_error "bad memory size" "memory size" -- run "$tmp/ok.elf" -m lots
expect_error "memory size too small" "too small" -- run "$tmp/ok.elf" -m 1K
expect_error "bad instruction limit" "max-insns" -- run "$tmp/ok.elf" --max-insns abc
expect_error "negative instruction limit" "max-insns" -- run "$tmp/ok.elf" --max-insns -5
expect_error "unknown event class" "unknown event class" -- run "$tmp/ok.elf" -d bogus
expect_error "unknown option" "frobnicate" -- run "$tmp/ok.elf" --frobnicate
expect_error "unwritable serial file" "serial" -- run "$tmp/ok.elf" --serial "$tmp/no/such/dir/out"
expect_error "unwritable trace file" "trace" -- run "$tmp/ok.elf" --trace "$tmp/no/such/dir/t"
expect_error "missing module" "missing-module" -- run "$tmp/ok.elf" --module "$tmp/missing-module args"
expect_error "no subcommand" "subcommand" --
exit $fail
