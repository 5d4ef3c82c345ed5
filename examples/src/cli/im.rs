//! `simple-cli message` and `simple-cli listen` with simple-imdn: messages wrapped in CPIM
//! that ask for delivery and display notifications, the notifications and is-composing
//! changes printed as they arrive, and, when listening, the notifications answered.

use core::time::Duration;
use std::io::Read;
use std::time::{Instant, SystemTime};

use serde_json::json;
use simple_imdn::imdn::{self, Disposition, IMDN_NS, Imdn, Requested, Status};
use simple_imdn::iscomposing::{
    self, Composer, ComposerConfig, ComposingEvent, ComposingReceiver, IdleReason, IsComposing,
};
use simple_imdn::recipient::{Destination, is_notification};
use simple_imdn::tracker::{Outcome, TrackerConfig, TrackerEvent};
use simple_imdn::{Cpim, CpimMessage, Pending, Policy, Role, Tracker};
use simple_sip::OwnedMessage;
use simple_sip::endpoint::Transport;
use simple_sip::pager::{MessageId, Outgoing, Pager, PagerEvent};

use super::{Ua, pager, seed, send_message};

/// Identifiers from the process's seed (splitmix64): Message-IDs with 64 random bits, as
/// RFC 5438 §6.3 recommends.
struct Ids(u64);

impl Ids {
    fn next(&mut self) -> String {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        format!("{:016x}", z ^ (z >> 31))
    }
}

/// Now, as a CPIM DateTime in whole seconds.
fn now_datetime() -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    simple_pidf::DateTime::from_unix(secs, 0).to_string()
}

/// The body of a received request, inflated when it came with `Content-Encoding: deflate`
/// (linphone compresses its notifications).
fn body_of(request: &OwnedMessage, body: &[u8]) -> Vec<u8> {
    let deflated = request.view(|m| {
        m.headers().iter().any(|h| {
            h.name().eq_ignore_ascii_case("Content-Encoding")
                && h.value().eq_ignore_ascii_case(b"deflate")
        })
    });
    if !deflated {
        return body.to_vec();
    }
    let mut out = Vec::new();
    if flate2::read::ZlibDecoder::new(body).read_to_end(&mut out).is_ok() {
        return out;
    }
    out.clear();
    match flate2::read::DeflateDecoder::new(body).read_to_end(&mut out) {
        Ok(_) => out,
        Err(_) => body.to_vec(),
    }
}

/// What a received MESSAGE carries.
enum Content {
    /// A message to show (from the CPIM From when wrapped), and its request for
    /// notifications.
    Text { from: String, text: String, pending: Option<Pending> },
    /// Notifications (CPIM-wrapped or bare `message/imdn+xml`, as linphone sends them).
    Notifications(Vec<Imdn>),
    /// An is-composing status.
    Composing(IsComposing),
    /// Unreadable: what is wrong.
    Bad(String),
}

fn media(content_type: Option<&str>) -> String {
    simple_imdn::cpim::media_type(content_type.unwrap_or("text/plain")).to_ascii_lowercase()
}

fn read_content(from: &str, content_type: Option<&str>, body: &[u8]) -> Content {
    match media(content_type).as_str() {
        imdn::CONTENT_TYPE => match Imdn::parse(body) {
            Ok(i) => Content::Notifications(vec![i]),
            Err(e) => Content::Bad(e.to_string()),
        },
        iscomposing::CONTENT_TYPE => match IsComposing::parse(body) {
            Ok(d) => Content::Composing(d),
            Err(e) => Content::Bad(e.to_string()),
        },
        "message/cpim" => {
            let m = match Cpim::parse(body) {
                Ok(m) => m,
                Err(e) => return Content::Bad(e.to_string()),
            };
            if is_notification(&m) {
                return match imdn::notifications(&m) {
                    Ok(n) => Content::Notifications(n),
                    Err(e) => Content::Bad(e.to_string()),
                };
            }
            let inner = media(Some(m.content_type()));
            if inner == iscomposing::CONTENT_TYPE {
                return match IsComposing::parse(m.content()) {
                    Ok(d) => Content::Composing(d),
                    Err(e) => Content::Bad(e.to_string()),
                };
            }
            let sender =
                m.from().ok().flatten().map_or_else(|| from.to_owned(), |a| a.uri.into_owned());
            let pending = Pending::from_im(&m, Role::Recipient).ok().flatten();
            let text = String::from_utf8_lossy(m.content()).into_owned();
            Content::Text { from: sender, text, pending }
        }
        _ => Content::Text {
            from: from.to_owned(),
            text: String::from_utf8_lossy(body).into_owned(),
            pending: None,
        },
    }
}

fn say_composing(ua: &Ua, e: &ComposingEvent<String>) {
    match e {
        ComposingEvent::Active { peer, content_type } => ua.say(
            &format!("{peer} is composing ({})", content_type.as_deref().unwrap_or("-")),
            &json!({"event": "composing", "from": peer, "state": "active", "content_type": content_type}),
        ),
        ComposingEvent::Idle { peer, reason } => {
            let why = match reason {
                IdleReason::Status => "idle",
                IdleReason::Message => "message",
                IdleReason::Expired => "expired",
            };
            ua.say(
                &format!("{peer} stopped composing ({why})"),
                &json!({"event": "composing", "from": peer, "state": "idle", "reason": why}),
            );
        }
    }
}

fn say_imdn(ua: &Ua, from: &str, i: &Imdn) {
    let (d, s) =
        i.notification.map_or(("none", "none"), |n| (n.disposition.as_str(), n.status.as_str()));
    ua.say(
        &format!("notification from {from}: {d} {s} (message {})", i.message_id),
        &json!({"event": "imdn", "from": from, "message_id": i.message_id, "disposition": d, "status": s}),
    );
}

/// Sends `content_type` `body` to `uri` through the server.
fn send(ua: &mut Ua, pager: &mut Pager, uri: &str, content_type: &str, body: &[u8]) -> MessageId {
    let from = format!("<{}>", ua.aor);
    pager.send(
        &mut ua.ep,
        &Outgoing::new(uri, &from, content_type, body, ua.server, Transport::Udp),
        Instant::now(),
    )
}

pub(super) async fn message(
    ua: &mut Ua,
    uri: &str,
    text: &str,
    wait: u64,
    typing: Option<u64>,
    cpim: bool,
) -> i32 {
    let registered =
        cpim && wait > 0 && ua.register(u32::try_from(wait + 30).unwrap_or(600)).await.is_ok();
    let mut ids = Ids(seed());
    let mut pager = pager(ua);
    let mut composing = ComposingReceiver::new(Duration::from_secs(120));
    let mut composer = Composer::new(ComposerConfig::default());
    if let Some(secs) = typing {
        // "active" first, then the message after `secs` (which ends it without "idle")
        composer.typing(Instant::now());
        while let Some(doc) = composer.poll_transmit() {
            let body = doc.to_vec();
            let (code, verdict) =
                match send_message(ua, &mut pager, uri, iscomposing::CONTENT_TYPE, &body).await {
                    Ok(c) => (Some(c), "accepted"),
                    Err(c) => (c, "refused"),
                };
            if code == Some(415) {
                // the peer takes no status messages: none are sent any more (RFC 3994 §4)
                composer.refused();
            }
            ua.say(
                &format!("composing sent to {uri}: {verdict} ({})", code.unwrap_or(408)),
                &json!({"event": "composing_sent", "to": uri, "code": code}),
            );
        }
        let until = Instant::now() + Duration::from_secs(secs);
        pump(ua, &mut pager, &mut composing, None, until).await;
    }
    composer.sent();
    let message_id = ids.next();
    let asked =
        Requested::POSITIVE_DELIVERY.with(Requested::NEGATIVE_DELIVERY).with(Requested::DISPLAY);
    let cpim_im = CpimMessage::new()
        .address("From", None, &ua.aor)
        .address("To", None, uri)
        .header("DateTime", &now_datetime())
        .namespace(Some("imdn"), IMDN_NS)
        .header("imdn.Message-ID", &message_id)
        .header("imdn.Disposition-Notification", &asked.to_value())
        .content("text/plain; charset=utf-8", text.as_bytes())
        .to_vec();
    let mut config = TrackerConfig::default();
    config.delivery_timeout = Duration::from_secs(wait);
    config.display_timeout = Duration::from_secs(wait);
    let mut tracker = Tracker::new(config);
    let id = if cpim {
        send(ua, &mut pager, uri, "message/cpim", &cpim_im)
    } else {
        send(ua, &mut pager, uri, "text/plain", text.as_bytes())
    };
    if registered {
        tracker.track(&message_id, &[uri], asked, Instant::now());
    }
    let end = Instant::now() + Duration::from_secs(wait.max(1));
    let im = Im { id, uri, message_id: &message_id, tracker: &mut tracker, code: None };
    let code = pump(ua, &mut pager, &mut composing, Some(im), end).await.unwrap_or(408);
    if registered {
        ua.flush().await;
        let _ = ua.register(0).await;
    }
    i32::from(!(200..300).contains(&code))
}

/// The IM a [`pump`] follows: its pager handle, Message-ID and tracker.
struct Im<'a> {
    id: MessageId,
    uri: &'a str,
    message_id: &'a str,
    tracker: &'a mut Tracker,
    /// The SIP final status, once known.
    code: Option<u16>,
}

/// Runs the loop until `until`, or (following an IM) until its SIP answer is in and every
/// notification it asked for ended: prints what arrives and feeds the tracker the IM's SIP
/// outcome and the notifications. Returns the IM's SIP status, if one came.
async fn pump(
    ua: &mut Ua,
    pager: &mut Pager,
    composing: &mut ComposingReceiver<String>,
    mut im: Option<Im<'_>>,
    until: Instant,
) -> Option<u16> {
    while Instant::now() < until {
        let tracked = im.as_ref().and_then(|i| i.tracker.poll_timeout()).map(|t| t.0);
        let deadline = [composing.poll_timeout().map(|t| t.0), tracked, Some(until)]
            .into_iter()
            .flatten()
            .min();
        let now = ua.pager_turn(pager, deadline).await;
        composing.handle_timeout(now);
        while let Some(e) = pager.poll_event() {
            let (id, code) = match &e {
                PagerEvent::Delivered { id, code } => (*id, *code),
                PagerEvent::Failed { id, code } => (*id, code.unwrap_or(408)),
                PagerEvent::Received { from, content_type, body, request } => {
                    let body = body_of(request, body);
                    let tracker = im.as_mut().map(|i| &mut *i.tracker);
                    let _ =
                        received(ua, composing, tracker, from, content_type.as_deref(), &body, now);
                    continue;
                }
                _ => continue,
            };
            let Some(i) = im.as_mut().filter(|i| i.id == id) else { continue };
            i.code = Some(code);
            let to = i.uri;
            if (200..300).contains(&code) {
                ua.say(
                    &format!("sent to {to} ({code})"),
                    &json!({"event": "sent", "to": to, "code": code, "message_id": i.message_id}),
                );
            } else {
                ua.say(
                    &format!("not delivered to {to} ({code})"),
                    &json!({"event": "failed", "to": to, "code": code, "message_id": i.message_id}),
                );
            }
            // a refusal means no notification will come (RFC 5438 §12.1.3.1)
            i.tracker.handle_response(i.message_id, code);
        }
        while let Some(e) = composing.poll_event() {
            say_composing(ua, &e);
        }
        if let Some(i) = im.as_mut() {
            i.tracker.handle_timeout(Instant::now());
            while let Some(e) = i.tracker.poll_event() {
                say_outcome(ua, &e);
            }
            if i.tracker.is_empty() && i.code.is_some() {
                return i.code;
            }
        }
    }
    let i = im?;
    // the time is up: what is still expected ends as a timeout
    i.tracker.handle_timeout(until + Duration::from_secs(86_400 * 365));
    while let Some(e) = i.tracker.poll_event() {
        say_outcome(ua, &e);
    }
    i.code
}

/// Shows what a MESSAGE carried, notifications fed to the tracker (while sending). For a
/// text message, returns its request for notifications (`Some(None)`: it asks for none).
fn received(
    ua: &Ua,
    composing: &mut ComposingReceiver<String>,
    tracker: Option<&mut Tracker>,
    from: &str,
    content_type: Option<&str>,
    body: &[u8],
    now: Instant,
) -> Option<Option<Pending>> {
    match read_content(from, content_type, body) {
        Content::Notifications(list) => {
            let mut tracker = tracker;
            for n in &list {
                say_imdn(ua, from, n);
                if let Some(t) = tracker.as_deref_mut() {
                    t.handle_notification(n, now);
                }
            }
        }
        Content::Composing(d) => composing.handle_status(from.to_owned(), &d, now),
        Content::Text { from: sender, text, pending } => {
            composing.handle_message(sender.clone());
            while let Some(e) = composing.poll_event() {
                say_composing(ua, &e);
            }
            ua.say(
                &format!("message from {sender}: {text}"),
                &json!({"event": "message", "from": sender, "content_type": content_type, "body": text}),
            );
            return Some(pending);
        }
        Content::Bad(why) => ua.say(
            &format!("unreadable message from {from}: {why}"),
            &json!({"event": "error", "from": from, "error": why}),
        ),
    }
    None
}

fn say_outcome(ua: &Ua, e: &TrackerEvent) {
    match e {
        TrackerEvent::Outcome { message_id, recipient, disposition, outcome } => {
            let what = match outcome {
                Outcome::Reported(s) => s.as_str().to_owned(),
                Outcome::TimedOut => "timed out".to_owned(),
                Outcome::NoFailure => "no failure reported".to_owned(),
                Outcome::Refused(c) => format!("refused ({c})"),
            };
            ua.say(
                &format!("{} from {recipient}: {what}", disposition.as_str()),
                &json!({"event": "outcome", "message_id": message_id, "recipient": recipient, "disposition": disposition.as_str(), "outcome": what}),
            );
        }
        TrackerEvent::Finished { message_id } => {
            ua.say(
                &format!("all notifications in for {message_id}"),
                &json!({"event": "finished", "message_id": message_id}),
            );
        }
        other => ua.say(
            &format!("{other:?}"),
            &json!({"event": "imdn_other", "detail": format!("{other:?}")}),
        ),
    }
}

pub(super) async fn listen(ua: &mut Ua, count: Option<usize>, seconds: u64) -> i32 {
    let expires = u32::try_from(seconds.clamp(60, 3600)).unwrap_or(3600);
    let granted = match ua.register(expires).await {
        Ok(g) => g,
        Err(code) => {
            ua.say(&format!("register failed: {code}"), &json!({"event": "failed", "code": code}));
            return 1;
        }
    };
    let c = ua.contact();
    ua.say(
        &format!("listening as {} at {c}", ua.aor),
        &json!({"event": "listening", "aor": ua.aor, "contact": c, "expires": granted}),
    );
    let mut pager = pager(ua);
    let mut ids = Ids(seed());
    let mut composing = ComposingReceiver::new(Duration::from_secs(120));
    let policy = Policy::default();
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut refresh = Instant::now() + Duration::from_secs(u64::from(granted.max(2) / 2));
    let mut got = 0;
    while Instant::now() < end && count.is_none_or(|c| got < c) {
        let deadline = [Some(end.min(refresh)), composing.poll_timeout().map(|t| t.0)]
            .into_iter()
            .flatten()
            .min();
        let now = ua.pager_turn(&mut pager, deadline).await;
        composing.handle_timeout(now);
        while let Some(e) = pager.poll_event() {
            let PagerEvent::Received { from, content_type, body, request } = e else { continue };
            let body = body_of(&request, &body);
            let shown =
                received(ua, &mut composing, None, &from, content_type.as_deref(), &body, now);
            let Some(pending) = shown else { continue };
            got += 1;
            // delivered, and displayed (it was printed): answered as asked
            let Some(mut p) = pending else { continue };
            for (d, s) in [
                (Disposition::Delivery, Status::Delivered),
                (Disposition::Display, Status::Displayed),
            ] {
                let Some(report) = p.answer(d, s, &policy) else { continue };
                let wrapper = p.message(&report, &ua.aor, &ids.next()).to_vec();
                // over SIP the notification goes to the IM's SIP From (§12.1.3.1)
                let target = match p.destination() {
                    Destination::Route(r) => r.to_owned(),
                    Destination::Sender(_) => from.clone(),
                };
                send(ua, &mut pager, &target, "message/cpim", &wrapper);
                ua.say(
                    &format!("sent {} {} to {target}", d.as_str(), s.as_str()),
                    &json!({"event": "imdn_sent", "to": target, "disposition": d.as_str(), "status": s.as_str(), "message_id": p.message_id()}),
                );
            }
        }
        while let Some(e) = composing.poll_event() {
            say_composing(ua, &e);
        }
        if Instant::now() >= refresh {
            if let Ok(g) = ua.register(expires).await {
                refresh = Instant::now() + Duration::from_secs(u64::from(g.max(2) / 2));
            }
        }
    }
    // the notifications still in flight (a digest challenge costs a round trip) go first
    let grace = Instant::now() + Duration::from_secs(5);
    while pager.in_flight() > 0 && Instant::now() < grace {
        ua.pager_turn(&mut pager, Some(grace)).await;
        while pager.poll_event().is_some() {}
    }
    ua.flush().await;
    let _ = ua.register(0).await;
    i32::from(count.is_some_and(|c| got < c))
}
