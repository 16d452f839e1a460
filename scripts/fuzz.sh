#!/usr/bin/env bash
# Runs emu's coverage-guided fuzzers (cargo-fuzz, libFuzzer) with debug
# assertions and overflow checks on: scripts/fuzz.sh [TARGET|all] [SECONDS]
#
# Needs the nightly toolchain (cargo +nightly); installs cargo-fuzz from
# crates.io when it is missing. New corpus entries go to a scratch folder
# ($FUZZ_WORK, default /tmp/granule-fuzz), not into the checked-in seeds;
# a crash is written to emu/fuzz/artifacts/TARGET/, where `cargo test`
# replays it once it is fixed and committed. One target runs at a time, in
# one process (the machine's cores are shared).
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

targets=(fdt walker snapshot builder memmap tlb cpu)
target=${1:-all}
seconds=${2:-60}
case "$seconds" in
    '' | *[!0-9]*) die "SECONDS must be a whole number, not '$seconds'" ;;
esac
if [ "$target" = all ]; then
    selected=("${targets[@]}")
elif [[ " ${targets[*]} " == *" $target "* ]]; then
    selected=("$target")
else
    die "unknown target '$target' (one of: ${targets[*]}, all)"
fi

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "error: the nightly Rust toolchain is missing, and cargo-fuzz needs it." >&2
    echo "       install it with: rustup toolchain install nightly" >&2
    echo "       (without it, 'cargo test -p emu' still replays every checked-in" >&2
    echo "       corpus file and crash reproducer on stable)" >&2
    exit 2
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz from crates.io..." >&2
    cargo install cargo-fuzz >&2 || die "could not install cargo-fuzz"
fi

work=${FUZZ_WORK:-/tmp/granule-fuzz}
failed=()
cd emu/fuzz
for t in "${selected[@]}"; do
    mkdir -p "$work/$t" "artifacts/$t"
    dict=()
    [ -f "dict/$t.dict" ] && dict=(-dict="dict/$t.dict")
    echo "== fuzzing $t for ${seconds}s =="
    log="$work/$t.log"
    cargo +nightly fuzz run --release --debug-assertions "$t" "$work/$t" "corpus/$t" -- \
        -max_total_time="$seconds" -print_final_stats=1 -max_len=70000 \
        -artifact_prefix="artifacts/$t/" "${dict[@]}" 2>&1 | tee "$log" |
        grep -E "^(#[0-9]+ +DONE|==[0-9]+== ERROR|SUMMARY|artifact_prefix|Test unit written)"
    status=${PIPESTATUS[0]}
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    if [ "$status" = 0 ]; then
        echo "$t: ok, ${execs:-?} executions, ${rate:-?} exec/s (log: $log)"
    else
        echo "$t: FAILED (status $status), ${execs:-?} executions; reproducer in emu/fuzz/artifacts/$t/ (log: $log)"
        failed+=("$t")
    fi
done
[ ${#failed[@]} = 0 ] || die "fuzzing found problems in: ${failed[*]}"
