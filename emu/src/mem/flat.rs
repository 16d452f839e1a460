//! Flattening: overlapping prioritised regions become one sorted list of
//! disjoint ranges, each owned by exactly one region.

use alloc::vec::Vec;

use super::region::{Region, RegionId};

/// A byte range `[start, end)` owned by one region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FlatRange {
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) region: RegionId,
}

/// The visible ranges of `regions`, sorted and disjoint. Holes are absent.
///
/// Quadratic in the number of regions, which is small and changes only
/// while the machine is built; lookups never see this cost.
pub(crate) fn flatten(regions: &[Region]) -> Vec<FlatRange> {
    let mut bounds: Vec<u64> = regions
        .iter()
        .flat_map(|r| [r.info.base.0, r.end()])
        .collect();
    bounds.sort_unstable();
    bounds.dedup();

    let mut out: Vec<FlatRange> = Vec::new();
    for w in bounds.windows(2) {
        let (start, end) = (w[0], w[1]);
        // Later regions win ties, so scan keeping the last best.
        let winner = regions
            .iter()
            .enumerate()
            .filter(|(_, r)| r.info.base.0 <= start && end <= r.end())
            .fold(None::<(usize, i32)>, |best, (i, r)| match best {
                Some((_, p)) if p > r.info.priority => best,
                _ => Some((i, r.info.priority)),
            });
        let Some((idx, _)) = winner else { continue };
        let region = RegionId(idx as u32);
        match out.last_mut() {
            Some(last) if last.region == region && last.end == start => last.end = end,
            _ => out.push(FlatRange { start, end, region }),
        }
    }
    out
}
