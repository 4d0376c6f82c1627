#!/usr/bin/env bash
# Full virtualization, checked: guest-full's console output is byte-identical on bare hvlab
# and inside the teaching hypervisor (its "[full] " lines with the prefix removed), both runs
# end as expected, and guest-pv, running next to it, finds the hypervisor through CPUID, sees
# no VMX, and finishes through its shutdown hypercall.
# Usage: bash hypervisor_guest_full.sh <hvlab> <source-dir>. Exit 77 if hvlab has no VT-x.
set -u
hvlab=${1:?usage: hypervisor_guest_full.sh HVLAB SOURCE_DIR}
src=${2:?usage: hypervisor_guest_full.sh HVLAB SOURCE_DIR}
cd "$src" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

"$hvlab" run roms/prebuilt/guest-full.elf --max-insns 50000000 >"$tmp/bare" 2>"$tmp/bare.err"
status=$?
[ "$status" -eq 43 ] || { echo "FAIL: guest-full on bare hvlab: exit status $status, expected 43"; fail=1; }

mapfile -t args < <(scripts/rom-run-args hypervisor)
"$hvlab" run roms/prebuilt/hypervisor.elf "${args[@]}" --max-insns 500000000 >"$tmp/hv" 2>"$tmp/hv.err"
status=$?
if grep -q "^hv: no VMX" "$tmp/hv"; then
    echo "SKIP: this hvlab does not advertise VMX"
    exit 77
fi
[ "$status" -eq 33 ] || { echo "FAIL: hypervisor scenario: exit status $status, expected 33"; fail=1; }

sed -n 's/^\[full\] //p' "$tmp/hv" >"$tmp/full"
if ! cmp -s "$tmp/bare" "$tmp/full"; then
    echo "FAIL: guest-full's output under the hypervisor differs from bare hvlab:"
    diff -u --label bare --label hypervisor "$tmp/bare" "$tmp/full" | head -40
    fail=1
fi
grep -qx "hv: guest full stopped: finished: debug-exit 0x15 (status 43)" "$tmp/hv" ||
    { echo "FAIL: guest full did not finish through debug-exit 0x15"; fail=1; }
grep -qx "hv: guest pv stopped: finished: shutdown hypercall, status 22" "$tmp/hv" ||
    { echo "FAIL: guest pv did not finish through its shutdown hypercall"; fail=1; }
grep -q '^\[pv\] guest-pv: hypervisor "hvlabTeachHV" found' "$tmp/hv" ||
    { echo "FAIL: guest pv did not find the hypervisor through CPUID"; fail=1; }
# VMX is hidden from guests: CPUID, CR4 and the VMX MSRs and instructions look like no VMX;
# a TSC write becomes that guest's TSC offset.
for line in "CPUID.01H:ECX.VMX = 0, CR4.VMXE = 0" "RDMSR IA32_VMX_BASIC -> #GP" \
    "MOV CR4 with VMXE set -> #GP" "VMXON -> #UD" \
    "WRMSR IA32_TSC = 2^40, then RDTSC and HC_TIME are 2^40 + a little"; do
    grep -qxF "[pv] guest-pv: $line" "$tmp/hv" || { echo "FAIL: guest pv did not see: $line"; fail=1; }
done
if [ "$fail" -ne 0 ]; then
    echo "--- hypervisor run:"
    tail -40 "$tmp/hv"
    tail -5 "$tmp/hv.err"
fi
[ "$fail" -eq 0 ] && echo "ok: guest-full: $(wc -l <"$tmp/bare") lines identical bare and virtualized"
exit "$fail"
