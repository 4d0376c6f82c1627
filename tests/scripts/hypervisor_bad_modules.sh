#!/usr/bin/env bash
# Robustness of the teaching hypervisor's guest loading: a module that is not an ELF image, a
# memory size it cannot give, not enough host memory, and no module at all each stop it with
# a clear message and debug-exit 0x12 (status 37), never a crash or a hang.
# Usage: bash hypervisor_bad_modules.sh <hvlab> <source-dir>. Exit 77 if hvlab has no VT-x.
set -u
hvlab=${1:?usage: hypervisor_bad_modules.sh HVLAB SOURCE_DIR}
src=${2:?usage: hypervisor_bad_modules.sh HVLAB SOURCE_DIR}
cd "$src" || exit 1
fail=0
check() { # expected-message, then hvlab run arguments
    local want=$1
    shift
    local out status
    out=$("$hvlab" run roms/prebuilt/hypervisor.elf "$@" --max-insns 50000000 2>&1)
    status=$?
    if grep -q "^hv: no VMX" <<<"$out"; then
        echo "SKIP: this hvlab does not advertise VMX"
        exit 77
    fi
    if [ "$status" -ne 37 ] || ! grep -qF "$want" <<<"$out"; then
        echo "FAIL: $* -> status $status, expected 37 and \"$want\"; output:"
        sed 's/^/    /' <<<"$out" | tail -5
        fail=1
    fi
}
check "hv: module.txt: the module is not a little-endian ELF image" --module "roms/hello/module.txt"
check "hv: guest-full: mem=3M: expected a multiple of 2M, at most 1G" --module "roms/prebuilt/guest-full.elf mem=3M"
check "hv: guest-full: mem=2G: expected a multiple of 2M, at most 1G" --module "roms/prebuilt/guest-full.elf mem=2G"
check "hv: big: not enough host memory for 65536 KiB" -m 32M --module "roms/prebuilt/guest-full.elf name=big mem=64M"
check "hv: no guests: give each one as a Multiboot module" 
[ "$fail" -eq 0 ] && echo "ok: every bad module line stopped the hypervisor with its message"
exit "$fail"
