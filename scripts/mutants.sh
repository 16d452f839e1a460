#!/usr/bin/env bash
# Proves that the on-target differential tests see every field of the
# walker that AT (or an instruction fetch) can observe: applies
# single-field mutations to emu's
# walker one at a time (a field ignored, a bit inverted, a level off by
# one), rebuilds the kernel, runs only the walker's differential tests
# (`test walker`) under QEMU 7.2 and QEMU 10 (virt,virtualization=on -cpu
# max: stage 1 with FEAT_HPDS, FEAT_HAFDBS and FEAT_PAN2, stage 1+2, and
# instruction fetches at EL1 and EL0 for the execute permissions), and
# prints caught or survived per mutant and a total. Mutants of fields
# neither can observe are run too and listed with the reason.
# Usage: scripts/mutants.sh [NAME...]   (default: every mutant below)
# Works on a copy of the tree in build/mutants; the tree itself is not touched.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_rust_target
ensure_qemu
qemu10=$(ensure_qemu10)
work=$PWD/build/mutants
mkdir -p "$work/tree"
# The tree as it is (committed or not), without build outputs.
tar -c --exclude=./target --exclude=./build --exclude=./.git . | tar -x -C "$work/tree"
log=$work/log
mkdir -p "$log"

# One mutant per block: name, the AT-unobservable reason (empty when AT
# observes the field), the file, the exact text and its replacement.
mutants=$(cat <<'LIST'
name apt_ro_ignored
file emu/src/mmu/permissions.rs
from let read_only = d & AP_RO != 0 || tables.read_only;
to   let read_only = d & AP_RO != 0;

name apt_no_el0_ignored
file emu/src/mmu/permissions.rs
from let el0_access = d & AP_EL0 != 0 && !tables.no_el0;
to   let el0_access = d & AP_EL0 != 0;

name apt_bits_swapped
file emu/src/mmu/walk.rs
from tables.no_el0 |= descriptor & AP_TABLE_NO_EL0 != 0;
to   tables.no_el0 |= descriptor & AP_TABLE_RO != 0;

name apt_root_level_ignored
file emu/src/mmu/walk.rs
from if self.hierarchical {
to   if self.hierarchical && level != g.start_level {

name ap_ro_ignored
file emu/src/mmu/permissions.rs
from let read_only = d & AP_RO != 0 || tables.read_only;
to   let read_only = tables.read_only;

name ap_el0_inverted
file emu/src/mmu/permissions.rs
from let el0_access = d & AP_EL0 != 0 && !tables.no_el0;
to   let el0_access = d & AP_EL0 == 0 && !tables.no_el0;

name hpd_ignored
file emu/src/mmu/stage1.rs
from hierarchical: !(features.hpds && t.is_set(hpd)),
to   hierarchical: true,

name hpd_inverted
file emu/src/mmu/stage1.rs
from hierarchical: !(features.hpds && t.is_set(hpd)),
to   hierarchical: features.hpds && t.is_set(hpd),

name tbi_ignored
file emu/src/mmu/stage1.rs
from let ignore_top = t.is_set(tbi) && !(access.kind == AccessKind::Execute && t.is_set(tbid));
to   let ignore_top = false && !(access.kind == AccessKind::Execute && t.is_set(tbid));

name tbi1_read_as_tbi0
file emu/src/mmu/stage1.rs
from TCR_EL1::TBI1,
to   TCR_EL1::TBI0,

name ha_ignored
file emu/src/mmu/stage1.rs
from let hardware_af = features.hardware_access_flag && t.is_set(TCR_EL1::HA);
to   let hardware_af = false;

name af_ignored
file emu/src/mmu/stage1.rs
from if d & AF == 0 && !hardware_af {
to   if false && d & AF == 0 && !hardware_af {

name af_fault_level_off_by_one
file emu/src/mmu/stage1.rs
from return Err(Fault::stage1(FaultKind::AccessFlag, leaf.level, access));
to   return Err(Fault::stage1(FaultKind::AccessFlag, leaf.level + 1, access));

name permission_fault_level_off_by_one
file emu/src/mmu/stage1.rs
from return Err(Fault::stage1(FaultKind::Permission, leaf.level, access));
to   return Err(Fault::stage1(FaultKind::Permission, leaf.level - 1, access));

name translation_fault_level_off_by_one
file emu/src/mmu/walk.rs
from return Err(WalkFault::Local(FaultKind::Translation, level))
to   return Err(WalkFault::Local(FaultKind::Translation, level.saturating_sub(1)))

name pan_ignored
file emu/src/mmu/translation.rs
from if pan && self.el0_accessible && !matches!(access.kind, AccessKind::Execute) {
to   if false && self.el0_accessible && !matches!(access.kind, AccessKind::Execute) {

name pan_before_aptable
file emu/src/mmu/permissions.rs
from el0_accessible: el0_access,
to   el0_accessible: d & AP_EL0 != 0,

name attr_index_off_by_one
file emu/src/mmu/stage1.rs
from mair: mair_attribute(mair, (d & ATTR_INDX_MASK) >> ATTR_INDX_SHIFT),
to   mair: mair_attribute(mair, (((d & ATTR_INDX_MASK) >> ATTR_INDX_SHIFT) + 1) & 7),

name sh_ignored
file emu/src/mmu/stage1.rs
from shareability: Shareability::from_bits((d & SH_MASK) >> SH_SHIFT),
to   shareability: Shareability::from_bits(0),

name ips_ignored
file emu/src/mmu/stage1.rs
from let ps = output_bits(t.read(TCR_EL1::IPS), features);
to   let ps = features.pa_bits;

name s2ap_read_from_write_bit
file emu/src/mmu/stage2.rs
from read: d & S2AP_READ != 0,
to   read: d & S2AP_WRITE != 0,

name s2ap_write_ignored
file emu/src/mmu/stage2.rs
from write: d & S2AP_WRITE != 0,
to   write: true,

name s2_walk_checked_as_the_access
file emu/src/mmu/stage2.rs
from let kind = walk_access.unwrap_or(access.kind);
to   let kind = access.kind;

name s2_af_ignored
file emu/src/mmu/stage2.rs
from if d & AF == 0 && !s.hardware_af {
to   if false && d & AF == 0 && !s.hardware_af {

name s2_ha_ignored
file emu/src/mmu/stage2.rs
from hardware_af: features.hardware_access_flag && v.is_set(VTCR_EL2::HA),
to   hardware_af: false,

name s2_memattr_device_unshifted
file emu/src/mmu/stage2.rs
from return (inner as u8) << DEVICE_SHIFT;
to   return inner as u8;

name s2_memattr_wt_as_wb
file emu/src/mmu/stage2.rs
from 0b10 => WT,
to   0b10 => WB,

name s2_device_combination_strongest_lost
file emu/src/mmu/stage2.rs
from mair: device(s1).min(device(s2)),
to   mair: device(s1).max(device(s2)),

name s2_start_level_off_by_one
file emu/src/mmu/stage2.rs
from (Granule::K4, s) => Some(2 - s as u8),
to   (Granule::K4, s) => Some(3 - s as u8),

name af_update_through_stage2_ignored
file emu/src/mmu/stage1.rs
from     if hardware_af && leaf.descriptor & AF == 0 {
to       if false && hardware_af && leaf.descriptor & AF == 0 {

name uxn_ignored
file emu/src/mmu/permissions.rs
from let xn = d & UXN != 0 || tables.xn;
to   let xn = tables.xn;

name xntable_ignored
file emu/src/mmu/permissions.rs
from let xn = d & UXN != 0 || tables.xn;
to   let xn = d & UXN != 0;

name pxntable_ignored
file emu/src/mmu/permissions.rs
from let pxn = d & PXN != 0 || tables.pxn;
to   let pxn = d & PXN != 0;

name wxn_ignored
file emu/src/mmu/stage1.rs
from wxn: sctlr.is_set(SCTLR_EL1::WXN),
to   wxn: false,

name el0_writable_pxn_ignored
file emu/src/mmu/stage1.rs
from el0_writable_implies_pxn: true,
to   el0_writable_implies_pxn: false,

name s2_xn_ignored
why  stage 2 execute permission: AT S12E* checks reads and writes only, and the fetch test runs without stage 2
file emu/src/mmu/stage2.rs
from execute: d & S2_XN == 0,
to   execute: true,

name ng_inverted
why  PAR_EL1 has no nG or ASID field, and AT does not go through cached TLB entries under QEMU
file emu/src/mmu/stage1.rs
from let global = d & NG == 0;
to   let global = d & NG != 0;

name a1_inverted
why  the ASID a translation is tagged with is not in PAR_EL1
file emu/src/mmu/stage1.rs
from let asid_ttbr = Ttbr::new(if t.is_set(TCR_EL1::A1) {
to   let asid_ttbr = Ttbr::new(if !t.is_set(TCR_EL1::A1) {

name tbid_ignored
why  instruction fetches from tagged addresses are not made (TBI1 is compared for data accesses; the fetch test branches to untagged addresses)
file emu/src/mmu/stage1.rs
from let ignore_top = t.is_set(tbi) && !(access.kind == AccessKind::Execute && t.is_set(tbid));
to   let ignore_top = t.is_set(tbi);

name contiguous_ignored
why  the size of a translation (contiguous runs included) is not in PAR_EL1
file emu/src/mmu/stage1.rs
from if descriptor & CONTIGUOUS != 0 {
to   if false && descriptor & CONTIGUOUS != 0 {
LIST
)

# Applies mutant $1 to the copy (after restoring it); prints the reason it
# is unobservable ("" if observable), or fails if its text is not found
# exactly once.
apply() {
    python3 - "$1" "$work/tree" <<'PY'
import sys, subprocess, os
name, tree = sys.argv[1], sys.argv[2]
blocks = [b for b in os.environ["MUTANTS"].split("\n\n") if b.strip()]
for b in blocks:
    fields = {}
    for line in b.strip().split("\n"):
        key, _, value = line.partition(" ")
        fields[key] = value.lstrip()
    if fields["name"] != name:
        continue
    path = os.path.join(tree, fields["file"])
    text = open(path).read()
    if text.count(fields["from"]) != 1:
        sys.exit(f"mutant {name}: its text is found {text.count(fields['from'])} times in {fields['file']}")
    open(path, "w").write(text.replace(fields["from"], fields["to"]))
    print(fields.get("why", ""))
    sys.exit(0)
sys.exit(f"no mutant named {name}")
PY
}
restore() { # puts every walker file back as in the tree
    local f
    for f in emu/src/mmu/*.rs; do cp "$f" "$work/tree/$f"; done
}
names() { echo "$mutants" | awk '$1 == "name" { print $2 }'; }
export MUTANTS=$mutants

# Runs the walker's differential tests of the copy's build under both
# QEMUs; prints which caught the build ("" when none did), or "broken".
run_tests() {
    local caught="" version qemu out line
    for version in 7.2 10; do
        qemu=qemu-system-aarch64
        [ "$version" = 10 ] && qemu=$qemu10
        out=$log/$1-qemu$version.log
        flock /tmp/granule-qemu.lock timeout 300 "$qemu" -nographic -semihosting \
            -M virt,virtualization=on -cpu max -m 512M -kernel "$work/tree/build/virt/Image" \
            -append "oracle=qemu$version cmds=test walker; poweroff" </dev/null >"$out" 2>&1
        line=$(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
        # Caught: a failure, no summary (QEMU or the kernel died), or not
        # every test of the baseline run.
        if [ -z "$line" ] || [ "$(echo "$line" | awk '{ print $3 }')" != 0 ] ||
           [ "$(echo "$line" | awk '{ print $1 }')" != "${baseline_passed[$version]:-0}" ]; then
            caught="$caught ${caught:++ }QEMU $version"
        fi
    done
    echo "$caught"
}
build() { (cd "$work/tree" && scripts/build.sh virt >/dev/null 2>"$log/$1-build.log"); }

selected=("$@")
[ ${#selected[@]} -gt 0 ] || mapfile -t selected < <(names)

echo "== baseline (no mutant) =="
restore
build baseline || die "the unmutated tree does not build (see $log/baseline-build.log)"
declare -A baseline_passed
for version in 7.2 10; do
    qemu=qemu-system-aarch64
    [ "$version" = 10 ] && qemu=$qemu10
    flock /tmp/granule-qemu.lock timeout 300 "$qemu" -nographic -semihosting \
        -M virt,virtualization=on -cpu max -m 512M -kernel "$work/tree/build/virt/Image" \
        -append "oracle=qemu$version cmds=test walker; poweroff" </dev/null >"$log/baseline-count-qemu$version.log" 2>&1
    baseline_passed[$version]=$(grep -aE '^[0-9]+ passed, 0 failed' "$log/baseline-count-qemu$version.log" |
                                tail -n 1 | awk '{ print $1 }')
    [ "${baseline_passed[$version]:-0}" -gt 0 ] ||
        die "the unmutated walker tests do not pass under QEMU $version (see $log/baseline-count-qemu$version.log)"
done
caught=$(run_tests baseline)
[ -z "$caught" ] || die "the unmutated walker already fails under$caught (see $log/baseline-*.log)"
echo "baseline: all walker tests pass under QEMU 7.2 and QEMU 10"

observable=0 observable_caught=0 hidden=0 hidden_caught=0
survivors=()
for name in "${selected[@]}"; do
    restore
    why=$(apply "$name") || { echo "$name: could not be applied"; exit 1; }
    if ! build "$name"; then
        verdict="caught (does not build)"; caught=build
    else
        caught=$(run_tests "$name")
        if [ -n "$caught" ]; then verdict="caught by$caught"; else verdict="survived"; fi
    fi
    if [ -z "$why" ]; then
        observable=$((observable + 1))
        if [ -n "$caught" ]; then observable_caught=$((observable_caught + 1)); else survivors+=("$name"); fi
        printf '%-40s %s\n' "$name" "$verdict"
    else
        hidden=$((hidden + 1))
        [ -n "$caught" ] && hidden_caught=$((hidden_caught + 1))
        printf '%-40s %s (not observable: %s)\n' "$name" "$verdict" "$why"
    fi
done
restore
echo
echo "observable mutants: $observable_caught of $observable caught${survivors[*]:+; survived: ${survivors[*]}}"
echo "unobservable mutants: $hidden_caught of $hidden caught (not required)"
[ "$observable_caught" -eq "$observable" ]
