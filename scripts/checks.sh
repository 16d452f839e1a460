# Scripted checks of what a user meets first: run.sh's option checks, a
# batch run and an interactive console dialogue (escape sequences, history,
# `;`, argument rules, messages). Sourced by test.sh after the kernel is
# built (it uses test.sh's `record` and $log_dir); four QEMU boots, a few
# seconds each. Run alone: `bash scripts/checks.sh`.

checks_passed=0 checks_failed=0

# pass_if NAME CONDITION...: counts one check.
pass_if() {
    local name=$1
    shift
    if "$@"; then
        checks_passed=$((checks_passed + 1))
    else
        checks_failed=$((checks_failed + 1))
        echo "check FAILED: $name"
    fi
}

# has FILE TEXT: FILE contains the fixed string TEXT.
has() { grep -aqF -- "$2" "$1"; }
lacks() { ! grep -aqF -- "$2" "$1"; }
lacks_re() { ! grep -aqE -- "$2" "$1"; }

# refused MESSAGE RUN.SH-OPTIONS...: run.sh refuses the options with
# MESSAGE and a non-zero status, before building anything (a `cargo` on
# PATH that records being called stands in for the real one).
refused() {
    local message=$1
    shift
    local shim out status
    shim=$(mktemp -d)
    printf '#!/bin/sh\ntouch "%s/built"\nexit 1\n' "$shim" >"$shim/cargo"
    chmod +x "$shim/cargo"
    out=$(PATH="$shim:$PATH" timeout 20 scripts/run.sh "$@" 2>&1 </dev/null)
    status=$?
    local ok=1
    [ "$status" -ne 0 ] || ok=0
    [ ! -e "$shim/built" ] || ok=0
    [[ "$out" == *"$message"* ]] || ok=0
    rm -rf "$shim"
    if [ "$ok" = 0 ]; then
        echo "  run.sh $*: status $status, output: $(echo "$out" | tail -n 1)"
        return 1
    fi
}

check_run_options() {
    local guest_file
    guest_file=$(mktemp)
    printf 'not really a guest' >"$guest_file"
    pass_if 'run.sh --batch ""' refused "error: --batch needs commands" --batch ""
    pass_if "run.sh --memory 1x" refused "error: --memory must be a size" --memory 1x
    pass_if "run.sh --timeout abc" refused "error: --timeout must be" --timeout abc
    pass_if "run.sh --memory on raspi3b" refused "error: --memory: raspi3b has fixed RAM" \
        --board raspi3b --memory 512M
    pass_if "run.sh --guest DIR" refused "is a directory" --guest /
    pass_if "run.sh --board raspi" refused "error: unknown board 'raspi': use virt, raspi3b or raspi4b" \
        --board raspi
    pass_if "run.sh --board pi5" refused "error: unknown board 'pi5': use virt, raspi3b or raspi4b" \
        --board pi5
    pass_if "run.sh --el2 on raspi3b" refused "error: --el2: raspi3b" --board raspi3b --el2
    rm -f "$guest_file"
}

# A batch run on a CPU without 16K: the boot option is refused with the
# shell's words and the run fails, naming every failed command.
check_batch() {
    local log=$log_dir/check-batch.log status
    local commands="granule 16k; help walk; poweroff now; help me; info x"
    commands+="; walk 0x40200000 r w; walk 0x40200000 el0 el1; walk 0x40200000 EL0 W"
    commands+="; walk 0x40200000 el0 w; walk 0x40200000 X; test --list; test walker::stage1"
    commands+="; test walker::stage1::vs_at_64k seed=3"
    commands+="; test mmu::switch_16k; test nothing; gran"$'\xc3\xbc'"le; tlb ALL"
    timeout 120 scripts/run.sh --cpu cortex-a72 --host-granule 16k --timeout 100 \
        --batch "$commands" >"$log" 2>&1
    status=$?
    local refusal
    refusal=$(grep -a '^granule: ' "$log" | head -n 1 | sed 's/^granule: //')
    pass_if "batch: failures give a non-zero status" test "$status" -ne 0
    pass_if "batch: --host-granule refused with granule's message" \
        has "$log" "host-granule=16k: ${refusal:-<no refusal from granule 16k>}"
    pass_if "batch: help CMD" has "$log" "  walk VA in the current tables"
    pass_if "batch: poweroff now refused" has "$log" 'poweroff: unexpected argument "now"'
    pass_if "batch: help me refused" has "$log" 'help: "me" is not a command'
    pass_if "batch: info x refused" has "$log" 'info: unexpected argument "x"'
    pass_if "batch: walk r w conflict" has "$log" 'walk: "r" and "w" conflict'
    pass_if "batch: walk el0 el1 conflict" has "$log" 'walk: "el0" and "el1" conflict'
    pass_if "batch: keywords in any case" has "$log" "walk 0x40200000: EL0 write"
    pass_if "batch: keywords in any case (tlb ALL)" has "$log" "tlb: page size 64K"
    pass_if "batch: ARM ARM words" has "$log" "walker:   stage 1 permission fault, level"
    pass_if "batch: no Rust type names" lacks "$log" "Stage1"
    pass_if "batch: no Rust type names (2)" lacks "$log" "El0 Write"
    pass_if "batch: walk VA x has a verdict" has "$log" "verdict:  walker and hardware agree on the read"
    pass_if "batch: test --list" grep -aqE '^walker::stage12::vs_at_4k.?$' "$log"
    pass_if "batch: the filter is a path prefix" lacks "$log" "test walker::stage12"
    pass_if "batch: seed=N replays" has "$log" "  seed 0x3"
    pass_if "batch: an exact name runs one test" \
        grep -aqzP 'seed 0x3[^\n]*\n[^\n]*\ntest walker::stage1::vs_at_64k \.\.\. ok[^\n]*\n1 passed' "$log"
    pass_if "batch: a refused switch is skipped with its reason" \
        has "$log" "test mmu::switch_16k ... skipped: refused as it must be: the CPU does not support the 16k granule"
    pass_if "batch: no match before the summary" \
        grep -aqzP 'no test matches "nothing"[^\n]*\n0 passed, 0 failed, 0 skipped' "$log"
    pass_if "batch: non-ASCII refused" has "$log" "non-ASCII input ignored: commands are ASCII"
    pass_if "batch: TLBI timed in ns with decimals" \
        grep -aqE 'TLBI VA on the block: [0-9]+\.[0-9]{2} ns' "$log"
    pass_if "batch: TLBI never 0 ns" lacks_re "$log" 'TLBI VA on the block: (0(\.00)? ns|below)'
    pass_if "batch: the closing line names the failures" has "$log" \
        'batch: 9 command(s) failed: `host-granule=16k`, `granule 16k`, `poweroff now`, `help me`, `info x`, `walk 0x40200000 r w`, `walk 0x40200000 el0 el1`, `test nothing`, `gran?le`'
    [ "$checks_failed" = 0 ] || echo "  (log: $log)"
}

# The boot option alone: a refused --host-granule fails an otherwise good
# batch run, and the closing line says so.
check_boot_refusal() {
    local log=$log_dir/check-boot-refusal.log status
    timeout 60 scripts/run.sh --cpu cortex-a72 --host-granule 16k --timeout 50 \
        --batch "info" >"$log" 2>&1
    status=$?
    pass_if "boot: a refused host granule fails the run" test "$status" -ne 0
    pass_if "boot: the closing line names it" has "$log" 'batch: 1 command(s) failed: `host-granule=16k`'
}

# Types at the interactive shell through QEMU's stdin, waiting for the
# prompt first (input sent before the kernel sets up its UART is lost).
check_console() {
    local log=$log_dir/check-console.log fifo status
    fifo=$(mktemp -u)
    mkfifo "$fifo"
    timeout 60 scripts/run.sh --timeout 50 <"$fifo" >"$log" 2>&1 &
    local pid=$!
    exec {feed}>"$fifo"
    local waited=0
    until has "$log" "granule> " || [ "$waited" -ge 400 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    # F1 inside a word (ESC O P); Right in application cursor mode (ESC O C);
    # Esc then Enter; Up twice (ESC [ A, ESC O A) to `help walk`; `;` in a
    # typed line; then Up past the oldest line, Down, Up, and an edit of the
    # recalled `granule 64k` to `granule 4k`.
    printf 'gran\eOPule 64k\r' >&"$feed"
    printf '\eOChelp walk\r' >&"$feed"
    printf 'info\e\r' >&"$feed"
    printf '\e[A\eOA\r' >&"$feed"
    printf 'help tlb; help test\r' >&"$feed"
    printf '\e[A\e[A\e[A\e[A\e[A\e[A\e[B\e[A\x7f\x7f\x7f4k\r' >&"$feed"
    printf 'poweroff\r' >&"$feed"
    wait "$pid"
    status=$?
    exec {feed}>&-
    rm -f "$fifo"
    pass_if "console: F1 (ESC O P) does not leak" has "$log" "host granule 64k"
    pass_if "console: ESC O C does not leak" lacks "$log" 'unknown command "Chelp"'
    pass_if "console: Esc then Enter ends the line" has "$log" "board        QEMU virt"
    pass_if "console: Up recalls history" test "$(grep -ac 'usage: walk VA' "$log")" -eq 2
    pass_if "console: ; separates commands" has "$log" "usage: tlb [1k|4k|16k|64k|all]"
    pass_if "console: ; separates commands (2)" has "$log" "usage: test [--list]"
    pass_if "console: Up and Down then edit" has "$log" "host granule 4k"
    pass_if "console: poweroff exits 0" test "$status" -eq 0
    [ "$checks_failed" = 0 ] || echo "  (log: $log)"
}

run_checks() {
    echo "== scripted checks: run.sh options, a batch run, a console dialogue =="
    checks_passed=0 checks_failed=0
    check_run_options
    check_boot_refusal
    check_batch
    check_console
    echo "$checks_passed checks passed, $checks_failed failed"
    record "checks: scripts and shell" "$checks_passed" "$checks_failed" 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -uo pipefail
    cd "$(dirname "$0")/.."
    log_dir=build/test-logs
    mkdir -p "$log_dir"
    record() { :; }
    run_checks
    [ "$checks_failed" = 0 ]
fi
