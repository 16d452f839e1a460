#!/usr/bin/env bash
# Guest speed against the peers (issue 9, "Speed"): the benchmark guests in
# bench/guests/ (integer loop, memory-heavy loop over 8192 4K guest pages,
# remap + TLBI VAE1 + touch, PL011 flag reads, 4096 small functions), each
# timed by its own counter (CNTVCT_EL0), run on granule-run, on
# qemu-system-aarch64 -M virt -cpu max, on Unicorn and on dynarmic (the last
# two without a machine: bench/unicorn-run.py and bench/dynarmic-run.cpp);
# then granule-run built with a run-time page size against builds with the
# page size as a compile-time constant (cargo features page-size-*),
# per page size. Prints a table (guest MIPS, ns per operation, ratio to
# QEMU), machine-readable lines (bench-result, bench-pagesize, bench-goal),
# the issue's goals, and writes build/bench/bench.svg; logs in build/bench/.
#
# Usage: scripts/bench.sh [--rounds N] [--guests "int mem ..."] [--peers "granule-run qemu ..."]
#                         [--no-page-size] [--profile GUEST]
#   --rounds N        runs per guest and peer, the best is kept (default 3)
#   --no-page-size    skip the run-time vs constant page-size builds and runs
#   --profile GUEST   also record granule-run on GUEST with perf (Debian's
#                     linux-perf) and print the top symbols
# Not part of scripts/test.sh (it takes minutes).
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

rounds=3 guests="int mem tlbi mmio blocks" peers="granule-run qemu unicorn dynarmic"
page_size=1 profile=""
while [ $# -gt 0 ]; do
    case $1 in
        --rounds) rounds=${2:?}; shift 2 ;;
        --guests) guests=${2:?}; shift 2 ;;
        --peers) peers=${2:?}; shift 2 ;;
        --no-page-size) page_size=""; shift ;;
        --profile) profile=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,/^# Not part/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "--rounds takes a positive number, not '$rounds'"
for g in $guests; do
    [ -f "bench/guests/$g.c" ] || die "no benchmark guest '$g' (bench/guests/: int mem tlbi mmio blocks)"
done
for p in $peers; do
    case $p in granule-run|qemu|unicorn|dynarmic) ;; *) die "unknown peer '$p'" ;; esac
done

out=build/bench
mkdir -p "$out/logs" "$out/bin"
results=$out/results.txt
: >"$results"
note() { echo "bench: $*" >&2; }
as_root() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }
apt_install() {
    as_root || return 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2 ||
        { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2; }
}

# --- The guests and the runners ------------------------------------------
has() { [[ " $peers " == *" $1 "* ]]; }
if has qemu && ! (ensure_qemu); then
    note "qemu-system-aarch64 is not available (Debian's qemu-system-arm, installed only as root): skipped"
    peers=${peers/qemu/}
fi
guests/build.sh bench/guests "$out/guests" >/dev/null || die "building the benchmark guests failed"

build_runner() { # FEATURES NAME
    cargo build -q --release -p emu --features "$1" --bin granule-run &&
        cp target/release/granule-run "$out/bin/$2"
}
if [ -n "$page_size" ]; then
    for p in 4k 16k 64k; do
        note "building granule-run with the constant page size $p (--features page-size-$p)"
        build_runner "std,page-size-$p" "granule-run-const-$p" || die "building granule-run (const $p) failed"
    done
fi
# Last, so that target/release/granule-run is the ordinary build again.
build_runner std granule-run || die "building granule-run failed"

unicorn_py=""
if has unicorn; then
    venv=$out/venv
    if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import unicorn' 2>/dev/null; then
        unicorn_py=$venv/bin/python
    elif python3 -m venv "$venv" >/dev/null 2>&1 && timeout 300 "$venv/bin/pip" install -q unicorn >&2 &&
        "$venv/bin/python" -c 'import unicorn' 2>/dev/null; then
        unicorn_py=$venv/bin/python
    elif /usr/bin/python3 -c 'import unicorn' 2>/dev/null || apt_install python3-unicorn; then
        /usr/bin/python3 -c 'import unicorn' 2>/dev/null && unicorn_py=/usr/bin/python3
    fi
    if [ -n "$unicorn_py" ]; then
        note "Unicorn $("$unicorn_py" -c 'import unicorn; print(unicorn.__version__)') ($unicorn_py)"
    else
        note "Unicorn is not available (neither PyPI's unicorn in $venv nor Debian's python3-unicorn): skipped"
    fi
fi

dynarmic=""
if has dynarmic; then
    if [ ! -f /usr/include/dynarmic/interface/A64/a64.h ]; then
        if apt-cache policy libdynarmic-dev 2>/dev/null | grep -q 'Candidate: [0-9]'; then
            apt_install libdynarmic-dev || true
        fi
    fi
    command -v g++ >/dev/null || apt_install g++ || true
    if [ -f /usr/include/dynarmic/interface/A64/a64.h ] && command -v g++ >/dev/null; then
        if [ ! -x "$out/bin/dynarmic-run" ] || [ bench/dynarmic-run.cpp -nt "$out/bin/dynarmic-run" ]; then
            g++ -O2 -std=c++20 -Wall -Wextra -o "$out/bin/dynarmic-run" bench/dynarmic-run.cpp -ldynarmic >&2 ||
                rm -f "$out/bin/dynarmic-run"
        fi
        [ -x "$out/bin/dynarmic-run" ] && dynarmic=$out/bin/dynarmic-run
        note "dynarmic $(dpkg-query -W -f '${Version}' libdynarmic-dev 2>/dev/null) (harness $out/bin/dynarmic-run)"
    fi
    [ -n "$dynarmic" ] || note "dynarmic is not available (Debian's libdynarmic-dev and g++ are needed): skipped"
fi

# --- Runs ------------------------------------------------------------------
# run PEER GUEST IMAGE BUILD PAGE CMD...: one timed run; appends a
# bench-result line (status=ok with the figures, or why not).
run() {
    local peer=$1 guest=$2 image=$3 build=$4 page=$5
    shift 5
    local log=$out/logs/$peer-$guest-$build-$page.log
    local start end status line
    start=$(date +%s%N)
    timeout 300 "$@" </dev/null >"$log" 2>"$log.err"
    status=$?
    end=$(date +%s%N)
    line=$(grep -a '^bench: ' "$log" | tail -1 | tr -d '\r')
    local base="bench-result peer=$peer guest=$guest image=$image build=$build page=$page round=$round"
    if [ "$status" = 0 ] && [ -n "$line" ]; then
        # bench: NAME ops N insns N ticks N freq N sum X
        echo "$line" | awk -v base="$base" -v wall="$(( (end - start) / 1000 ))" '{
            ops = $4; insns = $6; ticks = $8; freq = $10
            if (ticks <= 0 || freq <= 0) { print base " status=no-counter"; exit }
            s = ticks / freq
            printf "%s status=ok timing=cntvct ops=%d insns=%d ticks=%d freq=%d mips=%.2f ns_per_op=%.2f wall_us=%d sum=%s\n",
                   base, ops, insns, ticks, freq, insns / s / 1e6, s * 1e9 / ops, wall, $12 }' | tee -a "$results"
    else
        local why="exit-$status"
        [ "$status" = 124 ] && why=timeout
        echo "$base status=$why ($(head -c 200 "$log.err" | tr '\n' ' '))" | tee -a "$results"
    fi
}
na() { echo "bench-result peer=$1 guest=$2 image=- build=- page=- status=n/a:$3" | tee -a "$results"; }

img() { echo "$out/guests/$1.bin"; }
for g in $guests; do
    for round in $(seq "$rounds"); do
        has granule-run && run granule-run "$g" "$g" runtime 4k "$out/bin/granule-run" --page-size 4k "$(img "$g")"
        has qemu && run qemu "$g" "$g" - - qemu-system-aarch64 -M virt -cpu max -nographic -semihosting \
            -kernel "$(img "$g")"
        # Unicorn's and dynarmic's guests run without the guest MMU: mem as
        # mem-flat (same loop and addresses, MMU off); tlbi cannot run.
        flat=$g
        [ "$g" = mem ] && flat=mem-flat
        if has unicorn && [ -n "$unicorn_py" ]; then
            if [ "$g" = tlbi ]; then
                [ "$round" = 1 ] && na unicorn tlbi "guest-MMU-not-usable-in-Unicorn"
            else
                run unicorn "$g" "$flat" - - "$unicorn_py" bench/unicorn-run.py "$(img "$flat")"
            fi
        fi
        if has dynarmic && [ -n "$dynarmic" ]; then
            if [ "$g" = tlbi ]; then
                [ "$round" = 1 ] && na dynarmic tlbi "dynarmic-has-no-MMU"
            else
                run dynarmic "$g" "$flat" - - "$dynarmic" "$(img "$flat")"
            fi
        fi
    done
done

if [ -n "$page_size" ] && has granule-run; then
    for g in $guests; do
        for p in 4k 16k 64k; do
            for round in $(seq "$rounds"); do
                run granule-run "$g" "$g" runtime "$p" "$out/bin/granule-run" --page-size "$p" "$(img "$g")"
                run granule-run "$g" "$g" const "$p" "$out/bin/granule-run-const-$p" --page-size "$p" "$(img "$g")"
            done
        done
    done
fi

# Timed runs on a shared machine are noisy; the host instructions each
# guest instruction costs are not: cachegrind's instruction count (Ir) for
# two instruction budgets, the difference over the difference (so the
# runner's start-up cancels), both budgets inside the timed loop.
if [ -n "$page_size" ] && has granule-run; then
    command -v valgrind >/dev/null || apt_install valgrind || true
    if command -v valgrind >/dev/null; then
        ir() { # BINARY PAGE IMAGE BUDGET
            valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
                "$1" --page-size "$2" --max-insns "$4" "$3" </dev/null 2>&1 >/dev/null |
                sed -n 's/.*I *refs: *//p' | tr -d ,
        }
        for g in $guests; do
            for p in 4k 16k 64k; do
                for b in runtime const; do
                    bin=$out/bin/granule-run
                    [ "$b" = const ] && bin=$out/bin/granule-run-const-$p
                    a=$(ir "$bin" "$p" "$(img "$g")" 1000000)
                    z=$(ir "$bin" "$p" "$(img "$g")" 3000000)
                    if [ -n "$a" ] && [ -n "$z" ]; then
                        echo "bench-hostinsns guest=$g page=$p build=$b per_guest_insn=$(awk -v a="$a" -v z="$z" 'BEGIN { printf "%.3f", (z - a) / 2000000 }')" |
                            tee -a "$results"
                    fi
                done
            done
        done
    else
        note "valgrind is not available: no host-instruction counts for the page-size comparison"
    fi
fi

# --- Report ------------------------------------------------------------------
echo
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; $(date -u +%Y-%m-%d);" \
     "load average now $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine makes every figure noisier)"
peer_list="granule-run $(git rev-parse --short HEAD 2>/dev/null), $(qemu-system-aarch64 --version | head -1)"
[ -n "$unicorn_py" ] && peer_list+=", Unicorn $("$unicorn_py" -c 'import unicorn; print(unicorn.__version__)')"
[ -n "$dynarmic" ] && peer_list+=", dynarmic $(dpkg-query -W -f '${Version}' libdynarmic-dev 2>/dev/null)"
echo "peers: $peer_list"
echo "Unicorn and dynarmic: flat memory, no guest MMU (mem runs as mem-flat, tlbi is n/a); dynarmic's CNTVCT_EL0 reads are answered by its harness from the host clock"
python3 bench/report.py "$results" "$out/bench.svg" | tee "$out/report.txt"

if [ -n "$profile" ]; then
    command -v perf >/dev/null || apt_install linux-perf || true
    if command -v perf >/dev/null; then
        perf record -q -g -o "$out/perf.data" "$out/bin/granule-run" "$(img "$profile")" >/dev/null 2>"$out/perf.err" &&
            perf report -i "$out/perf.data" --no-children --percent-limit 2 --stdio 2>/dev/null |
            grep -E '^ +[0-9.]+%' | head -25 | tee "$out/profile.txt"
    else
        note "perf is not available (Debian's linux-perf): no profile"
    fi
fi
