//! Writes the corpus seeds of the fuzz targets that take structured input
//! (`cargo test -p emu --lib write_fuzz_seeds -- --ignored`): real tables
//! for the walker, valid snapshots, and short scenarios for the others.
//! Seeds are only starting points; the checks accept any bytes.

use std::fs;
use std::path::{Path, PathBuf};
use std::vec;
use std::vec::Vec;

use crate::addr::PhysAddr;
use crate::arch::sysreg::{SCTLR_EL1, TCR_EL1};
use crate::granule::Granule;
use crate::mmu::attrs::{Stage1Attributes, Stage2Attributes};
use crate::mmu::config::{InputRange, TableConfig};
use crate::mmu::memory::TableMemory;
use crate::mmu::tests::arena::{Random, Rng};
use crate::mmu::PageTable;

/// Table memory for the walker seeds: 64 KiB at PA 0, the layout the
/// walker target reads.
struct Flat {
    bytes: Vec<u8>,
    next: usize,
}

impl TableMemory for Flat {
    fn allocate_table(&mut self, bytes: usize) -> Option<PhysAddr> {
        let at = self.next.next_multiple_of(bytes);
        (at + bytes <= self.bytes.len()).then(|| {
            self.next = at + bytes;
            PhysAddr(at as u64)
        })
    }
    fn free_table(&mut self, _: PhysAddr, _: usize) {}
    fn read_descriptor(&self, a: PhysAddr) -> u64 {
        let a = a.0 as usize;
        u64::from_le_bytes(self.bytes[a..a + 8].try_into().unwrap())
    }
    fn write_descriptor(&mut self, a: PhysAddr, v: u64) {
        let a = a.0 as usize;
        self.bytes[a..a + 8].copy_from_slice(&v.to_le_bytes());
    }
}

fn dir(target: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    fs::create_dir_all(&d).unwrap();
    d
}

/// One walker input (see `walker::check` for the layout).
#[allow(clippy::too_many_arguments)]
fn walker_input(
    regime: u8,
    va: u64,
    sctlr: u64,
    tcr: u64,
    ttbr: u64,
    vtcr: u64,
    vttbr: u64,
    mem: &[u8],
) -> Vec<u8> {
    let mut out = vec![regime, 0, 1];
    for v in [va, sctlr, tcr, ttbr, ttbr, 0xff] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.push(0);
    out.extend_from_slice(&vtcr.to_le_bytes());
    out.extend_from_slice(&vttbr.to_le_bytes());
    out.extend_from_slice(&[0x3f, 5]);
    out.extend_from_slice(mem);
    out
}

fn walker_seeds() {
    let d = dir("walker");
    let rw = Stage1Attributes::kernel_data(0);
    let s2 = Stage2Attributes::normal_ram();
    // 64K tables do not fit the target's 64 KiB of table memory twice.
    for (i, granule) in [Granule::K4, Granule::K16].into_iter().enumerate() {
        // Stage 1: a page and a block; the memory holds the tables only,
        // cut after the last table the walk uses.
        let g = granule.size();
        let config = TableConfig::stage1(granule, 36, 40).unwrap();
        let mut mem = Flat {
            bytes: vec![0; 1 << 16],
            next: 0,
        };
        let mut t = PageTable::new(config, &mut mem).unwrap();
        t.map(&mut mem, 0x40_0000, PhysAddr(0x8000_0000), g, rw)
            .unwrap();
        let used = mem.next;
        let tcr_bits = config.tcr_el1_bits() | TCR_EL1::EPD1::SET.value;
        let seed = walker_input(
            0,
            0x40_0010,
            SCTLR_EL1::M::SET.value,
            tcr_bits,
            t.root().0,
            0,
            0,
            &mem.bytes[..used],
        );
        fs::write(d.join(std::format!("s1-{i}")), seed).unwrap();
        // 16K stage-2 seeds would be 64 KiB each: 4K ones suffice.
        if granule != Granule::K4 {
            continue;
        }
        // Stage 2 over the same memory layout, and two stages where stage
        // 2 maps the tables' IPAs to themselves.
        let s2config =
            TableConfig::stage2(granule, 36, if granule == Granule::K4 { 1 } else { 2 }, 40)
                .unwrap();
        let mut mem = Flat {
            bytes: vec![0; 1 << 16],
            next: 0,
        };
        let mut t2 = PageTable::new(s2config, &mut mem).unwrap();
        t2.map(&mut mem, 0, PhysAddr(0), 1 << 16, s2).unwrap();
        let block = if granule == Granule::K4 {
            1 << 21
        } else {
            1 << 25
        };
        t2.map(&mut mem, 0x8000_0000, PhysAddr(0x9000_0000), block, s2)
            .unwrap();
        let mut t1 = PageTable::new(config, &mut mem).unwrap();
        t1.map(&mut mem, 0x40_0000, PhysAddr(0x8000_0000), g, rw)
            .unwrap();
        let used = mem.next;
        let vtcr = s2config.vtcr_el2_bits();
        for regime in [1u8, 2, 3] {
            let va = if regime == 1 { 0x8000_0010 } else { 0x40_0010 };
            let seed = walker_input(
                regime,
                va,
                SCTLR_EL1::M::SET.value,
                tcr_bits,
                t1.root().0,
                vtcr,
                t2.root().0,
                &mem.bytes[..used],
            );
            let name = ["", "s2", "s1-under-s2", "two-stage"][usize::from(regime)];
            fs::write(d.join(std::format!("{name}-{i}")), seed).unwrap();
        }
    }
    let config = TableConfig::lpae(32, InputRange::Lower).unwrap();
    let mut mem = Flat {
        bytes: vec![0; 1 << 16],
        next: 0,
    };
    let mut t = PageTable::new(config, &mut mem).unwrap();
    t.map(&mut mem, 0x40_0000, PhysAddr(0x8000_0000), 0x1000, rw)
        .unwrap();
    let used = mem.next;
    let seed = walker_input(
        4,
        0x40_0010,
        SCTLR_EL1::M::SET.value,
        config.ttbcr_bits(),
        t.root().0,
        0,
        0,
        &mem.bytes[..used],
    );
    fs::write(d.join("lpae"), seed).unwrap();
}

fn random_seeds(target: &str, count: u64, len: usize) {
    let d = dir(target);
    for i in 0..count {
        let mut rng = Rng(i * 7919 + len as u64);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        fs::write(d.join(std::format!("random-{i}")), bytes).unwrap();
    }
}

fn snapshot_seeds() {
    let d = dir("snapshot");
    // Edit mode, each page size, with and without CPU, with fixed-up and
    // with stale checksums; one raw valid snapshot.
    for mode in [0x01u8, 0x03, 0x0d, 0x1d, 0x21] {
        fs::write(
            d.join(std::format!("edit-{mode:02x}")),
            [mode, 0x11, 2, 0x28, 0, 7, 2],
        )
        .unwrap();
    }
    let mut raw = vec![0u8];
    raw.extend(super::snapshot::valid_snapshot());
    fs::write(d.join("raw-valid"), raw).unwrap();
}

#[test]
#[ignore = "writes the checked-in corpus seeds; run by hand"]
fn write_fuzz_seeds() {
    walker_seeds();
    snapshot_seeds();
    random_seeds("builder", 6, 400);
    random_seeds("memmap", 6, 300);
    random_seeds("tlb", 8, 400);
}
