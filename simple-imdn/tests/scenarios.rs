//! Scenario tests of the machines: the sender's bookkeeping with lost, duplicated, late and
//! unsolicited notifications and a list of recipients; the recipient rules and IMDN
//! routing; aggregation; the is-composing timers of both sides. Time is a fake `Instant`
//! moved to the next deadline.
#![allow(clippy::unwrap_used, clippy::std_instead_of_core, clippy::wildcard_enum_match_arm)]

use std::time::{Duration, Instant};

use simple_imdn::aggregate::{Aggregator, AggregatorConfig, AggregatorEvent};
use simple_imdn::imdn::{self, Disposition, Imdn, ImdnHeaders, Notification, Requested, Status};
use simple_imdn::iscomposing::{
    Composer, ComposerConfig, ComposerState, ComposerTimer, ComposingEvent, ComposingReceiver,
    ComposingState, IdleReason, IsComposing,
};
use simple_imdn::recipient::{self, Answer, Destination, Pending, Policy, Role};
use simple_imdn::tracker::{Outcome, Tracker, TrackerConfig, TrackerEvent};
use simple_imdn::{Cpim, CpimMessage};

const S: Duration = Duration::from_secs(1);

fn note(id: &str, who: Option<&str>, d: Disposition, s: Status) -> Imdn {
    let mut i = Imdn::new(id, "2026-12-03T10:00:00Z", Notification::new(d, s));
    i.recipient_uri = who.map(str::to_owned);
    i
}

fn events(t: &mut Tracker) -> Vec<TrackerEvent> {
    core::iter::from_fn(|| t.poll_event()).collect()
}

fn outcome(id: &str, who: &str, d: Disposition, o: Outcome) -> TrackerEvent {
    TrackerEvent::Outcome {
        message_id: id.into(),
        recipient: who.into(),
        disposition: d,
        outcome: o,
    }
}

const BOB: &str = "sip:bob@example.com";
const ASKED: Requested = Requested::POSITIVE_DELIVERY.with(Requested::DISPLAY);

#[test]
fn a_lost_display_notification_times_out_once() {
    let t0 = Instant::now();
    let mut config = TrackerConfig::default();
    config.display_timeout = 60 * S;
    let mut t = Tracker::new(config);
    t.track("m1", &[BOB], ASKED, t0);
    assert_eq!(t.open(), 2);
    t.handle_response("m1", 200);
    t.handle_notification(&note("m1", None, Disposition::Delivery, Status::Delivered), t0 + S);
    assert_eq!(
        events(&mut t),
        vec![outcome("m1", BOB, Disposition::Delivery, Outcome::Reported(Status::Delivered))]
    );
    // the delivery deadline went with its notification: the next is display's
    let (at, timer) = t.poll_timeout().unwrap();
    assert_eq!((at, timer), (t0 + 60 * S, simple_imdn::tracker::TrackerTimer::Display));
    t.handle_timeout(at - S);
    assert!(events(&mut t).is_empty(), "not before its time");
    t.handle_timeout(at);
    assert_eq!(
        events(&mut t),
        vec![
            outcome("m1", BOB, Disposition::Display, Outcome::TimedOut),
            TrackerEvent::Finished { message_id: "m1".into() }
        ]
    );
    assert!(t.is_empty() && t.poll_timeout().is_none(), "no timer outlives the IM");
    // the display notification comes after all: late, and said so
    t.handle_notification(&note("m1", None, Disposition::Display, Status::Displayed), at + S);
    assert_eq!(
        events(&mut t),
        vec![TrackerEvent::Unsolicited {
            message_id: "m1".into(),
            finished: true,
            disposition: Some(Disposition::Display)
        }]
    );
}

#[test]
fn duplicates_and_unsolicited_notifications_are_events() {
    let t0 = Instant::now();
    let mut t = Tracker::new(TrackerConfig::default());
    t.track("m1", &[BOB], ASKED, t0);
    let d = note("m1", Some("im:bob@example.com"), Disposition::Delivery, Status::Delivered);
    t.handle_notification(&d, t0);
    t.handle_notification(&d, t0);
    let mut failed = d.clone();
    failed.notification = Some(Notification::new(Disposition::Delivery, Status::Failed));
    t.handle_notification(&failed, t0);
    let ev = events(&mut t);
    assert_eq!(ev.len(), 3);
    assert!(matches!(&ev[1], TrackerEvent::Duplicate { status: Status::Delivered, .. }));
    assert!(
        matches!(&ev[2], TrackerEvent::Duplicate { status: Status::Failed, .. }),
        "the first stands"
    );
    t.handle_notification(&note("never", None, Disposition::Delivery, Status::Delivered), t0);
    assert_eq!(
        events(&mut t),
        vec![TrackerEvent::Unsolicited {
            message_id: "never".into(),
            finished: false,
            disposition: Some(Disposition::Delivery)
        }]
    );
    assert_eq!(t.open(), 1);
}

#[test]
fn a_refused_im_ends_every_expectation_at_once() {
    let t0 = Instant::now();
    let mut t = Tracker::new(TrackerConfig::default());
    let all = ASKED.with(Requested::NEGATIVE_DELIVERY).with(Requested::PROCESSING);
    t.track("m1", &[BOB, "sip:carol@example.com"], all, t0);
    assert_eq!(t.open(), 5, "delivery and display per recipient, processing once");
    t.handle_response("m1", 100);
    t.handle_response("m1", 202);
    assert!(events(&mut t).is_empty());
    t.handle_response("m1", 480);
    let ev = events(&mut t);
    assert_eq!(ev.len(), 6);
    assert!(
        ev[..5]
            .iter()
            .all(|e| matches!(e, TrackerEvent::Outcome { outcome: Outcome::Refused(480), .. }))
    );
    assert_eq!(ev[5], TrackerEvent::Finished { message_id: "m1".into() });
    assert!(t.poll_timeout().is_none());
}

#[test]
fn negative_delivery_only_ends_in_no_failure() {
    let t0 = Instant::now();
    let mut t = Tracker::new(TrackerConfig::default());
    t.track("m1", &[BOB], Requested::NEGATIVE_DELIVERY, t0);
    let (at, _) = t.poll_timeout().unwrap();
    t.handle_timeout(at);
    assert_eq!(events(&mut t)[0], outcome("m1", BOB, Disposition::Delivery, Outcome::NoFailure));
    // asking for nothing tracks nothing
    t.track("m2", &[BOB], Requested::NONE, t0);
    assert!(!t.is_tracking("m2"));
}

#[test]
fn a_list_of_recipients_with_an_aggregate_and_a_hidden_member() {
    let t0 = Instant::now();
    let members = ["sip:a@example.com", "sip:b@example.com", "sip:c@example.com"];
    let mut t = Tracker::new(TrackerConfig::default());
    t.track("m1", &members, ASKED, t0);
    assert_eq!(t.open(), 6);
    // a's and b's delivery come aggregated by the list server (RFC 5438 §8.3), naming them
    // with other schemes and host case
    let docs = [
        note("m1", Some("im:a@EXAMPLE.com"), Disposition::Delivery, Status::Delivered).to_vec(),
        note(
            "m1",
            Some("<sip:b@example.com;transport=tcp>"),
            Disposition::Delivery,
            Status::Failed,
        )
        .to_vec(),
    ];
    let mut body = Vec::new();
    let ct = imdn::write_aggregate(&docs, "agg", &mut body);
    let wrapper = imdn::notification_message(
        "sip:list@example.com",
        "sip:alice@example.com",
        "n1",
        &[],
        &ct,
        &body,
    )
    .to_vec();
    for i in imdn::notifications(&Cpim::parse(&wrapper).unwrap()).unwrap() {
        t.handle_notification(&i, t0);
    }
    // one without a recipient (the list hides its members): reported, ends nothing
    t.handle_notification(&note("m1", None, Disposition::Display, Status::Displayed), t0);
    let ev = events(&mut t);
    assert_eq!(
        ev[0],
        outcome("m1", members[0], Disposition::Delivery, Outcome::Reported(Status::Delivered))
    );
    assert_eq!(
        ev[1],
        outcome("m1", members[1], Disposition::Delivery, Outcome::Reported(Status::Failed))
    );
    assert!(matches!(
        &ev[2],
        TrackerEvent::Unattributed { recipient: None, disposition: Disposition::Display, .. }
    ));
    // a stranger's notification is not attributed to a member
    t.handle_notification(
        &note("m1", Some("sip:z@example.com"), Disposition::Delivery, Status::Delivered),
        t0,
    );
    assert!(matches!(&events(&mut t)[0], TrackerEvent::Unattributed { recipient: Some(_), .. }));
    assert_eq!(t.open(), 4);
    // the time is up: c's delivery and the three displays
    t.handle_timeout(t0 + Duration::from_secs(86_400));
    let ev = events(&mut t);
    let timed: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            TrackerEvent::Outcome {
                recipient, disposition, outcome: Outcome::TimedOut, ..
            } => Some((recipient.as_str(), *disposition)),
            _ => None,
        })
        .collect();
    assert_eq!(
        timed,
        vec![
            (members[2], Disposition::Delivery),
            (members[0], Disposition::Display),
            (members[1], Disposition::Display),
            (members[2], Disposition::Display)
        ]
    );
    assert_eq!(ev.last(), Some(&TrackerEvent::Finished { message_id: "m1".into() }));
}

fn im(extra: &str) -> Vec<u8> {
    format!(
        "From: Alice <sip:alice@example.com>\r\nTo: <sip:bob@example.com>\r\nDateTime: 2026-12-03T10:00:00Z\r\n\
         Subject: lunch\r\nNS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: m1\r\n{extra}\r\nContent-Type: text/plain\r\n\r\nhi"
    )
    .into_bytes()
}

#[test]
fn recipient_rules() {
    let policy = Policy::default();
    let all = "imdn.Disposition-Notification: positive-delivery, negative-delivery, display, processing\r\n";
    let input = im(all);
    let m = Cpim::parse(&input).unwrap();
    let mut p = Pending::from_im(&m, Role::Recipient).unwrap().unwrap();
    assert_eq!(p.destination(), Destination::Sender("sip:alice@example.com"));
    // a recipient never reports processing, nor a status of another type
    assert!(p.answer(Disposition::Processing, Status::Processed, &policy).is_none());
    assert!(p.answer(Disposition::Delivery, Status::Displayed, &policy).is_none());
    let d = p.answer(Disposition::Delivery, Status::Delivered, &policy).unwrap();
    assert_eq!(d.recipient_uri.as_deref(), Some("sip:bob@example.com"));
    assert_eq!(
        (d.subject.as_deref(), d.datetime.as_str()),
        (Some("lunch"), "2026-12-03T10:00:00Z")
    );
    assert!(p.answer(Disposition::Delivery, Status::Failed, &policy).is_none(), "one per type");
    assert!(!p.is_done());
    // the user denies display notifications: forbidden, and no recipient named (privacy)
    let mut private = Policy::default();
    private.display = Answer::Forbid;
    private.reveal_recipient = false;
    let s = p.answer(Disposition::Display, Status::Displayed, &private).unwrap();
    assert_eq!(s.notification.unwrap().status, Status::Forbidden);
    assert_eq!((s.recipient_uri, s.original_recipient_uri), (None, None));
    assert!(p.is_done());

    // never an IMDN for an IMDN
    let n = p.message(&d, "sip:bob@example.com", "n1").to_vec();
    let nm = Cpim::parse(&n).unwrap();
    assert!(ImdnHeaders::read(&nm).unwrap().is_notification);
    assert!(Pending::from_im(&nm, Role::Recipient).unwrap().is_none());
    let mut asking = nm.to_owned();
    asking.headers.push((
        "imdn.Disposition-Notification".into(),
        String::new(),
        "positive-delivery".into(),
    ));
    let asking = asking.to_vec();
    assert!(Pending::from_im(&Cpim::parse(&asking).unwrap(), Role::Recipient).unwrap().is_none());

    // negative delivery only: nothing to say about a delivered IM
    let neg = im("imdn.Disposition-Notification: negative-delivery\r\n");
    let mut p = Pending::from_im(&Cpim::parse(&neg).unwrap(), Role::Recipient).unwrap().unwrap();
    assert!(p.answer(Disposition::Delivery, Status::Delivered, &policy).is_none());
    assert!(p.answer(Disposition::Delivery, Status::Failed, &policy).is_some());

    // an intermediary: processing and failures, never positive delivery or display
    let mut p = Pending::from_im(&m, Role::Intermediary).unwrap().unwrap();
    assert!(p.answer(Disposition::Delivery, Status::Delivered, &policy).is_none());
    assert!(p.answer(Disposition::Display, Status::Displayed, &policy).is_none());
    assert!(p.answer(Disposition::Processing, Status::Stored, &policy).is_some());
    assert!(p.answer(Disposition::Processing, Status::Processed, &policy).is_none(), "once");
    assert!(p.answer(Disposition::Delivery, Status::Failed, &policy).is_some());

    // an ignoring policy, and an anonymous sender, get nothing
    let mut deaf = Policy::default();
    deaf.delivery = Answer::Ignore;
    let mut p = Pending::from_im(&m, Role::Recipient).unwrap().unwrap();
    assert!(p.answer(Disposition::Delivery, Status::Delivered, &deaf).is_none());
    let anon = String::from_utf8(im(all))
        .unwrap()
        .replace("sip:alice@example.com", "sip:anonymous@anonymous.invalid");
    let mut p =
        Pending::from_im(&Cpim::parse(anon.as_bytes()).unwrap(), Role::Recipient).unwrap().unwrap();
    assert!(p.answer(Disposition::Delivery, Status::Delivered, &policy).is_none());
    // no request, no Message-ID: nothing pending
    let plain = b"From: <sip:a@x>\r\n\r\nContent-Type: text/plain\r\n\r\nhi";
    assert!(Pending::from_im(&Cpim::parse(plain).unwrap(), Role::Recipient).unwrap().is_none());
}

#[test]
fn imdn_routing_through_two_intermediaries() {
    let input = im("imdn.Disposition-Notification: positive-delivery\r\n");
    // two intermediaries record themselves, the later on top (§6.5, §8)
    let once = recipient::record_route(&input, "sip:list@example.com").unwrap();
    let twice = recipient::record_route(&once, "sip:gw@example.com").unwrap();
    // everything else is kept byte for byte
    let text = String::from_utf8(twice.clone()).unwrap();
    assert_eq!(
        text.replace("imdn.IMDN-Record-Route: <sip:gw@example.com>\r\n", "")
            .replace("imdn.IMDN-Record-Route: <sip:list@example.com>\r\n", ""),
        String::from_utf8(input).unwrap()
    );
    let m = Cpim::parse(&twice).unwrap();
    let h = ImdnHeaders::read(&m).unwrap();
    let rr: Vec<_> = h.record_routes.iter().map(|a| a.uri.to_string()).collect();
    assert_eq!(rr, ["sip:gw@example.com", "sip:list@example.com"]);
    // the recipient routes its notification the same way back
    let mut p = Pending::from_im(&m, Role::Recipient).unwrap().unwrap();
    assert_eq!(p.destination(), Destination::Route("sip:gw@example.com"));
    let d = p.answer(Disposition::Delivery, Status::Delivered, &Policy::default()).unwrap();
    let n = p.message(&d, "sip:bob@example.com", "n1").to_vec();
    let (n, next) = recipient::next_hop(&n, "sip:gw@example.com").unwrap();
    assert_eq!(next, "sip:list@example.com");
    let (n, next) = recipient::next_hop(&n, "sip:list@example.com").unwrap();
    assert_eq!(next, "sip:alice@example.com", "then the CPIM To");
    let last = Cpim::parse(&n).unwrap();
    assert!(ImdnHeaders::read(&last).unwrap().routes.is_empty());
    // a hop not on top leaves the message as it is
    let (same, _) = recipient::next_hop(&n, "sip:other@example.com").unwrap();
    assert_eq!(same, n);
    // an IM without the namespace gets it declared
    let bare = b"From: <sip:a@x>\r\nimdnx.y: 1\r\n\r\nContent-Type: text/plain\r\n\r\n";
    assert!(recipient::record_route(bare, "sip:r@x").is_err(), "undeclared prefix");
    let ns = b"From: <sip:a@x>\r\nNS: <urn:ietf:params:imdn>\r\nMessage-ID: 1\r\nDisposition-Notification: display\r\n\r\nContent-Type: text/plain\r\n\r\n";
    let out = recipient::record_route(ns, "sip:r@x").unwrap();
    let m = Cpim::parse(&out).unwrap();
    assert_eq!(ImdnHeaders::read(&m).unwrap().record_routes[0].uri, "sip:r@x");
}

#[test]
fn aggregation_by_batch_and_when_complete() {
    let t0 = Instant::now();
    let mut a = Aggregator::new(AggregatorConfig::default());
    a.expect("m1", 2, ASKED, t0);
    let n = |who: &str, d, s| {
        let i = note("m1", Some(who), d, s);
        let v = i.to_vec();
        (i, v)
    };
    let (i1, d1) = n("sip:a@x", Disposition::Delivery, Status::Delivered);
    a.add(&i1, &d1, t0);
    assert!(a.poll_event().is_none());
    let (at, _) = a.poll_timeout().unwrap();
    assert_eq!(at, t0 + 5 * S);
    let (i2, d2) = n("sip:b@x", Disposition::Delivery, Status::Delivered);
    a.add(&i2, &d2, t0 + S);
    a.handle_timeout(at);
    assert_eq!(
        a.poll_event(),
        Some(AggregatorEvent::Batch {
            message_id: "m1".into(),
            documents: vec![d1, d2],
            complete: false
        })
    );
    // the displays complete it: sent at once, state gone
    let (i3, d3) = n("sip:a@x", Disposition::Display, Status::Displayed);
    let (i4, d4) = n("sip:b@x", Disposition::Display, Status::Displayed);
    a.add(&i3, &d3, t0 + 6 * S);
    a.add(&i4, &d4, t0 + 7 * S);
    assert_eq!(
        a.poll_event(),
        Some(AggregatorEvent::Batch {
            message_id: "m1".into(),
            documents: vec![d3, d4.clone()],
            complete: true
        })
    );
    assert!(a.is_empty() && a.poll_timeout().is_none());
    a.add(&i4, &d4, t0 + 8 * S);
    assert_eq!(a.poll_event(), Some(AggregatorEvent::Consumed { message_id: "m1".into() }));
    // an IM whose members never answer expires
    a.expect("m2", 3, ASKED, t0);
    a.handle_timeout(t0 + Duration::from_secs(600));
    assert_eq!(
        a.poll_event(),
        Some(AggregatorEvent::Expired { message_id: "m2".into(), missing: 6 })
    );
}

/// Drives a composer and a receiver: the composer's documents go straight to the receiver.
fn deliver(
    c: &mut Composer,
    r: &mut ComposingReceiver<&'static str>,
    now: Instant,
) -> Vec<IsComposing> {
    let docs: Vec<_> = core::iter::from_fn(|| c.poll_transmit()).collect();
    for d in &docs {
        r.handle_status("alice", d, now);
    }
    docs
}

#[test]
fn composer_idle_after_15_s_and_only_state_changes_sent() {
    let t0 = Instant::now();
    let mut c = Composer::new(ComposerConfig::default());
    let mut r = ComposingReceiver::new(120 * S);
    c.typing(t0);
    let d = deliver(&mut c, &mut r, t0);
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].state.clone(), d[0].refresh), (ComposingState::Active, Some(120)));
    assert_eq!(
        r.poll_event(),
        Some(ComposingEvent::Active { peer: "alice", content_type: Some("text/plain".into()) })
    );
    for s in [5, 10] {
        c.typing(t0 + s * S);
        assert!(deliver(&mut c, &mut r, t0 + s * S).is_empty(), "still active: nothing");
    }
    assert_eq!(c.poll_timeout(), Some((t0 + 25 * S, ComposerTimer::Idle)));
    c.handle_timeout(t0 + 25 * S);
    let d = deliver(&mut c, &mut r, t0 + 25 * S);
    assert_eq!((d.len(), d[0].state.clone(), d[0].refresh), (1, ComposingState::Idle, None));
    assert_eq!(
        r.poll_event(),
        Some(ComposingEvent::Idle { peer: "alice", reason: IdleReason::Status })
    );
    assert_eq!(c.poll_timeout(), None);
    // typing again, then the message: idle without a status message; the receiver goes idle
    // on the content
    c.typing(t0 + 30 * S);
    deliver(&mut c, &mut r, t0 + 30 * S);
    c.sent();
    assert!(deliver(&mut c, &mut r, t0 + 31 * S).is_empty());
    assert_eq!(c.state(), ComposerState::Idle);
    assert!(matches!(r.poll_event(), Some(ComposingEvent::Active { .. })));
    r.handle_message("alice");
    assert_eq!(
        r.poll_event(),
        Some(ComposingEvent::Idle { peer: "alice", reason: IdleReason::Message })
    );
}

#[test]
fn refreshes_while_active_and_the_receiver_gives_up_when_they_stop() {
    let t0 = Instant::now();
    let mut c = Composer::new(ComposerConfig::default());
    let mut r = ComposingReceiver::new(120 * S);
    let mut sent = Vec::new();
    // typing every 10 s for 300 s: active at 0, refreshes at 120 and 240
    let mut now = t0;
    while now <= t0 + 300 * S {
        c.typing(now);
        while let Some((at, _)) = c.poll_timeout().filter(|(at, _)| *at <= now) {
            c.handle_timeout(at);
        }
        for d in deliver(&mut c, &mut r, now) {
            sent.push((now.duration_since(t0).as_secs(), d.state));
        }
        r.handle_timeout(now);
        now += 10 * S;
    }
    assert_eq!(
        sent,
        vec![
            (0, ComposingState::Active),
            (120, ComposingState::Active),
            (240, ComposingState::Active)
        ]
    );
    assert_eq!(r.poll_event().map(|e| matches!(e, ComposingEvent::Active { .. })), Some(true));
    assert!(r.poll_event().is_none(), "refreshes are not changes");
    // the composer crashes: the receiver's indicator runs out 120 s after the last refresh
    let (at, _) = r.poll_timeout().unwrap();
    assert_eq!(at, t0 + 360 * S);
    r.handle_timeout(at - S);
    assert!(r.is_active(&"alice"));
    r.handle_timeout(at);
    assert_eq!(
        r.poll_event(),
        Some(ComposingEvent::Idle { peer: "alice", reason: IdleReason::Expired })
    );
    assert_eq!((r.active(), r.held()), (0, 0));
    assert!(r.poll_timeout().is_none());
}

#[test]
fn a_refusing_peer_gets_no_more_status_and_receivers_stay_bounded() {
    let t0 = Instant::now();
    let mut c = Composer::new(ComposerConfig::default());
    c.typing(t0);
    c.refused();
    assert!(c.poll_transmit().is_none());
    c.typing(t0 + S);
    assert!(c.poll_transmit().is_none() && c.poll_timeout().is_none());
    assert_eq!(c.state(), ComposerState::Stopped);

    // many peers flapping active/idle: one held entry each, however often
    let mut r = ComposingReceiver::new(120 * S);
    let active = {
        let mut d = IsComposing::new(ComposingState::Active);
        d.refresh = Some(60);
        d
    };
    let idle = IsComposing::new(ComposingState::Other("paused".into()));
    for round in 0..50u32 {
        for peer in 0..20u32 {
            r.handle_status(peer, &active, t0 + round * S);
            r.handle_status(peer, &idle, t0 + round * S);
        }
        assert!(r.held() <= 20);
    }
    assert_eq!(r.active(), 0, "an unknown state counts as idle");
    let changes = core::iter::from_fn(|| r.poll_event()).count();
    assert_eq!(changes, 50 * 20 * 2);
    r.handle_timeout(t0 + 200 * S);
    assert_eq!(r.held(), 0, "idle peers are forgotten when their deadline passes");
}

#[test]
fn cpim_builder_escapes_and_reads_back() {
    let m = CpimMessage::new()
        .address("From", Some("Dr. \"Who\""), "sip:who@example.com")
        .address("To", Some("Bob Smith"), "sip:bob@example.com")
        .header_lang("Subject", "fr", "tab\there\\ and\nnewline \u{1}")
        .content("text/plain", b"x")
        .to_vec();
    let c = Cpim::parse(&m).unwrap();
    assert_eq!(c.from().unwrap().unwrap().name.as_deref(), Some("Dr. \"Who\""));
    assert_eq!(c.to().unwrap()[0].name.as_deref(), Some("Bob Smith"));
    let s = c.subjects().next().unwrap();
    assert_eq!(s.text, "tab\there\\ and\nnewline \u{1}");
    assert_eq!(s.lang.as_deref(), Some("fr"));
    assert!(!m[..m.len() - 30].contains(&b'\t'), "escaped on the wire");
}
