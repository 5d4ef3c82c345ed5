//! Digest authentication fed arbitrary header values: a client answering any challenge and a
//! server verifying any credentials never panic; the server authorizes only credentials its
//! own client computed for a nonce it issued, and each at most once.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use simple_sip::digest::{DigestClient, DigestServer, Request, Secret, ServerConfig, Verdict};
use simple_sip::headers::{Authorization, TypedHeader, WwwAuthenticate};

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let req = Request { method: "REGISTER", uri: "sip:example.com", body: data };
    let secret = |u: &str| (u == "alice").then(|| Secret::Password("pw".to_owned()));
    // any challenge: answered or refused, never a panic
    if let Ok(c) = WwwAuthenticate::parse(data) {
        let mut client = DigestClient::new("alice", "pw");
        let _ = client.answer(&c, &req, "0123456789abcdef");
    }
    // any credentials: never authorized, since this server issued no nonce they can name
    let mut server = DigestServer::new(ServerConfig::new("example.com"));
    if let Ok(a) = Authorization::parse(data) {
        let v = server.verify(&a, &req, now, secret);
        assert!(!matches!(v, Verdict::Authorized { .. }), "{v:?}");
    }
    // a real exchange over a body of fuzzed bytes: authorized once, then a replay
    let www = server.challenge(now, [data.len() as u8; 16]);
    let mut client = DigestClient::new("alice", "pw");
    let c = WwwAuthenticate::parse(www.as_bytes()).expect("our challenge parses");
    let creds = client.answer(&c, &req, "0123456789abcdef").expect("a first challenge");
    let a = Authorization::parse(creds.as_bytes()).expect("our credentials parse");
    assert!(matches!(server.verify(&a, &req, now, secret), Verdict::Authorized { .. }));
    assert!(matches!(server.verify(&a, &req, now, secret), Verdict::Rejected(_)));
});
