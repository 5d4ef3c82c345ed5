//! RFC 5547 file transfer between two sessions: a push and a pull negotiated in SDP, the file
//! streamed from a source and written to a sink in pieces, the hash checked at the end, and a
//! transfer cut in the middle resumed with `a=file-range` on a new session. RFC 6135 / 6714:
//! who connects, and to which address.
#![allow(clippy::unwrap_used, clippy::std_instead_of_core, clippy::wildcard_enum_match_arm)]

use std::time::Instant;

use simple_msrp::{
    CemaAnswer, CemaOffererCheck, Event, FileDirection, FileHash, FileHasher, FileRange,
    FileSelector, FileTransfer, MsrpMedia, MsrpUri, Role, SendOptions, Session, SessionConfig,
    Setup, Source, add_cema, answer_setup, cema_answer, cema_offerer_check, connect_target,
    connection_address, offer_setup, offerer_role,
};

/// A file in memory read through a range of it (what a file on disk with a file-range is).
struct Slice {
    file: std::sync::Arc<Vec<u8>>,
    from: u64,
    len: u64,
}

impl Source for Slice {
    fn len(&self) -> u64 {
        self.len
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> usize {
        let at = (self.from + offset) as usize;
        let n = buf.len().min((self.len - offset) as usize);
        buf[..n].copy_from_slice(&self.file[at..at + n]);
        n
    }
}

fn file(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn streaming() -> SessionConfig {
    let mut c = SessionConfig::default();
    c.streaming = true;
    c.max_message_size = u64::MAX;
    c
}

fn pair() -> (Session, Session) {
    let (a, b) =
        (MsrpUri::new("alice.example.com", 1, "a1a1"), MsrpUri::new("bob.example.com", 2, "b2b2"));
    (
        Session::new(streaming(), 1, a.clone(), vec![b.clone()]),
        Session::new(streaming(), 2, b, vec![a]),
    )
}

/// Moves bytes both ways; after `cut_after` bytes from the sender the connection breaks.
fn shuttle(
    tx: &mut Session,
    rx: &mut Session,
    sink: &mut [u8],
    cut_after: Option<usize>,
) -> (bool, Vec<(u64, u64)>) {
    let now = Instant::now();
    let mut sent = 0;
    let mut got: Vec<(u64, u64)> = Vec::new();
    let mut done = false;
    loop {
        let mut a = Vec::new();
        let mut b = Vec::new();
        let x = tx.poll_transmit(now, &mut a);
        let y = rx.poll_transmit(now, &mut b);
        if let Some(limit) = cut_after {
            if sent + a.len() > limit {
                rx.handle_input(&a[..limit - sent]).unwrap();
                rx.close();
                tx.close();
                while let Some(e) = rx.poll_event() {
                    if let Event::Data { offset, data, .. } = e {
                        sink[offset as usize..offset as usize + data.len()].copy_from_slice(&data);
                        got.push((offset, data.len() as u64));
                    }
                }
                return (false, got);
            }
        }
        sent += a.len();
        rx.handle_input(&a).unwrap();
        tx.handle_input(&b).unwrap();
        while let Some(e) = rx.poll_event() {
            match e {
                Event::Data { offset, data, .. } => {
                    sink[offset as usize..offset as usize + data.len()].copy_from_slice(&data);
                    got.push((offset, data.len() as u64));
                }
                Event::Streamed { .. } => done = true,
                Event::Started { .. } => {}
                other => panic!("{other:?}"),
            }
        }
        if x.is_none() && y.is_none() {
            return (done, got);
        }
    }
}

#[test]
fn push_offer_answer_stream_and_hash() {
    let data = std::sync::Arc::new(file(3 << 20));
    // Alice offers to push the file
    let alice_path = vec![MsrpUri::new("alice.example.com", 1, "a1a1")];
    let mut offer = MsrpMedia::new(alice_path, &["message/cpim", "application/octet-stream"]);
    let selector = FileSelector {
        name: Some("holiday photos.tar".into()),
        media_type: Some("application/octet-stream".into()),
        size: Some(data.len() as u64),
        hashes: vec![FileHash::sha1(&data)],
    };
    let mut t = FileTransfer::new(FileDirection::Send, selector, "tr1d4ab8");
    t.disposition = Some("attachment".into());
    t.write_to(&mut offer);
    offer_setup(true).write_to(&mut offer);
    let wire = offer.write();
    // Bob reads it and answers: recvonly, the same description, passive
    let got = MsrpMedia::parse(&wire).unwrap();
    let described = FileTransfer::from_media(&got).unwrap().unwrap();
    assert_eq!(described, t);
    let (setup, bob_role) = answer_setup(Setup::of(&got), true);
    assert_eq!((setup, bob_role), (Setup::Passive, Role::Passive));
    let mut answer = MsrpMedia::new(vec![MsrpUri::new("bob.example.com", 2, "b2b2")], &["*"]);
    described.answer(None).write_to(&mut answer);
    setup.write_to(&mut answer);
    let answer = MsrpMedia::parse(&answer.write()).unwrap();
    assert_eq!(offerer_role(Setup::of(&answer)), Role::Active, "Alice connects and sends");
    assert_eq!(
        FileTransfer::from_media(&answer).unwrap().unwrap().direction,
        FileDirection::Receive
    );

    let (mut alice, mut bob) = pair();
    let len = described.message_len(data.len() as u64);
    alice.send_stream(
        "application/octet-stream",
        Box::new(Slice { file: data.clone(), from: 0, len }),
        SendOptions::default(),
    );
    let mut sink = vec![0u8; data.len()];
    let (done, _) = shuttle(&mut alice, &mut bob, &mut sink, None);
    assert!(done);
    // the hash is checked at the end, over the whole file
    let mut h = FileHasher::new();
    for piece in sink.chunks(65536) {
        h.update(piece);
    }
    assert_eq!(&h.finish(), described.selector.sha1().unwrap());
    assert!(bob.buffered() < 1 << 16, "the receiver held {} bytes", bob.buffered());
}

#[test]
fn a_cut_transfer_resumes_with_file_range() {
    let data = std::sync::Arc::new(file(2 << 20));
    let size = data.len() as u64;
    let hash = FileHash::sha1(&data);
    let mut sink = vec![0u8; data.len()];
    // first attempt: the connection breaks a little after 700 kB
    let (mut alice, mut bob) = pair();
    alice.send_stream(
        "application/octet-stream",
        Box::new(Slice { file: data.clone(), from: 0, len: size }),
        SendOptions::default(),
    );
    let (done, got) = shuttle(&mut alice, &mut bob, &mut sink, Some(700_000));
    assert!(!done);
    // what arrived is contiguous from the start: resume from the first missing byte
    let mut have = 0u64;
    for (off, n) in got {
        assert_eq!(off, have);
        have += n;
    }
    assert!(have > 0 && have < size);
    // the receiver pulls the rest: a new offer with file-range, a new transfer id
    let range = FileRange { start: have + 1, stop: Some(size) };
    let sel =
        FileSelector { size: Some(size), hashes: vec![hash.clone()], ..FileSelector::default() };
    let mut pull = FileTransfer::new(FileDirection::Receive, sel, "resume2x");
    pull.range = Some(range);
    let mut m = MsrpMedia::new(vec![MsrpUri::new("bob.example.com", 2, "b2b2")], &["*"]);
    pull.write_to(&mut m);
    let offer = FileTransfer::from_media(&MsrpMedia::parse(&m.write()).unwrap()).unwrap().unwrap();
    assert!(m.write().contains(&format!("a=file-range:{}-{size}", have + 1)));
    // Alice answers sendonly and sends that range as one message, numbered from 1
    let answer = offer.answer(None);
    assert_eq!(answer.direction, FileDirection::Send);
    let r = answer.range.unwrap();
    let (mut alice, mut bob) = pair();
    let len = answer.message_len(size);
    assert_eq!(len, size - have);
    alice.send_stream(
        "application/octet-stream",
        Box::new(Slice { file: data, from: r.offset(), len }),
        SendOptions::default(),
    );
    let mut rest = vec![0u8; len as usize];
    let (done, _) = shuttle(&mut alice, &mut bob, &mut rest, None);
    assert!(done);
    sink[have as usize..].copy_from_slice(&rest);
    assert_eq!(FileHash::sha1(&sink), hash, "the whole file checks out");
}

#[test]
fn pull_by_hash() {
    // Alice asks for a file by hash; Bob finds it and answers with its full description
    let data = file(10_000);
    let wanted = FileSelector { hashes: vec![FileHash::sha1(&data)], ..FileSelector::default() };
    let offer = FileTransfer::new(FileDirection::Receive, wanted.clone(), "pull0001");
    let found = FileSelector {
        name: Some("report.pdf".into()),
        media_type: Some("application/pdf".into()),
        size: Some(10_000),
        hashes: vec![FileHash::sha1(&data)],
    };
    assert!(wanted.selects(&found));
    let other = FileSelector { hashes: vec![FileHash::sha1(b"other")], ..found.clone() };
    assert!(!wanted.selects(&other));
    let answer = offer.answer(Some(&found));
    assert_eq!(
        (answer.direction, answer.selector.name.as_deref()),
        (FileDirection::Send, Some("report.pdf"))
    );
    assert!(!answer.is_new_transfer(&offer), "same transfer id: the same transfer");
}

#[test]
fn cema_and_setup_decide_where_to_connect() {
    // an SBC rewrote Bob's c/m-line to 203.0.113.9:40000; Bob's path still names him
    let sdp = "v=0\r\nc=IN IP4 203.0.113.9\r\nm=message 40000 TCP/MSRP *\r\na=accept-types:*\r\na=path:msrp://198.51.100.2:7777/b1b1;tcp\r\na=setup:actpass\r\n";
    let mut offer = MsrpMedia::parse(sdp).unwrap();
    let c = connection_address(sdp).unwrap();
    assert_eq!(c, "203.0.113.9");
    // without CEMA, a rewritten c-line means a middlebox that does not speak MSRP: refuse
    assert_eq!(cema_answer(&offer, &c, false), CemaAnswer::Reject);
    add_cema(&mut offer);
    assert_eq!(cema_answer(&offer, &c, false), CemaAnswer::Cema);
    // both behind relays: fall back to RFC 4975/4976
    let mut relayed = offer.clone();
    relayed.path.insert(0, MsrpUri::new("relay.example.com", 2855, "r1"));
    assert_eq!(cema_answer(&relayed, &c, true), CemaAnswer::Fallback);
    // an active answerer with CEMA connects to the c/m-line, else to the path
    assert_eq!(connect_target(&offer, Some(&c), true), Some(("203.0.113.9".into(), 40000)));
    assert_eq!(connect_target(&offer, Some(&c), false), Some(("198.51.100.2".into(), 7777)));
    // the offerer's side: an answer without CEMA whose c-line was rewritten, offerer passive
    let answer = MsrpMedia::parse(sdp).unwrap();
    assert_eq!(cema_offerer_check(&answer, &c, Role::Passive, false), CemaOffererCheck::NewOffer);
    let mut with = answer;
    add_cema(&mut with);
    assert_eq!(cema_offerer_check(&with, &c, Role::Active, false), CemaOffererCheck::Cema);
    // an unchanged c-line matching the path needs nothing
    let plain = "c=IN IP4 198.51.100.2\r\nm=message 7777 TCP/MSRP *\r\na=accept-types:*\r\na=path:msrp://198.51.100.2:7777/b1b1;tcp\r\n";
    let p = MsrpMedia::parse(plain).unwrap();
    assert_eq!(cema_answer(&p, &connection_address(plain).unwrap(), false), CemaAnswer::Fallback);
    // holdconn reads as no attribute; a=connection is read and ignored (RFC 6135 §4.4)
    let h = MsrpMedia::parse(
        &plain.replace("a=path", "a=setup:holdconn\r\na=connection:new\r\na=path"),
    )
    .unwrap();
    assert_eq!(Setup::of(&h), None);
    assert_eq!(simple_msrp::ConnectionAttr::of(&h), Some(simple_msrp::ConnectionAttr::New));
    assert_eq!(answer_setup(Setup::of(&h), true).1, Role::Passive);
}
