#!/usr/bin/env bash
# Isolation: under the teaching hypervisor, a guest that writes outside its memory (an EPT
# violation) and a guest that triple-faults are each stopped with a report, while guest-full
# runs to completion with its whole output. The hypervisor then ends with status 35 ("a guest
# had to be stopped").
# Usage: bash hypervisor_isolation.sh <hvlab> <source-dir>. Exit 77 if hvlab has no VT-x.
set -u
hvlab=${1:?usage: hypervisor_isolation.sh HVLAB SOURCE_DIR}
src=${2:?usage: hypervisor_isolation.sh HVLAB SOURCE_DIR}
cd "$src" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# The scenario's modules (full, wild: fault=write, triple: fault=triple) are the golden-trace
# scenario roms/hypervisor/scenario-isolation (scripts/golden).
mapfile -t args < <(while IFS= read -r l; do [ -n "$l" ] && printf '%s\n' --module "$l"; done \
    <roms/hypervisor/scenario-isolation)
"$hvlab" run roms/prebuilt/hypervisor.elf "${args[@]}" --max-insns 500000000 >"$tmp/hv" 2>"$tmp/hv.err"
status=$?
if grep -q "^hv: no VMX" "$tmp/hv"; then
    echo "SKIP: this hvlab does not advertise VMX"
    exit 77
fi
expect() {
    grep -q "$1" "$tmp/hv" || { echo "FAIL: no line matching: $1"; fail=1; }
}
[ "$status" -eq 35 ] || { echo "FAIL: exit status $status, expected 35"; fail=1; }
expect '^hv: guest wild stopped: EPT violation: write of guest-physical 0x30000000 at RIP 0x[0-9a-f]*, outside its 4096 KiB$'
expect '^hv: guest triple stopped: triple fault at RIP 0x'
expect '^hv: guest full stopped: finished: debug-exit 0x15 (status 43)$'
expect '^\[full\] guest-full: done$'
grep -q '^\[wild\] guest-bad: the write did not stop me' "$tmp/hv" &&
    { echo "FAIL: guest wild kept running after its wild write"; fail=1; }
grep -q '^\[triple\] guest-bad: still running' "$tmp/hv" &&
    { echo "FAIL: guest triple kept running after its triple fault"; fail=1; }
# The wild guest is stopped before guest-full is done: they really ran side by side.
wild=$(grep -n '^hv: guest wild stopped' "$tmp/hv" | cut -d: -f1)
done_line=$(grep -n '^\[full\] guest-full: done' "$tmp/hv" | cut -d: -f1)
[ -n "$wild" ] && [ -n "$done_line" ] && [ "$wild" -lt "$done_line" ] ||
    { echo "FAIL: the wild guest was not stopped while guest-full was still running"; fail=1; }
if [ "$fail" -ne 0 ]; then
    echo "--- hypervisor run:"
    tail -40 "$tmp/hv"
    tail -5 "$tmp/hv.err"
fi
[ "$fail" -eq 0 ] && echo "ok: both bad guests stopped with a report, guest-full finished"
exit "$fail"
