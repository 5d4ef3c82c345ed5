//! Presence on one UDP socket, built on the Sans-IO roles: a presence agent, a publisher and a
//! watcher. The interop tests run it against Kamailio's presence server and PJSIP
//! (`interop/presence`).
//!
//! ```text
//! sip_presence serve   --bind 127.0.0.1:5185 [--pending] [--for SECONDS]
//! sip_presence publish --bind 127.0.0.1:5186 --to 127.0.0.1:5180 --uri sip:alice@127.0.0.1
//!                      --status open|closed [--note TEXT] [--then closed|open] [--remove] [--for SECONDS]
//! sip_presence watch   --bind 127.0.0.1:5187 --to 127.0.0.1:5180 --uri sip:alice@127.0.0.1
//!                      [--from sip:bob@127.0.0.1] [--winfo] [--partial] [--count N] [--for SECONDS]
//! ```
//!
//! `serve` is a presence agent (PUBLISH, SUBSCRIBE for `presence` and `presence.winfo`,
//! watchers active unless `--pending`; then a line `approve RESOURCE WATCHER` on stdin
//! approves one), that also answers MESSAGE and accepts every REGISTER. `publish` publishes a PIDF document, refreshes it, optionally changes it
//! once and removes it at the end. `watch` subscribes and prints one line per NOTIFY:
//! `NOTIFY <status> <tuple-id>=<basic> ... note=<text>` for presence, `WINFO <version>
//! <state> <uri>=<status>/<event> ...` for watcher information; it unsubscribes after `--count`
//! NOTIFYs or the time given. Every line is flushed as it happens; exit status 0 when the flow
//! did what was asked.

#![allow(clippy::std_instead_of_core, clippy::wildcard_enum_match_arm, clippy::unwrap_used)] // an application on std; it logs events it does not act on

use std::io::BufRead;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use simple_pidf::winfo::WatcherInfo;
use simple_pidf::{Basic, Note, Presence, PresenceView, Tuple, Update};
use simple_sip::endpoint::{Endpoint, Event, Reply, Transport};
use simple_sip::event::{Authorization, Subscribe, Subscriber, SubscriberConfig, SubscriberEvent};
use simple_sip::pager::{Pager, PagerConfig, PagerEvent};
use simple_sip::presence::{PresenceAgent, PresenceConfig, PresenceEvent};
use simple_sip::publish::{Publish, Publisher, PublisherConfig, PublisherEvent};

#[path = "udp/mod.rs"]
mod udp;
use udp::UdpEndpoint as Io;

fn new_io(bind: SocketAddr) -> std::io::Result<Io> {
    Io::new(bind, "simple-rs sip_presence", &[simple_sip::Method::Register])
}

fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn describe(p: &Presence) -> String {
    let mut s = String::new();
    for t in &p.tuples {
        let basic = t.status.basic.map_or("-", |b| b.as_str());
        s.push_str(&format!(" {}={basic}", t.id));
    }
    let notes: Vec<&str> = p
        .notes
        .iter()
        .chain(p.tuples.iter().flat_map(|t| t.notes.iter()))
        .chain(p.persons().flat_map(|x| x.notes.iter()))
        .map(|n| n.text.as_str())
        .collect();
    if !notes.is_empty() {
        s.push_str(&format!(" note={}", notes.join("|")));
    }
    s
}

fn serve(bind: SocketAddr, pending: bool, seconds: u64) -> std::io::Result<bool> {
    let mut io = new_io(bind)?;
    let mut config = PresenceConfig::new(&format!("<sip:presence@{}>", io.local));
    config.notifier.min_interval = Duration::from_millis(500);
    if pending {
        config.notifier.authorization = Authorization::Pending;
    }
    let mut agent = PresenceAgent::new(config, io.local.port().into());
    let mut pager = Pager::new(PagerConfig::default());
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    say(&format!("SERVING {}", io.local));
    let end = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < end {
        let deadline = agent.poll_timeout().map(|t| t.0);
        let events = io.turn(deadline, Duration::from_millis(50))?;
        let now = Instant::now();
        for e in events {
            let Some(e) = agent.handle(&mut io.endpoint, e, now) else { continue };
            let Some(e) = pager.handle(&mut io.endpoint, e, now) else { continue };
            let Some(e) = register(&mut io.endpoint, e, now) else { continue };
            let _ = simple_sip::event::refuse(
                &mut io.endpoint,
                e,
                &["presence", "presence.winfo"],
                now,
            );
        }
        agent.handle_timeout(&mut io.endpoint, now);
        while let Ok(line) = rx.try_recv() {
            let words: Vec<&str> = line.split_whitespace().collect();
            if let ["approve", resource, watcher] = words[..] {
                agent.authorize(&mut io.endpoint, resource, watcher, Authorization::Active, now);
                say(&format!("APPROVED {resource} {watcher}"));
            }
        }
        while let Some(e) = agent.poll_event() {
            match e {
                PresenceEvent::Publication(c) => say(&format!("PUBLICATION {c:?}")),
                PresenceEvent::Watcher(w) => say(&format!("WATCHER {w:?}")),
                PresenceEvent::WinfoSubscriber(w) => say(&format!("WINFO-SUBSCRIBER {w:?}")),
                other => say(&format!("OTHER {other:?}")),
            }
        }
        while let Some(PagerEvent::Received { from, body, .. }) = pager.poll_event() {
            say(&format!("MESSAGE {from} {}", String::from_utf8_lossy(&body)));
        }
    }
    Ok(true)
}

/// A registrar that accepts every REGISTER (clients such as baresip publish only once
/// registered): 200 with the Contacts and the expiry asked for. No location service: the
/// reference server's registrar is another matter.
fn register(ep: &mut Endpoint, e: Event, now: Instant) -> Option<Event> {
    let Event::Request { tx, request, source, transport } = e else { return Some(e) };
    if request.method() != Some(simple_sip::Method::Register) {
        return Some(Event::Request { tx, request, source, transport });
    }
    let contact = request.header(simple_sip::HeaderName::Contact).map(|h| h.value().to_vec());
    let expires = request
        .header(simple_sip::HeaderName::Expires)
        .map_or_else(|| b"3600".to_vec(), |h| h.value().to_vec());
    let mut headers: Vec<(&str, &[u8])> = vec![("Expires", &expires)];
    if let Some(c) = &contact {
        headers.push(("Contact", c));
    }
    let _ = ep.respond(tx, &Reply::new(200, "OK").headers(&headers), now);
    say(&format!("REGISTERED {source}"));
    None
}

fn pidf(uri: &str, basic: Basic, note: Option<&str>) -> Vec<u8> {
    let mut p = Presence::new(uri);
    let mut t = Tuple::new("sip-presence", basic);
    t.contact = Some(simple_pidf::Contact { uri: uri.to_owned(), priority: None });
    if let Some(n) = note {
        t.notes.push(Note::new(n));
    }
    p.tuples.push(t);
    p.to_vec()
}

#[allow(clippy::too_many_arguments)]
fn publish(
    bind: SocketAddr,
    to: SocketAddr,
    uri: &str,
    basic: Basic,
    note: Option<&str>,
    then: Option<Basic>,
    remove: bool,
    seconds: u64,
) -> std::io::Result<bool> {
    let mut io = new_io(bind)?;
    let mut publisher = Publisher::new(PublisherConfig::default());
    let body = pidf(uri, basic, note);
    let from = format!("<{uri}>");
    let mut p =
        Publish::new("presence", uri, &from, "application/pidf+xml", &body, to, Transport::Udp);
    p.expires = 120;
    let id = publisher.publish(&mut io.endpoint, &p, Instant::now());
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut published = 0;
    let mut removed = false;
    let mut ok = true;
    let mut change_at = None;
    while Instant::now() < end && !removed {
        let deadline =
            [publisher.poll_timeout().map(|t| t.0), change_at].into_iter().flatten().min();
        let events = io.turn(deadline, Duration::from_millis(50))?;
        let now = Instant::now();
        for e in events {
            let Some(e) = publisher.handle(&mut io.endpoint, e, now) else { continue };
            let _ = simple_sip::event::refuse(&mut io.endpoint, e, &[], now);
        }
        publisher.handle_timeout(&mut io.endpoint, now);
        if change_at.is_some_and(|t| t <= now) {
            change_at = None;
            if let Some(b) = then {
                publisher.modify(
                    &mut io.endpoint,
                    id,
                    "application/pidf+xml",
                    &pidf(uri, b, note),
                    now,
                );
            }
        }
        while let Some(e) = publisher.poll_event() {
            match e {
                PublisherEvent::Published { etag, expires, .. } => {
                    published += 1;
                    say(&format!("PUBLISHED {etag} {expires}"));
                    if published == 1 && then.is_some() {
                        change_at = Some(now + Duration::from_millis(1500));
                    }
                }
                PublisherEvent::Failed { code, .. } => {
                    say(&format!("FAILED {code:?}"));
                    ok = false;
                    removed = true;
                }
                PublisherEvent::Removed { .. } => {
                    say("REMOVED");
                    removed = true;
                }
                other => say(&format!("OTHER {other:?}")),
            }
        }
    }
    if remove && !removed {
        publisher.remove(&mut io.endpoint, id, Instant::now());
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end && !publisher.is_empty() {
            let events = io.turn(None, Duration::from_millis(50))?;
            let now = Instant::now();
            for e in events {
                let _ = publisher.handle(&mut io.endpoint, e, now);
            }
            while let Some(e) = publisher.poll_event() {
                if matches!(e, PublisherEvent::Removed { .. }) {
                    say("REMOVED");
                } else {
                    say(&format!("{e:?}"));
                }
            }
        }
    }
    io.flush();
    Ok(ok && published > usize::from(then.is_some()))
}

#[allow(clippy::too_many_arguments)]
fn watch(
    bind: SocketAddr,
    to: SocketAddr,
    uri: &str,
    from: &str,
    winfo: bool,
    partial: bool,
    count: usize,
    seconds: u64,
) -> std::io::Result<bool> {
    let mut io = new_io(bind)?;
    let mut subscriber = Subscriber::new(SubscriberConfig::default());
    let contact = format!("<sip:watcher@{}>", io.local);
    let from = format!("<{from}>");
    let event = if winfo { "presence.winfo" } else { "presence" };
    let mut req = Subscribe::new(event, uri, &from, &contact, to, Transport::Udp);
    req.expires = 300;
    req.accept = match (winfo, partial) {
        (true, _) => &["application/watcherinfo+xml"],
        (false, true) => &["application/pidf+xml", "application/pidf-diff+xml"],
        (false, false) => &["application/pidf+xml"],
    };
    let sub = subscriber.subscribe(&mut io.endpoint, &req, Instant::now());
    let mut view = PresenceView::new();
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut seen = 0;
    let mut over = false;
    let mut unsubscribed = false;
    while !over {
        let now = Instant::now();
        if (seen >= count || now >= end) && !unsubscribed {
            unsubscribed = true;
            subscriber.unsubscribe(&mut io.endpoint, sub, now);
        }
        if now >= end + Duration::from_secs(10) {
            say("GAVE UP");
            break;
        }
        let deadline = subscriber.poll_timeout().map(|t| t.0);
        let events = io.turn(deadline, Duration::from_millis(50))?;
        let now = Instant::now();
        for e in events {
            let Some(e) = subscriber.handle(&mut io.endpoint, e, now) else { continue };
            let _ = simple_sip::event::refuse(&mut io.endpoint, e, &[], now);
        }
        subscriber.handle_timeout(&mut io.endpoint, now);
        while let Some(e) = subscriber.poll_event() {
            match e {
                SubscriberEvent::Notify { status, terminated, content_type, body, .. } => {
                    let state = if terminated {
                        "terminated".to_owned()
                    } else {
                        format!("{status:?}").to_lowercase()
                    };
                    let ct = content_type.unwrap_or_default();
                    let line = if body.is_empty() {
                        format!("NOTIFY {state}")
                    } else if ct.starts_with("application/watcherinfo+xml") {
                        match WatcherInfo::parse(&body) {
                            Ok(w) => {
                                let mut s = format!("WINFO {} {:?}", w.version, w.state);
                                for l in &w.lists {
                                    for x in &l.watchers {
                                        s.push_str(&format!(
                                            " {}={}/{}",
                                            x.uri,
                                            x.status.as_str(),
                                            x.event.as_str()
                                        ));
                                    }
                                }
                                s
                            }
                            Err(e) => format!("BAD-WINFO {e}"),
                        }
                    } else if ct.starts_with("application/pidf-diff+xml") {
                        match view.handle_body(&body).map(|()| view.poll_event()) {
                            Ok(Some(Update::Replaced | Update::Patched)) => {
                                format!(
                                    "NOTIFY {state} partial{}",
                                    view.presence().map(describe).unwrap_or_default()
                                )
                            }
                            other => format!("BAD-PARTIAL {other:?}"),
                        }
                    } else {
                        match Presence::parse(&body) {
                            Ok(p) => format!("NOTIFY {state}{}", describe(&p)),
                            Err(e) => format!("BAD-PIDF {e}"),
                        }
                    };
                    say(&line);
                    if !terminated {
                        seen += 1;
                    }
                }
                SubscriberEvent::Accepted { expires, .. } => say(&format!("ACCEPTED {expires}")),
                SubscriberEvent::Terminated { reason, .. } => {
                    say(&format!("TERMINATED {reason:?}"));
                    over = true;
                }
                other => say(&format!("OTHER {other:?}")),
            }
        }
    }
    io.flush();
    Ok(seen >= count)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let arg =
        |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let flag = |name: &str| args.iter().any(|a| a == name);
    let addr = |name: &str| arg(name).and_then(|s| s.parse::<SocketAddr>().ok());
    let basic = |s: Option<String>| match s.as_deref() {
        Some("closed") => Some(Basic::Closed),
        Some("open") => Some(Basic::Open),
        _ => None,
    };
    let seconds = arg("--for").and_then(|s| s.parse().ok());
    let result = match args.get(1).map(String::as_str) {
        Some("serve") => {
            let bind = addr("--bind").unwrap_or_else(|| "127.0.0.1:5185".parse().unwrap());
            serve(bind, flag("--pending"), seconds.unwrap_or(30))
        }
        Some("publish") => match (addr("--bind"), addr("--to"), arg("--uri")) {
            (Some(bind), Some(to), Some(uri)) => publish(
                bind,
                to,
                &uri,
                basic(arg("--status")).unwrap_or(Basic::Open),
                arg("--note").as_deref(),
                basic(arg("--then")),
                flag("--remove"),
                seconds.unwrap_or(5),
            ),
            _ => {
                eprintln!("publish needs --bind, --to and --uri");
                return ExitCode::from(2);
            }
        },
        Some("watch") => match (addr("--bind"), addr("--to"), arg("--uri")) {
            (Some(bind), Some(to), Some(uri)) => {
                let from = arg("--from").unwrap_or_else(|| "sip:watcher@127.0.0.1".to_owned());
                let count = arg("--count").and_then(|s| s.parse().ok()).unwrap_or(1);
                watch(
                    bind,
                    to,
                    &uri,
                    &from,
                    flag("--winfo"),
                    flag("--partial"),
                    count,
                    seconds.unwrap_or(10),
                )
            }
            _ => {
                eprintln!("watch needs --bind, --to and --uri");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("usage: sip_presence serve|publish|watch ... (see the source's docs)");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
