//! simple-server's MSRP relay (RFC 4976): simple-msrp's Sans-IO [`Relay`] on tokio sockets,
//! over TCP (`msrp:`) and TLS (`msrps:`), authenticating the SIP users with their passwords.
//!
//! One task owns each relay; every connection has a reader task and a writer task. A reader
//! reads only when the relay gives it a permit ([`Relay::wants_input`]), and a writer's
//! channel is small: when it is full the relay is told the connection is not writable
//! ([`Relay::set_writable`]) until it drains. So a slow receiver slows its senders instead of
//! filling memory.

use core::net::SocketAddr;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use simple_msrp::{ConnectionId, MsrpUri, Relay, RelayConfig, RelayEvent};
use simple_sip::digest::Secret;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};

/// What a relay's settings say.
#[derive(Debug, Clone)]
pub struct RelaySettings {
    /// The URI host (Use-Path URIs carry it), e.g. the domain or `127.0.0.1`.
    pub host: String,
    /// Other names of the relay.
    pub aliases: Vec<String>,
    /// The digest realm.
    pub realm: String,
    /// Users and passwords.
    pub users: Vec<(String, String)>,
    /// Longest Use-Path lifetime granted, in seconds.
    pub max_expires: u32,
}

enum Input {
    Accepted { conn: ConnectionId, writer: mpsc::Sender<Vec<u8>>, gate: Arc<Semaphore> },
    Data { conn: ConnectionId, data: Vec<u8> },
    Closed { conn: ConnectionId },
    Writable { conn: ConnectionId, permit: mpsc::OwnedPermit<Vec<u8>> },
    Connected { conn: ConnectionId, stream: TcpStream },
    ConnectFailed { conn: ConnectionId },
}

/// Runs [`serve`] on a thread of its own (its own core: relaying is bytes in, bytes out, and
/// should not wait behind SIP work), with a runtime of its own.
pub fn spawn(
    listener: std::net::TcpListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    settings: RelaySettings,
) {
    let run = move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        runtime.block_on(async move {
            let listener = TcpListener::from_std(listener)?;
            serve(listener, acceptor, settings).await;
            Ok::<(), std::io::Error>(())
        })
    };
    let spawned = std::thread::Builder::new().name("msrp-relay".into()).spawn(move || {
        if let Err(e) = run() {
            tracing::error!("MSRP relay: {e}");
        }
    });
    if let Err(e) = spawned {
        tracing::error!("MSRP relay thread: {e}");
    }
}

/// Serves a relay on `listener`, `secure` for the TLS one (then `acceptor` does the
/// handshakes), until the process ends.
pub async fn serve(
    listener: TcpListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    settings: RelaySettings,
) {
    let port = listener.local_addr().map_or(2855, |a| a.port());
    let secure = acceptor.is_some();
    let scheme = if secure { "msrps" } else { "msrp" };
    let uri = match MsrpUri::parse(&format!("{scheme}://{}:{port};tcp", settings.host)) {
        Ok(u) => u,
        Err(e) => {
            tracing::error!("MSRP relay host {:?}: {e}", settings.host);
            return;
        }
    };
    let mut config = RelayConfig::new(uri.clone());
    config.aliases = settings.aliases.clone();
    config.realm = settings.realm.clone();
    config.max_expires = settings.max_expires;
    config.default_expires = config.default_expires.min(settings.max_expires);
    let users: HashMap<String, String> = settings.users.iter().cloned().collect();
    let relay =
        Relay::new(config, seed(), move |u| users.get(u).map(|p| Secret::Password(p.clone())));
    let (tx, rx) = mpsc::channel::<Input>(1024);
    let (conn_tx, mut conn_rx) = mpsc::unbounded_channel::<(TcpStream, SocketAddr)>();
    tokio::spawn(async move {
        while let Ok((stream, remote)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            if conn_tx.send((stream, remote)).is_err() {
                return;
            }
        }
    });
    tracing::info!(%uri, "MSRP relay listening");
    let mut state = State {
        relay,
        writers: HashMap::new(),
        gates: HashMap::new(),
        reading: std::collections::HashSet::new(),
        paused: std::collections::HashSet::new(),
        stuck: HashMap::new(),
        tx: tx.clone(),
    };
    state.run(rx, &mut conn_rx, acceptor).await;
}

/// 32 bytes from the OS's random source (for unguessable Use-Path URIs, RFC 4976 §6.3).
fn seed() -> [u8; 32] {
    let mut s = [0u8; 32];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read as _;
        if f.read_exact(&mut s).is_ok() {
            return s;
        }
    }
    // no /dev/urandom: the clock and the process, hashed by the relay
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    s[..16].copy_from_slice(&t.to_le_bytes());
    s[16..20].copy_from_slice(&std::process::id().to_le_bytes());
    s
}

struct State {
    relay: Relay,
    writers: HashMap<ConnectionId, mpsc::Sender<Vec<u8>>>,
    gates: HashMap<ConnectionId, Arc<Semaphore>>,
    /// Connections with a read permit out (one at a time).
    reading: std::collections::HashSet<ConnectionId>,
    /// Connections refused a read because the relay wanted no input from them then.
    paused: std::collections::HashSet<ConnectionId>,
    /// Bytes the writer's channel had no room for.
    stuck: HashMap<ConnectionId, Vec<u8>>,
    tx: mpsc::Sender<Input>,
}

impl State {
    async fn run(
        &mut self,
        mut rx: mpsc::Receiver<Input>,
        accepts: &mut mpsc::UnboundedReceiver<(TcpStream, SocketAddr)>,
        acceptor: Option<tokio_rustls::TlsAcceptor>,
    ) {
        loop {
            self.flush();
            let deadline = self.relay.poll_timeout().map(|(at, _)| at);
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
                    None => core::future::pending().await,
                }
            };
            tokio::select! {
                Some((stream, remote)) = accepts.recv() => {
                    let conn = self.relay.accept(Instant::now());
                    tracing::debug!(%remote, ?conn, "MSRP connection");
                    let tx = self.tx.clone();
                    match acceptor.clone() {
                        Some(a) => {
                            tokio::spawn(async move {
                                match a.accept(stream).await {
                                    Ok(s) => spawn_io(s, conn, tx).await,
                                    Err(e) => {
                                        tracing::debug!(%remote, "MSRP TLS handshake failed: {e}");
                                        let _ = tx.send(Input::Closed { conn }).await;
                                    }
                                }
                            });
                        }
                        None => {
                            tokio::spawn(spawn_io(stream, conn, tx));
                        }
                    }
                }
                Some(input) = rx.recv() => self.input(input),
                () = sleep => self.relay.handle_timeout(Instant::now()),
            }
        }
    }

    fn input(&mut self, input: Input) {
        let now = Instant::now();
        match input {
            Input::Accepted { conn, writer, gate } => {
                self.writers.insert(conn, writer);
                self.gates.insert(conn, gate);
                self.grant(conn);
            }
            Input::Data { conn, data } => {
                self.reading.remove(&conn);
                self.relay.handle_input(conn, &data, now);
                self.grant(conn);
            }
            Input::Closed { conn } | Input::ConnectFailed { conn } => {
                self.forget(conn);
                self.relay.closed(conn, now);
            }
            Input::Writable { conn, permit } => {
                if let Some(bytes) = self.stuck.remove(&conn) {
                    permit.send(bytes);
                }
                self.relay.set_writable(conn, true);
            }
            Input::Connected { conn, stream } => {
                let tx = self.tx.clone();
                tokio::spawn(spawn_io(stream, conn, tx));
                self.relay.established(conn);
            }
        }
    }

    /// Lets `conn`'s reader read once more, if the relay wants its input and no read is out.
    fn grant(&mut self, conn: ConnectionId) {
        if self.reading.contains(&conn) {
            return;
        }
        if !self.relay.wants_input(conn) {
            self.paused.insert(conn);
            return;
        }
        self.paused.remove(&conn);
        if let Some(g) = self.gates.get(&conn) {
            g.add_permits(1);
            self.reading.insert(conn);
        }
    }

    fn forget(&mut self, conn: ConnectionId) {
        self.reading.remove(&conn);
        self.paused.remove(&conn);
        self.writers.remove(&conn);
        if let Some(g) = self.gates.remove(&conn) {
            g.close();
        }
        self.stuck.remove(&conn);
    }

    /// Hands the relay's output to the writers and its events to the log; lets paused
    /// readers read again.
    fn flush(&mut self) {
        let now = Instant::now();
        let cap = self.relay.config().max_transmit;
        let mut buf = Vec::with_capacity(cap);
        while let Some(conn) = self.relay.poll_transmit(now, &mut buf) {
            let bytes = core::mem::replace(&mut buf, Vec::with_capacity(cap));
            let Some(w) = self.writers.get(&conn) else { continue };
            match w.try_send(bytes) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(bytes)) => {
                    // hold this piece, stop taking more for this connection until it drains
                    self.stuck.insert(conn, bytes);
                    self.relay.set_writable(conn, false);
                    let (w, tx) = (w.clone(), self.tx.clone());
                    tokio::spawn(async move {
                        if let Ok(permit) = w.reserve_owned().await {
                            let _ = tx.send(Input::Writable { conn, permit }).await;
                        }
                    });
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
        while let Some(e) = self.relay.poll_event() {
            match e {
                RelayEvent::Connect { conn, host, port, secure } => {
                    if secure {
                        // relay-to-relay TLS needs client certificates (§6.3): not offered yet
                        tracing::info!(%host, port, "MSRP relay: no TLS to other relays");
                        self.relay.closed(conn, now);
                        continue;
                    }
                    let tx = self.tx.clone();
                    tokio::spawn(async move {
                        match TcpStream::connect((host.as_str(), port)).await {
                            Ok(stream) => {
                                let _ = stream.set_nodelay(true);
                                let _ = tx.send(Input::Connected { conn, stream }).await;
                            }
                            Err(_) => {
                                let _ = tx.send(Input::ConnectFailed { conn }).await;
                            }
                        }
                    });
                }
                RelayEvent::Close { conn, reason } => {
                    tracing::info!(?conn, ?reason, "MSRP relay closes a connection");
                    self.forget(conn);
                }
                RelayEvent::Authorized { username, use_path, expires, .. } => {
                    tracing::info!(
                        "MSRP relay: {username} authorized, Use-Path {use_path}, {expires} s"
                    );
                }
                RelayEvent::AuthFailed { username, code, .. } => {
                    tracing::info!(
                        "MSRP relay: AUTH of {} refused with {code}",
                        username.as_deref().unwrap_or("?")
                    );
                }
                other => tracing::debug!("MSRP relay: {other:?}"),
            }
        }
        // readers paused by back-pressure read again once their destination has room
        let paused: Vec<ConnectionId> = self.paused.iter().copied().collect();
        for conn in paused {
            self.grant(conn);
        }
    }
}

/// Runs a connection's reader and writer. The reader waits for a permit before each read.
async fn spawn_io<S>(stream: S, conn: ConnectionId, tx: mpsc::Sender<Input>)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut read, mut write) = tokio::io::split(stream);
    let (wtx, mut wrx) = mpsc::channel::<Vec<u8>>(4);
    let gate = Arc::new(Semaphore::new(0));
    if tx.send(Input::Accepted { conn, writer: wtx, gate: gate.clone() }).await.is_err() {
        return;
    }
    tokio::spawn(async move {
        while let Some(b) = wrx.recv().await {
            if write.write_all(&b).await.is_err() {
                break;
            }
        }
        let _ = write.shutdown().await;
    });
    tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let Ok(permit) = gate.acquire().await else { break };
            permit.forget();
            match read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send(Input::Data { conn, data: buf[..n].to_vec() }).await.is_err() {
                        return;
                    }
                }
            }
        }
        let _ = tx.send(Input::Closed { conn }).await;
    });
}
