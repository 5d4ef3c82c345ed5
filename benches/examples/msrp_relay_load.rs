//! Relay forwarding throughput on loopback: a receiver AUTHs to the relay (simple-msrp's
//! RelayClient) and reads; a sender connects to the relay and pushes one message of SIZE
//! bytes in 32 KiB SEND chunks (CHUNK_KIB) toward the receiver's Use-Path (RFC 4976 §6.4: a request
//! going back toward the client that obtained the URI). Prints the rate the receiver saw.
//! `benches/msrp-relay/run.sh` runs it against simple-server's relay and Kamailio's.
//!   usage: msrp_relay_load HOST:PORT USER PASSWORD [SIZE_MIB]

use core::time::Duration;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Instant;

use simple_msrp::{AuthConfig, AuthEvent, Decoder, Frame, MsrpUri, RelayClient};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, addr, user, password, rest @ ..] = args.as_slice() else {
        eprintln!("usage: msrp_relay_load HOST:PORT USER PASSWORD [SIZE_MIB]");
        std::process::exit(2);
    };
    let size: u64 = rest.first().and_then(|s| s.parse().ok()).unwrap_or(256) << 20;
    let relay = MsrpUri::parse(&format!("msrp://{addr};tcp")).expect("a relay address");
    // the receiver: AUTH, then count body bytes
    let mut rx = TcpStream::connect(addr.as_str()).expect("connect to the relay");
    rx.set_nodelay(true).expect("nodelay");
    let here = rx.local_addr().expect("local address");
    let me = MsrpUri::new(here.ip().to_string(), here.port(), "loadrecv1");
    let mut client =
        RelayClient::new(AuthConfig::new(vec![relay], user, password), [7; 32], me.clone());
    let now = Instant::now();
    client.refresh(now);
    let mut buf = vec![0u8; 256 << 10];
    let use_path = loop {
        let mut out = Vec::new();
        while client.poll_transmit(&mut out).is_some() {}
        rx.write_all(&out).expect("write AUTH");
        if let Some(e) = client.poll_event() {
            match e {
                AuthEvent::Authorized { use_path, .. } => break use_path,
                other @ (AuthEvent::Failed { .. } | _) => panic!("AUTH failed: {other:?}"),
            }
        }
        let n = rx.read(&mut buf).expect("read AUTH answer");
        assert!(n > 0, "the relay hung up");
        client.handle_input(&buf[..n], Instant::now()).expect("good MSRP");
    };
    let leftover = client.take_input();
    let reader = std::thread::spawn(move || {
        let mut d = Decoder::default();
        let mut pending = leftover;
        let mut got = 0u64;
        let mut first = None;
        while got < size {
            let mut at = 0;
            while let Some((f, used)) =
                d.decode(&pending[at..]).expect("the relay writes good MSRP")
            {
                at += used;
                if let Frame::Data(x) = f {
                    first.get_or_insert_with(Instant::now);
                    got += x.len() as u64;
                }
            }
            pending.drain(..at);
            if got >= size {
                break;
            }
            let n = rx.read(&mut buf).expect("read");
            assert!(n > 0, "the relay hung up after {got} bytes");
            pending.extend_from_slice(&buf[..n]);
        }
        (got, first.unwrap_or_else(Instant::now))
    });
    // the sender: no AUTH of its own (like the Kamailio recipe's sender)
    let mut tx = TcpStream::connect(addr.as_str()).expect("connect to the relay");
    tx.set_nodelay(true).expect("nodelay");
    let from = tx.local_addr().expect("local address");
    let drain = tx.try_clone().expect("clone");
    std::thread::spawn(move || {
        let mut drain = drain;
        let mut sink = vec![0u8; 64 << 10];
        while drain.read(&mut sink).is_ok_and(|n| n > 0) {}
    });
    let to: Vec<String> = use_path.iter().chain([&me]).map(ToString::to_string).collect();
    let to = to.join(" ");
    let from = format!("msrp://{}:{}/loadsend1;tcp", from.ip(), from.port());
    // 32 KiB: Kamailio reads a whole frame into its 64 KiB TCP buffer
    let chunk: u64 =
        std::env::var("CHUNK_KIB").ok().and_then(|c| c.parse().ok()).unwrap_or(32) << 10;
    let body: Vec<u8> = (0..chunk).map(|i| b'a' + (i % 26) as u8).collect();
    let start = Instant::now();
    let mut pos = 1u64;
    let mut i = 0u64;
    let mut frame = Vec::with_capacity(chunk as usize + 512);
    while pos <= size {
        let n = chunk.min(size - pos + 1);
        let end = pos + n - 1;
        let tid = format!("ld{i:08}");
        frame.clear();
        write!(
            frame,
            "MSRP {tid} SEND\r\nTo-Path: {to}\r\nFrom-Path: {from}\r\nMessage-ID: loadmsg1\r\n\
             Byte-Range: {pos}-{end}/{size}\r\nFailure-Report: no\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .expect("write to a Vec");
        frame.extend_from_slice(&body[..n as usize]);
        let flag = if end == size { '$' } else { '+' };
        write!(frame, "\r\n-------{tid}{flag}\r\n").expect("write to a Vec");
        tx.write_all(&frame).expect("send");
        pos = end + 1;
        i += 1;
    }
    let (got, first) = reader.join().expect("the reader");
    let secs = first.duration_since(start).as_secs_f64() + first.elapsed().as_secs_f64();
    let secs = secs.max(start.elapsed().as_secs_f64()).max(Duration::from_micros(1).as_secs_f64());
    let mib = got as f64 / f64::from(1u32 << 20);
    println!("RELAYED {got} bytes in {secs:.3} s: {:.1} MiB/s", mib / secs);
}
