//! Runs SIP message files through an [`Endpoint`] as if each had just arrived in one UDP
//! datagram, and prints one line per file: `PATH<TAB>VERDICT`, where VERDICT is `accept` (the
//! request reached the application, or the response was taken for matching), `drop` (the
//! endpoint discarded it: a response a UA throws away) or the three-digit status the endpoint
//! answered by itself. It is the code path of a real request, not a separate checker.
//!
//! ```text
//! cargo run -p simple-sip --example sip_check -- tests/vectors/rfc4475/*.dat
//! ```
//!
//! The endpoint is a user agent that hands every method up (`UasConfig::any_method`) and reads
//! `application/sdp`, `text/plain` and `application/pidf+xml` bodies; `--methods A,B` limits it
//! to those methods (others get 405 or 501); `--tcp` feeds each file as a stream instead; `--why` adds a third column saying why
//! a message was refused or dropped.

use std::process::ExitCode;
use std::time::Instant;

use simple_sip::Method;
use simple_sip::endpoint::{Endpoint, EndpointConfig, Event, Transport};

#[allow(clippy::wildcard_enum_match_arm)] // any other event is reported as unexpected
fn verdict(bytes: &[u8], config: &EndpointConfig, transport: Transport, why: bool) -> String {
    let mut endpoint = Endpoint::new(config.clone(), 4475);
    let source = "192.0.2.1:5060".parse().expect("a literal address");
    let now = Instant::now();
    if transport == Transport::Udp {
        endpoint.handle_datagram(source, transport, bytes, now);
    } else {
        endpoint.handle_stream(source, transport, bytes, now);
    }
    let mut verdict = None;
    while let Some(event) = endpoint.poll_event() {
        let v = match event {
            Event::Request { .. } | Event::Ack { .. } | Event::StrayResponse { .. } => {
                "accept".to_owned()
            }
            Event::Rejected { code, why: reason, .. } if why => format!("{code}\t{reason}"),
            Event::Rejected { code, .. } => code.to_string(),
            Event::Dropped { reason, .. } if why => format!("drop\t{reason:?}"),
            Event::Dropped { .. } => "drop".to_owned(),
            // nothing else can come of one message into a fresh endpoint
            other => format!("unexpected {other:?}"),
        };
        verdict.get_or_insert(v);
    }
    // a stream with an incomplete message waits for more bytes: nothing happened yet
    verdict.unwrap_or_else(|| "wait".to_owned())
}

fn main() -> ExitCode {
    let mut config = EndpointConfig::new("192.0.2.2:5060");
    config.uas.any_method = true;
    let mut transport = Transport::Udp;
    let mut why = false;
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tcp" => transport = Transport::Tcp,
            "--why" => why = true,
            "--methods" => {
                let Some(list) = args.next() else {
                    eprintln!("--methods needs a comma-separated list");
                    return ExitCode::from(2);
                };
                config.uas.any_method = false;
                config.uas.methods =
                    list.split(',').map(|m| Method::from_token(m).into_owned()).collect();
            }
            _ => paths.push(arg),
        }
    }
    if paths.is_empty() {
        eprintln!("usage: sip_check [--tcp] [--why] [--methods A,B] FILE...");
        return ExitCode::from(2);
    }
    let mut failed = false;
    for path in paths {
        match std::fs::read(&path) {
            Ok(bytes) => println!("{path}\t{}", verdict(&bytes, &config, transport, why)),
            Err(e) => {
                eprintln!("{path}: {e}");
                failed = true;
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
