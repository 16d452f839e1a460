//! Snapshots: round trip, page-size refusal, and every corruption case.

use emu::addr::PhysAddr;
use emu::mem::pl011::{self, reg, Pl011};
use emu::mem::{AccessSize, DeviceStateError, PhysMemoryMap};
use emu::pagesize::{
    settle, CpuPageSizes, MachinePageSizes, PageSize, PageSizeSet, SettledPageSize,
};
use emu::snapshot::{self, crc32, CpuState, SnapshotError, HEADER_LEN, MAGIC, VERSION};

const RAM: u64 = 0x4000_0000;
const UART: u64 = 0x0900_0000;

#[derive(Default, Debug, PartialEq)]
struct FakeCpu {
    x: [u64; 4],
}

impl CpuState for FakeCpu {
    fn save(&self, out: &mut Vec<u8>) {
        for r in self.x {
            out.extend_from_slice(&r.to_le_bytes());
        }
    }
    fn restore(&mut self, s: &[u8]) -> Result<(), DeviceStateError> {
        if s.len() != 32 {
            return Err(DeviceStateError::BadLength {
                expected: 32,
                found: s.len(),
            });
        }
        for (i, c) in s.chunks_exact(8).enumerate() {
            self.x[i] = u64::from_le_bytes(c.try_into().unwrap());
        }
        Ok(())
    }
}

fn settled(p: PageSize) -> SettledPageSize {
    settle(
        MachinePageSizes { minimum: p },
        CpuPageSizes {
            preferred: p,
            supported: PageSizeSet::of(&[p]),
        },
    )
    .unwrap()
}

fn machine(p: PageSize) -> PhysMemoryMap {
    let mut m = PhysMemoryMap::new(p);
    m.add_ram("ram", PhysAddr(RAM), 256 << 10, 0).unwrap();
    m.add_ram("sram", PhysAddr(0x1000_0100), 0x300, 0).unwrap();
    m.add_rom("boot", PhysAddr(0), &[9; 64], 0).unwrap();
    m.add_mmio(
        "pl011",
        PhysAddr(UART),
        pl011::MMIO_SIZE,
        0,
        Box::new(Pl011::new(Box::new(|_b: u8| {}))),
    )
    .unwrap();
    m
}

fn busy_machine(p: PageSize) -> (PhysMemoryMap, FakeCpu) {
    let mut m = machine(p);
    let pattern: Vec<u8> = (0..256u32 << 10).map(|i| (i ^ (i >> 9)) as u8).collect();
    m.write_bytes(PhysAddr(RAM), &pattern).unwrap();
    m.write_bytes(PhysAddr(0x1000_0100), &[0x5a; 0x300])
        .unwrap();
    m.write(PhysAddr(UART + reg::UARTCR), AccessSize::Word, 0x301)
        .unwrap();
    m.write(PhysAddr(UART + reg::UARTIBRD), AccessSize::Word, 13)
        .unwrap();
    m.write(PhysAddr(UART + reg::UARTIMSC), AccessSize::Word, 0x30)
        .unwrap();
    (
        m,
        FakeCpu {
            x: [1, 2, 3, u64::MAX],
        },
    )
}

fn uart_regs(m: &mut PhysMemoryMap) -> Vec<u64> {
    [
        reg::UARTCR,
        reg::UARTIBRD,
        reg::UARTIMSC,
        reg::UARTRIS,
        reg::UARTFR,
    ]
    .iter()
    .map(|r| m.read(PhysAddr(UART + r), AccessSize::Word).unwrap())
    .collect()
}

fn snap(p: PageSize) -> Vec<u8> {
    let (m, cpu) = busy_machine(p);
    snapshot::save(&m, Some(&cpu))
}

/// Recomputes both checksums after a deliberate edit, so that the
/// structural checks behind them are reached.
fn reseal(mut s: Vec<u8>) -> Vec<u8> {
    let payload_len = (s.len() - HEADER_LEN) as u64;
    s[20..28].copy_from_slice(&payload_len.to_le_bytes());
    let pc = crc32(&s[HEADER_LEN..]);
    s[28..32].copy_from_slice(&pc.to_le_bytes());
    let hc = crc32(&s[..32]);
    s[32..36].copy_from_slice(&hc.to_le_bytes());
    s
}

fn restore_into_fresh(p: PageSize, s: &[u8]) -> Result<(PhysMemoryMap, FakeCpu), SnapshotError> {
    let mut m = machine(p);
    let mut cpu = FakeCpu::default();
    snapshot::restore(s, settled(p), &mut m, Some(&mut cpu))?;
    Ok((m, cpu))
}

#[test]
fn crc32_matches_the_standard_check_value() {
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    assert_eq!(crc32(b""), 0);
}

#[test]
fn round_trip_restores_ram_devices_and_cpu_for_every_page_size() {
    for p in PageSize::ALL {
        let (mut orig, cpu) = busy_machine(p);
        let s = snapshot::save(&orig, Some(&cpu));
        assert_eq!(&s[..8], &MAGIC);
        assert_eq!(u16::from_le_bytes([s[8], s[9]]), VERSION);
        assert_eq!(u32::from(s[12]), p.shift());
        assert_eq!(snapshot::page_size_of(&s), Ok(p));
        let (mut m, restored_cpu) = restore_into_fresh(p, &s).unwrap();
        assert_eq!(restored_cpu, cpu);
        assert_eq!(
            m.read_vec(PhysAddr(RAM), 256 << 10).unwrap(),
            orig.read_vec(PhysAddr(RAM), 256 << 10).unwrap()
        );
        assert_eq!(
            m.read_vec(PhysAddr(0x1000_0100), 0x300).unwrap(),
            [0x5a; 0x300]
        );
        assert_eq!(uart_regs(&mut m), uart_regs(&mut orig));
        // The same state saves to the same bytes.
        assert_eq!(snapshot::save(&m, Some(&restored_cpu)), s);
    }
}

#[test]
fn restore_into_machine_with_other_page_size_names_both_sizes() {
    let s = snap(PageSize::K16);
    let mut m = machine(PageSize::K4);
    let e = snapshot::restore(&s, settled(PageSize::K4), &mut m, None).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("16K") && msg.contains("4K"), "{msg}");
    assert!(matches!(e, SnapshotError::PageSize(_)));
    assert_eq!(
        m.read(PhysAddr(RAM), AccessSize::Double),
        Ok(0),
        "nothing restored"
    );
}

#[test]
fn every_truncation_is_rejected() {
    let s = snap(PageSize::K4);
    let step = 997; // every length would take long; every header length is covered
    for len in (0..HEADER_LEN + 2)
        .chain((HEADER_LEN..s.len()).step_by(step))
        .chain([s.len() - 1])
    {
        let e = restore_into_fresh(PageSize::K4, &s[..len]).unwrap_err();
        assert!(
            matches!(e, SnapshotError::Truncated { .. }),
            "length {len}: {e:?}"
        );
    }
}

#[test]
fn trailing_bytes_are_rejected() {
    let mut s = snap(PageSize::K4);
    s.push(0);
    assert!(matches!(
        restore_into_fresh(PageSize::K4, &s),
        Err(SnapshotError::TrailingBytes { .. })
    ));
}

#[test]
fn bad_magic_is_rejected() {
    let mut s = snap(PageSize::K4);
    s[0] ^= 1;
    assert_eq!(
        restore_into_fresh(PageSize::K4, &s).err(),
        Some(SnapshotError::BadMagic)
    );
    assert_eq!(
        restore_into_fresh(PageSize::K4, b"ELF").err(),
        Some(SnapshotError::BadMagic)
    );
}

#[test]
fn unknown_version_is_rejected() {
    let mut s = snap(PageSize::K4);
    s[8] = 2;
    assert_eq!(
        restore_into_fresh(PageSize::K4, &s).err(),
        Some(SnapshotError::UnsupportedVersion {
            found: 2,
            supported: VERSION
        })
    );
}

#[test]
fn any_flipped_header_bit_is_caught_by_its_checksum() {
    let s = snap(PageSize::K16);
    for byte in 10..HEADER_LEN {
        for bit in 0..8 {
            let mut c = s.clone();
            c[byte] ^= 1 << bit;
            let e = restore_into_fresh(PageSize::K16, &c).unwrap_err();
            // A flipped page size must not be reported as a page-size
            // mismatch: it is corruption.
            assert!(
                matches!(e, SnapshotError::HeaderChecksum { .. }),
                "byte {byte} bit {bit}: {e:?}"
            );
        }
    }
}

#[test]
fn any_flipped_payload_byte_is_caught_by_its_checksum() {
    let s = snap(PageSize::K4);
    for at in (HEADER_LEN..s.len()).step_by(1009).chain([s.len() - 1]) {
        let mut c = s.clone();
        c[at] ^= 0x40;
        assert!(
            matches!(
                restore_into_fresh(PageSize::K4, &c),
                Err(SnapshotError::PayloadChecksum { .. })
            ),
            "offset {at}"
        );
    }
}

#[test]
fn invalid_header_fields_with_valid_checksums_are_rejected() {
    let s = snap(PageSize::K4);
    let mut c = s.clone();
    c[12] = 13; // page shift
    assert_eq!(
        restore_into_fresh(PageSize::K4, &reseal(c)).err(),
        Some(SnapshotError::BadHeader("page size field"))
    );
    let mut c = s.clone();
    c[14] = 1; // reserved
    assert!(matches!(
        restore_into_fresh(PageSize::K4, &reseal(c)),
        Err(SnapshotError::BadHeader(_))
    ));
    let mut c = s.clone();
    c[10] = 40; // header length
    assert!(matches!(
        restore_into_fresh(PageSize::K4, &reseal(c)),
        Err(SnapshotError::BadHeader(_))
    ));
}

#[test]
fn malformed_sections_with_valid_checksums_are_rejected() {
    let s = snap(PageSize::K4);
    // Unknown tag on the first section.
    let mut c = s.clone();
    c[HEADER_LEN..HEADER_LEN + 4].copy_from_slice(b"XYZ ");
    assert!(matches!(
        restore_into_fresh(PageSize::K4, &reseal(c)),
        Err(SnapshotError::Malformed {
            what: "unknown section tag",
            ..
        })
    ));
    // A section length running past the payload.
    let mut c = s.clone();
    c[HEADER_LEN + 4..HEADER_LEN + 12].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(
        restore_into_fresh(PageSize::K4, &reseal(c)),
        Err(SnapshotError::Malformed { .. })
    ));
    // A section count larger than the sections present.
    let mut c = s.clone();
    c[16] += 1;
    assert!(matches!(
        restore_into_fresh(PageSize::K4, &reseal(c)),
        Err(SnapshotError::Malformed { .. })
    ));
    // Fewer sections than present: bytes left over.
    let mut c = s.clone();
    c[16] -= 1;
    assert!(matches!(
        restore_into_fresh(PageSize::K4, &reseal(c)),
        Err(SnapshotError::Malformed {
            what: "bytes after the last section",
            ..
        })
    ));
}

#[test]
fn snapshot_of_another_machine_layout_is_rejected() {
    let s = snap(PageSize::K4);
    let mut other = PhysMemoryMap::new(PageSize::K4);
    other.add_ram("ram", PhysAddr(RAM), 128 << 10, 0).unwrap();
    let e = snapshot::restore(&s, settled(PageSize::K4), &mut other, None).unwrap_err();
    assert!(matches!(e, SnapshotError::LayoutMismatch { .. }), "{e:?}");
    // A machine with an extra region the snapshot lacks.
    let mut bigger = machine(PageSize::K4);
    bigger
        .add_ram("extra", PhysAddr(0x8000_0000), 0x1000, 0)
        .unwrap();
    let e = snapshot::restore(
        &s,
        settled(PageSize::K4),
        &mut bigger,
        Some(&mut FakeCpu::default()),
    )
    .unwrap_err();
    assert_eq!(
        e,
        SnapshotError::LayoutMismatch {
            name: "extra".into(),
            what: "missing from the snapshot"
        }
    );
    // CPU state but no CPU to take it.
    let mut m = machine(PageSize::K4);
    assert!(matches!(
        snapshot::restore(&s, settled(PageSize::K4), &mut m, None),
        Err(SnapshotError::LayoutMismatch { .. })
    ));
    assert_eq!(
        m.read(PhysAddr(RAM + 1), AccessSize::Byte),
        Ok(0),
        "rolled back"
    );
}

#[test]
fn device_refusing_its_state_leaves_machine_unchanged() {
    let (orig, _) = busy_machine(PageSize::K4);
    // Save without CPU, then make the PL011's section one byte too long
    // while keeping every checksum valid.
    let s = snapshot::save(&orig, None);
    let dev_tag = s.windows(4).position(|w| w == b"DEV ").unwrap();
    let len_at = dev_tag + 4;
    let len = u64::from_le_bytes(s[len_at..len_at + 8].try_into().unwrap());
    let end = len_at + 8 + len as usize;
    let mut c = s.clone();
    c.insert(end, 0);
    c[len_at..len_at + 8].copy_from_slice(&(len + 1).to_le_bytes());
    let c = reseal(c);
    let mut m = machine(PageSize::K4);
    m.write(PhysAddr(RAM), AccessSize::Double, 0x1234).unwrap();
    let e = snapshot::restore(&c, settled(PageSize::K4), &mut m, None).unwrap_err();
    assert!(
        matches!(&e, SnapshotError::State { name, .. } if name == "pl011"),
        "{e:?}"
    );
    assert_eq!(
        m.read(PhysAddr(RAM), AccessSize::Double),
        Ok(0x1234),
        "RAM rolled back"
    );
    assert_eq!(
        m.read(PhysAddr(UART + reg::UARTCR), AccessSize::Word),
        Ok(0x300)
    );
}
