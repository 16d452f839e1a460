//! The shell's line editor: turns the bytes a terminal sends into lines,
//! with Backspace, Ctrl-C, Ctrl-U, command history on Up/Down, and every
//! other escape sequence (ESC `[` ..., ESC `O` x, a bare ESC) consumed
//! whole. It echoes through a callback, so it runs the same on a host test.
//! Also the rules both modes apply to a line: `;` separates commands, and a
//! command is printable ASCII of at most [`MAX_LINE`] characters.

use alloc::collections::VecDeque;
use alloc::string::String;
use core::fmt;

/// The longest line accepted.
pub const MAX_LINE: usize = 256;
/// Lines kept for Up/Down.
pub const HISTORY: usize = 32;
/// Parameter and intermediate bytes a control sequence may carry before the
/// editor stops waiting for its final byte.
const MAX_SEQUENCE: u8 = 16;

const CTRL_C: u8 = 0x03;
const BACKSPACE: u8 = 0x08;
const CTRL_U: u8 = 0x15;
const ESCAPE: u8 = 0x1b;
const DELETE: u8 = 0x7f;
const ERASE: &str = "\x08 \x08";

/// What one input byte led to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Nothing to act on yet.
    Pending,
    /// A complete line: read it with [`LineEditor::line`].
    Line,
    /// Ctrl-C: the line was dropped.
    Cancelled,
    /// The line grew past [`MAX_LINE`] and was dropped.
    TooLong,
    /// A non-ASCII byte; the line was dropped.
    NonAscii,
}

/// Where the editor is inside an escape sequence (ECMA-48).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Escape {
    None,
    /// Saw ESC.
    Start,
    /// Inside a control sequence: ESC `[`, parameters, final byte. Holds
    /// the bytes seen so far.
    Csi(u8),
    /// After ESC `O` (SS3: F1-F4, arrows in application cursor mode).
    Ss3(u8),
}

/// A line being typed, and the lines typed before.
pub struct LineEditor {
    buffer: [u8; MAX_LINE],
    len: usize,
    escape: Escape,
    /// Set when the line went bad; the rest of it is swallowed up to Enter.
    discarding: Option<Event>,
    last_was_cr: bool,
    /// Newest last.
    history: VecDeque<String>,
    /// While browsing with Up/Down: how far back (0 = the newest line).
    browsing: Option<usize>,
    /// The line being typed when browsing started, restored by Down.
    draft: String,
}

impl Default for LineEditor {
    fn default() -> Self {
        Self::new()
    }
}

impl LineEditor {
    /// An empty line and no history.
    pub const fn new() -> Self {
        LineEditor {
            buffer: [0; MAX_LINE],
            len: 0,
            escape: Escape::None,
            discarding: None,
            last_was_cr: false,
            history: VecDeque::new(),
            browsing: None,
            draft: String::new(),
        }
    }

    /// The completed line (valid after [`Event::Line`] until the next byte).
    pub fn line(&self) -> &str {
        // Only printable ASCII is ever stored.
        core::str::from_utf8(&self.buffer[..self.len]).unwrap_or("")
    }

    /// Feeds one byte; `echo` receives what the terminal should show.
    pub fn feed(&mut self, byte: u8, echo: &mut impl FnMut(&str)) -> Event {
        let cr_lf = self.last_was_cr && byte == b'\n';
        self.last_was_cr = byte == b'\r';
        match self.escape {
            Escape::None => {}
            Escape::Start => {
                self.escape = match byte {
                    b'[' => Escape::Csi(0),
                    b'O' => Escape::Ss3(0),
                    _ => Escape::None,
                };
                if self.escape != Escape::None {
                    return Event::Pending;
                }
                // A lone Esc: what follows counts as itself (Enter ends
                // the line, a key after Esc or Alt+key types the key).
            }
            // A control character (Enter, Ctrl-C, another ESC...) or a
            // non-ASCII byte ends the sequence and counts as itself, so
            // nothing typed after a broken sequence is lost.
            _ if !(0x20..DELETE).contains(&byte) => self.escape = Escape::None,
            Escape::Csi(n) | Escape::Ss3(n) => {
                let next = n + 1;
                self.escape = match (self.escape, byte) {
                    // Parameter and intermediate bytes.
                    (_, 0x20..=0x3f) if next < MAX_SEQUENCE => match self.escape {
                        Escape::Csi(_) => Escape::Csi(next),
                        _ => Escape::Ss3(next),
                    },
                    _ => Escape::None,
                };
                if self.escape == Escape::None && self.discarding.is_none() {
                    match byte {
                        b'A' => self.recall_older(echo),
                        b'B' => self.recall_newer(echo),
                        // Left/Right, Home/End, F-keys, Delete...: ignored.
                        _ => {}
                    }
                }
                return Event::Pending;
            }
        }
        match byte {
            b'\r' | b'\n' => {
                if cr_lf {
                    return Event::Pending;
                }
                echo("\n");
                self.browsing = None;
                let event = self.discarding.take().unwrap_or(Event::Line);
                if event == Event::Line {
                    self.remember();
                } else {
                    self.len = 0;
                }
                event
            }
            CTRL_C => {
                echo("^C\n");
                self.len = 0;
                self.discarding = None;
                self.browsing = None;
                Event::Cancelled
            }
            CTRL_U => {
                self.replace("", echo);
                Event::Pending
            }
            BACKSPACE | DELETE => {
                if self.len > 0 && self.discarding.is_none() {
                    self.len -= 1;
                    echo(ERASE);
                }
                Event::Pending
            }
            ESCAPE => {
                self.escape = Escape::Start;
                Event::Pending
            }
            0x20..=0x7e => {
                if self.discarding.is_some() {
                    return Event::Pending;
                }
                if self.len == MAX_LINE {
                    self.discarding = Some(Event::TooLong);
                    return Event::Pending;
                }
                self.buffer[self.len] = byte;
                self.len += 1;
                let shown = [byte];
                echo(core::str::from_utf8(&shown).unwrap_or("?"));
                Event::Pending
            }
            0x80.. => {
                self.discarding = Some(Event::NonAscii);
                Event::Pending
            }
            // Other control characters (tab, bell...) are ignored.
            _ => Event::Pending,
        }
    }

    /// Starts a new line after a completed one has been handled.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Up: the line before the one shown.
    fn recall_older(&mut self, echo: &mut impl FnMut(&str)) {
        let back = self.browsing.map_or(0, |b| b + 1);
        if back >= self.history.len() {
            return;
        }
        if self.browsing.is_none() {
            self.draft = String::from(self.line());
        }
        self.browsing = Some(back);
        let entry = self.history[self.history.len() - 1 - back].clone();
        self.replace(&entry, echo);
    }

    /// Down: the line after the one shown, then the draft.
    fn recall_newer(&mut self, echo: &mut impl FnMut(&str)) {
        match self.browsing {
            None => {}
            Some(0) => {
                self.browsing = None;
                let draft = core::mem::take(&mut self.draft);
                self.replace(&draft, echo);
            }
            Some(back) => {
                self.browsing = Some(back - 1);
                let entry = self.history[self.history.len() - back].clone();
                self.replace(&entry, echo);
            }
        }
    }

    /// Shows `text` instead of the current line (text is stored ASCII).
    fn replace(&mut self, text: &str, echo: &mut impl FnMut(&str)) {
        for _ in 0..self.len {
            echo(ERASE);
        }
        let bytes = &text.as_bytes()[..text.len().min(MAX_LINE)];
        self.buffer[..bytes.len()].copy_from_slice(bytes);
        self.len = bytes.len();
        echo(self.line());
    }

    /// Adds the completed line to the history (not blanks, not repeats).
    fn remember(&mut self) {
        let line = String::from(self.line());
        if line.trim().is_empty() || self.history.back() == Some(&line) {
            return;
        }
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(line);
    }
}

/// Why a command was refused before it ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineError {
    /// Longer than [`MAX_LINE`].
    TooLong,
    /// A byte that is not printable ASCII.
    NonAscii,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::TooLong => write!(f, "line too long (at most {MAX_LINE} characters)"),
            LineError::NonAscii => f.write_str("non-ASCII input ignored: commands are ASCII"),
        }
    }
}

impl LineError {
    /// The error a line editor event stands for, if any.
    pub fn from_event(event: Event) -> Option<Self> {
        match event {
            Event::TooLong => Some(LineError::TooLong),
            Event::NonAscii => Some(LineError::NonAscii),
            _ => None,
        }
    }
}

/// `text` with every non-ASCII character shown as `?`, for echoing a
/// refused command.
pub fn ascii_only(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii() { c } else { '?' })
        .collect()
}

/// The commands of one line, interactive or batch: split at `;`, trimmed,
/// empty ones dropped, each checked as the line editor checks a line.
pub fn commands(line: &str) -> impl Iterator<Item = Result<&str, (&str, LineError)>> {
    line.split(';')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            if c.len() > MAX_LINE {
                Err((c, LineError::TooLong))
            } else if !c.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b)) {
                Err((c, LineError::NonAscii))
            } else {
                Ok(c)
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn type_in(editor: &mut LineEditor, input: &[u8]) -> (Vec<Event>, String) {
        let mut shown = String::new();
        let events = input
            .iter()
            .map(|&b| editor.feed(b, &mut |s| shown.push_str(s)))
            .filter(|e| *e != Event::Pending)
            .collect();
        (events, shown)
    }

    /// Types `input` (one line, Enter at the end) and returns the line.
    fn line_of(input: &[u8]) -> String {
        let mut e = LineEditor::new();
        let (events, _) = type_in(&mut e, input);
        assert_eq!(events, [Event::Line], "for {input:?}");
        String::from(e.line())
    }

    #[test]
    fn backspace_edits_the_line() {
        assert_eq!(line_of(b"inff\x7fo\r"), "info");
        assert_eq!(line_of(b"inff\x08o\r"), "info");
    }

    #[test]
    fn ctrl_u_erases_and_ctrl_c_cancels() {
        let mut e = LineEditor::new();
        let (events, _) = type_in(&mut e, b"junk\x15help\r");
        assert_eq!(events, [Event::Line]);
        assert_eq!(e.line(), "help");
        e.clear();
        let (events, shown) = type_in(&mut e, b"poweroff\x03");
        assert_eq!(events, [Event::Cancelled]);
        assert!(shown.ends_with("^C\n"));
    }

    // The sequences below are what xterm sends (its ctlseqs document):
    // CSI A-D for arrows in normal cursor mode, SS3 A-D in application
    // mode, SS3 P-S for F1-F4, CSI 1;5C for Ctrl-Right, CSI 3~ for Delete,
    // CSI 15~ for F5, a lone ESC for the Esc key.
    #[test]
    fn control_sequences_are_consumed_whole() {
        assert_eq!(line_of(b"he\x1b[Clp\x1b[1;5C\n"), "help");
        assert_eq!(line_of(b"in\x1b[3~fo\x1b[15~\r"), "info");
    }

    #[test]
    fn ss3_sequences_do_not_leak_into_the_line() {
        // F1 in the middle of a word; Right in application cursor mode.
        assert_eq!(line_of(b"gran\x1bOPule\r"), "granule");
        assert_eq!(line_of(b"\x1bOCinfo\r"), "info");
        assert_eq!(line_of(b"in\x1bOSfo\r"), "info");
    }

    #[test]
    fn a_lone_escape_does_not_swallow_what_follows() {
        assert_eq!(line_of(b"info\x1b\r"), "info");
        assert_eq!(line_of(b"\x1b\x1binfo\r"), "info");
        let mut e = LineEditor::new();
        let (events, _) = type_in(&mut e, b"junk\x1b\x03");
        assert_eq!(events, [Event::Cancelled]);
        // Enter inside an unfinished sequence still ends the line.
        assert_eq!(line_of(b"help\x1b[1;\r"), "help");
    }

    #[test]
    fn an_endless_sequence_gives_up() {
        let mut input = Vec::from(&b"\x1b["[..]);
        input.extend([b'1'; 40]);
        input.extend(b"\r");
        // The parameter bytes beyond the limit are typed text; the line is
        // not lost.
        let mut e = LineEditor::new();
        let (events, _) = type_in(&mut e, &input);
        assert_eq!(events, [Event::Line]);
        assert!(e.line().len() < 40);
    }

    #[test]
    fn up_and_down_recall_history() {
        let mut e = LineEditor::new();
        for line in [&b"info\r"[..], b"granule 16k\r", b"help walk\r"] {
            type_in(&mut e, line);
            e.clear();
        }
        // Up twice (normal and application mode), Enter.
        let (events, shown) = type_in(&mut e, b"\x1b[A\x1bOA\r");
        assert_eq!(events, [Event::Line]);
        assert_eq!(e.line(), "granule 16k");
        assert!(shown.contains("help walk"), "{shown:?}");
        e.clear();
        // Up goes no further back than the oldest line.
        type_in(&mut e, b"\x1b[A\x1b[A\x1b[A\x1b[A\x1b[A");
        let (_, _) = type_in(&mut e, b"\r");
        assert_eq!(e.line(), "info");
        e.clear();
        // Down after Up returns to the draft.
        let (_, shown) = type_in(&mut e, b"tl\x1b[A\x1b[Bb\r");
        assert_eq!(e.line(), "tlb");
        assert!(shown.ends_with("tlb\n"), "{shown:?}");
        e.clear();
        // Down without browsing does nothing; a repeated line is kept once.
        type_in(&mut e, b"\x1b[Btlb\r");
        assert_eq!(e.line(), "tlb");
        e.clear();
        type_in(&mut e, b"\x1b[A\x1b[A\r");
        assert_eq!(e.line(), "info", "after info, granule, help, tlb, tlb");
    }

    #[test]
    fn recalled_lines_can_be_edited() {
        let mut e = LineEditor::new();
        type_in(&mut e, b"granule 16k\r");
        e.clear();
        type_in(&mut e, b"\x1b[A\x7f\x7f\x7f64k\r");
        assert_eq!(e.line(), "granule 64k");
    }

    #[test]
    fn history_is_bounded() {
        let mut e = LineEditor::new();
        for i in 0..HISTORY + 5 {
            type_in(&mut e, std::format!("walk {i}\r").as_bytes());
            e.clear();
        }
        let ups: Vec<u8> = b"\x1b[A".repeat(HISTORY + 10);
        type_in(&mut e, &ups);
        type_in(&mut e, b"\r");
        assert_eq!(e.line(), "walk 5");
    }

    #[test]
    fn crlf_is_one_line() {
        let mut e = LineEditor::new();
        let (events, _) = type_in(&mut e, b"info\r\n");
        assert_eq!(events, [Event::Line]);
    }

    #[test]
    fn long_and_non_ascii_lines_are_refused() {
        let mut e = LineEditor::new();
        let long = [b'x'; MAX_LINE + 10];
        let (events, _) = type_in(&mut e, &long);
        assert!(events.is_empty());
        let (events, _) = type_in(&mut e, b"\r");
        assert_eq!(events, [Event::TooLong]);
        let (events, _) = type_in(&mut e, "gran\u{fc}le\r".as_bytes());
        assert_eq!(events, [Event::NonAscii]);
        let (events, _) = type_in(&mut e, b"info\r");
        assert_eq!(events, [Event::Line]);
        assert_eq!(e.line(), "info");
    }

    #[test]
    fn refused_commands_echo_as_ascii() {
        assert_eq!(ascii_only("gran\u{fc}le"), "gran?le");
    }

    #[test]
    fn a_line_splits_into_checked_commands() {
        let got: Vec<_> = commands(" info ;; granule 16k;").collect();
        assert_eq!(got, [Ok("info"), Ok("granule 16k")]);
        let long = "x".repeat(MAX_LINE + 1);
        let line = std::format!("info; {long}; gran\u{fc}le");
        let got: Vec<_> = commands(&line).collect();
        assert_eq!(got[0], Ok("info"));
        assert_eq!(got[1], Err((long.as_str(), LineError::TooLong)));
        assert_eq!(got[2], Err(("gran\u{fc}le", LineError::NonAscii)));
        assert_eq!(commands("walk 0\tr").collect::<Vec<_>>(), [Ok("walk 0\tr")]);
        assert_eq!(
            commands("a\x07b").next(),
            Some(Err(("a\x07b", LineError::NonAscii)))
        );
    }
}
