//! `simple-server`: the reference SIMPLE server. See the crate docs and the README.

use std::path::PathBuf;

use clap::Parser;
use simple_server::config::Config;

// live heap bytes for the STATS line (two relaxed atomic adds per allocation); the benches'
// counting allocator, shared
#[path = "../../../benches/benches/support/counting.rs"]
mod counting;

/// The reference SIMPLE server: registrar, presence agent and proxy with an embedded store.
#[derive(Debug, Parser)]
#[command(name = "simple-server", version)]
struct Args {
    /// The TOML configuration (default: the demo configuration shipped with the crate).
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Listen for UDP here (overrides the file; `off` turns it off).
    #[arg(long)]
    udp: Option<String>,
    /// Listen for TCP here (`off` turns it off).
    #[arg(long)]
    tcp: Option<String>,
    /// Listen for TLS here (`off` turns it off).
    #[arg(long)]
    tls: Option<String>,
    /// The SQLite store (overrides the file).
    #[arg(long)]
    store: Option<PathBuf>,
    /// Messages per second one source may send (overrides the file).
    #[arg(long)]
    rate: Option<u32>,
    /// Watchers are active at once, without their presentity's approval.
    #[arg(long)]
    no_pending: bool,
    /// Print a `STATS` line (transactions, subscriptions, publications, bindings, live heap
    /// bytes) to stdout every this many seconds.
    #[arg(long)]
    stats: Option<f64>,
    /// Log filter (tracing's EnvFilter syntax, e.g. `info`, `debug`); RUST_LOG wins.
    #[arg(long, default_value = "info")]
    log: String,
}

fn addr(
    value: Option<String>,
    current: Option<core::net::SocketAddr>,
) -> Result<Option<core::net::SocketAddr>, String> {
    match value.as_deref() {
        None => Ok(current),
        Some("off") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|e| format!("{v}: {e}")),
    }
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&args.log));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let config = match &args.config {
        Some(p) => Config::load(p),
        None => Config::parse(include_str!("../../demo.toml")),
    };
    let mut config = match config {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    let listen = (|| -> Result<(), String> {
        config.listen.udp = addr(args.udp.clone(), config.listen.udp)?;
        config.listen.tcp = addr(args.tcp.clone(), config.listen.tcp)?;
        config.listen.tls = addr(args.tls.clone(), config.listen.tls)?;
        Ok(())
    })();
    if let Err(e) = listen {
        eprintln!("{e}");
        return std::process::ExitCode::from(2);
    }
    if let Some(s) = args.store {
        config.store.path = s;
    }
    if let Some(r) = args.rate {
        config.limits.messages_per_second = r;
    }
    if args.no_pending {
        config.presence.pending = false;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let ready = |bound: simple_server::net::Bound| {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        // the line scripts and tests wait for
        let _ = writeln!(out, "READY {bound}");
        let _ = out.flush();
    };
    match runtime.block_on(simple_server::net::run_with(
        config,
        ready,
        simple_server::net::signal(),
        args.stats.map(|s| {
            let heap: fn() -> String =
                || format!("heap={}", counting::LIVE.load(core::sync::atomic::Ordering::Relaxed));
            (core::time::Duration::from_secs_f64(s), heap)
        }),
    )) {
        Ok(_) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("simple-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
