//! Page-size policy: validation, settling, and refusals naming both sizes.

use emu::granule::Granule;
use emu::pagesize::{settle, CpuPageSizes, MachinePageSizes, PageSize, PageSizeError, PageSizeSet};

fn cpu(preferred: PageSize, supported: &[PageSize]) -> CpuPageSizes {
    CpuPageSizes {
        preferred,
        supported: PageSizeSet::of(supported),
    }
}

fn machine(minimum: PageSize) -> MachinePageSizes {
    MachinePageSizes { minimum }
}

#[test]
fn page_size_accepts_only_the_four_sizes() {
    for (shift, size) in [(10, 1024), (12, 4096), (14, 16384), (16, 65536)] {
        let p = PageSize::from_shift(shift).unwrap();
        assert_eq!(p.size(), size);
        assert_eq!(PageSize::from_bytes(size), Ok(p));
        assert_eq!(p.offset_mask(), size - 1);
        assert_eq!(p.page_mask(), !(size - 1));
        assert_eq!(p.page_base(size * 3 + 5), size * 3);
        assert_eq!(p.page_number(size * 3 + 5), 3);
        assert_eq!(p.name().parse::<PageSize>(), Ok(p));
    }
    for shift in [0, 9, 11, 13, 15, 17, 64, u32::MAX] {
        assert_eq!(
            PageSize::from_shift(shift),
            Err(PageSizeError::InvalidShift(shift))
        );
    }
    for bytes in [0, 1, 2048, 8192, 3 * 4096, u64::MAX] {
        assert_eq!(
            PageSize::from_bytes(bytes),
            Err(PageSizeError::InvalidSize(bytes))
        );
    }
    assert_eq!("8k".parse::<PageSize>(), Err(PageSizeError::UnknownName));
}

#[test]
fn page_size_of_each_granule() {
    assert_eq!(PageSize::from(Granule::K4), PageSize::K4);
    assert_eq!(PageSize::from(Granule::K16), PageSize::K16);
    assert_eq!(PageSize::from(Granule::K64), PageSize::K64);
}

#[test]
fn settle_takes_machine_minimum_over_smaller_cpu_preference() {
    let s = settle(machine(PageSize::K4), cpu(PageSize::K1, &PageSize::ALL)).unwrap();
    assert_eq!(s.page_size(), PageSize::K4);
}

#[test]
fn settle_takes_cpu_preference_over_smaller_machine_minimum() {
    let s = settle(machine(PageSize::K1), cpu(PageSize::K16, &PageSize::ALL)).unwrap();
    assert_eq!(s.page_size(), PageSize::K16);
}

#[test]
fn settle_picks_smallest_supported_size_above_both() {
    let s = settle(
        machine(PageSize::K4),
        cpu(PageSize::K4, &[PageSize::K1, PageSize::K16, PageSize::K64]),
    )
    .unwrap();
    assert_eq!(s.page_size(), PageSize::K16);
}

#[test]
fn settle_fails_when_cpu_supports_nothing_large_enough() {
    let e = settle(
        machine(PageSize::K16),
        cpu(PageSize::K1, &[PageSize::K1, PageSize::K4]),
    )
    .unwrap_err();
    assert!(matches!(e, PageSizeError::NoCommonPageSize { .. }));
    let msg = e.to_string();
    assert!(msg.contains("16K") && msg.contains("4K"), "{msg}");
}

#[test]
fn later_cpu_without_settled_size_is_refused_naming_both() {
    let s = settle(machine(PageSize::K4), cpu(PageSize::K4, &PageSize::ALL)).unwrap();
    assert_eq!(s.admit_cpu(cpu(PageSize::K4, &[PageSize::K4])), Ok(()));
    let e = s
        .admit_cpu(cpu(PageSize::K16, &[PageSize::K16, PageSize::K64]))
        .unwrap_err();
    assert_eq!(
        e,
        PageSizeError::CpuIncompatible {
            settled: PageSize::K4,
            cpu_preferred: PageSize::K16,
            cpu_supported: PageSizeSet::of(&[PageSize::K16, PageSize::K64]),
        }
    );
    let msg = e.to_string();
    assert!(msg.contains("4K") && msg.contains("16K"), "{msg}");
}

#[test]
fn saved_state_with_other_page_size_is_refused_naming_both() {
    let s = settle(machine(PageSize::K16), cpu(PageSize::K4, &PageSize::ALL)).unwrap();
    assert_eq!(s.admit_saved_state(PageSize::K16), Ok(()));
    let e = s.admit_saved_state(PageSize::K64).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("16K") && msg.contains("64K"), "{msg}");
}

#[test]
fn page_size_set_lists_members_in_order() {
    let set = PageSizeSet::EMPTY.with(PageSize::K64).with(PageSize::K1);
    assert!(set.contains(PageSize::K1) && !set.contains(PageSize::K4));
    assert_eq!(
        set.iter().collect::<Vec<_>>(),
        [PageSize::K1, PageSize::K64]
    );
    assert_eq!(set.to_string(), "{1K, 64K}");
    assert_eq!(PageSizeSet::ALL.iter().count(), 4);
}
