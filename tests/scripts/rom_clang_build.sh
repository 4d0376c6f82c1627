#!/usr/bin/env bash
# The ROMs must also build with the toolchain used on non-x86-64 hosts (clang
# --target=x86_64-unknown-none-elf, ld.lld, llvm-objcopy) and then behave exactly like the
# prebuilt gcc images under QEMU: same serial output, same exit status. Keeps that path from
# rotting on x86-64 machines where it is not the default.
# Usage: bash rom_clang_build.sh <path-to-hvlab-binary> <source-dir>.
# Exit: 0 pass, 1 fail, 77 skip (clang, ld.lld, llvm-objcopy or QEMU missing).
set -u
src=${2:?usage: rom_clang_build.sh HVLAB SOURCE_DIR}

for tool in make clang ld.lld llvm-objcopy qemu-system-x86_64; do
    command -v "$tool" > /dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done

build=$(mktemp -d) || exit 1
trap 'rm -rf "$build"' EXIT
if ! make -s --no-print-directory -C "$src/roms" TOOLCHAIN=clang BUILD="$build" > "$build/log" 2>&1; then
    echo "FAIL: the clang build of the ROMs failed:"
    cat "$build/log"
    exit 1
fi

fail=0 roms=0
for image in "$build"/*.elf; do
    rom=$(basename "$image" .elf)
    [ -f "$src/roms/$rom/expected.txt" ] || continue
    roms=$((roms + 1))
    bash "$src/roms/tools/rom-check" --qemu --image "$image" "$rom" ||
        { echo "FAIL: clang-built $rom under QEMU"; fail=1; }
done
[ "$roms" -gt 0 ] || { echo "FAIL: the clang build produced no ROM with expectations"; fail=1; }
exit "$fail"
