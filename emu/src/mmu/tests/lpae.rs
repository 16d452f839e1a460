//! ARMv7 LPAE long-descriptor walks: the T0SZ/T1SZ split, three levels,
//! 1G/2M blocks, 40-bit output, hierarchical table attributes.

use super::arena::{Aborting, Arena};
use super::hand::{chain, leaf, AF};
use super::MAIR;
use crate::addr::PhysAddr;
use crate::arch::sysreg::{SCTLR, TTBCR};
use crate::granule::Granule;
use crate::mmu::attrs::{AccessPermissions, Stage1Attributes};
use crate::mmu::builder::PageTable;
use crate::mmu::config::{InputRange, TableConfig};
use crate::mmu::descriptor::{AP_EL0, AP_TABLE_NO_EL0, PXN_TABLE, UXN, XN_TABLE};
use crate::mmu::fault::{Access, AccessKind, El, FaultKind};
use crate::mmu::geometry::Geometry;
use crate::mmu::regime::LpaeRegs;
use crate::mmu::{Features, Walk, Walker};
use std::collections::BTreeSet;

const R1: Access = Access::new(El::El1, AccessKind::Read);
const X1: Access = Access::new(El::El1, AccessKind::Execute);
const X0: Access = Access::new(El::El0, AccessKind::Execute);
const R0: Access = Access::new(El::El0, AccessKind::Read);

fn regs(ttbcr: u64, ttbr0: u64, ttbr1: u64) -> LpaeRegs {
    LpaeRegs {
        sctlr: SCTLR::M::SET.value,
        ttbcr: TTBCR::EAE::SET.value | ttbcr,
        ttbr0,
        ttbr1,
        mair: MAIR,
        pan: false,
    }
}

fn g(input_bits: u32) -> Geometry {
    Geometry {
        granule: Granule::K4,
        input_bits,
        start_level: if input_bits > 30 { 1 } else { 2 },
    }
}

#[test]
fn blocks_and_pages_at_every_level_with_40_bit_output() {
    let va = 0xc123_4567u32;
    for level in 1..=3u8 {
        let mut arena = Arena::new();
        let out = 0xff_c000_0000u64; // bit 39 set: needs the 40-bit output
        let c = chain(
            &mut arena,
            g(32),
            u64::from(va),
            level,
            &|_| 0,
            leaf(level, out, AF),
        );
        let r = regs(0, c.root, 0);
        let t = Walker::new(Features::QEMU_MAX, &arena)
            .with_lpae(r)
            .translate(Walk::Lpae(va), R1)
            .unwrap();
        let shift = [0, 30, 21, 12][level as usize];
        assert_eq!(
            t.output,
            PhysAddr(out | (u64::from(va) & ((1 << shift) - 1))),
            "level {level}"
        );
        assert_eq!((t.level, t.size_log2), (level, shift));
        // An output address beyond 40 bits is an address size fault.
        let mut arena = Arena::new();
        let c = chain(
            &mut arena,
            g(32),
            u64::from(va),
            level,
            &|_| 0,
            leaf(level, 1 << 40, AF),
        );
        let f = Walker::new(Features::QEMU_MAX, &arena)
            .with_lpae(regs(0, c.root, 0))
            .translate(Walk::Lpae(va), R1)
            .unwrap_err();
        assert_eq!((f.kind, f.level), (FaultKind::AddressSize, level));
        // Access flag and external abort.
        let mut arena = Arena::new();
        let c = chain(
            &mut arena,
            g(32),
            u64::from(va),
            level,
            &|_| 0,
            leaf(level, out, 0),
        );
        let f = Walker::new(Features::QEMU_MAX, &arena)
            .with_lpae(regs(0, c.root, 0))
            .translate(Walk::Lpae(va), R1)
            .unwrap_err();
        assert_eq!(
            (f.kind, f.level, f.fsc()),
            (FaultKind::AccessFlag, level, 0b1000 | level)
        );
        let memory = Aborting {
            arena: &arena,
            aborts: BTreeSet::from([c.slot(level)]),
        };
        let f = Walker::new(Features::QEMU_MAX, &memory)
            .with_lpae(regs(0, c.root, 0))
            .translate(Walk::Lpae(va), R1)
            .unwrap_err();
        assert_eq!((f.kind, f.level), (FaultKind::ExternalAbortOnWalk, level));
    }
}

#[test]
fn t0sz_and_t1sz_split_the_input_and_leave_a_gap() {
    let mut arena = Arena::new();
    // T0SZ = 2: TTBR0 covers [0, 1G), start level 2. T1SZ = 2: TTBR1
    // covers [3G, 4G).
    let lower = chain(
        &mut arena,
        g(30),
        0x1000,
        3,
        &|_| 0,
        leaf(3, 0x1_0000_0000, AF),
    );
    let upper = chain(
        &mut arena,
        g(30),
        0xc000_2000,
        3,
        &|_| 0,
        leaf(3, 0x2_0000_0000, AF),
    );
    let r = regs(
        TTBCR::T0SZ.val(2).value | TTBCR::T1SZ.val(2).value,
        lower.root,
        upper.root,
    );
    assert_eq!(
        Walker::new(Features::QEMU_MAX, &arena)
            .with_lpae(r)
            .translate(Walk::Lpae(0x1004), R1)
            .unwrap()
            .output,
        PhysAddr(0x1_0000_0004)
    );
    assert_eq!(
        Walker::new(Features::QEMU_MAX, &arena)
            .with_lpae(r)
            .translate(Walk::Lpae(0xc000_2008), R1)
            .unwrap()
            .output,
        PhysAddr(0x2_0000_0008)
    );
    let f = Walker::new(Features::QEMU_MAX, &arena)
        .with_lpae(r)
        .translate(Walk::Lpae(0x8000_0000), R1)
        .unwrap_err();
    assert_eq!((f.kind, f.level), (FaultKind::Translation, 1));
    // T1SZ = 0 with T0SZ = 2: TTBR1 takes everything above 1G.
    let r1 = regs(TTBCR::T0SZ.val(2).value, lower.root, 0);
    let f = Walker::new(Features::QEMU_MAX, &arena)
        .with_lpae(r1)
        .translate(Walk::Lpae(0x8000_0000), R1)
        .unwrap_err();
    assert_eq!(f.kind, FaultKind::Translation);
    // EPD1 disables TTBR1 walks.
    let r2 = LpaeRegs {
        ttbcr: r.ttbcr | TTBCR::EPD1::SET.value,
        ..r
    };
    let f = Walker::new(Features::QEMU_MAX, &arena)
        .with_lpae(r2)
        .translate(Walk::Lpae(0xc000_2008), R1)
        .unwrap_err();
    assert_eq!((f.kind, f.level), (FaultKind::Translation, 1));
    let (_, trace) = Walker::new(Features::QEMU_MAX, &arena)
        .with_lpae(r)
        .trace(Walk::Lpae(0xc000_2008), R1);
    assert_eq!(trace.len(), 2);
    // A TTBR naming a table beyond 40 bits.
    let r3 = LpaeRegs {
        ttbr1: upper.root | (1 << 44),
        ..r
    };
    let f = Walker::new(Features::QEMU_MAX, &arena)
        .with_lpae(r3)
        .translate(Walk::Lpae(0xc000_2008), R1)
        .unwrap_err();
    assert_eq!((f.kind, f.level), (FaultKind::AddressSize, 0));
}

#[test]
fn hierarchical_table_bits_and_xn_apply() {
    let va = 0x4000_1000u32;
    for (bits, expect_r0, expect_x0, expect_x1) in [
        (AP_TABLE_NO_EL0, false, true, true),
        (XN_TABLE, true, false, false),
        (PXN_TABLE, true, true, false),
    ] {
        let mut arena = Arena::new();
        let c = chain(
            &mut arena,
            g(32),
            u64::from(va),
            3,
            &move |l| if l == 1 { bits } else { 0 },
            leaf(3, 0x8000, AF | AP_EL0 | (1 << 7)),
        );
        let r = regs(0, c.root, 0);
        assert_eq!(
            Walker::new(Features::QEMU_MAX, &arena)
                .with_lpae(r)
                .translate(Walk::Lpae(va), R0)
                .is_ok(),
            expect_r0,
            "{bits:#x}"
        );
        assert_eq!(
            Walker::new(Features::QEMU_MAX, &arena)
                .with_lpae(r)
                .translate(Walk::Lpae(va), X0)
                .is_ok(),
            expect_x0,
            "{bits:#x}"
        );
        assert_eq!(
            Walker::new(Features::QEMU_MAX, &arena)
                .with_lpae(r)
                .translate(Walk::Lpae(va), X1)
                .is_ok(),
            expect_x1,
            "{bits:#x}"
        );
    }
    // The AArch32 XN bit forbids execution at PL1 as well.
    let mut arena = Arena::new();
    let c = chain(
        &mut arena,
        g(32),
        u64::from(va),
        3,
        &|_| 0,
        leaf(3, 0x8000, AF | UXN),
    );
    let f = Walker::new(Features::QEMU_MAX, &arena)
        .with_lpae(regs(0, c.root, 0))
        .translate(Walk::Lpae(va), X1)
        .unwrap_err();
    assert_eq!((f.kind, f.level), (FaultKind::Permission, 3));
    // UWXN: PL0-writable memory is not PL1-executable.
    let c = chain(
        &mut arena,
        g(32),
        u64::from(va),
        3,
        &|_| 0,
        leaf(3, 0x8000, AF | AP_EL0),
    );
    let mut r = regs(0, c.root, 0);
    assert!(Walker::new(Features::QEMU_MAX, &arena)
        .with_lpae(r)
        .translate(Walk::Lpae(va), X1)
        .is_ok());
    r.sctlr |= SCTLR::UWXN::SET.value;
    assert!(Walker::new(Features::QEMU_MAX, &arena)
        .with_lpae(r)
        .translate(Walk::Lpae(va), X1)
        .is_err());
}

#[test]
fn builder_makes_lpae_tables_for_both_ranges() {
    let mut arena = Arena::new();
    let mut lower = PageTable::new(
        TableConfig::lpae(31, InputRange::Lower).unwrap(),
        &mut arena,
    )
    .unwrap();
    let mut upper = PageTable::new(
        TableConfig::lpae(30, InputRange::Upper).unwrap(),
        &mut arena,
    )
    .unwrap();
    let attrs = Stage1Attributes {
        access: AccessPermissions::ReadWrite,
        ..Stage1Attributes::kernel_data(1)
    };
    // 1G block at 0x4000_0000 with a 40-bit output, 2M blocks and pages up top.
    lower
        .map(
            &mut arena,
            0x4000_0000,
            PhysAddr(0xc0_0000_0000),
            0x4000_0000,
            attrs,
        )
        .unwrap();
    upper
        .map(
            &mut arena,
            0xffe0_0000,
            PhysAddr(0x20_0000),
            0x20_0000,
            attrs,
        )
        .unwrap();
    upper
        .map(&mut arena, 0xc000_0000, PhysAddr(0x5000), 0x1000, attrs)
        .unwrap();
    let r = regs(
        lower.config().ttbcr_bits() | upper.config().ttbcr_bits(),
        lower.root().0,
        upper.root().0,
    );
    let t = Walker::new(Features::QEMU_MAX, &arena)
        .with_lpae(r)
        .translate(Walk::Lpae(0x4000_0010), R0)
        .unwrap();
    assert_eq!(
        (t.output, t.level, t.attributes.mair),
        (PhysAddr(0xc0_0000_0010), 1, 0x00)
    );
    let t = Walker::new(Features::QEMU_MAX, &arena)
        .with_lpae(r)
        .translate(Walk::Lpae(0xffff_fff0), R1)
        .unwrap();
    assert_eq!((t.output, t.level), (PhysAddr(0x3f_fff0), 2));
    assert_eq!(
        Walker::new(Features::QEMU_MAX, &arena)
            .with_lpae(r)
            .translate(Walk::Lpae(0xc000_0004), R1)
            .unwrap()
            .output,
        PhysAddr(0x5004)
    );
    // 0x8000_0000..0xc000_0000 is in neither range (T0SZ 1, T1SZ 2).
    let f = Walker::new(Features::QEMU_MAX, &arena)
        .with_lpae(r)
        .translate(Walk::Lpae(0x8000_0000), R1)
        .unwrap_err();
    assert_eq!((f.kind, f.level), (FaultKind::Translation, 1));
    lower.destroy(&mut arena);
    upper.destroy(&mut arena);
    arena.assert_no_leaks();
}
