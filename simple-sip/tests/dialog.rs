//! Dialogs (RFC 3261 §12): UAC and UAS creation, early dialogs, route sets (loose and strict),
//! CSeq rules, target refresh, NOTIFY-created dialogs (RFC 6665 §4.1.2.4), termination; and a
//! whole INVITE / 200 / ACK / re-INVITE / BYE between two Endpoints driven by their dialogs.
#![allow(clippy::unwrap_used, clippy::wildcard_enum_match_arm)]

use std::time::Instant;

use bytes::Bytes;
use simple_sip::dialog::{Dialog, DialogState};
use simple_sip::endpoint::{Endpoint, EndpointConfig, Event, NewRequest, Reply, Transport};
use simple_sip::{Method, OwnedMessage};

fn msg(text: &str) -> OwnedMessage {
    OwnedMessage::parse(Bytes::from(text.replace('\n', "\r\n"))).unwrap()
}

const INVITE: &str = "INVITE sip:bob@biloxi.com SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776
Max-Forwards: 70
To: <sip:bob@biloxi.com>
From: \"Alice\" <sip:alice@atlanta.com>;tag=1928
Call-ID: a84b
CSeq: 10 INVITE
Record-Route: <sip:p1.atlanta.com;lr>
Record-Route: <sip:p2.biloxi.com;lr>
Contact: <sip:alice@pc33.atlanta.com>
Content-Length: 0

";

fn response(code: &str, extra: &str) -> OwnedMessage {
    msg(&format!(
        "SIP/2.0 {code}
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776
Record-Route: <sip:p1.atlanta.com;lr>, <sip:p2.biloxi.com;lr>
To: <sip:bob@biloxi.com>;tag=a6c8
From: \"Alice\" <sip:alice@atlanta.com>;tag=1928
Call-ID: a84b
CSeq: 10 INVITE
{extra}Content-Length: 0

"
    ))
}

#[test]
fn uac_dialog_from_2xx_and_early_from_1xx() {
    let invite = msg(INVITE);
    let ok = response("200 OK", "Contact: <sip:bob@192.0.2.4>\n");
    let mut d = Dialog::uac(&invite, &ok).unwrap();
    assert_eq!(d.state(), DialogState::Confirmed);
    assert_eq!((d.id().local_tag.as_str(), d.id().remote_tag.as_str()), ("1928", "a6c8"));
    assert_eq!(d.route_set(), ["<sip:p2.biloxi.com;lr>", "<sip:p1.atlanta.com;lr>"]);
    let bye = d.next_request(Method::Bye);
    assert_eq!((bye.uri.as_str(), bye.cseq), ("sip:bob@192.0.2.4", 11));
    assert_eq!(
        (bye.from.as_str(), bye.to.as_str()),
        ("<sip:alice@atlanta.com>", "<sip:bob@biloxi.com>")
    );
    // the ACK of the 2xx reuses the INVITE's CSeq
    assert_eq!(d.ack(10).cseq, 10);

    // 100 creates nothing; 180 with a tag creates an early dialog that the 2xx confirms
    assert!(Dialog::uac(&invite, &response("100 Trying", "")).is_err());
    let mut early =
        Dialog::uac(&invite, &response("180 Ringing", "Contact: <sip:bob@192.0.2.9>\n")).unwrap();
    assert_eq!(early.state(), DialogState::Early);
    early.handle_response(&Method::Invite, &ok);
    assert_eq!(early.state(), DialogState::Confirmed);
    assert_eq!(early.remote_target(), "sip:bob@192.0.2.4", "the 2xx's Contact is the target");
    // an early dialog ends with a failure of its INVITE
    let mut early =
        Dialog::uac(&invite, &response("183 Progress", "Contact: <sip:b@h>\n")).unwrap();
    early.handle_response(&Method::Invite, &response("486 Busy Here", ""));
    assert_eq!(early.state(), DialogState::Terminated);
}

#[test]
fn uas_dialog_cseq_rules_target_refresh_and_bye() {
    let invite = msg(INVITE);
    let mut d = Dialog::uas(&invite, "a6c8", DialogState::Confirmed).unwrap();
    assert_eq!(d.route_set(), ["<sip:p1.atlanta.com;lr>", "<sip:p2.biloxi.com;lr>"], "in order");
    assert_eq!(d.remote_target(), "sip:alice@pc33.atlanta.com");
    assert_eq!(d.remote_seq(), Some(10));
    let in_dialog = |method: &str, seq: u32, extra: &str| {
        msg(&format!(
            "{method} sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK9{seq}
Max-Forwards: 70
To: <sip:bob@biloxi.com>;tag=a6c8
From: <sip:alice@atlanta.com>;tag=1928
Call-ID: a84b
CSeq: {seq} {method}
{extra}Content-Length: 0

"
        ))
    };
    let info = in_dialog("INFO", 11, "");
    let mut headers = [simple_sip::Header::EMPTY; 16];
    let view = simple_sip::Message::parse(info.bytes(), &mut headers).unwrap();
    assert!(d.matches(&view));
    assert_eq!(d.handle_request(&info), Ok(()));
    // a lower (or repeated) CSeq: 500
    assert_eq!(d.handle_request(&in_dialog("INFO", 11, "")).unwrap_err().code, 500);
    assert_eq!(d.handle_request(&in_dialog("INFO", 5, "")).unwrap_err().code, 500);
    // ACK carries the INVITE's CSeq and is not refused
    assert_eq!(d.handle_request(&in_dialog("ACK", 10, "")), Ok(()));
    // INFO does not refresh the target; a re-INVITE and UPDATE with Contact do
    d.handle_request(&in_dialog("INFO", 12, "Contact: <sip:alice@198.51.100.1>\n")).unwrap();
    assert_eq!(d.remote_target(), "sip:alice@pc33.atlanta.com");
    d.handle_request(&in_dialog("INVITE", 13, "Contact: <sip:alice@198.51.100.1>\n")).unwrap();
    assert_eq!(d.remote_target(), "sip:alice@198.51.100.1");
    // the UAS's own first request starts at CSeq 1
    assert_eq!(d.next_request(Method::Info).cseq, 1);
    d.handle_request(&in_dialog("BYE", 14, "")).unwrap();
    assert_eq!(d.state(), DialogState::Terminated);
}

#[test]
fn strict_router_fallback() {
    let invite = msg(INVITE);
    let ok = msg("SIP/2.0 200 OK
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776
Record-Route: <sip:p2.biloxi.com;lr>
Record-Route: <sip:p1.atlanta.com>
To: <sip:bob@biloxi.com>;tag=a6c8
From: <sip:alice@atlanta.com>;tag=1928
Call-ID: a84b
CSeq: 10 INVITE
Contact: <sip:bob@192.0.2.4>
Content-Length: 0

");
    let mut d = Dialog::uac(&invite, &ok).unwrap();
    // the first hop (p1) is strict: it becomes the Request-URI, the target goes last in Route
    let bye = d.next_request(Method::Bye);
    assert_eq!(bye.uri, "sip:p1.atlanta.com");
    assert_eq!(bye.route, ["<sip:p2.biloxi.com;lr>", "<sip:bob@192.0.2.4>"]);
    assert_eq!(d.next_hop(), "sip:p1.atlanta.com");
}

#[test]
fn a_notify_creates_the_subscribers_dialog_and_481_ends_it() {
    let subscribe = msg("SUBSCRIBE sip:bob@biloxi.com SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKs1
Max-Forwards: 70
To: <sip:bob@biloxi.com>
From: <sip:alice@atlanta.com>;tag=s77
Call-ID: sub1
CSeq: 4 SUBSCRIBE
Event: presence
Contact: <sip:alice@pc33.atlanta.com>
Content-Length: 0

");
    // the NOTIFY arrives before the 2xx; each fork's NOTIFY has its own From tag
    let notify = |tag: &str| {
        msg(&format!(
            "NOTIFY sip:alice@pc33.atlanta.com SIP/2.0
Via: SIP/2.0/UDP pres.biloxi.com;branch=z9hG4bKn{tag}
Max-Forwards: 70
Record-Route: <sip:proxy.biloxi.com;lr>
To: <sip:alice@atlanta.com>;tag=s77
From: <sip:bob@biloxi.com>;tag={tag}
Call-ID: sub1
CSeq: 1 NOTIFY
Event: presence
Subscription-State: active;expires=600
Contact: <sip:pres.biloxi.com>
Content-Length: 0

"
        ))
    };
    let mut d = Dialog::from_notify(&subscribe, &notify("f1")).unwrap();
    let other = Dialog::from_notify(&subscribe, &notify("f2")).unwrap();
    assert_ne!(d.id(), other.id(), "a fork makes another dialog");
    assert_eq!(d.remote_target(), "sip:pres.biloxi.com");
    assert_eq!(d.route_set(), ["<sip:proxy.biloxi.com;lr>"]);
    assert_eq!(d.remote_seq(), Some(1));
    // the refresh SUBSCRIBE goes to the notifier's Contact with the next CSeq
    let refresh = d.next_request(Method::Subscribe);
    assert_eq!(
        (refresh.uri.as_str(), refresh.cseq, refresh.to_tag.as_str()),
        ("sip:pres.biloxi.com", 5, "f1")
    );
    d.handle_response(
        &Method::Subscribe,
        &msg("SIP/2.0 481 Subscription Does Not Exist
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKs2
To: <sip:bob@biloxi.com>;tag=f1
From: <sip:alice@atlanta.com>;tag=s77
Call-ID: sub1
CSeq: 5 SUBSCRIBE
Content-Length: 0

"),
    );
    assert_eq!(d.state(), DialogState::Terminated);
}

/// A call between two Endpoints, each side driving its Dialog: INVITE, 200, ACK, a re-INVITE
/// that moves Alice's target, BYE; CSeq and tags as §12 says, seen on the wire.
#[test]
fn a_call_between_two_endpoints() {
    let now = Instant::now();
    let (a_addr, b_addr) = ("127.0.0.1:5060".parse().unwrap(), "127.0.0.1:5070".parse().unwrap());
    let mut alice = Endpoint::new(EndpointConfig::new("127.0.0.1:5060"), 1);
    let mut bob = Endpoint::new(EndpointConfig::new("127.0.0.1:5070"), 2);
    let pump = |from: &mut Endpoint, to: &mut Endpoint, src| {
        while let Some(t) = from.poll_transmit() {
            to.handle_datagram(src, t.transport, &t.contents, now);
        }
    };
    let mut new =
        NewRequest::new(Method::Invite, "sip:bob@127.0.0.1:5070", "<sip:alice@example.com>");
    new.contact = Some("<sip:alice@127.0.0.1:5060>");
    let invite = alice.build_request(&new.body("application/sdp", b"v=0\r\n"), Transport::Udp);
    alice.send_request(invite.clone(), b_addr, Transport::Udp, now).unwrap();
    pump(&mut alice, &mut bob, a_addr);
    let Some(Event::Request { tx, request, .. }) = bob.poll_event() else { panic!() };
    let tag = bob.local_tag(tx).unwrap().to_owned();
    let mut bob_dialog = Dialog::uas(&request, &tag, DialogState::Confirmed).unwrap();
    let contact = [("Contact", &b"<sip:bob@127.0.0.1:5070>"[..])];
    bob.respond(tx, &Reply::new(200, "OK").headers(&contact), now).unwrap();
    pump(&mut bob, &mut alice, b_addr);
    let Some(Event::Response { response, .. }) = alice.poll_event() else { panic!() };
    let mut alice_dialog = Dialog::uac(&invite, &response).unwrap();
    assert_eq!(alice_dialog.remote_target(), "sip:bob@127.0.0.1:5070");
    // the ACK of the 2xx: in the dialog, outside any transaction
    let ack = alice_dialog.ack(1);
    let routes = ack.route_refs();
    let ack = alice.build_request(&ack.as_new_request(&routes), Transport::Udp);
    alice.send_stateless(ack.bytes().clone(), b_addr, Transport::Udp);
    pump(&mut alice, &mut bob, a_addr);
    let Some(Event::Ack { request: got, .. }) = bob.poll_event() else { panic!() };
    assert_eq!(bob_dialog.handle_request(&got), Ok(()));
    // re-INVITE from Alice with a new Contact: a target refresh at Bob
    let re = alice_dialog.next_request(Method::Invite);
    let routes = re.route_refs();
    let mut new = re.as_new_request(&routes);
    new.contact = Some("<sip:alice@127.0.0.1:5061>");
    let re_invite = alice.build_request(&new, Transport::Udp);
    alice.send_request(re_invite, b_addr, Transport::Udp, now).unwrap();
    pump(&mut alice, &mut bob, a_addr);
    let Some(Event::Request { tx, request, .. }) = bob.poll_event() else { panic!() };
    assert_eq!(bob.local_tag(tx), Some(tag.as_str()), "the request's To tag is kept");
    assert_eq!(bob_dialog.handle_request(&request), Ok(()));
    assert_eq!(bob_dialog.remote_target(), "sip:alice@127.0.0.1:5061");
    assert_eq!(bob_dialog.remote_seq(), Some(2));
    // BYE from Bob ends both
    let bye = bob_dialog.next_request(Method::Bye);
    let routes = bye.route_refs();
    let bye = bob.build_request(&bye.as_new_request(&routes), Transport::Udp);
    assert!(bye.bytes().starts_with(b"BYE sip:alice@127.0.0.1:5061 SIP/2.0"));
    bob.send_request(bye, a_addr, Transport::Udp, now).unwrap();
    bob_dialog.terminate();
    pump(&mut bob, &mut alice, b_addr);
    let Some(Event::Request { request, .. }) = alice.poll_event() else { panic!() };
    assert_eq!(alice_dialog.handle_request(&request), Ok(()));
    assert_eq!(alice_dialog.state(), DialogState::Terminated);
}
