//! Exceptions taken on purpose, and their syndromes decoded.

use crate::arch::exception;
use crate::ensure;
use crate::memory::mmu;
use crate::testing::{Outcome, Test, TestResult};
use alloc::format;
use emu::addr::VirtAddr;
use emu::arch::esr::{DataAbort, Esr, ExceptionClass, FaultStatus, Origin, ESR};
use emu::arch::sysreg::bits;
use emu::mmu::{Access, AccessKind, El, Walk, Walker};

/// The tests of this module.
pub const TESTS: &[Test] = crate::on_target_tests![
    unmapped_read_is_decoded,
    text_write_is_permission_fault,
    abort_syndromes_are_what_emu_encodes
];

fn unmapped_read_is_decoded() -> TestResult {
    let Some(address) = mmu::unmapped_address() else {
        return Err(Outcome::skipped("no unmapped address inside the VA range"));
    };
    let par = mmu::translate(address);
    let Some(FaultStatus::Translation(at_level)) = par.fault_status() else {
        return Err(format!("AT says {par} for the unmapped address").into());
    };
    let fault = match exception::probe_read_u64(address) {
        Ok(value) => return Err(format!("read {value:#x} from unmapped {address:#x}").into()),
        Err(fault) => fault,
    };
    ensure!(
        fault.syndrome.class() == Some(ExceptionClass::DataAbortSame),
        "wrong class: {fault}"
    );
    ensure!(
        fault.syndrome.fault_status() == Some(FaultStatus::Translation(at_level)),
        "abort says {fault}, AT said level {at_level}"
    );
    ensure!(
        !fault.syndrome.is_write(),
        "a read reported as a write: {fault}"
    );
    ensure!(
        fault.far == address,
        "FAR {:#x} for an access to {address:#x}",
        fault.far
    );
    crate::println!("  caught: {fault}");
    Ok(())
}

fn text_write_is_permission_fault() -> TestResult {
    let text = text_write_is_permission_fault as *const () as u64 & !7;
    let original = exception::probe_read_u64(text).map_err(|f| format!("reading text: {f}"))?;
    // SAFETY: the same value is written back, so even a successful write
    // (the bug this test looks for) changes nothing.
    let result = unsafe { exception::probe_write_u64(text, original) };
    let Err(fault) = result else {
        return Err(format!("kernel text at {text:#x} is writable").into());
    };
    ensure!(
        matches!(
            fault.syndrome.fault_status(),
            Some(FaultStatus::Permission(_))
        ) && fault.syndrome.is_write(),
        "expected a permission fault on a write: {fault}"
    );
    Ok(())
}

/// ESR_EL1 bits the architecture fixes for a data abort taken to EL1 from
/// a translation or permission fault: EC, IL and the ISS without the
/// instruction syndrome (ISV, SAS, SSE, SRT, SF, AR), which an
/// implementation may or may not give for aborts taken to EL1 (QEMU gives
/// it only for stage 2 aborts taken to EL2).
const ABORT_COMPARE_MASK: u64 = 0xffff_ffff
    & !(bits(ESR::ISV)
        | bits(ESR::SAS)
        | bits(ESR::SSE)
        | bits(ESR::SRT)
        | bits(ESR::SF)
        | bits(ESR::AR));

/// The ESR the hardware leaves for a faulting read and write is the one
/// `emu` builds from its walker's fault for the same access: the encoder
/// the guest CPU will use, checked against the CPU under it.
fn abort_syndromes_are_what_emu_encodes() -> TestResult {
    let text = abort_syndromes_are_what_emu_encodes as *const () as u64 & !7;
    let mut accesses = alloc::vec![(text, AccessKind::Write)];
    accesses.extend(mmu::unmapped_address().map(|a| (a, AccessKind::Read)));
    let walker = Walker::new(mmu::walker_features(), &mmu::ProbedMemory)
        .with_stage1(mmu::current_stage1_regs());
    for (address, kind) in accesses {
        let fault =
            match walker.translate(Walk::Stage1(VirtAddr(address)), Access::new(El::El1, kind)) {
                Ok(t) => {
                    return Err(
                        format!("the walker translates {address:#x} to {:#x}", t.output.0).into(),
                    )
                }
                Err(fault) => fault,
            };
        let hardware = match kind {
            AccessKind::Read => exception::probe_read_u64(address).err(),
            _ => {
                let value = exception::probe_read_u64(address)
                    .map_err(|f| format!("reading {address:#x}: {f}"))?;
                // SAFETY: the value read is written back, so even a write
                // that succeeds (a bug the other test reports) changes
                // nothing.
                unsafe { exception::probe_write_u64(address, value) }.err()
            }
        };
        let Some(hardware) = hardware else {
            return Err(format!("no fault on the {kind} of {address:#x}").into());
        };
        let emu = Esr::from_fault(Origin::Same, &fault, DataAbort::default());
        ensure!(
            hardware.syndrome.bits() & ABORT_COMPARE_MASK == emu.bits() & ABORT_COMPARE_MASK,
            "{kind} of {address:#x}: hardware {}, emu {emu}",
            hardware.syndrome
        );
        crate::println!("  {kind} of {address:#x}: {emu}");
    }
    Ok(())
}
