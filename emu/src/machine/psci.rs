//! PSCI 1.0 (Arm DEN 0022) for a one-CPU machine, called through HVC as on
//! QEMU's `virt` board without EL2: the calls a guest OS makes to find out
//! what is there, switch the machine off or reset it.

/// PSCI function IDs (SMC32 and SMC64 conventions).
pub mod function {
    /// PSCI_VERSION.
    pub const VERSION: u32 = 0x8400_0000;
    /// CPU_SUSPEND, SMC32.
    pub const CPU_SUSPEND_32: u32 = 0x8400_0001;
    /// CPU_SUSPEND, SMC64.
    pub const CPU_SUSPEND_64: u32 = 0xc400_0001;
    /// CPU_OFF.
    pub const CPU_OFF: u32 = 0x8400_0002;
    /// CPU_ON, SMC32.
    pub const CPU_ON_32: u32 = 0x8400_0003;
    /// CPU_ON, SMC64.
    pub const CPU_ON_64: u32 = 0xc400_0003;
    /// AFFINITY_INFO, SMC32.
    pub const AFFINITY_INFO_32: u32 = 0x8400_0004;
    /// AFFINITY_INFO, SMC64.
    pub const AFFINITY_INFO_64: u32 = 0xc400_0004;
    /// MIGRATE_INFO_TYPE.
    pub const MIGRATE_INFO_TYPE: u32 = 0x8400_0006;
    /// SYSTEM_OFF.
    pub const SYSTEM_OFF: u32 = 0x8400_0008;
    /// SYSTEM_RESET.
    pub const SYSTEM_RESET: u32 = 0x8400_0009;
    /// PSCI_FEATURES.
    pub const FEATURES: u32 = 0x8400_000a;
}

/// PSCI return codes.
pub mod status {
    /// Success.
    pub const SUCCESS: i32 = 0;
    /// The function is not implemented.
    pub const NOT_SUPPORTED: i32 = -1;
    /// A parameter is wrong (e.g. a CPU that does not exist).
    pub const INVALID_PARAMETERS: i32 = -2;
    /// CPU_ON for a CPU that is already on.
    pub const ALREADY_ON: i32 = -4;
}

/// PSCI_VERSION's answer: major 1, minor 0.
pub const VERSION_1_0: u32 = 1 << 16;

/// What a call leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PsciOutcome {
    /// Return this value in x0 and go on.
    Return(u64),
    /// SYSTEM_OFF: the run ends.
    SystemOff,
    /// SYSTEM_RESET: the machine restarts the image.
    SystemReset,
    /// CPU_OFF of the only CPU: nothing is left running.
    CpuOff,
}

fn ret(code: i32) -> PsciOutcome {
    // A 32-bit status, sign-extended into x0 as firmware returns it.
    PsciOutcome::Return(code as i64 as u64)
}

/// The MPIDR affinity of the one CPU.
const CPU0: u64 = 0;

/// Handles the call with function ID `x0` and first argument `x1` (no call
/// this machine implements looks further).
pub fn call(x0: u64, x1: u64) -> PsciOutcome {
    // SMC32 calls take their function ID from w0 and ignore the rest.
    let Ok(fid) = u32::try_from(x0) else {
        return ret(status::NOT_SUPPORTED);
    };
    use function::*;
    match fid {
        VERSION => PsciOutcome::Return(u64::from(VERSION_1_0)),
        FEATURES => {
            let queried = x1 as u32;
            if implemented(queried) {
                ret(status::SUCCESS)
            } else {
                ret(status::NOT_SUPPORTED)
            }
        }
        SYSTEM_OFF => PsciOutcome::SystemOff,
        SYSTEM_RESET => PsciOutcome::SystemReset,
        CPU_OFF => PsciOutcome::CpuOff,
        CPU_ON_32 | CPU_ON_64 => {
            let target = if fid == CPU_ON_32 {
                x1 & 0xffff_ffff
            } else {
                x1
            };
            // One CPU: it is the caller, and it is on.
            if target & 0xff_00ff_ffff == CPU0 {
                ret(status::ALREADY_ON)
            } else {
                ret(status::INVALID_PARAMETERS)
            }
        }
        AFFINITY_INFO_32 | AFFINITY_INFO_64 => {
            if x1 & 0xff_00ff_ffff == CPU0 {
                ret(0) // ON
            } else {
                ret(status::INVALID_PARAMETERS)
            }
        }
        // 2: no Trusted OS, so nothing to migrate.
        MIGRATE_INFO_TYPE => PsciOutcome::Return(2),
        _ => ret(status::NOT_SUPPORTED),
    }
}

/// Whether PSCI_FEATURES reports `fid` as implemented.
pub fn implemented(fid: u32) -> bool {
    use function::*;
    matches!(
        fid,
        VERSION
            | FEATURES
            | SYSTEM_OFF
            | SYSTEM_RESET
            | CPU_OFF
            | CPU_ON_32
            | CPU_ON_64
            | AFFINITY_INFO_32
            | AFFINITY_INFO_64
            | MIGRATE_INFO_TYPE
    )
}
