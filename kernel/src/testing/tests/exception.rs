//! Exceptions taken on purpose, and their syndromes decoded.

use crate::arch::exception;
use crate::ensure;
use crate::memory::mmu;
use crate::testing::{Outcome, Test, TestResult};
use alloc::format;
use emu::arch::esr::{ExceptionClass, FaultStatus};

/// The tests of this module.
pub const TESTS: &[Test] =
    crate::on_target_tests![unmapped_read_is_decoded, text_write_is_permission_fault];

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
