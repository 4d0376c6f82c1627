#!/usr/bin/env bash
# Boots every prebuilt ROM that has expectations (roms/<rom>/expected.txt and
# expected-status) under qemu-system-x86_64 -kernel, the reference, and then under
# `hvlab run` when that works; each side must print exactly expected.txt on the serial port and
# exit with the expected status. The per-ROM work is roms/tools/rom-check.
# Exceptions (where QEMU 7.2's TCG departs from the SDM; expected.txt keeps the SDM's line):
# roms/<rom>/qemu-differs lists the cases QEMU's output may differ on, each with its reason,
# and roms/<rom>/qemu-skip marks a ROM QEMU cannot run at all (e.g. TCG has no PCID);
# roms/<rom>/qemu-cpu adds the -cpu features (SMEP, SMAP, 1 GiB pages) that qemu64 lacks.
# Usage: bash qemu_roms.sh <path-to-hvlab-binary> <source-dir>.
# Exit: 0 pass, 1 fail (the lines starting with FAIL say which side), 77 QEMU not installed.
set -u
hvlab=${1:?usage: qemu_roms.sh HVLAB SOURCE_DIR}
src=${2:?usage: qemu_roms.sh HVLAB SOURCE_DIR}
check=$src/roms/tools/rom-check

if ! command -v qemu-system-x86_64 > /dev/null; then
    echo "SKIP: qemu-system-x86_64 is not installed"
    exit 77
fi

# The hvlab side runs only if the binary exists and has a `run` command.
hvlab_ok=0
if [ -x "$hvlab" ] && "$hvlab" run --help > /dev/null 2>&1; then
    hvlab_ok=1
else
    echo "note: $hvlab run is not available; checking the QEMU side only"
fi

fail=0 roms=0
for image in "$src"/roms/prebuilt/*.elf; do
    rom=$(basename "$image" .elf)
    [ -f "$src/roms/$rom/expected.txt" ] || continue
    roms=$((roms + 1))
    bash "$check" --qemu "$rom" || { echo "FAIL: qemu side, ROM $rom"; fail=1; }
    if [ "$hvlab_ok" = 1 ]; then
        bash "$check" --hvlab "$hvlab" "$rom" || { echo "FAIL: hvlab side, ROM $rom"; fail=1; }
    fi
done
[ "$roms" -gt 0 ] || { echo "FAIL: no ROM with expectations under $src/roms"; fail=1; }
exit "$fail"
