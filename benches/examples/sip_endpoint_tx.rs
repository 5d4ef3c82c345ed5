//! Runs N server non-INVITE transactions through an Endpoint (the very transaction
//! benches/sip_endpoint.rs times) for `valgrind --tool=callgrind`: instruction counts per
//! transaction, free of machine noise.
//!
//! ```text
//! cargo build --release -p simple-benches --example sip_endpoint_tx
//! valgrind --tool=callgrind target/release/examples/sip_endpoint_tx 20000
//! ```
#![allow(missing_docs, clippy::unwrap_used, clippy::std_instead_of_core)]

#[path = "../benches/support/sip_tx.rs"]
mod sip_tx;

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let mut server = sip_tx::Server::new();
    let mut reqs = sip_tx::Requests::new();
    let sent: usize = (0..n).map(|_| server.transaction(reqs.next())).sum();
    println!("{n} transactions, {sent} bytes sent, {} in progress", server.endpoint.transactions());
}
