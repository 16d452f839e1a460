//! The shell's line editor: turns the bytes a terminal sends into lines,
//! with backspace, Ctrl-C, Ctrl-U, and escape sequences (arrow keys) ignored.
//! It echoes through a callback, so it runs the same on a host test.

/// The longest line accepted.
pub const MAX_LINE: usize = 256;

const CTRL_C: u8 = 0x03;
const BACKSPACE: u8 = 0x08;
const CTRL_U: u8 = 0x15;
const ESCAPE: u8 = 0x1b;
const DELETE: u8 = 0x7f;

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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Escape {
    None,
    /// Saw ESC.
    Start,
    /// Inside a CSI sequence (ESC [ ... final byte).
    Csi,
}

/// A line being typed.
pub struct LineEditor {
    buffer: [u8; MAX_LINE],
    len: usize,
    escape: Escape,
    /// Set when the line went bad; the rest of it is swallowed up to Enter.
    discarding: Option<Event>,
    last_was_cr: bool,
}

impl Default for LineEditor {
    fn default() -> Self {
        Self::new()
    }
}

impl LineEditor {
    /// An empty line.
    pub const fn new() -> Self {
        LineEditor {
            buffer: [0; MAX_LINE],
            len: 0,
            escape: Escape::None,
            discarding: None,
            last_was_cr: false,
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
        if self.escape != Escape::None {
            self.escape = match (self.escape, byte) {
                (Escape::Start, b'[') => Escape::Csi,
                (Escape::Csi, 0x20..=0x3f) => Escape::Csi,
                _ => Escape::None,
            };
            return Event::Pending;
        }
        match byte {
            b'\r' | b'\n' => {
                if cr_lf {
                    return Event::Pending;
                }
                echo("\n");
                let event = self.discarding.take().unwrap_or(Event::Line);
                if event != Event::Line {
                    self.len = 0;
                }
                event
            }
            CTRL_C => {
                echo("^C\n");
                self.len = 0;
                self.discarding = None;
                Event::Cancelled
            }
            CTRL_U => {
                for _ in 0..self.len {
                    echo("\x08 \x08");
                }
                self.len = 0;
                Event::Pending
            }
            BACKSPACE | DELETE => {
                if self.len > 0 && self.discarding.is_none() {
                    self.len -= 1;
                    echo("\x08 \x08");
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    fn type_in(editor: &mut LineEditor, input: &[u8]) -> (Vec<Event>, String) {
        let mut shown = String::new();
        let events = input
            .iter()
            .map(|&b| editor.feed(b, &mut |s| shown.push_str(s)))
            .filter(|e| *e != Event::Pending)
            .collect();
        (events, shown)
    }
    use std::vec::Vec;

    #[test]
    fn backspace_edits_the_line() {
        let mut e = LineEditor::new();
        let (events, _) = type_in(&mut e, b"inff\x7fo\r");
        assert_eq!(events, [Event::Line]);
        assert_eq!(e.line(), "info");
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

    #[test]
    fn arrow_keys_are_ignored() {
        let mut e = LineEditor::new();
        let (events, _) = type_in(&mut e, b"he\x1b[Alp\x1b[1;5C\n");
        assert_eq!(events, [Event::Line]);
        assert_eq!(e.line(), "help");
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
}
