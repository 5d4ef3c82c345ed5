//! The borrowed parse allocates nothing: a counting global allocator watches parsing and
//! typed reads of the benchmark messages.

#![allow(unsafe_code)] // the counting allocator: the only unsafe code in the workspace
#![allow(elided_lifetimes_in_paths)]
#![allow(clippy::unwrap_used, clippy::std_instead_of_core)] // test helpers // `typed::<Via>()` reads better than `typed::<Via<'_>>()`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use simple_sip::headers::{
    CSeq, CallId, Contact, ContentType, EventHeader, FromHeader, SubscriptionState, ToHeader, Via,
};
use simple_sip::{Frame, Header, Message, Progress, StreamDecoder, Uri};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const NOTIFY: &[u8] = include_bytes!("data/notify-pidf.sip");
const MESSAGE: &[u8] = include_bytes!("data/message.sip");

fn parse_and_read(bytes: &[u8]) -> usize {
    let mut headers = [Header::EMPTY; 32];
    let msg = Message::parse(bytes, &mut headers).unwrap();
    let mut n = msg.headers().len() + msg.body().len();
    for v in msg.typed_all::<Via>() {
        n += v.unwrap().branch().map_or(0, str::len);
    }
    n += msg.require::<FromHeader>().unwrap().tag().map_or(0, str::len);
    n += msg.require::<ToHeader>().unwrap().params.as_str().len();
    n += msg.require::<CallId>().unwrap().0.len();
    n += msg.require::<CSeq>().unwrap().seq as usize;
    n += msg.require::<ContentType>().unwrap().subtype.len();
    if let Some(e) = msg.typed::<EventHeader>().unwrap() {
        n += e.package().len();
    }
    if let Some(s) = msg.typed::<SubscriptionState>().unwrap() {
        n += s.expires().unwrap_or(0) as usize;
    }
    for c in msg.typed_all::<Contact>() {
        n += usize::from(c.unwrap().address().is_some());
    }
    let uri = Uri::parse(&msg.request().unwrap().uri).unwrap();
    n += uri.as_sip().unwrap().user.as_deref().map_or(0, str::len);
    n
}

#[test]
fn parsing_allocates_nothing() {
    // warm up anything lazily initialised by the test harness
    let expected = (parse_and_read(NOTIFY), parse_and_read(MESSAGE));
    let before = ALLOCS.load(Ordering::SeqCst);
    let got = (parse_and_read(NOTIFY), parse_and_read(MESSAGE));
    let mut decoder = StreamDecoder::default();
    let framed = decoder.decode(NOTIFY).unwrap();
    let after = ALLOCS.load(Ordering::SeqCst);
    assert_eq!(got, expected);
    assert_eq!(framed, Progress::Complete(Frame::Message { len: NOTIFY.len() }));
    assert_eq!(after - before, 0, "heap allocations during borrowed parsing");
}
