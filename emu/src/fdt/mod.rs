//! A reader for flattened device trees (DTB, devicetree specification v0.4,
//! chapter 5), written for untrusted input: every offset is bounds-checked, a
//! malformed blob is an [`FdtError`], never a panic or an endless loop.

use core::fmt;

const MAGIC: u32 = 0xd00d_feed;
const HEADER_LEN: usize = 40;
/// The oldest structure-block layout this reader understands.
const LAST_COMP_VERSION_MAX: u32 = 17;
const VERSION_MIN: u32 = 16;

const FDT_BEGIN_NODE: u32 = 1;
const FDT_END_NODE: u32 = 2;
const FDT_PROP: u32 = 3;
const FDT_NOP: u32 = 4;
const FDT_END: u32 = 9;

/// Nesting deeper than this is refused: real trees stay under ten.
pub const MAX_DEPTH: usize = 16;

/// The largest `#address-cells` or `#size-cells` accepted. The
/// specification's bindings need at most 3 (PCI); libfdt and dtc refuse
/// anything above 4 (`FDT_MAX_NCELLS`), and so does this reader.
pub const MAX_CELLS: u32 = 4;

/// What is wrong with a device tree blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FdtError {
    /// Shorter than its header, or than the size the header claims.
    Truncated,
    /// The magic number is not 0xd00dfeed.
    BadMagic(u32),
    /// A version this reader does not understand.
    UnsupportedVersion(u32),
    /// A block described by the header lies outside the blob.
    BlockOutOfBounds,
    /// An unknown token at this offset of the structure block.
    BadToken {
        /// Offset within the structure block.
        offset: usize,
        /// The token found.
        token: u32,
    },
    /// A name or property runs past the end of its block.
    Unterminated,
    /// Nodes nest deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Node begin and end tokens do not pair up.
    Unbalanced,
    /// `#address-cells` or `#size-cells` is above [`MAX_CELLS`].
    BadCellCount {
        /// The property's name.
        property: &'static str,
        /// Its value.
        value: u32,
    },
    /// A `ranges` property whose length is not a whole number of entries,
    /// or whose entries are zero cells wide.
    BadRanges {
        /// The length of the property in bytes.
        len: usize,
        /// The width of one entry in bytes, from the cell counts.
        entry: usize,
    },
}

impl fmt::Display for FdtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FdtError::Truncated => f.write_str("blob shorter than its header says"),
            FdtError::BadMagic(m) => write!(f, "bad magic {m:#010x} (expected 0xd00dfeed)"),
            FdtError::UnsupportedVersion(v) => write!(f, "unsupported version {v}"),
            FdtError::BlockOutOfBounds => f.write_str("a header block lies outside the blob"),
            FdtError::BadToken { offset, token } => {
                write!(f, "bad token {token:#x} at structure offset {offset:#x}")
            }
            FdtError::Unterminated => f.write_str("a name or property runs off its block"),
            FdtError::TooDeep => write!(f, "nodes nest deeper than {MAX_DEPTH}"),
            FdtError::Unbalanced => f.write_str("node begin/end tokens do not pair up"),
            FdtError::BadCellCount { property, value } => {
                write!(f, "{property} = {value} is above the limit of {MAX_CELLS}")
            }
            FdtError::BadRanges { len, entry } => write!(
                f,
                "ranges of {len} bytes is not a whole number of {entry}-byte entries"
            ),
        }
    }
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn align4(n: usize) -> Option<usize> {
    n.checked_add(3).map(|n| n & !3)
}

/// A validated device tree blob.
#[derive(Clone, Copy)]
pub struct Fdt<'a> {
    structs: &'a [u8],
    strings: &'a [u8],
    total_size: usize,
}

/// One step of a depth-first walk of the structure block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token<'a> {
    Nop,
    Begin(&'a [u8]),
    End,
    Prop(&'a [u8], &'a [u8]),
    Finish,
}

impl<'a> Fdt<'a> {
    /// Reads the header of `blob` and checks the whole structure block, so
    /// that later queries cannot meet a malformed token.
    pub fn new(blob: &'a [u8]) -> Result<Self, FdtError> {
        if blob.len() < HEADER_LEN {
            return Err(FdtError::Truncated);
        }
        let field = |i: usize| be32(blob, i * 4).ok_or(FdtError::Truncated);
        let magic = field(0)?;
        if magic != MAGIC {
            return Err(FdtError::BadMagic(magic));
        }
        let total_size = field(1)? as usize;
        if total_size > blob.len() || total_size < HEADER_LEN {
            return Err(FdtError::Truncated);
        }
        let version = field(5)?;
        let last_comp = field(6)?;
        if version < VERSION_MIN || last_comp > LAST_COMP_VERSION_MAX {
            return Err(FdtError::UnsupportedVersion(version));
        }
        let block = |off: u32, len: u32| {
            let (off, len) = (off as usize, len as usize);
            let end = off.checked_add(len).ok_or(FdtError::BlockOutOfBounds)?;
            blob[..total_size]
                .get(off..end)
                .ok_or(FdtError::BlockOutOfBounds)
        };
        let structs = block(field(2)?, field(9)?)?;
        let strings = block(field(3)?, field(8)?)?;
        let fdt = Fdt {
            structs,
            strings,
            total_size,
        };
        fdt.check_structure()?;
        Ok(fdt)
    }

    /// The size the header gives for the whole blob.
    pub fn total_size(&self) -> usize {
        self.total_size
    }

    fn check_structure(&self) -> Result<(), FdtError> {
        let mut depth = 0usize;
        let mut roots = 0;
        let mut at = 0;
        loop {
            let (token, next) = self.token(at)?;
            match token {
                Token::Nop => {}
                Token::Begin(_) => {
                    if depth == 0 {
                        roots += 1;
                        if roots > 1 {
                            return Err(FdtError::Unbalanced);
                        }
                    }
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(FdtError::TooDeep);
                    }
                }
                Token::End => depth = depth.checked_sub(1).ok_or(FdtError::Unbalanced)?,
                Token::Prop(..) if depth == 0 => return Err(FdtError::Unbalanced),
                Token::Prop(..) => {}
                Token::Finish => {
                    return if depth == 0 && roots == 1 {
                        Ok(())
                    } else {
                        Err(FdtError::Unbalanced)
                    }
                }
            }
            at = next;
        }
    }

    /// Decodes the token at structure offset `at` and returns it with the
    /// offset of the token after it.
    fn token(&self, at: usize) -> Result<(Token<'a>, usize), FdtError> {
        let token = be32(self.structs, at).ok_or(FdtError::Unterminated)?;
        let body = at + 4;
        match token {
            FDT_NOP => Ok((Token::Nop, body)),
            FDT_BEGIN_NODE => {
                let rest = self.structs.get(body..).ok_or(FdtError::Unterminated)?;
                let len = rest
                    .iter()
                    .position(|&b| b == 0)
                    .ok_or(FdtError::Unterminated)?;
                let next = align4(body + len + 1).ok_or(FdtError::Unterminated)?;
                Ok((Token::Begin(&rest[..len]), next))
            }
            FDT_END_NODE => Ok((Token::End, body)),
            FDT_PROP => {
                let len = be32(self.structs, body).ok_or(FdtError::Unterminated)? as usize;
                let name_off = be32(self.structs, body + 4).ok_or(FdtError::Unterminated)? as usize;
                let start = body + 8;
                let end = start.checked_add(len).ok_or(FdtError::Unterminated)?;
                let value = self.structs.get(start..end).ok_or(FdtError::Unterminated)?;
                let name = self
                    .strings
                    .get(name_off..)
                    .and_then(|s| s.iter().position(|&b| b == 0).map(|n| &s[..n]))
                    .ok_or(FdtError::Unterminated)?;
                let next = align4(end).ok_or(FdtError::Unterminated)?;
                Ok((Token::Prop(name, value), next))
            }
            FDT_END => Ok((Token::Finish, body)),
            token => Err(FdtError::BadToken { offset: at, token }),
        }
    }

    /// The root node.
    pub fn root(&self) -> Node<'a> {
        // `new` checked that the structure is NOPs, then exactly one node.
        let mut at = 0;
        while let Ok((Token::Nop, next)) = self.token(at) {
            at = next;
        }
        Node { fdt: *self, at }
    }

    /// The node at an absolute `path` such as `/chosen` or `/soc/serial@7e201000`.
    /// A component without a unit address also matches a node that has one.
    pub fn find_node(&self, path: &str) -> Option<Node<'a>> {
        let mut node = self.root();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            node = node.children().find(|c| c.name_matches(part))?;
        }
        Some(node)
    }

    /// Visits every node depth-first with its ancestors (root first), until
    /// `visit` returns `Some`.
    pub fn find_map<T>(
        &self,
        mut visit: impl FnMut(Node<'a>, &[Node<'a>]) -> Option<T>,
    ) -> Option<T> {
        let mut stack = [self.root(); MAX_DEPTH];
        let mut depth = 0;
        let mut at = 0;
        while let Ok((token, next)) = self.token(at) {
            match token {
                Token::Begin(_) => {
                    let node = Node { fdt: *self, at };
                    if let Some(found) = visit(node, &stack[..depth]) {
                        return Some(found);
                    }
                    *stack.get_mut(depth)? = node;
                    depth += 1;
                }
                Token::End => depth = depth.checked_sub(1)?,
                Token::Nop | Token::Prop(..) => {}
                Token::Finish => return None,
            }
            at = next;
        }
        None
    }

    /// The first node whose `compatible` list holds `compatible`, with its
    /// ancestors.
    pub fn find_compatible<T>(
        &self,
        compatible: &str,
        mut then: impl FnMut(Node<'a>, &[Node<'a>]) -> Option<T>,
    ) -> Option<T> {
        self.find_map(|node, ancestors| {
            if node.is_compatible(compatible) {
                then(node, ancestors)
            } else {
                None
            }
        })
    }
}

/// A node of a validated tree.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    fdt: Fdt<'a>,
    /// Structure-block offset of this node's BEGIN_NODE token.
    at: usize,
}

impl fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Node({:?})", self.name())
    }
}

impl<'a> Node<'a> {
    /// The node's name with its unit address (`serial@9000000`); the root's is empty.
    pub fn name(&self) -> &'a str {
        match self.fdt.token(self.at) {
            Ok((Token::Begin(name), _)) => core::str::from_utf8(name).unwrap_or("?"),
            _ => "?",
        }
    }

    fn name_matches(&self, part: &str) -> bool {
        let name = self.name();
        name == part || (!part.contains('@') && name.split('@').next() == Some(part))
    }

    fn body(&self) -> usize {
        self.fdt
            .token(self.at)
            .map(|(_, next)| next)
            .unwrap_or(usize::MAX)
    }

    /// The node's properties, in blob order.
    pub fn properties(&self) -> impl Iterator<Item = Property<'a>> + 'a {
        let fdt = self.fdt;
        let mut at = self.body();
        core::iter::from_fn(move || loop {
            match fdt.token(at) {
                Ok((Token::Nop, next)) => at = next,
                Ok((Token::Prop(name, value), next)) => {
                    at = next;
                    return Some(Property {
                        name: core::str::from_utf8(name).unwrap_or("?"),
                        value,
                    });
                }
                _ => return None,
            }
        })
    }

    /// The value of property `name`.
    pub fn property(&self, name: &str) -> Option<&'a [u8]> {
        self.properties().find(|p| p.name == name).map(|p| p.value)
    }

    /// Property `name` as one big-endian u32.
    pub fn u32(&self, name: &str) -> Option<u32> {
        let v = self.property(name)?;
        (v.len() == 4).then(|| be32(v, 0)).flatten()
    }

    /// Property `name` as a string (its bytes up to the first NUL).
    pub fn str(&self, name: &str) -> Option<&'a str> {
        let v = self.property(name)?;
        let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
        core::str::from_utf8(&v[..end]).ok()
    }

    /// Whether the `compatible` string list holds `compatible`.
    pub fn is_compatible(&self, compatible: &str) -> bool {
        self.property("compatible").is_some_and(|list| {
            list.split(|&b| b == 0)
                .any(|entry| entry == compatible.as_bytes())
        })
    }

    /// The node's direct children.
    pub fn children(&self) -> impl Iterator<Item = Node<'a>> + 'a {
        let fdt = self.fdt;
        let mut at = self.body();
        let mut depth = 0usize;
        let mut done = false;
        core::iter::from_fn(move || {
            while !done {
                let (token, next) = fdt.token(at).ok()?;
                let here = at;
                at = next;
                match token {
                    Token::Begin(_) => {
                        depth += 1;
                        if depth == 1 {
                            return Some(Node { fdt, at: here });
                        }
                    }
                    Token::End if depth == 0 => done = true,
                    Token::End => depth -= 1,
                    Token::Nop | Token::Prop(..) => {}
                    Token::Finish => done = true,
                }
            }
            None
        })
    }

    fn cell_count(&self, property: &'static str, default: u32) -> Result<u32, FdtError> {
        match self.u32(property).unwrap_or(default) {
            value if value > MAX_CELLS => Err(FdtError::BadCellCount { property, value }),
            value => Ok(value),
        }
    }

    /// `#address-cells` for this node's children (default 2); above
    /// [`MAX_CELLS`] is an error.
    pub fn address_cells(&self) -> Result<u32, FdtError> {
        self.cell_count("#address-cells", 2)
    }

    /// `#size-cells` for this node's children (default 1); above
    /// [`MAX_CELLS`] is an error.
    pub fn size_cells(&self) -> Result<u32, FdtError> {
        self.cell_count("#size-cells", 1)
    }

    /// The `reg` entries of this node, decoded with its parent's cell sizes
    /// (an error if the parent's are above [`MAX_CELLS`]).
    pub fn reg(&self, parent: &Node<'a>) -> Result<Cells<'a>, FdtError> {
        Ok(Cells::new(
            self.property("reg").unwrap_or(&[]),
            parent.address_cells()?,
            parent.size_cells()?,
        ))
    }
}

/// A named property value.
#[derive(Clone, Copy, Debug)]
pub struct Property<'a> {
    /// The property's name.
    pub name: &'a str,
    /// Its raw, big-endian value.
    pub value: &'a [u8],
}

/// An (address, size) pair list such as `reg`; entries whose cell counts are
/// over two (wider than 64 bits) or that are cut short end the list. Both
/// counts are at most [`MAX_CELLS`], so an entry's width cannot overflow.
#[derive(Clone, Copy)]
pub struct Cells<'a> {
    raw: &'a [u8],
    address_cells: u32,
    size_cells: u32,
}

impl<'a> Cells<'a> {
    fn new(raw: &'a [u8], address_cells: u32, size_cells: u32) -> Self {
        Cells {
            raw,
            address_cells,
            size_cells,
        }
    }
}

fn read_cells(raw: &[u8], at: usize, cells: u32) -> Option<u64> {
    if cells > 2 {
        return None;
    }
    (0..cells as usize).try_fold(0u64, |acc, i| {
        Some(acc << 32 | u64::from(be32(raw, at + 4 * i)?))
    })
}

impl Iterator for Cells<'_> {
    type Item = (u64, u64);

    fn next(&mut self) -> Option<(u64, u64)> {
        let entry = 4 * (self.address_cells + self.size_cells) as usize;
        if entry == 0 || self.raw.len() < entry {
            return None;
        }
        let address = read_cells(self.raw, 0, self.address_cells)?;
        let size = read_cells(self.raw, 4 * self.address_cells as usize, self.size_cells)?;
        self.raw = &self.raw[entry..];
        Some((address, size))
    }
}

/// Translates a bus address of a child of `ancestors.last()` up to a CPU
/// physical address through each ancestor's `ranges` (an empty `ranges` is
/// the identity, a missing one means the bus is not memory-mapped).
///
/// `Ok(None)`: the address is not memory-mapped, lies outside every range,
/// or needs more than 64 bits. An error: a cell count above [`MAX_CELLS`],
/// or a `ranges` that is not a whole number of non-empty entries.
pub fn translate_address(address: u64, ancestors: &[Node<'_>]) -> Result<Option<u64>, FdtError> {
    let mut address = address;
    // ancestors[0] is the root: its children's addresses are CPU addresses.
    for i in (1..ancestors.len()).rev() {
        let bus = ancestors[i];
        let parent = ancestors[i - 1];
        let Some(ranges) = bus.property("ranges") else {
            return Ok(None);
        };
        if ranges.is_empty() {
            continue;
        }
        let (child_cells, parent_cells, size_cells) = (
            bus.address_cells()?,
            parent.address_cells()?,
            bus.size_cells()?,
        );
        let entry = 4 * (child_cells + parent_cells + size_cells) as usize;
        if entry == 0 || ranges.len() % entry != 0 {
            return Err(FdtError::BadRanges {
                len: ranges.len(),
                entry,
            });
        }
        if child_cells > 2 || parent_cells > 2 || size_cells > 2 {
            return Ok(None);
        }
        let found = ranges.chunks_exact(entry).find_map(|r| {
            let child = read_cells(r, 0, child_cells)?;
            let parent = read_cells(r, 4 * child_cells as usize, parent_cells)?;
            let size = read_cells(r, 4 * (child_cells + parent_cells) as usize, size_cells)?;
            let offset = address.checked_sub(child)?;
            (offset < size)
                .then(|| parent.checked_add(offset))
                .flatten()
        });
        match found {
            Some(a) => address = a,
            None => return Ok(None),
        }
    }
    Ok(Some(address))
}

#[cfg(test)]
mod tests;
