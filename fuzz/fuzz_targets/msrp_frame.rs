//! The MSRP decoder on any bytes: never panics, and yields the same frames (body pieces
//! joined) and the same error, at the same offset, whether the input comes whole or split at
//! the points the first byte picks. What decodes as a whole message writes back and parses equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simple_msrp::{Decoder, Frame, Message};

fn run(data: &[u8], step: usize) -> (Vec<String>, Option<(simple_msrp::ErrorKind, usize)>) {
    let mut d = Decoder::default();
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut body = Vec::new();
    let mut base = 0;
    for piece in data.chunks(step) {
        buf.extend_from_slice(piece);
        loop {
            match d.decode(&buf) {
                Ok(Some((f, used))) => {
                    match f {
                        Frame::Head(h) => out.push(format!("{:?} {:?}", h.start, h.headers)),
                        Frame::Data(x) => body.extend_from_slice(x),
                        Frame::End(flag) => {
                            out.push(format!("{body:?} {flag:?}"));
                            body.clear();
                        }
                    }
                    buf.drain(..used);
                    base += used;
                }
                Ok(None) => break,
                Err(e) => return (out, Some((e.kind(), base + e.offset()))),
            }
        }
    }
    (out, None)
}

fuzz_target!(|data: &[u8]| {
    let Some((&k, data)) = data.split_first() else { return };
    let whole = run(data, data.len().max(1));
    let split = run(data, usize::from(k % 64) + 1);
    // a split input may stop short of where the whole input failed (it never saw the rest)
    if whole.1.is_none() || split.1.is_some() {
        assert_eq!(whole, split);
    }
    if let Ok(m) = Message::parse(data) {
        assert_eq!(Message::parse(&m.to_vec()).expect("written message parses"), m);
    }
});
