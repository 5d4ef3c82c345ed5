//! The tokio loop around [`Server`]: SIP over UDP, TCP and TLS (rustls; a self-signed
//! certificate is made on first start when none is configured), one task owning the server,
//! one task per connection reading, one writing. Stops on Ctrl-C or SIGTERM, after writing
//! what is pending.

use core::future::Future;
use core::net::SocketAddr;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use simple_sip::endpoint::Transport;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;

use crate::config::Config;
use crate::server::{Server, Stats};
use crate::store::SqliteStore;

/// Datagrams taken in after the first before the loop sends what they caused.
const BATCH: usize = 63;

/// What the connection tasks tell the loop.
#[derive(Debug)]
enum Input {
    Connected {
        remote: SocketAddr,
        transport: Transport,
        writer: mpsc::UnboundedSender<Bytes>,
    },
    Data {
        remote: SocketAddr,
        transport: Transport,
        data: Bytes,
    },
    Closed {
        remote: SocketAddr,
        transport: Transport,
    },
    ConnectFailed {
        remote: SocketAddr,
        transport: Transport,
    },
    Http {
        request: http::Request<Bytes>,
        reply: tokio::sync::oneshot::Sender<http::Response<Bytes>>,
    },
}

/// Where the server listens, once bound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bound {
    /// UDP.
    pub udp: Option<SocketAddr>,
    /// TCP.
    pub tcp: Option<SocketAddr>,
    /// TLS.
    pub tls: Option<SocketAddr>,
    /// XCAP over HTTP.
    pub xcap: Option<SocketAddr>,
    /// The MSRP relay over TCP.
    pub msrp: Option<SocketAddr>,
    /// The MSRP relay over TLS.
    pub msrps: Option<SocketAddr>,
}

impl core::fmt::Display for Bound {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let show = |a: Option<SocketAddr>| a.map_or_else(|| "off".to_owned(), |a| a.to_string());
        write!(
            f,
            "udp={} tcp={} tls={} xcap={} msrp={} msrps={}",
            show(self.udp),
            show(self.tcp),
            show(self.tls),
            show(self.xcap),
            show(self.msrp),
            show(self.msrps)
        )
    }
}

/// Errors of the loop.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A socket.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The store.
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
    /// TLS setup.
    #[error("tls: {0}")]
    Tls(String),
}

fn tls_files(config: &Config) -> (PathBuf, PathBuf) {
    match (&config.tls.cert, &config.tls.key) {
        (Some(c), Some(k)) => (c.clone(), k.clone()),
        _ => {
            let base = if config.store.path.as_os_str() == ":memory:" {
                std::env::temp_dir().join("simple-server")
            } else {
                config.store.path.clone()
            };
            let name =
                base.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            (
                base.with_file_name(format!("{name}.cert.pem")),
                base.with_file_name(format!("{name}.key.pem")),
            )
        }
    }
}

/// The TLS acceptor: the configured files, else a self-signed certificate made now and kept.
fn acceptor(config: &Config) -> Result<tokio_rustls::TlsAcceptor, RunError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let (cert, key) = tls_files(config);
    if !cert.exists() || !key.exists() {
        if config.tls.cert.is_some() {
            return Err(RunError::Tls(format!(
                "{} or {} is missing",
                cert.display(),
                key.display()
            )));
        }
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), config.domain.clone()];
        let made =
            rcgen::generate_simple_self_signed(names).map_err(|e| RunError::Tls(e.to_string()))?;
        std::fs::write(&cert, made.cert.pem())?;
        std::fs::write(&key, made.key_pair.serialize_pem())?;
        tracing::info!(cert = %cert.display(), "made a self-signed certificate");
    }
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert)
        .map_err(|e| RunError::Tls(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| RunError::Tls(e.to_string()))?;
    let key = PrivateKeyDer::from_pem_file(&key).map_err(|e| RunError::Tls(e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| RunError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| RunError::Tls(e.to_string()))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(tls)))
}

fn seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    t ^ u64::from(std::process::id()).rotate_left(32)
}

/// Reads a connection until it closes, then says so.
fn spawn_connection<S>(stream: S, remote: SocketAddr, transport: Transport, tx: mpsc::Sender<Input>)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut read, mut write) = tokio::io::split(stream);
    let (wtx, mut wrx) = mpsc::unbounded_channel::<Bytes>();
    tokio::spawn(async move {
        while let Some(b) = wrx.recv().await {
            if write.write_all(&b).await.is_err() {
                break;
            }
        }
        let _ = write.shutdown().await;
    });
    tokio::spawn(async move {
        if tx.send(Input::Connected { remote, transport, writer: wtx }).await.is_err() {
            return;
        }
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let data = Bytes::copy_from_slice(&buf[..n]);
                    if tx.send(Input::Data { remote, transport, data }).await.is_err() {
                        return;
                    }
                }
            }
        }
        let _ = tx.send(Input::Closed { remote, transport }).await;
    });
}

/// Binds what `config` says, serves until `shutdown` resolves, and returns what was
/// counted. `ready` is told where it listens once bound.
pub async fn run(
    config: Config,
    ready: impl FnOnce(Bound),
    shutdown: impl Future<Output = ()>,
) -> Result<Stats, RunError> {
    run_with(config, ready, shutdown, None).await
}

/// [`run`], printing a `STATS` line ([`crate::server::Census`], then what the function gives,
/// e.g. the heap in use) to stdout every `stats.0`.
pub async fn run_with(
    config: Config,
    ready: impl FnOnce(Bound),
    shutdown: impl Future<Output = ()>,
    stats: Option<(core::time::Duration, fn() -> String)>,
) -> Result<Stats, RunError> {
    let udp = match config.listen.udp {
        Some(a) => Some(UdpSocket::bind(a).await?),
        None => None,
    };
    // SIP's habit: TCP on the UDP port; a port 0 for both gets one port for both
    let udp_port = udp.as_ref().and_then(|s| s.local_addr().ok()).map(|a| a.port());
    let tcp = match config.listen.tcp {
        Some(a) if a.port() == 0 && udp_port.is_some() => {
            let same = SocketAddr::new(a.ip(), udp_port.unwrap_or(0));
            match TcpListener::bind(same).await {
                Ok(l) => Some(l),
                Err(_) => Some(TcpListener::bind(a).await?),
            }
        }
        Some(a) => Some(TcpListener::bind(a).await?),
        None => None,
    };
    let tls = match config.listen.tls {
        Some(a) => Some((TcpListener::bind(a).await?, acceptor(&config)?)),
        None => None,
    };
    let xcap = match config.xcap.listen {
        Some(a) => Some(TcpListener::bind(a).await?),
        None => None,
    };
    let msrp = match config.msrp.listen {
        Some(a) => Some(TcpListener::bind(a).await?),
        None => None,
    };
    let msrps = match config.msrp.tls {
        Some(a) => Some((TcpListener::bind(a).await?, acceptor(&config)?)),
        None => None,
    };
    let bound = Bound {
        udp: udp.as_ref().map(UdpSocket::local_addr).transpose()?,
        tcp: tcp.as_ref().map(TcpListener::local_addr).transpose()?,
        tls: tls.as_ref().map(|(l, _)| l.local_addr()).transpose()?,
        xcap: xcap.as_ref().map(TcpListener::local_addr).transpose()?,
        msrp: msrp.as_ref().map(TcpListener::local_addr).transpose()?,
        msrps: msrps.as_ref().map(|(l, _)| l.local_addr()).transpose()?,
    };
    let relay_settings = |at: SocketAddr| crate::msrp_relay::RelaySettings {
        host: config.msrp.host.clone().unwrap_or_else(|| at.ip().to_string()),
        aliases: core::iter::once(config.domain.clone())
            .chain(config.aliases.iter().cloned())
            .collect(),
        realm: config.realm().to_owned(),
        users: config.users.iter().map(|u| (u.name.clone(), u.password.clone())).collect(),
        max_expires: config.msrp.max_expires,
    };
    if let (Some(listener), Some(at)) = (msrp, bound.msrp) {
        crate::msrp_relay::spawn(listener.into_std()?, None, relay_settings(at));
    }
    if let (Some((listener, acceptor)), Some(at)) = (msrps, bound.msrps) {
        crate::msrp_relay::spawn(listener.into_std()?, Some(acceptor), relay_settings(at));
    }
    let mut sent_by = HashMap::new();
    for (t, a) in
        [(Transport::Udp, bound.udp), (Transport::Tcp, bound.tcp), (Transport::Tls, bound.tls)]
    {
        if let Some(a) = a {
            sent_by.insert(t, a.to_string());
        }
    }
    let mut config = config;
    if let (Some(a), Some(b)) = (config.xcap.listen, bound.xcap) {
        // the XCAP root URI names the port bound (port 0 in tests)
        config.xcap.listen = Some(SocketAddr::new(a.ip(), b.port()));
    }
    let max_body = config.limits.max_message.max(1 << 20);
    let (store, mut remote): (Box<dyn crate::store::Store>, _) = match &config.store.postgres {
        Some(url) => {
            let node = if config.cluster.node.is_empty() {
                [bound.udp, bound.tcp, bound.tls]
                    .into_iter()
                    .flatten()
                    .next()
                    .map_or_else(|| "local".to_owned(), |a| a.to_string())
            } else {
                config.cluster.node.clone()
            };
            let (store, remote) = crate::pg::PgStore::open(crate::pg::PgSettings {
                url: url.clone(),
                pool: config.store.pool,
                node: node.clone(),
                lease: core::time::Duration::from_secs(config.cluster.lease_secs.max(1).into()),
                takeover_batch: config.cluster.takeover_batch,
            })?;
            tracing::info!(%node, "on the shared PostgreSQL store");
            (Box::new(store), Some(remote))
        }
        None => (Box::new(SqliteStore::open(Path::new(&config.store.path))?), None),
    };
    let mut server = Server::new(config, store, seed(), sent_by, Instant::now())?;
    let (tx, mut rx) = mpsc::channel::<Input>(1024);
    if let Some(listener) = tcp {
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Ok((stream, remote)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                spawn_connection(stream, remote, Transport::Tcp, tx.clone());
            }
        });
    }
    if let Some(listener) = xcap {
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(serve_http(stream, tx, max_body));
            }
        });
    }
    if let Some((listener, acceptor)) = tls {
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Ok((stream, remote)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match acceptor.accept(stream).await {
                        Ok(s) => spawn_connection(s, remote, Transport::Tls, tx),
                        Err(e) => tracing::debug!(%remote, "TLS handshake failed: {e}"),
                    }
                });
            }
        });
    }
    ready(bound);
    tracing::info!(%bound, "simple-server listening");
    let mut writers: HashMap<(SocketAddr, Transport), mpsc::UnboundedSender<Bytes>> =
        HashMap::new();
    let mut connecting: HashMap<(SocketAddr, Transport), Vec<Bytes>> = HashMap::new();
    let mut buf = vec![0u8; 65_536];
    tokio::pin!(shutdown);
    let mut census =
        tokio::time::interval(stats.map_or(core::time::Duration::from_secs(3600), |s| s.0));
    loop {
        // send what the server has
        while let Some(t) = server.poll_transmit() {
            match t.transport {
                Transport::Udp => {
                    if let Some(sock) = &udp {
                        if let Err(e) = sock.try_send_to(&t.contents, t.destination) {
                            if e.kind() == std::io::ErrorKind::WouldBlock {
                                let _ = sock.send_to(&t.contents, t.destination).await;
                            } else {
                                tracing::debug!(to = %t.destination, "send failed: {e}");
                                server.handle_transport_error(
                                    t.destination,
                                    t.transport,
                                    Instant::now(),
                                );
                            }
                        }
                    }
                }
                transport => {
                    let key = (t.destination, transport);
                    if let Some(w) = writers.get(&key) {
                        if w.send(t.contents.clone()).is_ok() {
                            continue;
                        }
                        writers.remove(&key);
                    }
                    if transport == Transport::Tcp {
                        let pending = connecting.entry(key).or_default();
                        pending.push(t.contents);
                        if pending.len() == 1 {
                            let tx = tx.clone();
                            tokio::spawn(async move {
                                match TcpStream::connect(t.destination).await {
                                    Ok(s) => {
                                        let _ = s.set_nodelay(true);
                                        spawn_connection(s, t.destination, transport, tx);
                                    }
                                    Err(_) => {
                                        let _ = tx
                                            .send(Input::ConnectFailed {
                                                remote: t.destination,
                                                transport,
                                            })
                                            .await;
                                    }
                                }
                            });
                        }
                    } else {
                        // we open no TLS connections: the peer's must be up
                        server.handle_transport_error(t.destination, transport, Instant::now());
                    }
                }
            }
        }
        while let Some(line) = server.poll_log() {
            tracing::info!("{line}");
        }
        let deadline = server.poll_timeout();
        let sleep = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
                None => core::future::pending().await,
            }
        };
        let recv_remote = async {
            match &mut remote {
                Some(r) => r.recv().await,
                None => core::future::pending().await,
            }
        };
        let recv_udp = async {
            match &udp {
                Some(s) => s.recv_from(&mut buf).await,
                None => core::future::pending().await,
            }
        };
        tokio::select! {
            () = &mut shutdown => break,
            r = recv_udp => match r {
                Ok((n, from)) => {
                    server.handle_datagram(from, Transport::Udp, &buf[..n], Instant::now());
                    // what else is waiting goes in before anything is sent: one store write
                    // and one wake-up for the lot
                    if let Some(sock) = &udp {
                        for _ in 0..BATCH {
                            match sock.try_recv_from(&mut buf) {
                                Ok((n, from)) => {
                                    server.handle_datagram(
                                        from,
                                        Transport::Udp,
                                        &buf[..n],
                                        Instant::now(),
                                    );
                                }
                                Err(_) => break,
                            }
                        }
                    }
                }
                Err(e) => tracing::debug!("udp: {e}"),
            },
            Some(input) = rx.recv() => match input {
                Input::Connected { remote, transport, writer } => {
                    for b in connecting.remove(&(remote, transport)).unwrap_or_default() {
                        let _ = writer.send(b);
                    }
                    writers.insert((remote, transport), writer);
                }
                Input::Data { remote, transport, data } => {
                    server.handle_stream(remote, transport, &data, Instant::now());
                }
                Input::Closed { remote, transport } => {
                    writers.remove(&(remote, transport));
                    server.handle_connection_closed(remote, transport, Instant::now());
                }
                Input::ConnectFailed { remote, transport } => {
                    connecting.remove(&(remote, transport));
                    server.handle_transport_error(remote, transport, Instant::now());
                }
                Input::Http { request, reply } => {
                    let response = server.handle_http(&request, Instant::now());
                    // stored before it is answered
                    server.commit();
                    let _ = reply.send(response);
                }
            },
            () = sleep => server.handle_timeout(Instant::now()),
            Some(r) = recv_remote => {
                // what else the other nodes changed goes in before anything is sent
                server.handle_remote(r, Instant::now());
                if let Some(rx) = &mut remote {
                    for _ in 0..BATCH {
                        match rx.try_recv() {
                            Ok(r) => server.handle_remote(r, Instant::now()),
                            Err(_) => break,
                        }
                    }
                }
            }
            _ = census.tick(), if stats.is_some() => {
                use std::io::Write;
                let extra = stats.map(|s| (s.1)()).unwrap_or_default();
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "STATS {} {extra}", server.census());
                let _ = out.flush();
            }
        }
    }
    server.commit();
    while let Some(t) = server.poll_transmit() {
        if let (Transport::Udp, Some(sock)) = (t.transport, &udp) {
            let _ = sock.send_to(&t.contents, t.destination).await;
        }
    }
    while let Some(line) = server.poll_log() {
        tracing::info!("{line}");
    }
    let stats = server.stats();
    tracing::info!(?stats, "simple-server stopped");
    Ok(stats)
}

/// Serves one HTTP/1.1 connection (hyper): each request, its body read up to `max_body`,
/// goes to the loop, which answers it.
async fn serve_http(stream: TcpStream, tx: mpsc::Sender<Input>, max_body: usize) {
    use http_body_util::{BodyExt, Full, Limited};
    let service = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
        let tx = tx.clone();
        async move {
            let (parts, body) = req.into_parts();
            let answer = match Limited::new(body, max_body).collect().await {
                Ok(b) => {
                    let request = http::Request::from_parts(parts, b.to_bytes());
                    let (reply, wait) = tokio::sync::oneshot::channel();
                    if tx.send(Input::Http { request, reply }).await.is_err() {
                        None
                    } else {
                        wait.await.ok()
                    }
                }
                Err(_) => {
                    let mut r = http::Response::new(Bytes::new());
                    *r.status_mut() = http::StatusCode::PAYLOAD_TOO_LARGE;
                    Some(r)
                }
            };
            let answer = answer.unwrap_or_else(|| {
                let mut r = http::Response::new(Bytes::new());
                *r.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
                r
            });
            Ok::<_, core::convert::Infallible>(answer.map(Full::new))
        }
    });
    let io = hyper_util::rt::TokioIo::new(stream);
    if let Err(e) = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await {
        tracing::debug!("http: {e}");
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn signal() {
    #[cfg(unix)]
    {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            return core::future::pending().await;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
