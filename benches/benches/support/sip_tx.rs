//! The transaction the `sip_endpoint` bench times and the `sip_endpoint_tx` callgrind harness
//! counts: one template request with a counter in its branch and Call-ID, and a server
//! Endpoint answering it under a fake clock. Included by both with `#[path]`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use simple_sip::endpoint::{Endpoint, EndpointConfig, Event, Reply, Transport};

pub(crate) const TEMPLATE: &str = "MESSAGE sip:user2@domain.com SIP/2.0\r\n\
Via: SIP/2.0/UDP user1pc.domain.com;branch=z9hG4bK0000000000;rport\r\n\
Max-Forwards: 70\r\n\
From: sip:user1@domain.com;tag=49583\r\n\
To: sip:user2@domain.com\r\n\
Call-ID: 0000000000@1.2.3.4\r\n\
CSeq: 1 MESSAGE\r\n\
Content-Type: text/plain\r\n\
Content-Length: 18\r\n\r\n\
Watson, come here.";

/// The request bytes with a counter in the branch and the Call-ID, so every transaction is a
/// new one (and not a merged request, §8.2.2.2).
pub(crate) struct Requests {
    bytes: Vec<u8>,
    at: [usize; 2],
    n: u64,
}

impl Requests {
    pub(crate) fn new() -> Self {
        let at = [TEMPLATE.find("z9hG4bK").unwrap() + 7, TEMPLATE.find("Call-ID: ").unwrap() + 9];
        Self { bytes: TEMPLATE.as_bytes().to_vec(), at, n: 0 }
    }
    pub(crate) fn next(&mut self) -> &[u8] {
        self.n += 1;
        let mut n = self.n;
        for i in (0..10).rev() {
            let d = b'0' + (n % 10) as u8;
            n /= 10;
            self.bytes[self.at[0] + i] = d;
            self.bytes[self.at[1] + i] = d;
        }
        &self.bytes
    }
}

pub(crate) struct Server {
    pub(crate) endpoint: Endpoint,
    pub(crate) now: Instant,
    pub(crate) peer: SocketAddr,
}

impl Server {
    pub(crate) fn new() -> Self {
        let mut config = EndpointConfig::new("192.0.2.2:5060");
        config.max_transactions = 1_000_000;
        Self {
            endpoint: Endpoint::new(config, 1),
            now: Instant::now(),
            peer: "192.0.2.1:5060".parse().unwrap(),
        }
    }

    /// One transaction: datagram in, request out, 200 in, bytes out. Returns the bytes sent.
    pub(crate) fn transaction(&mut self, datagram: &[u8]) -> usize {
        self.endpoint.handle_datagram(self.peer, Transport::Udp, datagram, self.now);
        let Some(Event::Request { tx, .. }) = self.endpoint.poll_event() else {
            panic!("a request")
        };
        self.endpoint.respond(tx, &Reply::new(200, "OK"), self.now).unwrap();
        let sent = self.endpoint.poll_transmit().unwrap().contents.len();
        self.now += Duration::from_micros(500);
        self.endpoint.handle_timeout(self.now);
        sent
    }
}
