#!/usr/bin/env bash
# Builds Granule and boots it under QEMU, then leaves you in its serial shell
# (quit QEMU with Ctrl-A X). With --batch, runs the commands without a shell
# and exits with the kernel's status: non-zero when anything failed.
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
  --guest FILE            a raw guest image, passed to the kernel as the initrd
  --memory SIZE           RAM for virt (default 1G)
  --timeout SECONDS       stop QEMU after this long (default 600 with --batch, 86400 without)
USAGE
}

board=virt cpu="" batch="" granule="" el2=0 guest="" memory=1G limit="" version=7.2
while [ $# -gt 0 ]; do
    case "$1" in
        --batch) batch=${2:?--batch needs commands}; shift ;;
        --board) board=${2:?--board needs a name}; shift ;;
        --cpu) cpu=${2:?--cpu needs a name}; shift ;;
        --host-granule) granule=${2:?--host-granule needs 4k, 16k, 64k or all}; shift ;;
        --el2) el2=1 ;;
        --qemu) version=${2:?--qemu needs 7.2 or 10}; shift ;;
        --guest) guest=${2:?--guest needs a file}; shift ;;
        --memory) memory=${2:?--memory needs a size}; shift ;;
        --timeout) limit=${2:?--timeout needs seconds}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option '$1'" ;;
    esac
    shift
done
case "$granule" in ""|4k|16k|64k|all) ;; *) die "--host-granule must be 4k, 16k, 64k or all, not '$granule'" ;; esac
[ -z "$guest" ] || [ -f "$guest" ] || die "guest image '$guest' not found"
case "$batch" in *$'\n'*) die "--batch commands must be on one line (separate them with ';')" ;; esac

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
[ -n "$granule" ] && args+=("host-granule=$granule")
[ -n "$batch" ] && args+=("cmds=$batch")
append="${args[*]:-}"

qemu=("$qemu_bin" -nographic -semihosting -kernel "$image")
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
    raspi4b)
        [ -z "$cpu" ] || [ "$cpu" = cortex-a72 ] || die "raspi4b is always a Cortex-A72"
        [ "$el2" = 0 ] || die "--el2: raspi4b always starts at EL2"
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

if [ -n "$batch" ]; then
    exec timeout --foreground "${limit:-600}" "${qemu[@]}" </dev/null
fi
exec timeout --foreground "${limit:-86400}" "${qemu[@]}"
