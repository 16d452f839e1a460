//! Device-tree reader tests on blobs built here, well-formed and broken.

use super::*;
use alloc::string::ToString;
use alloc::vec::Vec;

/// Builds a DTB: `begin`/`prop`/`end` append to the structure block.
struct Builder {
    structs: Vec<u8>,
    strings: Vec<u8>,
}

impl Builder {
    fn new() -> Self {
        Builder {
            structs: Vec::new(),
            strings: Vec::new(),
        }
    }

    fn word(&mut self, w: u32) -> &mut Self {
        self.structs.extend_from_slice(&w.to_be_bytes());
        self
    }

    fn pad(&mut self) {
        while !self.structs.len().is_multiple_of(4) {
            self.structs.push(0);
        }
    }

    fn begin(&mut self, name: &str) -> &mut Self {
        self.word(FDT_BEGIN_NODE);
        self.structs.extend_from_slice(name.as_bytes());
        self.structs.push(0);
        self.pad();
        self
    }

    fn end(&mut self) -> &mut Self {
        self.word(FDT_END_NODE)
    }

    fn prop(&mut self, name: &str, value: &[u8]) -> &mut Self {
        let off = self.strings.len() as u32;
        self.strings.extend_from_slice(name.as_bytes());
        self.strings.push(0);
        self.word(FDT_PROP).word(value.len() as u32).word(off);
        self.structs.extend_from_slice(value);
        self.pad();
        self
    }

    fn prop_cells(&mut self, name: &str, cells: &[u32]) -> &mut Self {
        let bytes: Vec<u8> = cells.iter().flat_map(|c| c.to_be_bytes()).collect();
        self.prop(name, &bytes)
    }

    fn finish(&mut self) -> Vec<u8> {
        self.word(FDT_END);
        let off_struct = HEADER_LEN as u32;
        let off_strings = off_struct + self.structs.len() as u32;
        let total = off_strings + self.strings.len() as u32;
        let header = [
            MAGIC,
            total,
            off_struct,
            off_strings,
            0, // memory reservation map offset: unused by this reader
            17,
            16,
            0,
            self.strings.len() as u32,
            self.structs.len() as u32,
        ];
        let mut blob: Vec<u8> = header.iter().flat_map(|w| w.to_be_bytes()).collect();
        blob.extend_from_slice(&self.structs);
        blob.extend_from_slice(&self.strings);
        blob
    }
}

/// A tree shaped like a Raspberry Pi's: the UART sits behind a `soc` bus
/// whose `ranges` move it from the VideoCore's view to the CPU's.
fn pi_like_tree() -> Vec<u8> {
    let mut b = Builder::new();
    b.begin("")
        .prop_cells("#address-cells", &[1])
        .prop_cells("#size-cells", &[1])
        .prop("compatible", b"raspberrypi,3-model-b\0brcm,bcm2837\0");
    b.begin("chosen")
        .prop("bootargs", b"cmds=info; poweroff\0")
        .prop_cells("linux,initrd-start", &[0x0800_0000])
        .prop_cells("linux,initrd-end", &[0x0801_0000])
        .end();
    b.begin("memory@0")
        .prop("device_type", b"memory\0")
        .prop_cells("reg", &[0, 0x3c00_0000])
        .end();
    b.begin("soc")
        .prop_cells("#address-cells", &[1])
        .prop_cells("#size-cells", &[1])
        .prop_cells("ranges", &[0x7e00_0000, 0x3f00_0000, 0x0100_0000]);
    b.begin("serial@7e201000")
        .prop("compatible", b"arm,pl011\0arm,primecell\0")
        .prop_cells("reg", &[0x7e20_1000, 0x200])
        .end();
    b.end().end();
    b.finish()
}

#[test]
fn reads_properties_and_paths() {
    let blob = pi_like_tree();
    let fdt = Fdt::new(&blob).unwrap();
    assert!(fdt.root().is_compatible("brcm,bcm2837"));
    assert!(!fdt.root().is_compatible("brcm"));
    let chosen = fdt.find_node("/chosen").unwrap();
    assert_eq!(chosen.str("bootargs"), Some("cmds=info; poweroff"));
    assert_eq!(chosen.u32("linux,initrd-start"), Some(0x0800_0000));
    let memory = fdt.find_node("/memory").unwrap();
    let regs: Vec<_> = memory.reg(&fdt.root()).unwrap().collect();
    assert_eq!(regs, [(0, 0x3c00_0000)]);
    assert!(fdt.find_node("/nowhere").is_none());
    let names: Vec<_> = fdt.root().children().map(|c| c.name()).collect();
    assert_eq!(names, ["chosen", "memory@0", "soc"]);
}

#[test]
fn translates_a_uart_through_bus_ranges() {
    let blob = pi_like_tree();
    let fdt = Fdt::new(&blob).unwrap();
    let uart = fdt.find_compatible("arm,pl011", |node, ancestors| {
        let parent = ancestors.last()?;
        let (bus_address, size) = node.reg(parent).ok()?.next()?;
        Some((translate_address(bus_address, ancestors).ok()??, size))
    });
    assert_eq!(uart, Some((0x3f20_1000, 0x200)));
}

#[test]
fn address_outside_every_range_does_not_translate() {
    let blob = pi_like_tree();
    let fdt = Fdt::new(&blob).unwrap();
    let ancestors = [fdt.root(), fdt.find_node("/soc").unwrap()];
    assert_eq!(
        translate_address(0x7e00_0000, &ancestors),
        Ok(Some(0x3f00_0000))
    );
    assert_eq!(translate_address(0x1000, &ancestors), Ok(None));
}

#[test]
fn rejects_bad_magic_and_truncation() {
    let mut blob = pi_like_tree();
    assert_eq!(Fdt::new(&blob[..20]).err(), Some(FdtError::Truncated));
    assert_eq!(
        Fdt::new(&blob[..blob.len() - 1]).err(),
        Some(FdtError::Truncated)
    );
    blob[0] = 0;
    assert!(matches!(Fdt::new(&blob), Err(FdtError::BadMagic(_))));
}

#[test]
fn rejects_blocks_outside_the_blob() {
    let mut blob = pi_like_tree();
    blob[8..12].copy_from_slice(&0xffff_fff0u32.to_be_bytes());
    assert_eq!(Fdt::new(&blob).err(), Some(FdtError::BlockOutOfBounds));
}

#[test]
fn rejects_an_unknown_token() {
    let mut b = Builder::new();
    b.begin("").word(7).end();
    let blob = b.finish();
    assert!(matches!(
        Fdt::new(&blob),
        Err(FdtError::BadToken { token: 7, .. })
    ));
}

#[test]
fn rejects_unbalanced_nodes() {
    let mut b = Builder::new();
    b.begin("").begin("child").end();
    assert_eq!(Fdt::new(&b.finish()).err(), Some(FdtError::Unbalanced));
    let mut b = Builder::new();
    b.begin("").end().end();
    assert_eq!(Fdt::new(&b.finish()).err(), Some(FdtError::Unbalanced));
    let mut b = Builder::new();
    b.begin("").end().begin("second-root").end();
    assert_eq!(Fdt::new(&b.finish()).err(), Some(FdtError::Unbalanced));
    let mut b = Builder::new();
    assert_eq!(Fdt::new(&b.finish()).err(), Some(FdtError::Unbalanced));
}

#[test]
fn rejects_a_property_that_runs_off_the_block() {
    let mut b = Builder::new();
    b.begin("").word(FDT_PROP).word(0x1000).word(0).end();
    assert_eq!(Fdt::new(&b.finish()).err(), Some(FdtError::Unterminated));
}

#[test]
fn rejects_a_property_name_outside_the_strings() {
    let mut b = Builder::new();
    b.begin("").word(FDT_PROP).word(0).word(0x4000).end();
    assert_eq!(Fdt::new(&b.finish()).err(), Some(FdtError::Unterminated));
}

#[test]
fn rejects_nesting_too_deep() {
    let mut b = Builder::new();
    for _ in 0..=MAX_DEPTH {
        b.begin("n");
    }
    for _ in 0..=MAX_DEPTH {
        b.end();
    }
    assert_eq!(Fdt::new(&b.finish()).err(), Some(FdtError::TooDeep));
}

#[test]
fn nops_are_skipped_everywhere() {
    let mut b = Builder::new();
    b.word(FDT_NOP).begin("").word(FDT_NOP);
    b.prop("model", b"nop test\0").word(FDT_NOP);
    b.begin("child").end().word(FDT_NOP).end();
    let blob = b.finish();
    let fdt = Fdt::new(&blob).unwrap();
    assert_eq!(fdt.root().str("model"), Some("nop test"));
    assert_eq!(fdt.root().children().count(), 1);
}

#[test]
fn every_truncation_and_corruption_is_an_error_not_a_panic() {
    let blob = pi_like_tree();
    for len in 0..blob.len() {
        let _ = Fdt::new(&blob[..len]);
    }
    // Flip every byte in turn: the reader must return, never panic or hang,
    // and queries on whatever still parses must stay bounded.
    for i in 0..blob.len() {
        let mut bad = blob.clone();
        bad[i] ^= 0xa5;
        if let Ok(fdt) = Fdt::new(&bad) {
            let _ = fdt.find_node("/chosen").and_then(|c| c.str("bootargs"));
            let _ = fdt.find_compatible("arm,pl011", |n, a| {
                translate_address(n.reg(a.last()?).ok()?.next()?.0, a).ok()?
            });
            for node in fdt.root().children() {
                let _ = node.reg(&fdt.root()).map(Iterator::count);
            }
        }
    }
}

fn from_hex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// Issue 11, defect 1: the root says `#size-cells = <0xffffffff>` and a
/// child is a memory node without `reg`.
const HUGE_SIZE_CELLS: &str = "d00dfeed00000084000000280000006c0000000000000011000000100000000000000018000000440000000100000000000000030000000400000000ffffffff000000016d656d6f7279000000000003000000070000000c6d656d6f727900000000000200000002000000092373697a652d63656c6c73006465766963655f7479706500";

#[test]
fn huge_cell_counts_are_refused_with_a_message() {
    let blob = from_hex(HUGE_SIZE_CELLS);
    let fdt = Fdt::new(&blob).unwrap();
    let root = fdt.root();
    let memory = root.children().next().unwrap();
    assert_eq!(memory.str("device_type"), Some("memory"));
    let refused = memory.reg(&root).err().unwrap();
    assert_eq!(
        refused,
        FdtError::BadCellCount {
            property: "#size-cells",
            value: 0xffff_ffff
        }
    );
    assert_eq!(
        refused.to_string(),
        "#size-cells = 4294967295 is above the limit of 4"
    );
    // The same for a huge #address-cells, and the limit itself is fine.
    let mut b = Builder::new();
    b.begin("").prop_cells("#address-cells", &[0x8000_0000]);
    b.begin("memory")
        .prop("device_type", b"memory\0")
        .end()
        .end();
    let blob = b.finish();
    let fdt = Fdt::new(&blob).unwrap();
    let memory = fdt.root().children().next().unwrap();
    assert!(matches!(
        memory.reg(&fdt.root()),
        Err(FdtError::BadCellCount {
            property: "#address-cells",
            value: 0x8000_0000
        })
    ));
    let mut b = Builder::new();
    b.begin("")
        .prop_cells("#address-cells", &[MAX_CELLS])
        .prop_cells("#size-cells", &[MAX_CELLS]);
    b.begin("memory")
        .prop_cells("reg", &[0; 2 * MAX_CELLS as usize])
        .end()
        .end();
    let blob = b.finish();
    let fdt = Fdt::new(&blob).unwrap();
    let memory = fdt.root().children().next().unwrap();
    // Accepted, but wider than 64 bits: no entry.
    assert_eq!(memory.reg(&fdt.root()).unwrap().count(), 0);
}

/// Issue 11, defect 2: zero cells everywhere above a bus with 1/1 cells
/// and an empty `ranges`.
#[test]
fn zero_width_ranges_do_not_translate() {
    let mut b = Builder::new();
    b.begin("")
        .prop_cells("#address-cells", &[0])
        .prop_cells("#size-cells", &[0]);
    b.begin("outer")
        .prop_cells("#address-cells", &[0])
        .prop_cells("#size-cells", &[0])
        .prop_cells("ranges", &[0]);
    b.begin("inner")
        .prop_cells("#address-cells", &[1])
        .prop_cells("#size-cells", &[1])
        .prop("ranges", &[]);
    b.begin("uart")
        .prop("compatible", b"arm,pl011\0")
        .prop_cells("reg", &[0x1000, 0x100])
        .end();
    b.end().end().end();
    let blob = b.finish();
    let fdt = Fdt::new(&blob).unwrap();
    let found = fdt.find_compatible("arm,pl011", |node, ancestors| {
        let (address, _) = node.reg(ancestors.last()?).ok()?.next()?;
        Some(translate_address(address, ancestors))
    });
    assert_eq!(found, Some(Err(FdtError::BadRanges { len: 4, entry: 0 })));
}
