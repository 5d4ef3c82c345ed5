//! Several sessions on one connection (RFC 4975 §5.4: "if the sender already has such a
//! connection, that is, one associated with the same host, port, and URI scheme, then it
//! SHOULD reuse that connection"). [`SharedConnection`] decodes the connection's bytes once and
//! hands each request and response to the session its To-Path names; it interleaves the
//! sessions' output at chunk boundaries only, so frames never mix.

use crate::error::Error;
use crate::frame::{Decoder, Frame, ParseConfig};
use crate::session::Session;

/// Sessions sharing one transport connection. Add them with [`SharedConnection::add`]; drive
/// it like a session: [`SharedConnection::handle_input`], [`SharedConnection::poll_transmit`],
/// and each session's own events and timers through [`SharedConnection::session_mut`].
#[derive(Debug, Default)]
pub struct SharedConnection {
    decoder: Decoder,
    rx: Vec<u8>,
    sessions: Vec<Session>,
    /// The session the message being read belongs to (None: no session of ours, skipped).
    reading: Option<usize>,
    /// The session whose output goes next (round robin; it stays while mid-chunk).
    turn: usize,
    /// Frames for no session of ours.
    strays: u64,
}

impl SharedConnection {
    /// A connection with the given decoder limits.
    pub fn new(parse: ParseConfig) -> Self {
        Self { decoder: Decoder::new(parse), ..Self::default() }
    }

    /// Adds a session; returns its index.
    pub fn add(&mut self, session: Session) -> usize {
        self.sessions.push(session);
        self.sessions.len() - 1
    }

    /// The session at `index`.
    pub fn session_mut(&mut self, index: usize) -> Option<&mut Session> {
        self.sessions.get_mut(index)
    }

    /// How many sessions share the connection.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether none does.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// Requests and responses that named no session here (they are skipped).
    pub const fn strays(&self) -> u64 {
        self.strays
    }

    /// Feeds what the connection read. A framing error ends the connection: every session is
    /// closed (and reports what it had pending).
    pub fn handle_input(&mut self, data: &[u8]) -> Result<(), Error> {
        let (sessions, reading, strays) = (&mut self.sessions, &mut self.reading, &mut self.strays);
        let result = self.decoder.feed(&mut self.rx, data, |frame| {
            if let Frame::Head(h) = &frame {
                // the session whose URI leads To-Path
                *reading = h
                    .to_path
                    .first()
                    .and_then(|first| sessions.iter().position(|s| s.local().matches(first)));
                if reading.is_none() {
                    *strays += 1;
                }
            }
            let end = matches!(frame, Frame::End(_));
            if let Some(s) = reading.and_then(|i| sessions.get_mut(i)) {
                if !s.is_closed() {
                    s.on_frame(frame);
                }
            }
            if end {
                *reading = None;
            }
        });
        if result.is_err() {
            for s in &mut self.sessions {
                s.close();
            }
        }
        result
    }

    /// Appends the next bytes to write to `buf` (from one session: the one mid-chunk, else the
    /// next in turn with something to send); `None` when no session has anything.
    pub fn poll_transmit(&mut self, now: std::time::Instant, buf: &mut Vec<u8>) -> Option<usize> {
        let n = self.sessions.len();
        for k in 0..n {
            let i = (self.turn + k) % n;
            let s = &mut self.sessions[i];
            if let Some(written) = s.poll_transmit(now, buf) {
                // stay with a session mid-chunk; else the next one goes next
                self.turn = if s.in_chunk() { i } else { (i + 1) % n };
                return Some(written);
            }
        }
        None
    }
}

#[cfg(test)]
#[allow(clippy::wildcard_enum_match_arm, clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::session::{Event, SendOptions, SessionConfig};
    use crate::uri::MsrpUri;

    #[test]
    fn two_sessions_share_a_connection_without_mixing_frames() {
        let now = std::time::Instant::now();
        let uri = |h: &str, s: &str| MsrpUri::new(h, 2855, s);
        let (a1, a2, b1, b2) = (
            uri("a.example.com", "a1a1"),
            uri("a.example.com", "a2a2"),
            uri("b.example.com", "b1b1"),
            uri("b.example.com", "b2b2"),
        );
        let mut left = SharedConnection::default();
        let mut right = SharedConnection::default();
        let cfg = SessionConfig::default();
        left.add(Session::new(cfg.clone(), 1, a1.clone(), vec![b1.clone()]));
        left.add(Session::new(cfg.clone(), 2, a2.clone(), vec![b2.clone()]));
        right.add(Session::new(cfg.clone(), 3, b1, vec![a1]));
        right.add(Session::new(cfg, 4, b2, vec![a2]));
        let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        left.session_mut(0).unwrap().send(
            "application/octet-stream",
            big.clone(),
            SendOptions::default(),
        );
        left.session_mut(1).unwrap().send(
            "text/plain",
            b"small one".to_vec(),
            SendOptions::default(),
        );
        loop {
            let (mut l, mut r) = (Vec::new(), Vec::new());
            let x = left.poll_transmit(now, &mut l);
            let y = right.poll_transmit(now, &mut r);
            if x.is_none() && y.is_none() {
                break;
            }
            right.handle_input(&l).unwrap();
            left.handle_input(&r).unwrap();
        }
        let got = |c: &mut SharedConnection, i: usize| {
            core::iter::from_fn(|| c.session_mut(i).unwrap().poll_event())
                .filter_map(|e| match e {
                    Event::Received { body, .. } => Some(body),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(got(&mut right, 0), [big]);
        assert_eq!(got(&mut right, 1), [b"small one".to_vec()]);
        assert_eq!(right.strays(), 0);
        assert_eq!(left.strays(), 0, "each 200 found its session");
    }
}
