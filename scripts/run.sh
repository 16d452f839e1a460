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
  --board virt|raspi3b|raspi4b  QEMU machine (default virt; raspi4b runs under
                          QEMU 10, which scripts/lib.sh installs beside 7.2)
  --qemu 7.2|10           QEMU version for virt (default 7.2, the system's)
  --cpu NAME              QEMU CPU model (default max on virt; raspi3b is a Cortex-A53)
  --host-granule G        boot with host granule 4k, 16k, 64k or all
  --el2                   virt only: start the kernel at EL2 (virtualization=on)
  --guest FILE            run a guest image (raw, arm64 Image or ELF; passed as the initrd)
  --page-size P           the emulator's page size for --guest: 1k, 4k, 16k or 64k
  --shell                 with --guest: open the shell after the run
  --memory SIZE           RAM for virt, e.g. 512M or 2G (default 1G)
  --timeout SECONDS       stop QEMU after this long (default 600 with --batch, 86400 without)
USAGE
}

# Option values must be there and not empty.
want() { [ -n "${2-}" ] || { usage >&2; die "$1 needs $3"; }; }

board=virt cpu="" batch="" granule="" el2=0 guest="" memory="" limit="" page_size="" shell=0 version=7.2 nargs=$#
while [ $# -gt 0 ]; do
    case "$1" in
        --batch) want "$1" "${2-}" 'commands, e.g. --batch "info; poweroff"'; batch=$2; shift ;;
        --board) want "$1" "${2-}" "a board: virt, raspi3b or raspi4b"; board=$2; shift ;;
        --cpu) want "$1" "${2-}" "a QEMU CPU model name"; cpu=$2; shift ;;
        --host-granule) want "$1" "${2-}" "4k, 16k, 64k or all"; granule=$2; shift ;;
        --el2) el2=1 ;;
        --qemu) want "$1" "${2-}" "7.2 or 10"; version=$2; shift ;;
        --guest) want "$1" "${2-}" "an image file"; guest=$2; shift ;;
        --page-size) want "$1" "${2-}" "1k, 4k, 16k or 64k"; page_size=$2; shift ;;
        --shell) shell=1 ;;
        --memory) want "$1" "${2-}" "a size, e.g. 512M or 2G"; memory=$2; shift ;;
        --timeout) want "$1" "${2-}" "seconds"; limit=$2; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option '$1'" ;;
    esac
    shift
done

# Everything is checked before anything is built.
case "$board" in virt|raspi3b|raspi4b) ;; *) die "unknown board '$board': use virt, raspi3b or raspi4b" ;; esac
case "$granule" in ""|4k|16k|64k|all) ;; *) die "--host-granule must be 4k, 16k, 64k or all, not '$granule'" ;; esac
case "$page_size" in ""|1k|4k|16k|64k) ;; *) die "--page-size must be 1k, 4k, 16k or 64k, not '$page_size'" ;; esac
[ -z "$page_size" ] || [ -n "$guest" ] || die "--page-size needs --guest"
[ "$shell" = 0 ] || [ -n "$guest" ] || die "--shell needs --guest"
[ -z "$guest" ] || [ -z "$batch" ] || die "--guest and --batch cannot be combined (use --batch \"run ...\" with --guest's image as initrd)"
case "$batch" in *$'\n'*) die "--batch commands must be on one line (separate them with ';')" ;; esac
if [ -n "$memory" ]; then
    [[ "$memory" =~ ^[1-9][0-9]*[KMGT]?$ ]] || die "--memory must be a size like 512M or 2G, not '$memory'"
    [ "$board" = virt ] || die "--memory: $board has fixed RAM; only virt takes --memory"
fi
[ -z "$limit" ] || [[ "$limit" =~ ^[0-9]*[1-9][0-9]*$ ]] ||
    die "--timeout must be a whole number of seconds above 0, not '$limit'"
if [ -n "$guest" ]; then
    [ ! -d "$guest" ] || die "guest image '$guest' is a directory, not an image file"
    [ -f "$guest" ] || die "guest image '$guest' not found"
    [ -r "$guest" ] || die "guest image '$guest' is not readable"
fi
if [ "$board" = raspi3b ]; then
    [ -z "$cpu" ] || [ "$cpu" = cortex-a53 ] || die "raspi3b is always a Cortex-A53"
    [ "$el2" = 0 ] || die "--el2: raspi3b always starts at EL2"
fi
if [ "$board" = raspi4b ]; then
    [ -z "$cpu" ] || [ "$cpu" = cortex-a72 ] || die "raspi4b is always a Cortex-A72"
    [ "$el2" = 0 ] || die "--el2: raspi4b always starts at EL2"
fi

case "$version" in 7.2|10) ;; *) die "--qemu must be 7.2 or 10, not '$version'" ;; esac
[ "$board" != raspi4b ] || version=10
qemu_bin=qemu-system-aarch64
if [ "$version" = 10 ]; then
    qemu_bin=$(ensure_qemu10) ||
        die "QEMU 10 (needed for ${board/virt/--qemu 10}; QEMU 7.2 has no raspi4b) could not be installed: see above"
else
    ensure_qemu
fi
image=$(scripts/build.sh "$board")

# The kernel's differential tests excuse only this version's known deviations.
args=("oracle=qemu$version")
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

qemu=("$qemu_bin" -nographic -semihosting -kernel "$image")
case "$board" in
    virt)
        machine=virt
        [ "$el2" = 1 ] && machine=virt,virtualization=on
        qemu+=(-M "$machine" -cpu "${cpu:-max}" -m "${memory:-1G}")
        ;;
    raspi3b)
        qemu+=(-M raspi3b)
        ;;
    raspi4b)
        qemu+=(-M raspi4b)
        # The firmware's device tree, as a real Pi 4 gets it from the SD card.
        if dtbs=$(ensure_pi_dtbs); then
            qemu+=(-dtb "$dtbs/bcm2711-rpi-4-b.dtb")
        else
            echo "note: no bcm2711-rpi-4-b.dtb: booting with the Pi 4 defaults" >&2
        fi
        ;;
esac
[ -n "$append" ] && qemu+=(-append "$append")
[ -n "$guest" ] && qemu+=(-initrd "$guest")

if [ -n "$batch" ] && [ "$shell" = 0 ] && [ "$nargs" != 0 ]; then
    exec timeout --foreground "${limit:-600}" "${qemu[@]}" </dev/null
fi
exec timeout --foreground "${limit:-86400}" "${qemu[@]}"
