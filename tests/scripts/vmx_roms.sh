#!/usr/bin/env bash
# The VMX conformance ROMs (roms/vmx-*) under `hvlab run`: each must print exactly its
# expected.txt (one "ok <group>/<case>" line per case, expectations from the Intel SDM) and
# exit with its expected-status. QEMU cannot run them (TCG has no VMX: roms/vmx-*/qemu-skip),
# so unlike qemu_roms.sh this needs no QEMU. vmx-abort has no cases: its run must end in the
# shutdown of a VMX abort (exit status 4). The per-ROM work is roms/tools/rom-check.
# Usage: bash vmx_roms.sh <path-to-hvlab-binary> <source-dir>. Exit: 0 pass, 1 fail, 77 no hvlab.
set -u
hvlab=${1:?usage: vmx_roms.sh HVLAB SOURCE_DIR}
src=${2:?usage: vmx_roms.sh HVLAB SOURCE_DIR}
[ -x "$hvlab" ] || { echo "SKIP: $hvlab does not exist"; exit 77; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
fail=0 roms=0
for image in "$src"/roms/prebuilt/vmx-*.elf; do
    rom=$(basename "$image" .elf)
    [ -f "$src/roms/$rom/expected.txt" ] || continue
    roms=$((roms + 1))
    # hvlab's stderr (one line per VM-entry failure) is shown only when the ROM fails.
    if bash "$src/roms/tools/rom-check" --hvlab "$hvlab" "$rom" 2> "$tmp"; then
        echo "ok:   $rom ($(grep -c '^ok ' "$src/roms/$rom/expected.txt") cases)"
    else
        tail -n 5 "$tmp"
        echo "FAIL: $rom"
        fail=1
    fi
done
[ "$roms" -eq 5 ] || { echo "FAIL: expected the 5 vmx-* ROMs with expectations, found $roms"; fail=1; }
exit "$fail"
