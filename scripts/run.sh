#!/usr/bin/env bash
# Builds Granule and boots it under QEMU, then leaves you in its serial shell
# (quit QEMU with Ctrl-A X). With no options it first runs the built-in
# guests under every host granule and prints a summary table. With --batch,
# runs the commands without a shell and exits with the kernel's status:
# non-zero when anything failed. With --guest FILE, runs that image (raw,
# arm64 Image or ELF) and powers off (--shell: stays in the shell).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

usage() {
    cat <<'USAGE'
usage: scripts/run.sh [options]
  --batch "CMDS"          run shell commands (separated by ';') and power off
  --board virt|raspi3b    QEMU machine (default virt)
  --cpu NAME              QEMU CPU model (default max on virt; raspi3b is a Cortex-A53)
  --host-granule G        boot with host granule 4k, 16k, 64k or all
  --el2                   virt only: start the kernel at EL2 (virtualization=on)
  --guest FILE            run a guest image (raw, arm64 Image or ELF; passed as the initrd)
  --page-size P           the emulator's page size for --guest: 1k, 4k, 16k or 64k
  --shell                 with --guest: open the shell after the run
  --memory SIZE           RAM for virt (default 1G)
  --timeout SECONDS       stop QEMU after this long (default 600 with --batch, 86400 without)
USAGE
}

board=virt cpu="" batch="" granule="" el2=0 guest="" memory=1G limit="" page_size="" shell=0 nargs=$#
while [ $# -gt 0 ]; do
    case "$1" in
        --batch) batch=${2:?--batch needs commands}; shift ;;
        --board) board=${2:?--board needs a name}; shift ;;
        --cpu) cpu=${2:?--cpu needs a name}; shift ;;
        --host-granule) granule=${2:?--host-granule needs 4k, 16k, 64k or all}; shift ;;
        --el2) el2=1 ;;
        --guest) guest=${2:?--guest needs a file}; shift ;;
        --page-size) page_size=${2:?--page-size needs 1k, 4k, 16k or 64k}; shift ;;
        --shell) shell=1 ;;
        --memory) memory=${2:?--memory needs a size}; shift ;;
        --timeout) limit=${2:?--timeout needs seconds}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option '$1'" ;;
    esac
    shift
done
case "$granule" in ""|4k|16k|64k|all) ;; *) die "--host-granule must be 4k, 16k, 64k or all, not '$granule'" ;; esac
[ -z "$guest" ] || [ -f "$guest" ] || die "guest image '$guest' not found"
case "$page_size" in ""|1k|4k|16k|64k) ;; *) die "--page-size must be 1k, 4k, 16k or 64k, not '$page_size'" ;; esac
[ -z "$page_size" ] || [ -n "$guest" ] || die "--page-size needs --guest"
[ "$shell" = 0 ] || [ -n "$guest" ] || die "--shell needs --guest"
[ -z "$guest" ] || [ -z "$batch" ] || die "--guest and --batch cannot be combined (use --batch \"run ...\" with --guest's image as initrd)"
case "$batch" in *$'\n'*) die "--batch commands must be on one line (separate them with ';')" ;; esac

ensure_qemu
image=$(scripts/build.sh "$board")

args=()
if [ -n "$guest" ]; then
    # The run itself switches granules: boot with the default one.
    run="run"
    [ -n "$granule" ] && run+=" host-granule=$granule"
    [ -n "$page_size" ] && run+=" page-size=$page_size"
    [ "$shell" = 1 ] && args+=("then=shell")
    batch=$run
    # raspi3b has no device tree to say where QEMU put the initrd: QEMU's
    # arm loader puts it at RAM + min(RAM / 2, 128 MiB) = 0x800_0000.
    [ "$board" = raspi3b ] && args+=("initrd=0x8000000,$(stat -c %s "$guest")")
else
    [ -n "$granule" ] && args+=("host-granule=$granule")
    # No options at all: the default job, then the shell.
    [ "$nargs" = 0 ] && args+=("then=shell") && batch="run all host-granule=all"
fi
[ -n "$batch" ] && args+=("cmds=$batch")
append="${args[*]:-}"

qemu=(qemu-system-aarch64 -nographic -semihosting -kernel "$image")
case "$board" in
    virt)
        machine=virt
        [ "$el2" = 1 ] && machine=virt,virtualization=on
        qemu+=(-M "$machine" -cpu "${cpu:-max}" -m "$memory")
        ;;
    raspi3b)
        [ -z "$cpu" ] || [ "$cpu" = cortex-a53 ] || die "raspi3b is always a Cortex-A53"
        [ "$el2" = 0 ] || die "--el2: raspi3b always starts at EL2"
        qemu+=(-M raspi3b)
        ;;
esac
[ -n "$append" ] && qemu+=(-append "$append")
[ -n "$guest" ] && qemu+=(-initrd "$guest")

if [ -n "$batch" ] && [ "$shell" = 0 ] && [ "$nargs" != 0 ]; then
    exec timeout --foreground "${limit:-600}" "${qemu[@]}" </dev/null
fi
exec timeout --foreground "${limit:-86400}" "${qemu[@]}"
