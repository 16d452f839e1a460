//! A reference model of what a table set maps: extents of input space with
//! their output and attributes.

use std::collections::BTreeMap;
use std::vec::Vec;

/// One mapped extent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extent<A> {
    pub end: u64,
    pub output: u64,
    pub attrs: A,
}

/// Input start -> extent.
#[derive(Default)]
pub struct Shadow<A> {
    pub map: BTreeMap<u64, Extent<A>>,
}

impl<A: Copy + PartialEq + core::fmt::Debug> Shadow<A> {
    pub fn new() -> Self {
        Shadow {
            map: BTreeMap::new(),
        }
    }

    /// Extents overlapping [start, end), clipped.
    fn overlapping(&self, start: u64, end: u64) -> Vec<(u64, Extent<A>)> {
        let mut out = Vec::new();
        let first = self
            .map
            .range(..=start)
            .next_back()
            .map(|(&s, _)| s)
            .unwrap_or(start);
        for (&s, &e) in self.map.range(first..end) {
            if e.end > start {
                out.push((s, e));
            }
        }
        out
    }

    pub fn any_mapped(&self, start: u64, end: u64) -> bool {
        !self.overlapping(start, end).is_empty()
    }

    /// Remove [start, end), keeping what lies outside.
    pub fn unmap(&mut self, start: u64, end: u64) {
        for (s, e) in self.overlapping(start, end) {
            self.map.remove(&s);
            if s < start {
                self.map.insert(s, Extent { end: start, ..e });
            }
            if e.end > end {
                self.map.insert(
                    end,
                    Extent {
                        end: e.end,
                        output: e.output + (end - s),
                        attrs: e.attrs,
                    },
                );
            }
        }
    }

    pub fn map(&mut self, start: u64, end: u64, output: u64, attrs: A) {
        self.unmap(start, end);
        self.map.insert(start, Extent { end, output, attrs });
    }

    pub fn protect(&mut self, start: u64, end: u64, attrs: A) {
        for (s, e) in self.overlapping(start, end) {
            let lo = s.max(start);
            let hi = e.end.min(end);
            self.map(lo, hi, e.output + (lo - s), attrs);
        }
    }

    pub fn lookup(&self, address: u64) -> Option<(u64, A)> {
        let (&s, e) = self.map.range(..=address).next_back()?;
        (address < e.end).then(|| (e.output + (address - s), e.attrs))
    }

    /// Whether [start, start + size) is wholly mapped to `output` onwards
    /// with `attrs`.
    pub fn uniform(&self, start: u64, size: u64, output: u64, attrs: A) -> bool {
        let mut cursor = start;
        for (s, e) in self.overlapping(start, start + size) {
            if s > cursor
                || e.attrs != attrs
                || e.output + (cursor - s) != output + (cursor - start)
            {
                return false;
            }
            cursor = e.end;
        }
        cursor >= start + size
    }
}
