//! Two implementations run the same sequence; where they disagree, the
//! first instruction that makes them disagree is found by running the
//! sequence's prefixes.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::{Difference, Outcome, Sequence};

/// How one implementation ran a sequence: its registers and flags, or why
/// it could not.
pub type Run = Result<Outcome, String>;

/// Two implementations disagree on a sequence.
#[derive(Clone, Debug)]
pub struct Mismatch {
    /// The sequence.
    pub sequence: Sequence,
    /// The first instruction after which they disagree.
    pub index: usize,
    /// Registers and flags before it (the left side's, on which both
    /// agree).
    pub before: Outcome,
    /// The left side after it.
    pub left: Run,
    /// The right side after it.
    pub right: Run,
}

impl Mismatch {
    /// The instruction word that makes them disagree (none if they
    /// disagree on the empty sequence: the harnesses differ).
    pub fn word(&self) -> Option<u32> {
        self.sequence.words().get(self.index).copied()
    }

    /// Where the two outcomes differ (empty if either failed).
    pub fn differences(&self) -> Vec<Difference> {
        match (&self.left, &self.right) {
            (Ok(l), Ok(r)) => l.differences(r),
            _ => Vec::new(),
        }
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.word() {
            Some(word) => writeln!(
                f,
                "instruction {} of {} ({word:#010x}) is the first to differ",
                self.index,
                self.sequence.words().len(),
            )?,
            None => writeln!(f, "the sides differ before any instruction")?,
        }
        let words: Vec<String> = self
            .sequence
            .words()
            .iter()
            .map(|w| alloc::format!("{w:#010x}"))
            .collect();
        writeln!(f, "  sequence: {}", words.join(" "))?;
        write!(f, "  before it:")?;
        for (n, v) in self.before.x.iter().enumerate() {
            if n % 4 == 0 {
                write!(f, "\n   ")?;
            }
            write!(f, " x{n:<2} {v:#018x}")?;
        }
        writeln!(f, "\n    NZCV {:#x}", self.before.nzcv >> 28)?;
        match (&self.left, &self.right) {
            (Ok(_), Ok(_)) => {
                write!(f, "  after it (left / right):")?;
                for d in self.differences() {
                    write!(f, "\n    {d}")?;
                }
                Ok(())
            }
            (l, r) => {
                if let Err(e) = l {
                    write!(f, "  left: {e}")?;
                }
                if let Err(e) = r {
                    write!(f, "  right: {e}")?;
                }
                Ok(())
            }
        }
    }
}

fn agree(left: &Run, right: &Run) -> bool {
    matches!((left, right), (Ok(l), Ok(r)) if l == r)
}

/// Runs `sequence` on `left` and `right`; if they disagree (or either
/// fails), finds the shortest prefix on which they do.
pub fn compare(
    sequence: &Sequence,
    mut left: impl FnMut(&Sequence) -> Run,
    mut right: impl FnMut(&Sequence) -> Run,
) -> Result<(), Box<Mismatch>> {
    if agree(&left(sequence), &right(sequence)) {
        return Ok(());
    }
    let mut before = Outcome {
        x: sequence.x,
        nzcv: sequence.nzcv,
        buffer: sequence.buffer,
    };
    let len = sequence.words().len();
    for prefix_len in 1..=len {
        let prefix = sequence.prefix(prefix_len);
        let (l, r) = (left(&prefix), right(&prefix));
        if !agree(&l, &r) || prefix_len == len {
            return Err(Box::new(Mismatch {
                sequence: sequence.clone(),
                index: prefix_len - 1,
                before,
                left: l,
                right: r,
            }));
        }
        if let Ok(outcome) = l {
            before = outcome;
        }
    }
    // An empty sequence the two sides disagree on: the harness differs.
    Err(Box::new(Mismatch {
        sequence: sequence.clone(),
        index: 0,
        before,
        left: left(sequence),
        right: right(sequence),
    }))
}
