//! `simple-cli`: command-line SIP presence and messaging clients in the spirit of
//! sipsimple's tools, against simple-server or any SIP server (Kamailio in the tests). Each
//! subcommand is one UA: an [`Endpoint`] with the simple-sip roles it needs on a tokio UDP
//! socket. Every line is printed as it happens (`--json`: one JSON object per line).

use core::net::SocketAddr;
use core::time::Duration;
use std::io::Write;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use serde_json::json;
use simple_pidf::rpid::Activity;
use simple_pidf::winfo::WatcherInfo;
use simple_pidf::{
    Basic, Component, Extension, Note, Person, Presence, PresenceView, Tuple, Update,
};
use simple_sip::digest::DigestClient;
use simple_sip::endpoint::{Endpoint, EndpointConfig, Event, NewRequest, Reply, Transport};
use simple_sip::event::{Status, Subscribe, Subscriber, SubscriberConfig, SubscriberEvent};
use simple_sip::headers::{ProxyAuthenticate, TypedHeader, WwwAuthenticate};
use simple_sip::pager::{Outgoing, Pager, PagerConfig, PagerEvent};
use simple_sip::publish::{Publish, Publisher, PublisherConfig, PublisherEvent};
use simple_sip::{HeaderName, Method, OwnedMessage};
use tokio::net::UdpSocket;

mod im;
mod msrp;

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "simple-cli",
    version,
    about = "SIP presence and instant messaging from the command line"
)]
pub struct Cli {
    #[command(flatten)]
    account: Account,
    #[command(subcommand)]
    command: Command,
}

/// Who we are and where the server is.
#[derive(Debug, Args)]
struct Account {
    /// The SIP server (registrar, presence agent, proxy).
    #[arg(long, global = true, default_value = "127.0.0.1:5060")]
    server: SocketAddr,
    /// The user part of our address.
    #[arg(long, short, global = true, default_value = "alice")]
    user: String,
    /// The password (digest), if the server asks.
    #[arg(long, short, global = true, env = "SIMPLE_CLI_PASSWORD")]
    password: Option<String>,
    /// The password for an MSRP relay's AUTH (default: the SIP password; Kamailio's msrp
    /// module in the interop tests has one of its own).
    #[arg(long, global = true)]
    relay_password: Option<String>,
    /// Largest MSRP chunk we send, in KiB (default 64; Kamailio's relay needs 8 or less, as it
    /// reads a frame whole into a 64 KiB buffer).
    #[arg(long, global = true, default_value_t = 64)]
    msrp_chunk: usize,
    /// The domain (default: the server's address).
    #[arg(long, global = true)]
    domain: Option<String>,
    /// The local address to bind.
    #[arg(long, global = true, default_value = "127.0.0.1:0")]
    bind: SocketAddr,
    /// One JSON object per line instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// The XCAP root (simple-server's `[xcap]`; Kamailio's xcap_server).
    #[arg(long, global = true, default_value = "http://127.0.0.1:5380/xcap-root")]
    xcap: String,
    /// Authenticate XCAP requests with HTTP basic at once, instead of answering the server's
    /// digest challenge (RFC 7616).
    #[arg(long, global = true)]
    xcap_basic: bool,
}

/// An XCAP request (RFC 4825); a path relative to the XCAP root, `~` for our own XUI
/// (`pres-rules/users/~/index`).
#[derive(Debug, Subcommand)]
enum XcapOp {
    /// Prints a document, element or attribute.
    Get {
        /// The path.
        path: String,
    },
    /// Stores the body read from stdin.
    Put {
        /// The path.
        path: String,
        /// The body's MIME type (default: by the path: application/xcap-el+xml for an
        /// element, xcap-att for an attribute, the usage's for a document).
        #[arg(long = "type")]
        content_type: Option<String>,
        /// Read the body from this file instead of stdin.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
    /// Deletes a document, element or attribute.
    Delete {
        /// The path.
        path: String,
    },
    /// Subscribes to changes (RFC 5875 xcap-diff over SIP) of documents, collections
    /// (`resource-lists/users/~/`) and elements, and prints each NOTIFY's entries.
    Watch {
        /// The paths.
        #[arg(required = true)]
        paths: Vec<String>,
        /// `no-patching`, `xcap-patching` or `aggregate`.
        #[arg(long, default_value = "aggregate")]
        mode: String,
        /// Stop after this many NOTIFYs.
        #[arg(long)]
        count: Option<usize>,
        /// Stop after this many seconds.
        #[arg(long = "for", default_value_t = 3600)]
        seconds: u64,
    },
}

/// The buddy list: list `buddies` of our resource-lists `index` document.
#[derive(Debug, Subcommand)]
enum BuddyOp {
    /// Adds a buddy (user or URI), with an optional display name.
    Add {
        /// Whom.
        target: String,
        /// The display name.
        #[arg(long)]
        name: Option<String>,
    },
    /// Removes a buddy.
    Remove {
        /// Whom.
        target: String,
    },
    /// Lists the buddies.
    List,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Registers our address (and keeps it registered with --for).
    Register {
        /// Seconds asked for.
        #[arg(long, default_value_t = 600)]
        expires: u32,
        /// Stay this many seconds, refreshing; then unregister.
        #[arg(long = "for", default_value_t = 0)]
        seconds: u64,
    },
    /// Publishes our presence: basic status, a note, an RPID activity. With --for it stays,
    /// refreshing, and takes changes from stdin, one per line: `open`, `closed`,
    /// `note TEXT`, `activity NAME`.
    Publish {
        /// open or closed.
        #[arg(long, default_value = "open")]
        status: String,
        /// A note.
        #[arg(long)]
        note: Option<String>,
        /// An RPID activity (away, busy, meeting, on-the-phone, meal, holiday, ...).
        #[arg(long)]
        activity: Option<String>,
        /// Seconds the publication lasts.
        #[arg(long, default_value_t = 600)]
        expires: u32,
        /// Stay this many seconds, refreshing; then remove the publication.
        #[arg(long = "for", default_value_t = 0)]
        seconds: u64,
    },
    /// Watches a presentity and prints every change as it arrives.
    Watch {
        /// Whom (`bob`, or a URI).
        target: String,
        /// Stop after this many NOTIFYs with state.
        #[arg(long)]
        count: Option<usize>,
        /// Stop after this many seconds.
        #[arg(long = "for", default_value_t = 3600)]
        seconds: u64,
        /// Ask for partial notification (RFC 5263).
        #[arg(long)]
        partial: bool,
    },
    /// Sends a MESSAGE: CPIM-wrapped, asking for delivery and display notifications
    /// (RFC 5438), which it prints as they arrive, with the peer's is-composing changes.
    Message {
        /// To whom (`bob`, or a URI).
        target: String,
        /// The text.
        text: String,
        /// Send the text as text/plain, without CPIM and notifications (with `--typing`,
        /// the is-composing status still goes first).
        #[arg(long)]
        plain: bool,
        /// Seconds to wait for the notifications (registered meanwhile, so they reach us).
        #[arg(long = "wait", default_value_t = 10)]
        wait: u64,
        /// Say "is composing" (RFC 3994) this many seconds before sending.
        #[arg(long)]
        typing: Option<u64>,
    },
    /// Registers and prints the MESSAGEs that arrive.
    Listen {
        /// Stop after this many.
        #[arg(long)]
        count: Option<usize>,
        /// Stop after this many seconds.
        #[arg(long = "for", default_value_t = 3600)]
        seconds: u64,
    },
    /// An MSRP chat session (RFC 4975): invites TARGET, or waits to be invited without one;
    /// sends each --text (or, with a target and no --text, the lines of stdin) and prints what
    /// arrives.
    Chat {
        /// Whom to invite (`bob`, or a URI); none: wait for an invitation.
        target: Option<String>,
        /// An MSRP relay to use (`msrp://127.0.0.1:2855;tcp`), authenticated as our user.
        #[arg(long)]
        relay: Option<String>,
        /// A message to send (repeatable).
        #[arg(long = "text")]
        texts: Vec<String>,
        /// Seconds to stay after the last message (0: hang up once they are delivered).
        #[arg(long, default_value_t = 5)]
        wait: u64,
    },
    /// Sends a file (RFC 5547 push) with a progress bar; answers the receiver's resume.
    SendFile {
        /// To whom.
        target: String,
        /// The file.
        file: std::path::PathBuf,
        /// An MSRP relay to use.
        #[arg(long)]
        relay: Option<String>,
        /// After a broken transfer, wait this many seconds for the receiver to ask for the
        /// rest (a pull with a file-range) and send it.
        #[arg(long, default_value_t = 0)]
        serve: u64,
    },
    /// Receives files offered to us, checks their SHA-1, resumes a broken transfer.
    ReceiveFile {
        /// Where to put them.
        #[arg(long, default_value = ".")]
        dir: std::path::PathBuf,
        /// An MSRP relay to use.
        #[arg(long)]
        relay: Option<String>,
        /// Stop after this many files.
        #[arg(long, default_value_t = 1)]
        count: usize,
        /// Give up after this many seconds.
        #[arg(long = "for", default_value_t = 3600)]
        seconds: u64,
        /// Testing: drop the MSRP connection once this many bytes have arrived (once), so
        /// that the transfer resumes.
        #[arg(long)]
        cut_after: Option<u64>,
    },
    /// Lists our watchers (watcher information) and approves or blocks them.
    Watchers {
        /// Allow this watcher (URI or user), repeatable.
        #[arg(long)]
        approve: Vec<String>,
        /// Block this watcher, repeatable.
        #[arg(long)]
        block: Vec<String>,
        /// Keep watching the list this many seconds (0: print it once).
        #[arg(long = "for", default_value_t = 0)]
        seconds: u64,
    },
    /// XCAP: documents, elements and attributes on the XCAP server.
    Xcap {
        /// What to do.
        #[command(subcommand)]
        op: XcapOp,
    },
    /// The buddy list (an XCAP resource list).
    Buddies {
        /// What to do.
        #[command(subcommand)]
        op: BuddyOp,
    },
}

/// The UA: an endpoint on a UDP socket.
struct Ua {
    socket: UdpSocket,
    /// What a datagram is read into.
    buf: Vec<u8>,
    ep: Endpoint,
    local: SocketAddr,
    server: SocketAddr,
    aor: String,
    user: String,
    password: Option<String>,
    relay_password: Option<String>,
    msrp_chunk: usize,
    domain: String,
    json: bool,
    xcap_basic: bool,
}

fn seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
        ^ u64::from(std::process::id())
}

impl Ua {
    async fn new(a: &Account) -> std::io::Result<Self> {
        let socket = UdpSocket::bind(a.bind).await?;
        let local = socket.local_addr()?;
        let mut config = EndpointConfig::new(&local.to_string());
        config.uas.methods.push(Method::Register);
        config.uas.accept = vec!["*/*".to_owned()];
        config.user_agent = Some("simple-cli (simple-rs)".to_owned());
        config.stream_threshold = None;
        let domain = a.domain.clone().unwrap_or_else(|| a.server.ip().to_string());
        Ok(Self {
            socket,
            buf: vec![0u8; 65_536],
            ep: Endpoint::new(config, seed()),
            local,
            server: a.server,
            aor: format!("sip:{}@{domain}", a.user),
            user: a.user.clone(),
            password: a.password.clone(),
            relay_password: a.relay_password.clone(),
            msrp_chunk: a.msrp_chunk.max(1) << 10,
            domain,
            json: a.json,
            xcap_basic: a.xcap_basic,
        })
    }

    fn credentials(&self) -> Option<(String, String)> {
        self.password.clone().map(|p| (self.user.clone(), p))
    }

    fn uri(&self, target: &str) -> String {
        if target.contains(':') {
            target.to_owned()
        } else {
            format!("sip:{target}@{}", self.domain)
        }
    }

    fn contact(&self) -> String {
        format!("<sip:{}@{}>", self.user, self.local)
    }

    fn say(&self, text: &str, value: &serde_json::Value) {
        let mut out = std::io::stdout().lock();
        let _ = if self.json { writeln!(out, "{value}") } else { writeln!(out, "{text}") };
        let _ = out.flush();
    }

    async fn flush(&mut self) {
        while let Some(t) = self.ep.poll_transmit() {
            if self.socket.send_to(&t.contents, t.destination).await.is_err() {
                self.ep.handle_transport_error(t.destination, t.transport);
            }
        }
    }

    /// A [`turn`](Self::turn) whose events go to `pager`, the ones it does not take refused;
    /// returns the time the events were handled at.
    async fn pager_turn(&mut self, pager: &mut Pager, deadline: Option<Instant>) -> Instant {
        let events = self.turn(deadline).await;
        let now = Instant::now();
        for e in events {
            let Some(e) = pager.handle(&mut self.ep, e, now) else { continue };
            let _ = simple_sip::event::refuse(&mut self.ep, e, &[], now);
        }
        now
    }

    /// Sends, waits for a datagram or a deadline (ours or `deadline`), returns the events.
    async fn turn(&mut self, deadline: Option<Instant>) -> Vec<Event> {
        self.flush().await;
        let at = [self.ep.poll_timeout().map(|t| t.0), deadline]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(1))
            .min(Instant::now() + Duration::from_millis(200));
        let sleep = tokio::time::sleep_until(tokio::time::Instant::from_std(at));
        tokio::select! {
            r = self.socket.recv_from(&mut self.buf) => {
                if let Ok((n, from)) = r {
                    self.ep.handle_datagram(from, Transport::Udp, &self.buf[..n], Instant::now());
                }
            }
            () = sleep => {}
        }
        self.ep.handle_timeout(Instant::now());
        self.flush().await;
        core::iter::from_fn(|| self.ep.poll_event()).collect()
    }

    /// REGISTER (with digest when challenged); the expiry granted, or the failure code.
    async fn register(&mut self, expires: u32) -> Result<u32, u16> {
        let mut auth = self.password.clone().map(|p| DigestClient::new(&self.user, &p));
        let mut cseq = 1;
        let mut authorization: Option<(&'static str, String)> = None;
        let call_id = format!("reg-{:x}", seed());
        let from = format!("<{}>", self.aor);
        let registrar = format!("sip:{}", self.domain);
        let contact = self.contact();
        let expires_s = expires.to_string();
        for _ in 0..4 {
            let mut headers: Vec<(&str, &[u8])> = vec![("Expires", expires_s.as_bytes())];
            if let Some((name, value)) = &authorization {
                headers.push((name, value.as_bytes()));
            }
            let mut new = NewRequest::new(Method::Register, &registrar, &from).headers(&headers);
            new.to = Some(&from);
            new.call_id = Some(&call_id);
            new.from_tag = Some("cli");
            new.cseq = cseq;
            new.contact = Some(&contact);
            let request = self.ep.build_request(&new, Transport::Udp);
            let Ok(tx) = self.ep.send_request(request, self.server, Transport::Udp, Instant::now())
            else {
                return Err(500);
            };
            let response = loop {
                let mut done = None;
                for e in self.turn(None).await {
                    match e {
                        Event::Response { tx: t, response }
                            if t == tx && response.status_code().unwrap_or(0) >= 200 =>
                        {
                            done = Some(Some(response));
                        }
                        Event::Timeout { tx: t } | Event::TransportError { tx: t } if t == tx => {
                            done = Some(None)
                        }
                        Event::Request { tx, .. } => {
                            let _ = self.ep.respond(
                                tx,
                                &Reply::new(481, "No Such Call"),
                                Instant::now(),
                            );
                        }
                        _ => {}
                    }
                }
                if let Some(d) = done {
                    break d;
                }
            };
            let Some(response) = response else { return Err(408) };
            let code = response.status_code().unwrap_or(500);
            match code {
                200..=299 => {
                    let granted = granted_expires(&response, &self.local).unwrap_or(expires);
                    return Ok(granted);
                }
                401 | 407 => {
                    let Some(client) = auth.as_mut() else { return Err(code) };
                    let answer = answer(client, &response, "REGISTER", &registrar, code, seed());
                    let Some(a) = answer else { return Err(code) };
                    authorization = Some(a);
                    cseq += 1;
                }
                _ => return Err(code),
            }
        }
        Err(401)
    }
}

/// The credentials for a 401/407 `response` to a REGISTER of `uri`.
fn answer(
    client: &mut DigestClient,
    response: &OwnedMessage,
    method: &str,
    uri: &str,
    code: u16,
    cnonce: u64,
) -> Option<(&'static str, String)> {
    let request = simple_sip::digest::Request { method, uri, body: b"" };
    let cnonce = format!("{cnonce:016x}");
    response.view(|m| {
        if code == 401 {
            let h = m.header(HeaderName::WwwAuthenticate)?;
            let c = WwwAuthenticate::parse(h.value()).ok()?;
            client.answer(&c, &request, &cnonce).ok().map(|v| ("Authorization", v))
        } else {
            let h = m.header(HeaderName::ProxyAuthenticate)?;
            let c = ProxyAuthenticate::parse(h.value()).ok()?;
            client.answer(&c.0, &request, &cnonce).ok().map(|v| ("Proxy-Authorization", v))
        }
    })
}

/// The expiry the registrar gave our Contact.
fn granted_expires(response: &OwnedMessage, local: &SocketAddr) -> Option<u32> {
    let local = local.to_string();
    response.view(|m| {
        m.typed_all::<simple_sip::headers::Contact<'_>>()
            .filter_map(Result::ok)
            .find(|c| c.address().is_some_and(|a| a.uri.to_string().contains(&local)))
            .and_then(|c| c.expires())
    })
}

fn activity(name: &str) -> Option<Activity> {
    Some(match name {
        "appointment" => Activity::Appointment,
        "away" => Activity::Away,
        "breakfast" => Activity::Breakfast,
        "busy" => Activity::Busy,
        "dinner" => Activity::Dinner,
        "holiday" => Activity::Holiday,
        "in-transit" => Activity::InTransit,
        "meal" => Activity::Meal,
        "meeting" => Activity::Meeting,
        "on-the-phone" => Activity::OnThePhone,
        "playing" => Activity::Playing,
        "presentation" => Activity::Presentation,
        "shopping" => Activity::Shopping,
        "sleeping" => Activity::Sleeping,
        "travel" => Activity::Travel,
        "vacation" => Activity::Vacation,
        "working" => Activity::Working,
        _ => return None,
    })
}

/// Our presence document.
fn document(
    aor: &str,
    contact: &str,
    basic: Basic,
    note: Option<&str>,
    act: Option<Activity>,
) -> Presence {
    let mut p = Presence::new(aor);
    let mut t = Tuple::new(format!("cli-{:x}", seed() & 0xffff), basic);
    t.contact = Some(simple_pidf::Contact {
        uri: contact.trim_matches(|c| c == '<' || c == '>').to_owned(),
        priority: None,
    });
    if let Some(n) = note {
        t.notes.push(Note::new(n));
    }
    p.tuples.push(t);
    if let Some(a) = act {
        let mut person = Person::new("me");
        person.extensions.push(Extension::Activities(simple_pidf::rpid::Activities::new([a])));
        p.components.push(Component::Person(person));
    }
    p
}

/// A presence document, for people and for `--json`.
fn describe(resource: &str, state: &str, p: &Presence) -> (String, serde_json::Value) {
    let mut text = format!("{resource} {state}");
    let mut tuples = Vec::new();
    for t in &p.tuples {
        let basic = t.status.basic.map_or("-", |b| b.as_str());
        text.push_str(&format!(" {}={basic}", t.id));
        let notes: Vec<&str> = t.notes.iter().map(|n| n.text.as_str()).collect();
        tuples.push(json!({"id": t.id, "basic": basic, "notes": notes}));
    }
    let notes: Vec<&str> = p
        .notes
        .iter()
        .chain(p.tuples.iter().flat_map(|t| t.notes.iter()))
        .chain(p.persons().flat_map(|x| x.notes.iter()))
        .map(|n| n.text.as_str())
        .collect();
    if !notes.is_empty() {
        text.push_str(&format!(" note={}", notes.join("|")));
    }
    let activities: Vec<&str> = p
        .persons()
        .flat_map(|x| x.extensions.iter())
        .filter_map(|e| match e {
            Extension::Activities(a) => Some(a.values.iter().filter_map(Activity::as_str)),
            _ => None,
        })
        .flatten()
        .collect();
    if !activities.is_empty() {
        text.push_str(&format!(" activity={}", activities.join(",")));
    }
    let value = json!({"event": "presence", "resource": resource, "state": state, "tuples": tuples, "notes": notes, "activities": activities});
    (text, value)
}

/// Runs the command line; the process exit status.
pub async fn run(cli: Cli) -> i32 {
    let mut ua = match Ua::new(&cli.account).await {
        Ok(ua) => ua,
        Err(e) => {
            eprintln!("bind {}: {e}", cli.account.bind);
            return 2;
        }
    };
    match cli.command {
        Command::Register { expires, seconds } => register(&mut ua, expires, seconds).await,
        Command::Publish { status, note, activity: act, expires, seconds } => {
            let basic = if status == "closed" { Basic::Closed } else { Basic::Open };
            let act = match act.as_deref().map(|a| (a, activity(a))) {
                Some((_, Some(a))) => Some(a),
                Some((a, None)) => {
                    eprintln!("unknown activity {a}");
                    return 2;
                }
                None => None,
            };
            publish(&mut ua, basic, note.as_deref(), act, expires, seconds).await
        }
        Command::Watch { target, count, seconds, partial } => {
            let uri = ua.uri(&target);
            watch(&mut ua, &uri, "presence", count, seconds, partial).await
        }
        Command::Message { target, text, plain, wait, typing } => {
            let uri = ua.uri(&target);
            if plain && typing.is_none() {
                message(&mut ua, &uri, &text).await
            } else {
                im::message(&mut ua, &uri, &text, wait, typing, !plain).await
            }
        }
        Command::Listen { count, seconds } => im::listen(&mut ua, count, seconds).await,
        Command::Chat { target, relay, texts, wait } => {
            msrp::chat(&mut ua, target.as_deref(), relay.as_deref(), &texts, wait).await
        }
        Command::SendFile { target, file, relay, serve } => {
            msrp::send_file(&mut ua, &target, &file, relay.as_deref(), serve).await
        }
        Command::ReceiveFile { dir, relay, count, seconds, cut_after } => {
            msrp::receive_file(&mut ua, &dir, relay.as_deref(), count, seconds, cut_after).await
        }
        Command::Watchers { approve, block, seconds } => {
            watchers(&mut ua, &approve, &block, seconds).await
        }
        Command::Xcap { op: XcapOp::Watch { paths, mode, count, seconds } } => {
            xcap_watch(&mut ua, &paths, &mode, count, seconds).await
        }
        Command::Xcap { op } => xcap_command(&ua, &cli.account.xcap, op).await,
        Command::Buddies { op } => buddies(&ua, &cli.account.xcap, op).await,
    }
}

async fn register(ua: &mut Ua, expires: u32, seconds: u64) -> i32 {
    match ua.register(expires).await {
        Ok(granted) => {
            let c = ua.contact();
            ua.say(
                &format!("registered {} at {c} for {granted} s", ua.aor),
                &json!({"event": "registered", "aor": ua.aor, "contact": c, "expires": granted}),
            );
            if seconds == 0 {
                return 0;
            }
            let end = Instant::now() + Duration::from_secs(seconds);
            let mut refresh = Instant::now() + Duration::from_secs(u64::from(granted.max(2) / 2));
            while Instant::now() < end {
                for e in ua.turn(Some(refresh.min(end))).await {
                    if let Event::Request { tx, .. } = e {
                        let _ = ua.ep.respond(tx, &Reply::new(200, "OK"), Instant::now());
                    }
                }
                if Instant::now() >= refresh && Instant::now() < end {
                    match ua.register(expires).await {
                        Ok(g) => {
                            refresh = Instant::now() + Duration::from_secs(u64::from(g.max(2) / 2))
                        }
                        Err(code) => {
                            ua.say(
                                &format!("refresh failed: {code}"),
                                &json!({"event": "failed", "code": code}),
                            );
                            return 1;
                        }
                    }
                }
            }
            let _ = ua.register(0).await;
            ua.say("unregistered", &json!({"event": "unregistered"}));
            0
        }
        Err(code) => {
            ua.say(&format!("register failed: {code}"), &json!({"event": "failed", "code": code}));
            1
        }
    }
}

/// Lines typed on stdin, read by a thread (the runtime has one).
fn stdin_lines() -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

async fn publish(
    ua: &mut Ua,
    basic: Basic,
    note: Option<&str>,
    act: Option<Activity>,
    expires: u32,
    seconds: u64,
) -> i32 {
    let mut config = PublisherConfig::default();
    config.credentials = ua.credentials();
    let mut publisher = Publisher::new(config);
    let (mut basic, mut note, mut act) = (basic, note.map(str::to_owned), act);
    let body = document(&ua.aor, &ua.contact(), basic, note.as_deref(), act.clone()).to_vec();
    let from = format!("<{}>", ua.aor);
    let mut p = Publish::new(
        "presence",
        &ua.aor,
        &from,
        "application/pidf+xml",
        &body,
        ua.server,
        Transport::Udp,
    );
    p.expires = expires;
    let id = publisher.publish(&mut ua.ep, &p, Instant::now());
    let end = Instant::now() + Duration::from_secs(seconds);
    let stdin = (seconds > 0).then(stdin_lines);
    let mut published = 0;
    let mut removing = false;
    loop {
        let events =
            ua.turn(publisher.poll_timeout().map(|t| t.0).map(|t| t.min(end)).or(Some(end))).await;
        let now = Instant::now();
        for e in events {
            let Some(e) = publisher.handle(&mut ua.ep, e, now) else { continue };
            let _ = simple_sip::event::refuse(&mut ua.ep, e, &[], now);
        }
        publisher.handle_timeout(&mut ua.ep, now);
        while let Some(line) = stdin.as_ref().and_then(|rx| rx.try_recv().ok()) {
            let line = line.trim();
            let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
            match word {
                "open" => basic = Basic::Open,
                "closed" => basic = Basic::Closed,
                "note" => note = (!rest.is_empty()).then(|| rest.to_owned()),
                "activity" => act = activity(rest.trim()),
                _ => {
                    eprintln!("not understood: {line} (open, closed, note TEXT, activity NAME)");
                    continue;
                }
            }
            let body =
                document(&ua.aor, &ua.contact(), basic, note.as_deref(), act.clone()).to_vec();
            publisher.modify(&mut ua.ep, id, "application/pidf+xml", &body, Instant::now());
        }
        while let Some(e) = publisher.poll_event() {
            match e {
                PublisherEvent::Published { etag, expires, .. } => {
                    published += 1;
                    let what = if published == 1 { "published" } else { "updated" };
                    ua.say(&format!("{what} {} {} etag={etag} for {expires} s", ua.aor, basic.as_str()), &json!({"event": what, "etag": etag, "expires": expires, "basic": basic.as_str()}));
                }
                PublisherEvent::Failed { code, .. } => {
                    ua.say(
                        &format!("publish failed: {code:?}"),
                        &json!({"event": "failed", "code": code}),
                    );
                    return 1;
                }
                PublisherEvent::Removed { .. } => {
                    ua.say("removed", &json!({"event": "removed"}));
                    return 0;
                }
                _ => {}
            }
        }
        if published > 0 && Instant::now() >= end {
            if seconds == 0 {
                ua.flush().await;
                return 0;
            }
            if !removing {
                removing = true;
                publisher.remove(&mut ua.ep, id, Instant::now());
            }
        }
        if Instant::now() > end + Duration::from_secs(35) {
            ua.say("publish gave up", &json!({"event": "failed", "code": null}));
            return 1;
        }
    }
}

async fn watch(
    ua: &mut Ua,
    uri: &str,
    event: &str,
    count: Option<usize>,
    seconds: u64,
    partial: bool,
) -> i32 {
    let contact = ua.contact();
    let from = format!("<{}>", ua.aor);
    let mut req = Subscribe::new(event, uri, &from, &contact, ua.server, Transport::Udp);
    req.expires = 600;
    let winfo = event == "presence.winfo";
    req.accept = match (winfo, partial) {
        (true, _) => &["application/watcherinfo+xml"],
        (false, true) => &["application/pidf+xml", "application/pidf-diff+xml"],
        (false, false) => &["application/pidf+xml"],
    };
    let mut view = PresenceView::new();
    let mut seen = 0;
    let mut status = 1;
    let ended = follow(ua, &req, uri, seconds, count, |ua, st, terminated, ct, body| {
        let state =
            if terminated { "terminated".to_owned() } else { format!("{st:?}").to_lowercase() };
        if body.is_empty() {
            ua.say(
                &format!("{uri} {state}"),
                &json!({"event": "state", "resource": uri, "state": state}),
            );
        } else if ct.starts_with("application/watcherinfo+xml") {
            // the terminating NOTIFY repeats the list: said once is enough
            if !terminated {
                print_winfo(ua, body);
                seen += 1;
            }
        } else if ct.starts_with("application/pidf-diff+xml") {
            if view.handle_body(body).is_ok()
                && matches!(view.poll_event(), Some(Update::Replaced | Update::Patched))
            {
                if let Some(p) = view.presence() {
                    let (t, v) = describe(uri, &state, p);
                    ua.say(&t, &v);
                    seen += 1;
                }
            }
        } else {
            match Presence::parse(body) {
                Ok(p) => {
                    let (t, v) = describe(uri, &state, &p);
                    ua.say(&t, &v);
                    seen += 1;
                }
                Err(e) => ua.say(
                    &format!("{uri}: unreadable PIDF: {e}"),
                    &json!({"event": "error", "error": e.to_string()}),
                ),
            }
        }
        if seen > 0 {
            status = 0;
        }
        seen
    })
    .await;
    match ended {
        Followed::Terminated { seen } if count.is_some_and(|c| seen < c) => 1,
        Followed::Terminated { .. } | Followed::TimedOut => status,
    }
}

/// How a subscription [`follow`]ed ended.
enum Followed {
    /// The subscription ended, after this many NOTIFYs the handler counted.
    Terminated { seen: usize },
    /// No final NOTIFY came within 35 s of the end.
    TimedOut,
}

/// Makes the subscription `req` and runs it: each NOTIFY goes to `on_notify` (status,
/// terminating, content type, body), which returns how many it has counted; after `seconds`,
/// or once `count` are counted, it unsubscribes; acceptance and the end are printed.
async fn follow(
    ua: &mut Ua,
    req: &Subscribe<'_>,
    what: &str,
    seconds: u64,
    count: Option<usize>,
    mut on_notify: impl FnMut(&Ua, Status, bool, &str, &[u8]) -> usize,
) -> Followed {
    let mut config = SubscriberConfig::default();
    config.credentials = ua.credentials();
    let mut subscriber = Subscriber::new(config);
    let sub = subscriber.subscribe(&mut ua.ep, req, Instant::now());
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut seen = 0;
    let mut unsubscribed = false;
    loop {
        let now = Instant::now();
        if !unsubscribed && (now >= end || count.is_some_and(|c| seen >= c)) {
            unsubscribed = true;
            subscriber.unsubscribe(&mut ua.ep, sub, now);
        }
        if now >= end + Duration::from_secs(35) {
            return Followed::TimedOut;
        }
        let deadline =
            [subscriber.poll_timeout().map(|t| t.0), Some(end)].into_iter().flatten().min();
        let events = ua.turn(deadline).await;
        let now = Instant::now();
        for e in events {
            let Some(e) = subscriber.handle(&mut ua.ep, e, now) else { continue };
            let _ = simple_sip::event::refuse(&mut ua.ep, e, &[], now);
        }
        subscriber.handle_timeout(&mut ua.ep, now);
        while let Some(e) = subscriber.poll_event() {
            match e {
                SubscriberEvent::Notify { status, terminated, content_type, body, .. } => {
                    let ct = content_type.unwrap_or_default();
                    seen = on_notify(ua, status, terminated, &ct, &body);
                }
                SubscriberEvent::Terminated { reason, .. } => {
                    let r = format!("{reason:?}");
                    ua.say(
                        &format!("{what} subscription ended: {r}"),
                        &json!({"event": "terminated", "reason": r}),
                    );
                    ua.flush().await;
                    return Followed::Terminated { seen };
                }
                SubscriberEvent::Accepted { expires, .. } => {
                    ua.say(
                        &format!("{what} subscribed for {expires} s"),
                        &json!({"event": "subscribed", "resource": what, "expires": expires}),
                    );
                }
                _ => {}
            }
        }
    }
}

fn print_winfo(ua: &Ua, body: &[u8]) {
    match WatcherInfo::parse(body) {
        Ok(w) => {
            for l in &w.lists {
                for x in &l.watchers {
                    ua.say(
                        &format!("watcher {} {} ({})", x.uri, x.status.as_str(), x.event.as_str()),
                        &json!({"event": "watcher", "resource": l.resource, "watcher": x.uri, "status": x.status.as_str(), "why": x.event.as_str(), "version": w.version}),
                    );
                }
                if l.watchers.is_empty() {
                    ua.say(
                        &format!("no watchers of {}", l.resource),
                        &json!({"event": "watchers", "resource": l.resource, "count": 0}),
                    );
                }
            }
        }
        Err(e) => ua.say(
            &format!("unreadable watcher information: {e}"),
            &json!({"event": "error", "error": e.to_string()}),
        ),
    }
}

async fn send_message(
    ua: &mut Ua,
    pager: &mut Pager,
    uri: &str,
    content_type: &str,
    body: &[u8],
) -> Result<u16, Option<u16>> {
    let from = format!("<{}>", ua.aor);
    let id = pager.send(
        &mut ua.ep,
        &Outgoing::new(uri, &from, content_type, body, ua.server, Transport::Udp),
        Instant::now(),
    );
    let end = Instant::now() + Duration::from_secs(40);
    while Instant::now() < end {
        ua.pager_turn(pager, None).await;
        while let Some(e) = pager.poll_event() {
            match e {
                PagerEvent::Delivered { id: i, code } if i == id => return Ok(code),
                PagerEvent::Failed { id: i, code } if i == id => return Err(code),
                _ => {}
            }
        }
    }
    Err(None)
}

fn pager(ua: &Ua) -> Pager {
    let mut config = PagerConfig::default();
    config.credentials = ua.credentials();
    Pager::new(config)
}

async fn message(ua: &mut Ua, uri: &str, text: &str) -> i32 {
    let mut pager = pager(ua);
    match send_message(ua, &mut pager, uri, "text/plain", text.as_bytes()).await {
        Ok(code) => {
            ua.say(
                &format!("delivered to {uri} ({code})"),
                &json!({"event": "delivered", "to": uri, "code": code}),
            );
            0
        }
        Err(code) => {
            ua.say(
                &format!("not delivered to {uri} ({code:?})"),
                &json!({"event": "failed", "to": uri, "code": code}),
            );
            1
        }
    }
}

async fn watchers(ua: &mut Ua, approve: &[String], block: &[String], seconds: u64) -> i32 {
    if !approve.is_empty() || !block.is_empty() {
        let mut rules = String::new();
        for a in approve {
            rules.push_str(&format!("allow {}\n", ua.uri(a)));
        }
        for b in block {
            rules.push_str(&format!("block {}\n", ua.uri(b)));
        }
        let target = format!("sip:presence@{}", ua.domain);
        let mut pager = pager(ua);
        match send_message(ua, &mut pager, &target, "text/plain", rules.as_bytes()).await {
            Ok(_) => {
                for line in rules.lines() {
                    ua.say(line, &json!({"event": "rule", "rule": line}));
                }
            }
            Err(code) => {
                ua.say(&format!("the server took no rules ({code:?}): it needs simple-server (XCAP pres-rules elsewhere)"), &json!({"event": "failed", "code": code}));
                return 1;
            }
        }
    }
    let aor = ua.aor.clone();
    let count = if seconds == 0 { Some(1) } else { None };
    watch(ua, &aor, "presence.winfo", count, seconds.max(10), false).await
}

// ---- XCAP ----------------------------------------------------------------------------------

/// One HTTP/1.1 request (hyper) with basic authentication: status, headers and body.
async fn http(
    ua: &Ua,
    root: &str,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Result<(u16, http::HeaderMap, bytes::Bytes), String> {
    use base64::Engine as _;
    use http_body_util::{BodyExt, Full};
    let rest = root.strip_prefix("http://").ok_or("the XCAP root must be an http:// URI")?;
    let (host, base) = rest.split_once('/').map_or((rest, ""), |(h, b)| (h, b));
    let path = path.replace("/~/", &format!("/{}/", ua.aor));
    let target = format!("/{}/{}", base.trim_end_matches('/'), path.trim_start_matches('/'))
        .replace("//", "/");
    let stream = tokio::net::TcpStream::connect(host).await.map_err(|e| format!("{host}: {e}"))?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let body = bytes::Bytes::from(body);
    let mut authorization = ua.password.as_ref().filter(|_| ua.xcap_basic).map(|p| {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{}:{p}", ua.user));
        format!("Basic {token}")
    });
    let mut digest = ua.password.as_ref().map(|p| DigestClient::new(&ua.user, p));
    // at most: the request, and the request again answering a digest challenge
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut req = http::Request::builder().method(method).uri(&target).header("Host", host);
        if let Some(a) = &authorization {
            req = req.header("Authorization", a.as_str());
        }
        if let Some(t) = content_type {
            req = req.header("Content-Type", t);
        }
        let req = req.body(Full::new(body.clone())).map_err(|e| e.to_string())?;
        let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
        let (parts, resp_body) = resp.into_parts();
        let resp_body = resp_body.collect().await.map_err(|e| e.to_string())?.to_bytes();
        let challenge = (parts.status == http::StatusCode::UNAUTHORIZED)
            .then(|| {
                parts.headers.get_all(http::header::WWW_AUTHENTICATE).iter().find(|v| {
                    v.as_bytes().get(..7).is_some_and(|s| s.eq_ignore_ascii_case(b"digest "))
                })
            })
            .flatten();
        let (Some(challenge), Some(client), true) = (challenge, digest.as_mut(), attempt < 3)
        else {
            // the answer, or a refusal of credentials answered twice
            return Ok((parts.status.as_u16(), parts.headers, resp_body));
        };
        use simple_sip::headers::TypedHeader as _;
        let answer = WwwAuthenticate::parse(challenge.as_bytes()).ok().and_then(|c| {
            let r = simple_sip::digest::Request { method, uri: &target, body: &body };
            client.answer(&c.0, &r, &format!("{:016x}", seed())).ok()
        });
        match answer {
            Some(a) => authorization = Some(a),
            None => return Ok((parts.status.as_u16(), parts.headers, resp_body)),
        }
    }
}

/// The MIME type a PUT to `path` carries.
fn xcap_type(path: &str) -> &'static str {
    match path.split_once("/~~/") {
        Some((_, node)) if node.rsplit('/').next().is_some_and(|l| l.starts_with('@')) => {
            "application/xcap-att+xml"
        }
        Some(_) => "application/xcap-el+xml",
        None => {
            let auid = path.trim_start_matches('/').split('/').next().unwrap_or("");
            simple_xcap::Usage::all().into_iter().find(|u| u.auid == auid).map_or(
                "application/xml",
                |u| match u.kind {
                    simple_xcap::Kind::ResourceLists => simple_xcap::RESOURCE_LISTS_MIME,
                    simple_xcap::Kind::RlsServices => simple_xcap::RLS_SERVICES_MIME,
                    simple_xcap::Kind::PidfManipulation => simple_xcap::PIDF_MIME,
                    simple_xcap::Kind::XcapCaps => simple_xcap::XCAP_CAPS_MIME,
                    _ => simple_xcap::AUTH_POLICY_MIME,
                },
            )
        }
    }
}

fn print_http(ua: &Ua, status: u16, headers: &http::HeaderMap, body: &[u8]) {
    let etag = headers.get("etag").and_then(|v| v.to_str().ok()).unwrap_or("");
    let text = String::from_utf8_lossy(body);
    if ua.json {
        println!("{}", json!({"status": status, "etag": etag, "body": text}));
    } else {
        println!(
            "HTTP {status}{}",
            if etag.is_empty() { String::new() } else { format!(" ETag {etag}") }
        );
        if !text.is_empty() {
            println!("{}", text.trim_end());
        }
    }
    let _ = std::io::stdout().flush();
}

/// `xcap watch`: one xcap-diff subscription to the server, its NOTIFYs printed entry by entry.
async fn xcap_watch(
    ua: &mut Ua,
    paths: &[String],
    mode: &str,
    count: Option<usize>,
    seconds: u64,
) -> i32 {
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list>",
    );
    for p in paths {
        let p = p.replace("/~/", &format!("/{}/", ua.aor));
        let p = if p.ends_with("/~") { format!("{}{}/", &p[..p.len() - 1], ua.aor) } else { p };
        let mut attr = Vec::new();
        simple_patch::escape_attr(&p, &mut attr);
        body.push_str(&format!("<entry uri=\"{}\"/>", String::from_utf8_lossy(&attr)));
    }
    body.push_str("</list></resource-lists>\n");
    let contact = ua.contact();
    let from = format!("<{}>", ua.aor);
    let uri = format!("sip:xcap@{}", ua.domain);
    let params = format!(";diff-processing={mode}");
    let mut req = Subscribe::new("xcap-diff", &uri, &from, &contact, ua.server, Transport::Udp);
    req.expires = 600;
    req.accept = &[simple_xcap::XCAP_DIFF_MIME];
    req.event_params = &params;
    req.body = Some((simple_xcap::RESOURCE_LISTS_MIME, body.as_bytes()));
    let mut seen = 0;
    let ended = follow(ua, &req, "xcap-diff", seconds, count, |ua, _, terminated, _, body| {
        // the final NOTIFY repeats the state
        if terminated || body.is_empty() {
            return seen;
        }
        match simple_xcap::XcapDiff::parse(body) {
            Ok(diff) => {
                seen += 1;
                print_xcap_diff(ua, &diff);
            }
            Err(e) => ua.say(
                &format!("unreadable xcap-diff: {e}"),
                &json!({"event": "error", "error": e.to_string()}),
            ),
        }
        seen
    })
    .await;
    match ended {
        Followed::Terminated { seen } => i32::from(seen == 0 || count.is_some_and(|c| seen < c)),
        Followed::TimedOut => 0,
    }
}

/// One line per entry of an xcap-diff document (and one JSON object for the NOTIFY).
fn print_xcap_diff(ua: &Ua, diff: &simple_xcap::XcapDiff) {
    let mut lines = Vec::new();
    let mut entries = Vec::new();
    for e in &diff.entries {
        match e {
            simple_xcap::DiffEntry::Document { sel, previous_etag, new_etag, patch, .. } => {
                let what = match (previous_etag, new_etag) {
                    (None, Some(_)) => "document",
                    (Some(_), Some(_)) => "changed",
                    (_, None) => "removed",
                };
                lines.push(format!(
                    "{what} {sel} etag {}{}",
                    new_etag.as_deref().unwrap_or("-"),
                    if patch.is_some() { " (patch)" } else { "" }
                ));
                entries.push(json!({"kind": what, "sel": sel, "previous_etag": previous_etag,
                    "new_etag": new_etag, "patch": patch}));
            }
            simple_xcap::DiffEntry::Element { sel, content, .. } => {
                lines.push(match content {
                    Some(c) => format!("element {sel} = {c}"),
                    None => format!("element {sel} removed"),
                });
                entries.push(json!({"kind": "element", "sel": sel, "content": content}));
            }
            simple_xcap::DiffEntry::Attribute { sel, value, .. } => {
                lines.push(match value {
                    Some(v) => format!("attribute {sel} = {v}"),
                    None => format!("attribute {sel} removed"),
                });
                entries.push(json!({"kind": "attribute", "sel": sel, "value": value}));
            }
        }
    }
    if lines.is_empty() {
        lines.push("xcap-diff: nothing".to_owned());
    }
    ua.say(&lines.join("\n"), &json!({"event": "xcap-diff", "entries": entries}));
}

async fn xcap_command(ua: &Ua, root: &str, op: XcapOp) -> i32 {
    let result = match op {
        XcapOp::Watch { .. } => {
            eprintln!("xcap watch subscribes over SIP: it is run on its own");
            return 2;
        }
        XcapOp::Get { path } => http(ua, root, "GET", &path, None, Vec::new()).await,
        XcapOp::Delete { path } => http(ua, root, "DELETE", &path, None, Vec::new()).await,
        XcapOp::Put { path, content_type, file } => {
            let mut body = Vec::new();
            let read = match &file {
                Some(f) => std::fs::read(f).map(|b| body = b),
                None => std::io::Read::read_to_end(&mut std::io::stdin(), &mut body).map(drop),
            };
            if let Err(e) = read {
                eprintln!("body: {e}");
                return 2;
            }
            let t = content_type.unwrap_or_else(|| xcap_type(&path).to_owned());
            http(ua, root, "PUT", &path, Some(&t), body).await
        }
    };
    match result {
        Ok((status, headers, body)) => {
            print_http(ua, status, &headers, &body);
            i32::from(!(200..300).contains(&status))
        }
        Err(e) => {
            eprintln!("xcap: {e}");
            2
        }
    }
}

async fn buddies(ua: &Ua, root: &str, op: BuddyOp) -> i32 {
    let doc = format!("resource-lists/users/{}/index", ua.aor);
    let list = "resource-lists/list%5b@name=%22buddies%22%5d";
    let outcome = match op {
        BuddyOp::List => match http(ua, root, "GET", &doc, None, Vec::new()).await {
            Ok((200, _, body)) => {
                let d = simple_patch::Document::parse(&body).map_err(|e| e.to_string());
                d.map(|d| {
                    for e in d.descendants(simple_patch::Document::ROOT) {
                        if d.name(e).is_some_and(|n| n.local() == "entry") {
                            let uri = d.attribute(e, None, "uri").unwrap_or_default();
                            let name = d
                                .child_elements(e)
                                .find(|&c| d.name(c).is_some_and(|n| n.local() == "display-name"))
                                .map(|c| d.string_value(c))
                                .unwrap_or_default();
                            if ua.json {
                                println!("{}", json!({"buddy": uri, "name": name}));
                            } else {
                                println!("{uri} {name}");
                            }
                        }
                    }
                    0
                })
            }
            Ok((404, _, _)) => Ok(0),
            Ok((s, h, b)) => {
                print_http(ua, s, &h, &b);
                Ok(1)
            }
            Err(e) => Err(e),
        },
        BuddyOp::Add { target, name } => {
            let uri = ua.uri(&target);
            let mut entry = format!("<entry uri=\"{}\">", escape_xml(&uri));
            if let Some(n) = &name {
                entry.push_str(&format!("<display-name>{}</display-name>", escape_xml(n)));
            }
            entry.push_str("</entry>");
            let sel = format!("{doc}/~~/{list}/entry%5b@uri=%22{}%22%5d", uri);
            let mut r = http(
                ua,
                root,
                "PUT",
                &sel,
                Some(simple_xcap::XCAP_EL_MIME),
                entry.clone().into_bytes(),
            )
            .await;
            if let Ok((409, _, _)) = &r {
                // no list yet: put the list with the entry in it
                let body = format!("<list name=\"buddies\">{entry}</list>");
                r = http(
                    ua,
                    root,
                    "PUT",
                    &format!("{doc}/~~/{list}"),
                    Some(simple_xcap::XCAP_EL_MIME),
                    body.into_bytes(),
                )
                .await;
            }
            if let Ok((409, _, _)) = &r {
                // no document yet
                let body = format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resource-lists xmlns=\"{}\">\n <list name=\"buddies\">{entry}</list>\n</resource-lists>\n",
                    simple_xcap::RESOURCE_LISTS_NS
                );
                r = http(
                    ua,
                    root,
                    "PUT",
                    &doc,
                    Some(simple_xcap::RESOURCE_LISTS_MIME),
                    body.into_bytes(),
                )
                .await;
            }
            r.map(|(s, h, b)| {
                print_http(ua, s, &h, &b);
                i32::from(!(200..300).contains(&s))
            })
        }
        BuddyOp::Remove { target } => {
            let uri = ua.uri(&target);
            let sel = format!("{doc}/~~/{list}/entry%5b@uri=%22{uri}%22%5d");
            http(ua, root, "DELETE", &sel, None, Vec::new()).await.map(|(s, h, b)| {
                print_http(ua, s, &h, &b);
                i32::from(!(200..300).contains(&s))
            })
        }
    };
    outcome.unwrap_or_else(|e| {
        eprintln!("xcap: {e}");
        2
    })
}

fn escape_xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_say_what_was_asked() {
        let p = document(
            "sip:alice@127.0.0.1",
            "<sip:alice@127.0.0.1:5999>",
            Basic::Open,
            Some("at lunch"),
            activity("meal"),
        );
        let back = Presence::parse(&p.to_vec()).expect("our document parses");
        let (text, value) = describe("sip:alice@127.0.0.1", "active", &back);
        assert!(
            text.contains("=open")
                && text.contains("note=at lunch")
                && text.contains("activity=meal"),
            "{text}"
        );
        assert_eq!(value["activities"][0], "meal");
        assert!(activity("dancing").is_none());
    }
}
