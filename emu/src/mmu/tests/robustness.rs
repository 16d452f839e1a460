//! No input makes the walker or the builder panic: random register values,
//! random table contents, random builder arguments.

use super::arena::{Arena, Rng};
use crate::addr::{IntermPhysAddr, PhysAddr, VirtAddr};
use crate::arch::par;
use crate::granule::Granule;
use crate::mmu::attrs::{Shareability, Stage1Attributes, Stage2Access, Stage2Attributes};
use crate::mmu::builder::{MapError, PageTable};
use crate::mmu::config::{InputRange, TableConfig};
use crate::mmu::fault::Access;
use crate::mmu::fault::Fault;
use crate::mmu::memory::{ExternalAbort, WalkMemory};
use crate::mmu::regime::{Features, LpaeRegs, Stage1Regs, Stage2Regs, TnszOutOfRange};
use crate::mmu::{Walk, Walker};

use crate::mmu::translation::Translation;

/// Memory whose every descriptor is a hash of its address: mostly valid
/// tables and leaves pointing into a small region, so walks go deep, with
/// some aborts.
struct Garbage(u64);

impl WalkMemory for Garbage {
    fn read_descriptor(&self, address: PhysAddr) -> Result<u64, ExternalAbort> {
        let mut rng = Rng(address.0 ^ self.0);
        let raw = rng.next();
        if raw.is_multiple_of(29) {
            return Err(ExternalAbort);
        }
        // Keep the address bits small most of the time so tables chain.
        let address_bits = if raw.is_multiple_of(5) {
            raw
        } else {
            raw & 0xff00_0000_ffff_ffff
        };
        Ok(address_bits | if raw.is_multiple_of(3) { 0 } else { 0b11 })
    }
}

fn check(result: &Result<Translation, Fault>) {
    match result {
        Ok(t) => {
            assert!(t.level <= 3 && t.size_log2 < 64);
        }
        Err(f) => assert!(f.level <= 3),
    }
    let _ = par::par_el1(result);
}

#[test]
fn walker_survives_random_registers_and_tables() {
    let mut rng = Rng(7);
    let feature_sets = [
        Features::QEMU_MAX,
        Features::armv8_0(40),
        Features {
            tnsz_out_of_range: TnszOutOfRange::Fault,
            ..Features::armv8_0(44)
        },
    ];
    for round in 0..4000 {
        let memory = Garbage(rng.next());
        let features = feature_sets[round % feature_sets.len()];
        let s1 = Stage1Regs {
            sctlr: rng.next() | 1,
            tcr: rng.next(),
            ttbr0: rng.next() & 0xffff_0000_ffff_fffe,
            ttbr1: rng.next(),
            mair: rng.next(),
            pan: rng.one_in(2),
        };
        let s2 = Stage2Regs {
            vtcr: rng.next(),
            vttbr: rng.next() & 0xffff_0000_ffff_fffe,
        };
        let access = rng.pick(&Access::ALL);
        let va = if rng.one_in(2) {
            rng.next()
        } else {
            rng.next() & 0xffff_ffff
        };
        let (result, _) = Walker::new(features, &memory)
            .with_stage1(s1)
            .trace(Walk::Stage1(VirtAddr(va)), access);
        check(&result);
        check(
            &Walker::new(features, &memory)
                .with_stage2(s2)
                .translate(Walk::Stage2(IntermPhysAddr(va)), access),
        );
        check(
            &Walker::new(features, &memory)
                .with_stage1(s1)
                .with_stage2(s2)
                .translate(Walk::TwoStage(VirtAddr(va)), access),
        );
        let l = LpaeRegs {
            sctlr: rng.next() | 1,
            ttbcr: rng.next(),
            ttbr0: rng.next(),
            ttbr1: rng.next(),
            mair: rng.next(),
            pan: rng.one_in(2),
        };
        check(
            &Walker::new(Features::QEMU_MAX, &memory)
                .with_lpae(l)
                .translate(Walk::Lpae(va as u32), access),
        );
    }
}

#[test]
fn builder_survives_random_arguments() {
    let mut rng = Rng(11);
    for round in 0..300u64 {
        let granule = rng.pick(&Granule::ALL);
        let config = match round % 4 {
            0 => TableConfig::stage1(
                granule,
                16 + rng.below(40) as u32,
                28 + rng.below(24) as u32,
            ),
            1 => TableConfig::stage1_upper(
                granule,
                16 + rng.below(40) as u32,
                32 + rng.below(20) as u32,
            ),
            2 => TableConfig::stage2(
                granule,
                16 + rng.below(40) as u32,
                rng.below(5) as u8,
                32 + rng.below(20) as u32,
            ),
            _ => TableConfig::lpae(
                20 + rng.below(16) as u32,
                rng.pick(&[InputRange::Lower, InputRange::Upper]),
            ),
        };
        let Ok(config) = config else { continue };
        let mut arena = Arena::new();
        arena.limit = Some(rng.below(40) as usize + 1);
        let Ok(mut table) = PageTable::new(config, &mut arena) else {
            continue;
        };
        table.set_live(rng.one_in(3));
        for _ in 0..20 {
            let page = granule.size();
            let scale = rng.pick(&[page, page << 9, 1u64 << 30, 1 << 40]);
            let mut address = rng.below(64) * scale;
            if rng.one_in(2) {
                address = address.wrapping_neg();
            }
            if rng.one_in(8) {
                address += 0x10;
            }
            let len = rng.below(40) * rng.pick(&[page, scale]);
            let output = PhysAddr(rng.below(1 << 20) * page);
            let s1 = Stage1Attributes {
                attr_index: rng.below(9) as u8,
                shareability: Shareability::from_bits(rng.next()),
                contiguous: rng.one_in(2),
                access_flag: rng.one_in(2),
                ..Stage1Attributes::kernel_data(0)
            };
            let s2 = Stage2Attributes {
                mem_attr: rng.below(17) as u8,
                access: rng.pick(&Stage2Access::ALL),
                contiguous: rng.one_in(2),
                ..Stage2Attributes::normal_ram()
            };
            let attrs: crate::mmu::attrs::Attributes =
                if rng.one_in(2) { s1.into() } else { s2.into() };
            let result: Result<(), MapError> = match rng.below(4) {
                0 => table.map(&mut arena, address, output, len, attrs),
                1 => table.unmap(&mut arena, address, len),
                2 => table.protect(&mut arena, address, len, attrs),
                _ => table.remap(&mut arena, address, output, len, attrs),
            };
            let _ = result;
            arena.assert_clean();
        }
        arena.limit = None;
        table.destroy(&mut arena);
        arena.assert_no_leaks();
    }
}
