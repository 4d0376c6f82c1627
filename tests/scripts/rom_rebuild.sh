#!/usr/bin/env bash
# The prebuilt ROMs must be reproducible from source: rebuilding them with the toolchain they
# were built with (recorded in roms/prebuilt/TOOLCHAIN) gives byte-identical images. With any
# other toolchain (another gcc or binutils version, a non-x86-64 host) the test is skipped,
# since other compilers legitimately emit other bytes.
# Usage: bash rom_rebuild.sh <path-to-hvlab-binary> <source-dir>. Exit: 0 pass, 1 fail, 77 skip.
set -u
roms="${2:?usage: rom_rebuild.sh HVLAB SOURCE_DIR}/roms"

for tool in make gcc ld objcopy sha256sum; do
    command -v "$tool" > /dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done
if ! make -s --no-print-directory -C "$roms" toolchain-id | cmp -s - "$roms/prebuilt/TOOLCHAIN"; then
    echo "SKIP: this toolchain is not the one in roms/prebuilt/TOOLCHAIN:"
    make -s --no-print-directory -C "$roms" toolchain-id
    exit 77
fi

build=$(mktemp -d) || exit 1
trap 'rm -rf "$build"' EXIT
if ! make -s --no-print-directory -C "$roms" BUILD="$build" > "$build/log" 2>&1; then
    echo "FAIL: the ROM build failed:"
    cat "$build/log"
    exit 1
fi

fail=0 images=0
for image in "$roms"/prebuilt/*.elf; do
    name=$(basename "$image")
    images=$((images + 1))
    if cmp -s "$image" "$build/$name"; then
        echo "ok: $name rebuilds byte-identically"
    else
        echo "FAIL: $name differs from a fresh build (make -C roms prebuilt, then commit)"
        fail=1
    fi
done
[ "$images" -gt 0 ] || { echo "FAIL: no prebuilt images"; fail=1; }
exit "$fail"
