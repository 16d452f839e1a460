//! Snapshot target: raw bytes, and valid snapshots edited with their
//! checksums fixed up so that the edits reach the section parser. A
//! refused restore must leave RAM, devices and CPU exactly as they were;
//! an accepted one must round-trip (what is saved afterwards restores into
//! a fresh machine and saves the same).

use alloc::boxed::Box;
use alloc::vec::Vec;
use std::string::ToString;

use super::Input;
use crate::addr::PhysAddr;
use crate::mem::pl011::{self, reg, Pl011};
use crate::mem::{AccessSize, DeviceStateError, PhysMemoryMap};
use crate::pagesize::{settle, CpuPageSizes, MachinePageSizes, PageSize, PageSizeSet};
use crate::snapshot::{self, crc32, CpuState, HEADER_LEN};

const RAM: u64 = 0x4000_0000;
const UART: u64 = 0x0900_0000;
const MAX_EDITS: usize = 16;

/// A CPU with four registers, enough to test the CPU section.
#[derive(Default, Clone, Debug, PartialEq, Eq)]
struct FakeCpu([u64; 4]);

impl CpuState for FakeCpu {
    fn save(&self, out: &mut Vec<u8>) {
        self.0
            .iter()
            .for_each(|r| out.extend_from_slice(&r.to_le_bytes()));
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), DeviceStateError> {
        if state.len() != 32 {
            return Err(DeviceStateError::BadLength {
                expected: 32,
                found: state.len(),
            });
        }
        for (r, c) in self.0.iter_mut().zip(state.chunks_exact(8)) {
            *r = u64::from_le_bytes(c.try_into().map_err(|_| DeviceStateError::BadValue)?);
        }
        Ok(())
    }
}

/// The machine every snapshot is restored into: two RAM regions, a ROM and
/// a PL011, built with `page`.
fn machine(page: PageSize) -> PhysMemoryMap {
    let mut m = PhysMemoryMap::new(page);
    m.add_ram("ram", PhysAddr(RAM), 0x2000, 0).unwrap();
    m.add_ram("sram", PhysAddr(0x1000_0100), 0x300, 0).unwrap();
    m.add_rom("boot", PhysAddr(0), &[9; 64], 0).unwrap();
    m.add_mmio(
        "pl011",
        PhysAddr(UART),
        pl011::MMIO_SIZE,
        0,
        Box::new(Pl011::new(Box::new(|_: u8| {}))),
    )
    .unwrap();
    m
}

/// A machine whose RAM, UART and CPU all hold something, by `seed`.
fn busy(page: PageSize, seed: u8) -> (PhysMemoryMap, FakeCpu) {
    let mut m = machine(page);
    let pattern: Vec<u8> = (0..0x2000u32).map(|i| (i as u8) ^ seed).collect();
    m.write_bytes(PhysAddr(RAM), &pattern).unwrap();
    m.write_bytes(PhysAddr(0x1000_0100), &[seed; 0x300])
        .unwrap();
    for (r, v) in [(reg::UARTCR, 0x301), (reg::UARTIBRD, u64::from(seed))] {
        m.write(PhysAddr(UART + r), AccessSize::Word, v).unwrap();
    }
    (m, FakeCpu([u64::from(seed); 4]))
}

/// A valid snapshot of a busy machine with CPU state, for the seeds.
#[cfg(test)]
pub(crate) fn valid_snapshot() -> Vec<u8> {
    let (map, cpu) = busy(PageSize::K4, 0x11);
    snapshot::save(&map, Some(&cpu))
}

/// One input: raw (first byte even) or edits of a valid snapshot.
pub fn check(data: &[u8]) {
    let mut input = Input::new(data);
    let mode = input.u8();
    let page = if mode & 2 == 0 {
        PageSize::K4
    } else {
        PageSize::K16
    };
    let bytes = if mode & 1 == 0 {
        input.bytes(usize::MAX).to_vec()
    } else {
        edited(&mut input, page, mode)
    };
    let with_cpu = mode & 4 != 0;
    let (mut map, mut cpu) = busy(page, 0x5a);
    let before = snapshot::save(&map, Some(&cpu));
    let settled = settle(
        MachinePageSizes { minimum: page },
        CpuPageSizes {
            preferred: page,
            supported: PageSizeSet::of(&[page]),
        },
    )
    .unwrap();
    let result = snapshot::restore(
        &bytes,
        settled,
        &mut map,
        with_cpu.then_some(&mut cpu as &mut dyn CpuState),
    );
    let after = snapshot::save(&map, Some(&cpu));
    match result {
        Err(e) => {
            assert!(!e.to_string().is_empty());
            assert!(before == after, "refused restore ({e}) changed the machine");
        }
        Ok(()) => {
            let (mut fresh, mut fresh_cpu) = busy(page, 0xa5);
            snapshot::restore(&after, settled, &mut fresh, Some(&mut fresh_cpu))
                .expect("a saved snapshot restores");
            assert!(
                snapshot::save(&fresh, Some(&fresh_cpu)) == after,
                "restored state does not round-trip"
            );
        }
    }
}

/// A snapshot of another busy machine, with byte edits, maybe a new
/// length, and (by `mode`) the length field and checksums fixed up.
fn edited(input: &mut Input<'_>, page: PageSize, mode: u8) -> Vec<u8> {
    let (map, cpu) = busy(page, input.u8());
    let mut bytes = snapshot::save(&map, (mode & 8 != 0).then_some(&cpu as &dyn CpuState));
    let edits = usize::from(input.u8()) % (MAX_EDITS + 1);
    for _ in 0..edits {
        let at = input.bits(2) as usize;
        let value = input.u8();
        match input.u8() % 4 {
            0 => bytes.truncate(at),
            1 => bytes.insert(at.min(bytes.len()), value),
            _ => {
                let at = at % bytes.len().max(1);
                if let Some(b) = bytes.get_mut(at) {
                    *b ^= value;
                }
            }
        }
    }
    if mode & 16 != 0 && bytes.len() >= HEADER_LEN {
        let payload = (bytes.len() - HEADER_LEN) as u64;
        bytes[20..28].copy_from_slice(&payload.to_le_bytes());
    }
    if mode & 32 == 0 && bytes.len() >= HEADER_LEN {
        let payload_crc = crc32(&bytes[HEADER_LEN..]);
        bytes[28..32].copy_from_slice(&payload_crc.to_le_bytes());
        let header_crc = crc32(&bytes[..32]);
        bytes[32..36].copy_from_slice(&header_crc.to_le_bytes());
    }
    bytes
}
