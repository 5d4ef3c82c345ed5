//! The stream decoder fed the input in pieces (the first byte picks the piece size) frames
//! exactly what it frames when fed the input whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simple_sip::{Frame, Progress, StreamDecoder};

fn frames(data: &[u8], step: usize) -> (Vec<Frame>, bool) {
    let mut d = StreamDecoder::default();
    let mut rx = Vec::new();
    let mut out = Vec::new();
    for piece in data.chunks(step) {
        rx.extend_from_slice(piece);
        loop {
            match d.decode(&rx) {
                Ok(Progress::Complete(f)) => {
                    let len = match f {
                        Frame::Message { len } | Frame::KeepAlive { len, .. } => len,
                    };
                    assert!(len > 0 && len <= rx.len());
                    rx.drain(..len);
                    out.push(f);
                }
                Ok(Progress::Partial) => break,
                Err(_) => return (out, true),
            }
        }
    }
    (out, false)
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let step = usize::from(first % 16) + 1;
    let (whole, whole_err) = frames(rest, rest.len().max(1));
    let (split, split_err) = frames(rest, step);
    if !whole_err && !split_err {
        // a lone trailing CRLF may wait for a second one when split; compare messages only
        let msgs = |v: &[Frame]| v.iter().filter(|f| matches!(f, Frame::Message { .. })).count();
        assert_eq!(msgs(&whole), msgs(&split));
    }
});
