#!/usr/bin/env bash
# The prebuilt ROM images are what every test and golden trace boots, on hosts with no cross
# toolchain: each file in roms/prebuilt must match roms/prebuilt/SHA256SUMS, and the manifest
# must list every file there (every .elf in particular).
# Usage: bash rom_manifest.sh <path-to-hvlab-binary> <source-dir>. Exit: 0 pass, 1 fail.
set -u
dir="${2:?usage: rom_manifest.sh HVLAB SOURCE_DIR}/roms/prebuilt"
cd "$dir" || { echo "FAIL: no $dir"; exit 1; }
[ -f SHA256SUMS ] || { echo "FAIL: $dir/SHA256SUMS is missing"; exit 1; }

fail=0
if ! sha256sum --check --strict --quiet SHA256SUMS; then
    echo "FAIL: a file in $dir does not match SHA256SUMS (rebuild with: make -C roms prebuilt)"
    fail=1
fi

listed=$(awk '{ sub(/^\*/, "", $2); print $2 }' SHA256SUMS)
elfs=0
for f in *; do
    [ "$f" = SHA256SUMS ] && continue
    [[ "$f" == *.elf ]] && elfs=$((elfs + 1))
    if ! grep -qxF -- "$f" <<< "$listed"; then
        echo "FAIL: $dir/$f is not listed in SHA256SUMS"
        fail=1
    fi
done
[ "$elfs" -gt 0 ] || { echo "FAIL: no .elf images in $dir"; fail=1; }

[ "$fail" = 0 ] && echo "ok: $(wc -l < SHA256SUMS) files in $dir match SHA256SUMS ($elfs images)"
exit "$fail"
