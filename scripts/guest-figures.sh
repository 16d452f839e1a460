#!/usr/bin/env bash
# Figures for the guest CPU: guest MIPS of granule-run against
# qemu-system-aarch64 -M virt -cpu max on the same images (bench-int: an
# integer loop; bench-mem: loads and stores), as each guest measures itself
# with its own counter; on the board (Granule under QEMU) the emulated and
# native speed of the integer loop; and the time from starting QEMU to the
# guest's first line. Usage: scripts/guest-figures.sh [ROUNDS] (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
rounds=${1:-3}
ensure_qemu
guests/build.sh >/dev/null
cargo build -q --release -p emu --features std --bin granule-run
out=build/figures
mkdir -p "$out"

mips() { awk '/^time: / { print $(NF-1) }' "$1"; }
best() { sort -n | tail -1; }

echo "guest       qemu-system-aarch64 MIPS   granule-run MIPS   ratio (qemu/granule-run)"
for g in bench-int bench-mem; do
    q=$(for _ in $(seq "$rounds"); do
        timeout 60 qemu-system-aarch64 -M virt -cpu max -nographic -semihosting \
            -kernel "build/guests/$g.bin" </dev/null >"$out/$g.qemu" 2>/dev/null
        mips "$out/$g.qemu"
    done | best)
    r=$(for _ in $(seq "$rounds"); do
        timeout 120 target/release/granule-run "build/guests/$g.bin" </dev/null >"$out/$g.run"
        mips "$out/$g.run"
    done | best)
    printf '%-11s %26s %18s %12s\n' "$g" "$q" "$r" "$(awk -v a="$q" -v b="$r" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }')"
done

# On the board: `run bench-int native` times the same loop natively too.
image=$(scripts/build.sh virt)
log=$out/board-bench-int.log
timeout 300 qemu-system-aarch64 -M virt -cpu max -m 512M -nographic -semihosting -kernel "$image" \
    -append "cmds=run bench-int native" </dev/null >"$log" 2>&1 || true
echo
echo "on the board (virt -cpu max under QEMU):"
grep -a -E '^(guest\| time:|native:|guest run: exit)' "$log" | tr -d '\r'

# Boot to the guest's first line: wall clock from starting QEMU.
start=$(date +%s%N)
first=""
while IFS= read -r line; do
    case "$line" in
        "guest| "*) first=$(date +%s%N); break ;;
    esac
done < <(timeout 120 qemu-system-aarch64 -M virt -cpu max -m 512M -nographic -semihosting \
    -kernel "$image" -initrd build/guests/boot.bin -append "cmds=run" </dev/null 2>&1)
echo
if [ -n "$first" ]; then
    echo "boot to first guest line (QEMU start to 'guest| ...', wall clock): $(( (first - start) / 1000000 )) ms"
else
    echo "boot to first guest line: no guest line seen"
fi
