//! The TLB workload's guest (the shell's `tlb` command): a [`Virt`] machine
//! with 4K-granule stage 1 tables made by the table builder in the last
//! MiB of its RAM, mapping a 2 MiB block of RAM, 256 scattered 4K pages
//! and the UART's page. Run through the TLB without a CPU, it exercises
//! fills by the walker, the fast path, sub-page MMIO and TLBI.

use alloc::format;
use alloc::string::String;

use super::layout::{RAM_BASE, UART_BASE};
use super::Virt;
use crate::addr::PhysAddr;
use crate::arch::sysreg::TCR_EL1;
use crate::granule::Granule;
use crate::mem::GuestTableMemory;
use crate::mmu::regime::Stage1Regs;
use crate::mmu::{AccessPermissions, PageTable, Stage1Attributes, TableConfig};

/// Guest RAM the workload needs.
pub const RAM_SIZE: u64 = 8 << 20;
/// VA of the 2 MiB block (mapped to the start of RAM).
pub const BLOCK_VA: u64 = 0x1_0000_0000;
/// VA of the first of the scattered 4K pages.
pub const PAGES_VA: u64 = 0x2_0000_0000;
/// How many scattered pages.
pub const PAGES: u64 = 256;
/// VA of the UART's page.
pub const UART_VA: u64 = 0x3_0000_0000;
/// MAIR: slot 0 Normal Write-Back, slot 1 Device-nGnRE.
const GUEST_MAIR: u64 = 0x04ff;
const SCTLR_M: u64 = 1;

fn attrs(attr_index: u8) -> Stage1Attributes {
    Stage1Attributes {
        access: AccessPermissions::PrivilegedReadWrite,
        ..Stage1Attributes::kernel_data(attr_index)
    }
}

/// Writes the workload's tables into `virt`'s RAM (which must hold at
/// least [`RAM_SIZE`]) and returns the stage 1 registers that use them.
pub fn build_tables(virt: &mut Virt) -> Result<Stage1Regs, String> {
    let ram = virt.config().ram_size;
    if ram < RAM_SIZE {
        return Err(format!(
            "the workload needs {RAM_SIZE} bytes of guest RAM, not {ram}"
        ));
    }
    let tables = RAM_BASE.0 + RAM_SIZE - (1 << 20);
    let config = TableConfig::stage1(Granule::K4, 39, 48).map_err(|e| format!("{e}"))?;
    let mut mem = GuestTableMemory::new(
        &mut virt.map,
        PhysAddr(tables),
        PhysAddr(RAM_BASE.0 + RAM_SIZE),
    );
    let mut table = PageTable::new(config, &mut mem).map_err(|e| format!("{e}"))?;
    let result = (|| {
        table.map(&mut mem, BLOCK_VA, RAM_BASE, 2 << 20, attrs(0))?;
        // Scattered pages: neighbours in VA are 8 KiB apart in PA, backwards.
        for i in 0..PAGES {
            let pa = RAM_BASE.0 + (2 << 20) + (PAGES - i) * 0x2000;
            table.map(
                &mut mem,
                PAGES_VA + i * 0x1000,
                PhysAddr(pa),
                0x1000,
                attrs(0),
            )?;
        }
        table.map(&mut mem, UART_VA, UART_BASE, 0x1000, attrs(1))
    })();
    result.map_err(|e| format!("building the guest tables: {e}"))?;
    Ok(Stage1Regs {
        sctlr: SCTLR_M,
        tcr: config.tcr_el1_bits() | TCR_EL1::EPD1::SET.value,
        ttbr0: table.root().0,
        ttbr1: 0,
        mair: GUEST_MAIR,
        pan: false,
    })
}
