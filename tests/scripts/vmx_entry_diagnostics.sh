#!/usr/bin/env bash
# Every VM-entry failure names its check (issue #5): roms/vmx-entry breaks one VMCS rule per
# case and prints the id of the check it provoked ("ok entry/<check_id>" or "FAIL
# entry/<check_id>: ..."); `hvlab run` prints one diagnostic line per VM-entry failure on
# stderr. Each id must appear in those lines, in the ROM's order, once per case.
# Usage: bash vmx_entry_diagnostics.sh <path-to-hvlab-binary> <source-dir>. Exit 77: no hvlab.
set -u
hvlab=${1:?usage: vmx_entry_diagnostics.sh HVLAB SOURCE_DIR}
src=${2:?usage: vmx_entry_diagnostics.sh HVLAB SOURCE_DIR}
[ -x "$hvlab" ] || { echo "SKIP: $hvlab does not exist"; exit 77; }
image=$src/roms/prebuilt/vmx-entry.elf
[ -f "$image" ] || { echo "FAIL: $image is missing"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
timeout 120 "$hvlab" run "$image" -m 256 < /dev/null > "$tmp/out" 2> "$tmp/err"
# The ids the ROM provoked, in order (its last case, valid_vmcs_enters, is not a failure). A
# case named <check>__<what> provokes <check> a second way.
sed -n 's/^\(ok\|FAIL\) entry\/\([a-z0-9_]*\).*/\2/p' "$tmp/out" | grep -vx valid_vmcs_enters |
    sed 's/__.*//' > "$tmp/ids"
count=$(wc -l < "$tmp/ids")
if [ "$count" -lt 60 ]; then
    echo "FAIL: vmx-entry reported $count entry-check cases, at least 60 expected"
    sed 's/^/    /' "$tmp/out" | tail -n 5
    exit 1
fi
# Each provoked check appears in a stderr line; the lines that name a check come in the
# ROM's order.
fail=0
while read -r id; do
    grep -qw -- "$id" "$tmp/err" || { echo "FAIL: no stderr diagnostic names $id"; fail=1; }
done < "$tmp/ids"
grep -ow -f "$tmp/ids" "$tmp/err" > "$tmp/named"
if ! cmp -s "$tmp/ids" "$tmp/named"; then
    echo "FAIL: the diagnostics do not name the checks one per case in the ROM's order:"
    diff "$tmp/ids" "$tmp/named" | head -n 20 | sed 's/^/    /'
    fail=1
fi
# Issue #5, "Must show": a hypervisor that forgets a mandatory setting gets a line that names
# the check and the offending field value. The ROM's <check>__<what> cases are those settings.
while IFS='|' read -r id value; do
    grep -q -- "$id.*$value" "$tmp/err" ||
        { echo "FAIL: no diagnostic names $id with the field value $value"; fail=1; }
done << 'SETTINGS'
host_cr4_respects_fixed_bits|HOST_CR4=0x
guest_activity_state_supported|GUEST_ACTIVITY_STATE=0x3
pin_based_controls_respect_capability|PIN_BASED_VM_EXEC_CONTROL=0x14
guest_tr_type_busy_64bit_tss_in_ia32e|access_rights=0x89
SETTINGS
[ "$fail" = 0 ] && echo "ok: $count VM-entry failures, each diagnostic names its check"
exit "$fail"
