#!/usr/bin/env bash
# The built-in guests, each run three ways and compared with QEMU line for
# line: directly under qemu-system-aarch64 -M virt -cpu max (the oracle), on
# the host runner granule-run (every page size), and on Granule itself under
# every host granule (virt -cpu max and raspi3b). Lines starting with
# "time:" are measurements and are not compared. Also: the guest device
# tree through dtc, and `tlb` with 8 MiB of RAM (issue 7 defect 5).
# Ends with "guest checks: N passed, N failed"; logs in build/test-logs/guests/.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_qemu
ensure_command dtc device-tree-compiler
logs=build/test-logs/guests
rm -rf "$logs"
mkdir -p "$logs"
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
transcript() { grep -av '^time:' "$1" | tr -d '\r'; }

guests/build.sh >/dev/null || { fail "guests/build.sh"; echo "guest checks: $passed passed, $failed failed"; exit 1; }
cargo build -q --release -p emu --features std --bin granule-run || fail "building granule-run"
runner=target/release/granule-run
names=$(cd guests && ls ./*.c | sed 's|^\./||; s|\.c$||')

for g in $names; do
    image=build/guests/$g.bin
    timeout 60 qemu-system-aarch64 -M virt -cpu max -nographic -semihosting -kernel "$image" \
        </dev/null >"$logs/$g.qemu" 2>"$logs/$g.qemu.err"
    echo $? >"$logs/$g.qemu.status"
    for p in 4k 16k 64k; do
        timeout 60 "$runner" --page-size "$p" "$image" </dev/null >"$logs/$g.run-$p" 2>"$logs/$g.run-$p.err"
        status=$?
        diff <(transcript "$logs/$g.qemu") <(transcript "$logs/$g.run-$p") >"$logs/$g.run-$p.diff"
        same=$?
        if [ "$status" = "$(cat "$logs/$g.qemu.status")" ] && [ "$same" = 0 ]; then
            pass "granule-run --page-size $p $g"
        else
            fail "granule-run --page-size $p $g (status $status, QEMU $(cat "$logs/$g.qemu.status")): $(head -c 300 "$logs/$g.run-$p.diff" | head -3)"
        fi
    done
done

# The same guests as ELF files (loaded by program headers, entered with
# x0 = 0 as QEMU enters them), on the runner and, for boot, on the board.
for g in $names; do
    timeout 60 qemu-system-aarch64 -M virt -cpu max -nographic -semihosting -kernel "build/guests/$g.elf" \
        </dev/null >"$logs/$g.elf.qemu" 2>/dev/null
    qs=$?
    timeout 60 "$runner" "build/guests/$g.elf" </dev/null >"$logs/$g.elf.run" 2>"$logs/$g.elf.run.err"
    rs=$?
    if [ "$qs" = "$rs" ] && diff <(transcript "$logs/$g.elf.qemu") <(transcript "$logs/$g.elf.run") >"$logs/$g.elf.diff"; then
        pass "granule-run $g.elf"
    else
        fail "granule-run $g.elf (status $rs, QEMU $qs): $(head -3 "$logs/$g.elf.diff" | tr '\n' ' ')"
    fi
done

# On Granule: one boot per board runs every built-in guest (but the
# benchmarks, measured by scripts/guest-figures.sh) under every host
# granule; each run's guest| lines are cut out and compared with QEMU's.
scripts/build.sh virt >/dev/null && scripts/build.sh raspi3b >/dev/null || fail "kernel build"
for board in virt raspi3b; do
    case $board in
        virt) qemu=(-M virt -cpu max -m 512M -kernel build/virt/Image) ;;
        raspi3b) qemu=(-M raspi3b -kernel build/raspi3b/kernel8.img) ;;
    esac
    log=$logs/board-$board.log
    timeout 900 qemu-system-aarch64 -nographic -semihosting "${qemu[@]}" \
        -append "cmds=run all host-granule=all" </dev/null >"$log" 2>&1
    echo "board $board: QEMU exit status $?"
    awk -v dir="$logs" -v board="$board" '
        { sub(/\r$/, "") }
        /^guest run: host-granule=/ { g = $3; sub("host-granule=", "", g); n = $5; gsub("[()]", "", n);
                                      out = dir "/" n ".board-" board "-" g; printf "" > out; next }
        /^guest run: / { out = ""; next }
        out != "" && /^guest\| / { sub(/^guest\| /, ""); print >> out }' "$log"
    runs=$(grep -c '^guest run: host-granule=' "$log")
    [ "$runs" -gt 0 ] || fail "$board: no guest runs (see $log)"
    for t in "$logs"/*.board-"$board"-*; do
        [ -e "$t" ] || continue
        g=$(basename "$t" | sed 's/\.board-.*//')
        gran=${t##*-}
        if diff <(transcript "$logs/$g.qemu") <(transcript "$t") >"$t.diff"; then
            pass "$board host-granule=$gran $g"
        else
            fail "$board host-granule=$gran $g: $(head -3 "$t.diff" | tr '\n' ' ')"
        fi
    done
    summary=$(grep -a '^guest runs:' "$log" | tr -d '\r')
    if [[ "$summary" == *" 0 failed" ]]; then
        pass "$board: every guest run passed"
    else
        fail "$board: ${summary:-no summary line}"
    fi
done

# An ELF image through the initrd on the board.
timeout 120 qemu-system-aarch64 -M virt -cpu max -m 512M -nographic -semihosting -kernel build/virt/Image \
    -initrd build/guests/boot.elf -append "cmds=run" </dev/null >"$logs/boot.elf.board" 2>&1
if diff <(transcript "$logs/boot.elf.qemu") \
    <(tr -d '\r' <"$logs/boot.elf.board" | sed -n 's/^guest| //p') >"$logs/boot.elf.board.diff"; then
    pass "virt: boot.elf as the initrd, as under QEMU"
else
    fail "virt: boot.elf as the initrd: $(head -3 "$logs/boot.elf.board.diff" | tr '\n' ' ')"
fi

# Console input: the guest's UART reads the runner's stdin, as QEMU's reads
# its own; on the board, the board's UART in the interactive shell.
printf 'hello granule\n' | timeout 60 qemu-system-aarch64 -M virt -cpu max -nographic -semihosting \
    -kernel build/guests/console.bin >"$logs/console-input.qemu" 2>/dev/null
printf 'hello granule\n' | timeout 60 "$runner" build/guests/console.bin >"$logs/console-input.run" 2>&1
if grep -q "read 'hello granule'" "$logs/console-input.qemu" &&
    diff "$logs/console-input.qemu" "$logs/console-input.run" >/dev/null; then
    pass "granule-run: UART input from stdin, as under QEMU"
else
    fail "granule-run: UART input from stdin (see $logs/console-input.*)"
fi
(sleep 3; printf 'run console\r'; sleep 1; printf 'hello board\r'; sleep 4; printf 'poweroff\r') |
    timeout 60 qemu-system-aarch64 -M virt -cpu max -m 512M -nographic -semihosting \
        -kernel build/virt/Image >"$logs/console-input.board" 2>&1
if tr -d '\r' <"$logs/console-input.board" | grep -q "^guest| console: read 'hello board' (11 bytes)$"; then
    pass "board: the guest's UART reads the board's console in the interactive shell"
else
    fail "board: UART input in the interactive shell (see $logs/console-input.board)"
fi

# The guest device tree, read back by dtc.
if "$runner" --dump-dtb "$logs/guest.dtb" --append "console=ttyAMA0" build/guests/boot.bin &&
    dtc -q -I dtb -O dts -o "$logs/guest.dts" "$logs/guest.dtb" &&
    grep -q 'bootargs = "console=ttyAMA0"' "$logs/guest.dts" &&
    grep -q 'stdout-path = "/pl011@9000000"' "$logs/guest.dts" &&
    grep -q 'method = "hvc"' "$logs/guest.dts" &&
    grep -q 'reg = <0x00 0x40000000 0x00 0x8000000>' "$logs/guest.dts"; then
    pass "guest device tree through dtc"
else
    fail "guest device tree through dtc (see $logs/guest.dts)"
fi

# Bad images and arguments: clear messages, no panic.
printf '\177ELF\001\001\001' >"$logs/bad.elf"
for args in "$logs/bad.elf" "/nonexistent" "--memory 1x build/guests/boot.bin" "--page-size 8k build/guests/boot.bin"; do
    # shellcheck disable=SC2086
    "$runner" $args >/dev/null 2>"$logs/bad.err"
    status=$?
    if [ "$status" -ne 0 ] && [ "$status" -lt 100 ] && ! grep -q panicked "$logs/bad.err"; then
        pass "granule-run refuses $args: $(head -1 "$logs/bad.err")"
    else
        fail "granule-run $args: status $status"
    fi
done

# Guest RAM comes from the frame allocator; too little gets a clear message.
timeout 120 qemu-system-aarch64 -nographic -semihosting -M virt -cpu max -m 8M -kernel build/virt/Image \
    -append "cmds=tlb" </dev/null >"$logs/tlb-8M.log" 2>&1
if grep -q 'guest RAM: 8 MiB asked for, .* of frames free' "$logs/tlb-8M.log"; then
    pass "tlb with 8 MiB of RAM says what was asked and what is free"
else
    fail "tlb with 8 MiB of RAM (see $logs/tlb-8M.log)"
fi

echo "guest checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
