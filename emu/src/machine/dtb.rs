//! The guest's device tree, written as QEMU's `virt` board writes its own
//! (same node names and the properties a guest reads): memory, the CPU,
//! PSCI, the generic timer, the PL011 and its clock, and `/chosen`.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::layout::{UART_BASE, UART_CLOCK_HZ, UART_SIZE};

/// What the device tree says about one machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceTreeConfig {
    /// RAM base.
    pub ram_base: u64,
    /// RAM size in bytes.
    pub ram_size: u64,
    /// `/chosen/bootargs` (the run's `--append`).
    pub bootargs: String,
}

/// The device tree writer refused something (only on malformed input,
/// e.g. a NUL byte inside `bootargs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DtbError(pub String);

impl fmt::Display for DtbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot write the guest device tree: {}", self.0)
    }
}

impl core::error::Error for DtbError {}

/// The path of the UART node, as `/chosen/stdout-path` names it.
pub fn uart_path() -> String {
    format!("/pl011@{:x}", UART_BASE.0)
}

/// phandles as QEMU numbers them.
const PHANDLE_CLOCK: u32 = 0x8000;
const PHANDLE_CPU0: u32 = 0x8001;

/// PSCI 0.2+ function IDs the DT names for older clients (SMC32/SMC64).
const PSCI_CPU_SUSPEND: u32 = 0xc400_0001;
const PSCI_CPU_OFF: u32 = 0x8400_0002;
const PSCI_CPU_ON: u32 = 0xc400_0003;
const PSCI_MIGRATE: u32 = 0xc400_0005;

/// The blob's total size: QEMU pads its tree to 1 MiB, leaving room for
/// guests that edit it in place, and the heap SYS_HEAPINFO reports lies
/// around it; padding ours the same way puts the heap where QEMU puts it.
pub const DTB_SIZE: usize = 1 << 20;

/// Builds the blob, padded to [`DTB_SIZE`].
pub fn build(config: &DeviceTreeConfig) -> Result<Vec<u8>, DtbError> {
    if config.bootargs.contains('\0') {
        return Err(DtbError("bootargs contain a NUL byte".to_string()));
    }
    let mut blob = write(config).map_err(|e| DtbError(format!("{e:?}")))?;
    if blob.len() > DTB_SIZE {
        return Err(DtbError(format!(
            "{} bytes, more than {DTB_SIZE}",
            blob.len()
        )));
    }
    blob.resize(DTB_SIZE, 0);
    // totalsize, big-endian at offset 4 of the header.
    blob[4..8].copy_from_slice(&(DTB_SIZE as u32).to_be_bytes());
    Ok(blob)
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn write(config: &DeviceTreeConfig) -> Result<Vec<u8>, vm_fdt::Error> {
    let mut w = vm_fdt::FdtWriter::new()?;
    let root = w.begin_node("")?;
    w.property_string("compatible", "linux,dummy-virt")?;
    w.property_string("model", "linux,dummy-virt")?;
    w.property_u32("#address-cells", 2)?;
    w.property_u32("#size-cells", 2)?;

    let psci = w.begin_node("psci")?;
    w.property_string_list(
        "compatible",
        strings(&["arm,psci-1.0", "arm,psci-0.2", "arm,psci"]),
    )?;
    w.property_string("method", "hvc")?;
    w.property_u32("cpu_suspend", PSCI_CPU_SUSPEND)?;
    w.property_u32("cpu_off", PSCI_CPU_OFF)?;
    w.property_u32("cpu_on", PSCI_CPU_ON)?;
    w.property_u32("migrate", PSCI_MIGRATE)?;
    w.end_node(psci)?;

    let memory = w.begin_node(&format!("memory@{:x}", config.ram_base))?;
    w.property_string("device_type", "memory")?;
    w.property_array_u64("reg", &[config.ram_base, config.ram_size])?;
    w.end_node(memory)?;

    let cpus = w.begin_node("cpus")?;
    w.property_u32("#address-cells", 1)?;
    w.property_u32("#size-cells", 0)?;
    let cpu = w.begin_node("cpu@0")?;
    w.property_string("device_type", "cpu")?;
    w.property_string("compatible", "arm,arm-v8")?;
    w.property_u32("reg", 0)?;
    w.property_string("enable-method", "psci")?;
    w.property_u32("phandle", PHANDLE_CPU0)?;
    w.end_node(cpu)?;
    w.end_node(cpus)?;

    // No GIC yet, so no interrupts: the timer is there for its counter.
    let timer = w.begin_node("timer")?;
    w.property_string_list(
        "compatible",
        strings(&["arm,armv8-timer", "arm,armv7-timer"]),
    )?;
    w.property_null("always-on")?;
    w.end_node(timer)?;

    let clock = w.begin_node("apb-pclk")?;
    w.property_string("compatible", "fixed-clock")?;
    w.property_u32("#clock-cells", 0)?;
    w.property_u32("clock-frequency", UART_CLOCK_HZ)?;
    w.property_string("clock-output-names", "clk24mhz")?;
    w.property_u32("phandle", PHANDLE_CLOCK)?;
    w.end_node(clock)?;

    let uart = w.begin_node(&uart_path()[1..])?;
    w.property_string_list("compatible", strings(&["arm,pl011", "arm,primecell"]))?;
    w.property_array_u64("reg", &[UART_BASE.0, UART_SIZE])?;
    w.property_array_u32("clocks", &[PHANDLE_CLOCK, PHANDLE_CLOCK])?;
    w.property_string_list("clock-names", strings(&["uartclk", "apb_pclk"]))?;
    w.end_node(uart)?;

    let chosen = w.begin_node("chosen")?;
    w.property_string("bootargs", &config.bootargs)?;
    w.property_string("stdout-path", &uart_path())?;
    w.end_node(chosen)?;

    w.end_node(root)?;
    w.finish()
}
