#!/usr/bin/env bash
# Granule's one test command: the host tests (cargo test), then the
# on-target suite under QEMU on every board and CPU model CI covers. Ends
# with one line summing everything: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_rust_target
ensure_qemu
log_dir=build/test-logs
mkdir -p "$log_dir"

total_passed=0 total_failed=0 total_skipped=0
summaries=()

record() { # name passed failed skipped
    total_passed=$((total_passed + $2))
    total_failed=$((total_failed + $3))
    total_skipped=$((total_skipped + $4))
    summaries+=("$(printf '%-34s %4d passed, %d failed, %d skipped' "$1" "$2" "$3" "$4")")
}

echo "== host tests (cargo test) =="
if cargo test --workspace 2>&1 | tee "$log_dir/host.log"; then host_ok=1; else host_ok=0; fi
read -r passed failed ignored < <(awk '/^test result:/ {
        for (i = 1; i <= NF; i++) {
            if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i
        } } END { print p+0, f+0, s+0 }' "$log_dir/host.log")
[ "$host_ok" = 1 ] || [ "$failed" -gt 0 ] || failed=1   # a build failure counts
record "host: cargo test" "$passed" "$failed" "$ignored"

echo "== building the kernel =="
scripts/build.sh virt && scripts/build.sh raspi3b || { record "kernel build" 0 1 0; }
source scripts/checks.sh && run_checks

# On-target suite: name | QEMU arguments.
configs=(
    "virt -cpu max|-M virt -cpu max -m 512M -kernel build/virt/Image"
    "virt -cpu cortex-a72|-M virt -cpu cortex-a72 -m 512M -kernel build/virt/Image"
    "virt,virtualization=on -cpu max|-M virt,virtualization=on -cpu max -m 512M -kernel build/virt/Image"
    "raspi3b|-M raspi3b -kernel build/raspi3b/kernel8.img"
    "virt,secure=on at EL3 (ELF)|-M virt,secure=on,virtualization=on -cpu max -m 512M -kernel build/virt/granule.elf"
)
for config in "${configs[@]}"; do
    name=${config%%|*}
    read -ra qemu_args <<<"${config#*|}"
    log="$log_dir/$(echo "$name" | tr -c 'a-zA-Z0-9\n' '_').log"
    echo "== on-target: $name =="
    timeout 600 qemu-system-aarch64 -nographic -semihosting "${qemu_args[@]}" \
        -append "cmds=test; poweroff" </dev/null >"$log" 2>&1
    status=$?
    cat "$log"
    line=$(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "no summary line from the kernel (QEMU exit status $status)"
        record "target: $name" 0 1 0
        continue
    fi
    read -r passed failed skipped < <(echo "$line" | awk '{ print $1, $3, $5+0 }')
    if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
        echo "QEMU exited with status $status although no test failed"
        failed=1
    fi
    record "target: $name" "$passed" "$failed" "$skipped"
done

echo "== guests: built-in guests on QEMU, granule-run and Granule (scripts/check-guests.sh) =="
read -r p f < <(scripts/check-guests.sh 2>&1 | tee "$log_dir/guests.log" | awk '/^guest checks:/ { print $3, $5 }'); record "guests: transcripts vs QEMU" "${p:-0}" "${f:-1}" 0

echo
echo "== summary =="
printf '%s\n' "${summaries[@]}"
echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
[ "$total_failed" -eq 0 ]
