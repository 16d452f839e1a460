//! Device-tree target: raw bytes, or arbitrary structure and strings blocks
//! behind a valid header. Every node and property of whatever parses is
//! visited, and `reg` and address translation run on each node, as the
//! kernel does at boot.

use alloc::vec::Vec;
use std::string::ToString;

use crate::fdt::{translate_address, Fdt, Node, MAX_DEPTH};

const HEADER_LEN: usize = 40;

/// Entries of one `reg` decoded at most (a long property is not a finding).
const MAX_REG_ENTRIES: usize = 256;

/// One input: its first byte picks raw (even) or wrapped (odd); a wrapped
/// input's first byte also says how many 4-byte words of the rest are the
/// strings block.
pub fn check(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        exercise(rest);
    } else {
        exercise(&wrap(rest, usize::from(mode >> 1) * 4));
    }
}

/// `rest` as the blocks of a blob with a well-formed header: the first
/// `strings` bytes are the strings block, the others the structure block.
fn wrap(rest: &[u8], strings: usize) -> Vec<u8> {
    let strings = strings.min(rest.len());
    let (strings_block, struct_block) = rest.split_at(strings);
    let off_struct = HEADER_LEN as u32;
    let off_strings = off_struct + struct_block.len() as u32;
    let total = off_strings + strings_block.len() as u32;
    let header = [
        0xd00d_feed,
        total,
        off_struct,
        off_strings,
        0,
        17,
        16,
        0,
        strings_block.len() as u32,
        struct_block.len() as u32,
    ];
    let mut blob: Vec<u8> = header.iter().flat_map(|w| w.to_be_bytes()).collect();
    blob.extend_from_slice(struct_block);
    blob.extend_from_slice(strings_block);
    blob
}

fn exercise(blob: &[u8]) {
    let fdt = match Fdt::new(blob) {
        Ok(fdt) => fdt,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    assert!(fdt.total_size() <= blob.len());
    let mut visited = 0usize;
    fdt.find_map(|node, ancestors| {
        visited += 1;
        assert!(ancestors.len() < MAX_DEPTH);
        visit(node, ancestors);
        None::<()>
    });
    // The depth-first walk and the child iterators see the same tree.
    assert_eq!(visited, count_by_children(fdt.root(), 0));
    let _ = fdt.find_node("/chosen").and_then(|c| c.str("bootargs"));
    let _ = fdt.find_node("/soc/serial");
}

fn count_by_children(node: Node<'_>, depth: usize) -> usize {
    assert!(depth < MAX_DEPTH);
    1 + node
        .children()
        .map(|c| count_by_children(c, depth + 1))
        .sum::<usize>()
}

fn visit(node: Node<'_>, ancestors: &[Node<'_>]) {
    let _ = node.name();
    for p in node.properties() {
        let _ = (p.name.len(), p.value.len());
    }
    let _ = (
        node.str("device_type"),
        node.str("status"),
        node.u32("phandle"),
    );
    let _ = node.is_compatible("arm,pl011");
    for cells in [node.address_cells(), node.size_cells()] {
        if let Err(e) = cells {
            assert!(!e.to_string().is_empty());
        }
    }
    let Some(parent) = ancestors.last() else {
        return;
    };
    match node.reg(parent) {
        Ok(reg) => {
            for (address, _size) in reg.take(MAX_REG_ENTRIES) {
                match translate_address(address, ancestors) {
                    // The root's children are in CPU address space already.
                    Ok(Some(pa)) if ancestors.len() == 1 => assert_eq!(pa, address),
                    Ok(_) => {}
                    Err(e) => assert!(!e.to_string().is_empty()),
                }
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}
