//! PAR_EL1 prediction.

use crate::addr::PhysAddr;
use crate::arch::par::{comparable, matches, par_el1, F, PTW, RES1, S};
use crate::mmu::attrs::Shareability;
use crate::mmu::config::Stage;
use crate::mmu::fault::{Access, AccessKind, El, Fault, FaultKind};
use crate::mmu::translation::{MemoryAttributes, Permissions, Translation};

fn translation(mair: u8, shareability: Shareability) -> Translation {
    Translation {
        input: 0x1234_5678,
        output: PhysAddr(0x8_1234_5678),
        size_log2: 12,
        granule: crate::granule::Granule::K4,
        level: 3,
        contiguous: false,
        permissions: Permissions::default(),
        attributes: MemoryAttributes { mair, shareability },
        global: true,
        asid: None,
    }
}

#[test]
fn successful_translation_reports_pa_attr_and_sh() {
    let par = par_el1(&Ok(translation(0xff, Shareability::Inner)));
    assert_eq!(par, 0xff00_0008_1234_5000 | (0b11 << 7) | RES1);
    // For Device and Normal Non-cacheable memory SH may read as the
    // descriptor's or as Outer Shareable: both match, a wrong PA does not.
    let device = Ok(translation(0x04, Shareability::Inner));
    let par = par_el1(&device);
    assert_eq!(par, 0x0400_0008_1234_5000 | (0b11 << 7) | RES1);
    assert!(matches(par, &device));
    assert!(matches((par & !(0b11 << 7)) | (0b10 << 7), &device));
    assert!(!matches(par ^ 0x1000, &device));
    let normal = Ok(translation(0xff, Shareability::Inner));
    assert!(!matches(
        (par_el1(&normal) & !(0b11 << 7)) | (0b10 << 7),
        &normal
    ));
    let par = par_el1(&Ok(translation(0x44, Shareability::NonShareable)));
    // NS and IMPLEMENTATION DEFINED bits do not take part in comparisons.
    assert_eq!(comparable(par | (1 << 9) | (1 << 10)), comparable(par));
}

#[test]
fn fault_reports_fst_stage_and_ptw() {
    let access = Access::new(El::El1, AccessKind::Read);
    let fault = Fault::stage1(FaultKind::Permission, 3, access);
    assert_eq!(par_el1(&Err(fault)), F | (0x0f << 1) | RES1);
    let s2 = Fault {
        stage: Stage::Stage2,
        s1ptw: true,
        ..Fault::stage1(FaultKind::Translation, 1, access)
    };
    assert_eq!(par_el1(&Err(s2)), F | (0x05 << 1) | S | PTW | RES1);
    assert_eq!(
        comparable(par_el1(&Err(s2)) | (0xdead << 48)),
        F | (0x05 << 1) | S | PTW
    );
}
