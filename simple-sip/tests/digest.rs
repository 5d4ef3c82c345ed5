//! Digest authentication between a DigestClient and a DigestServer: every algorithm and qop,
//! nc counting and replays, stale nonces, wrong passwords, the bound on challenges in a row,
//! and the nonce table's bound.
#![allow(clippy::unwrap_used, clippy::std_instead_of_core)]

use std::time::{Duration, Instant};

use simple_sip::digest::{
    Algorithm, ClientRefusal, DigestClient, DigestServer, Qop, Rejection, Request, Secret,
    ServerConfig, Verdict,
};
use simple_sip::headers::{Authorization, TypedHeader, WwwAuthenticate};

fn config(algorithm: Algorithm, qop: &[Qop]) -> ServerConfig {
    let mut c = ServerConfig::new("biloxi.com");
    c.algorithm = algorithm;
    c.qop = qop.to_vec();
    c
}

fn bob(user: &str) -> Option<Secret> {
    (user == "bob").then(|| Secret::Password("zanzibar".to_owned()))
}

/// Random bytes for nonces and cnonces from a counter (deterministic tests).
struct Rng(u8);

impl Rng {
    fn bytes(&mut self) -> [u8; 16] {
        self.0 = self.0.wrapping_add(1);
        [self.0; 16]
    }
    fn cnonce(&mut self) -> String {
        self.0 = self.0.wrapping_add(1);
        format!("{:016x}", u64::from(self.0) * 0x9E37_79B9)
    }
}

fn verify(
    server: &mut DigestServer,
    credentials: &str,
    req: &Request<'_>,
    now: Instant,
) -> Verdict {
    server.verify(&Authorization::parse(credentials.as_bytes()).unwrap(), req, now, bob)
}

#[test]
fn every_algorithm_and_qop_round_trips() {
    let now = Instant::now();
    let mut rng = Rng(0);
    let body = b"v=0\r\no=bob 2890844526 2890844526 IN IP4 host.biloxi.com\r\n";
    for algorithm in Algorithm::PREFERENCE {
        for qop in [&[][..], &[Qop::Auth], &[Qop::AuthInt], &[Qop::Auth, Qop::AuthInt]] {
            let mut server = DigestServer::new(config(algorithm, qop));
            let www = server.challenge(now, rng.bytes());
            let mut client = DigestClient::new("bob", "zanzibar");
            let req = Request { method: "INVITE", uri: "sip:bob@biloxi.com", body };
            let challenge = WwwAuthenticate::parse(www.as_bytes()).unwrap();
            let credentials = client.answer(&challenge, &req, &rng.cnonce()).unwrap();
            let verdict = verify(&mut server, &credentials, &req, now);
            assert_eq!(verdict, Verdict::Authorized { username: "bob".into() }, "{credentials}");
            let auth = Authorization::parse(credentials.as_bytes()).unwrap();
            assert_eq!(auth.param("algorithm").as_deref(), Some(algorithm.as_str()));
            // auth when offered, auth-int only when it is all there is
            let want_qop = match qop {
                [] => None,
                [Qop::AuthInt] => Some("auth-int"),
                _ => Some("auth"),
            };
            assert_eq!(auth.param("qop").as_deref(), want_qop, "{credentials}");
        }
    }
}

#[test]
fn auth_int_protects_the_body() {
    let now = Instant::now();
    let mut server = DigestServer::new(config(Algorithm::Sha256, &[Qop::AuthInt]));
    let www = server.challenge(now, [1; 16]);
    let mut client = DigestClient::new("bob", "zanzibar");
    let req = Request { method: "MESSAGE", uri: "sip:bob@biloxi.com", body: b"hello" };
    let credentials =
        client.answer(&WwwAuthenticate::parse(www.as_bytes()).unwrap(), &req, "c1").unwrap();
    let tampered = Request { body: b"hellO", ..req };
    assert_eq!(
        verify(&mut server, &credentials, &tampered, now),
        Verdict::Rejected(Rejection::WrongResponse)
    );
    assert_eq!(
        verify(&mut server, &credentials, &req, now),
        Verdict::Authorized { username: "bob".into() }
    );
}

#[test]
fn nc_counts_per_nonce_and_replays_are_refused() {
    let now = Instant::now();
    let mut server = DigestServer::new(config(Algorithm::Sha256, &[Qop::Auth]));
    let www = server.challenge(now, [2; 16]);
    let mut client = DigestClient::new("bob", "zanzibar");
    let req = Request { method: "REGISTER", uri: "sip:biloxi.com", body: b"" };
    let first =
        client.answer(&WwwAuthenticate::parse(www.as_bytes()).unwrap(), &req, "c1").unwrap();
    assert!(first.contains("nc=00000001"));
    assert!(matches!(verify(&mut server, &first, &req, now), Verdict::Authorized { .. }));
    assert_eq!(verify(&mut server, &first, &req, now), Verdict::Rejected(Rejection::Replay));
    client.succeeded();
    // the next request carries credentials before being challenged, with the next nc
    let refresh = client.authorize("biloxi.com", &req, "c2").unwrap();
    assert!(refresh.contains("nc=00000002"), "{refresh}");
    assert!(matches!(verify(&mut server, &refresh, &req, now), Verdict::Authorized { .. }));
    // a credential for another Request-URI does not pass
    let other = Request { uri: "sip:other.com", ..req };
    let wrong_uri = client.authorize("biloxi.com", &other, "c3").unwrap();
    assert_eq!(verify(&mut server, &wrong_uri, &req, now), Verdict::Rejected(Rejection::Mismatch));
    assert_eq!(client.authorize("atlanta.com", &req, "c4"), None, "never challenged there");
}

#[test]
fn stale_nonces_are_answered_again_with_the_same_credentials() {
    let start = Instant::now();
    let mut server = DigestServer::new(config(Algorithm::Md5, &[Qop::Auth]));
    let mut client = DigestClient::new("bob", "zanzibar");
    let req = Request { method: "SUBSCRIBE", uri: "sip:alice@atlanta.com", body: b"" };
    let www = server.challenge(start, [3; 16]);
    let c1 = client.answer(&WwwAuthenticate::parse(www.as_bytes()).unwrap(), &req, "c1").unwrap();
    let later = start + Duration::from_secs(301);
    assert_eq!(verify(&mut server, &c1, &req, later), Verdict::Stale);
    let www = server.challenge_stale(later, [4; 16]);
    assert!(www.contains("stale=true"));
    let c2 = client.answer(&WwwAuthenticate::parse(www.as_bytes()).unwrap(), &req, "c2").unwrap();
    assert_eq!(
        verify(&mut server, &c2, &req, later),
        Verdict::Authorized { username: "bob".into() }
    );
}

#[test]
fn wrong_credentials_never_loop() {
    let now = Instant::now();
    let mut server = DigestServer::new(config(Algorithm::Sha512_256, &[Qop::Auth]));
    let mut client = DigestClient::new("bob", "wrong password");
    let req = Request { method: "REGISTER", uri: "sip:biloxi.com", body: b"" };
    let mut rng = Rng(10);
    // the same nonce challenged again without stale: the credentials are wrong, stop
    let www = server.challenge(now, rng.bytes());
    let challenge = WwwAuthenticate::parse(www.as_bytes()).unwrap();
    let c = client.answer(&challenge, &req, &rng.cnonce()).unwrap();
    assert_eq!(verify(&mut server, &c, &req, now), Verdict::Rejected(Rejection::WrongResponse));
    assert_eq!(client.answer(&challenge, &req, &rng.cnonce()), Err(ClientRefusal::Rejected));
    // fresh nonces each time: answered up to the bound, then refused
    let mut answered = 1;
    loop {
        let www = server.challenge(now, rng.bytes());
        match client.answer(&WwwAuthenticate::parse(www.as_bytes()).unwrap(), &req, &rng.cnonce()) {
            Ok(_) => answered += 1,
            Err(refusal) => {
                assert_eq!(refusal, ClientRefusal::TooManyChallenges);
                break;
            }
        }
        assert!(answered <= 3, "bounded");
    }
    assert_eq!(answered, 3);
}

#[test]
fn the_server_refuses_what_it_did_not_issue_and_forgets_the_oldest_nonce() {
    let now = Instant::now();
    let mut cfg = config(Algorithm::Sha256, &[Qop::Auth]);
    cfg.max_nonces = 2;
    let mut server = DigestServer::new(cfg);
    let req = Request { method: "REGISTER", uri: "sip:biloxi.com", body: b"" };
    let mut answers = Vec::new();
    for i in 0..3u8 {
        let www = server.challenge(now, [i + 20; 16]);
        let mut client = DigestClient::new("bob", "zanzibar");
        let c = WwwAuthenticate::parse(www.as_bytes()).unwrap();
        answers.push(client.answer(&c, &req, "cn").unwrap());
    }
    // the first nonce was forgotten when the third was issued
    assert_eq!(
        verify(&mut server, &answers[0], &req, now),
        Verdict::Rejected(Rejection::UnknownNonce)
    );
    assert!(matches!(verify(&mut server, &answers[2], &req, now), Verdict::Authorized { .. }));
    // unknown users and other realms
    let www = server.challenge(now, [40; 16]);
    let c = WwwAuthenticate::parse(www.as_bytes()).unwrap();
    let mut carol = DigestClient::new("carol", "x");
    let creds = carol.answer(&c, &req, "cn").unwrap();
    assert_eq!(verify(&mut server, &creds, &req, now), Verdict::Rejected(Rejection::UnknownUser));
    let other_realm = creds.replace("biloxi.com\"", "atlanta.com\"");
    assert_eq!(
        verify(&mut server, &other_realm, &req, now),
        Verdict::Rejected(Rejection::Mismatch)
    );
    assert_eq!(
        verify(&mut server, "Basic user=\"bob\"", &req, now),
        Verdict::Rejected(Rejection::Malformed)
    );
}

#[test]
fn a_stored_ha1_verifies_like_the_password() {
    let now = Instant::now();
    let mut server = DigestServer::new(config(Algorithm::Md5, &[Qop::Auth]));
    let www = server.challenge(now, [50; 16]);
    let mut client = DigestClient::new("bob", "zanzibar");
    let req = Request { method: "REGISTER", uri: "sip:biloxi.com", body: b"" };
    let c = client.answer(&WwwAuthenticate::parse(www.as_bytes()).unwrap(), &req, "cn").unwrap();
    // H(bob:biloxi.com:zanzibar) with MD5, as a registrar's subscriber table holds it
    let ha1 = "12af60467a33e8518da5c68bbff12b11";
    let auth = Authorization::parse(c.as_bytes()).unwrap();
    let verdict = server.verify(&auth, &req, now, |_| Some(Secret::Ha1(ha1.to_owned())));
    assert_eq!(verdict, Verdict::Authorized { username: "bob".into() });
}
