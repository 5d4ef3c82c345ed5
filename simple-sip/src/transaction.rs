//! Transactions as Sans-IO state machines: non-INVITE client and server (RFC 3261 §17.1.2,
//! §17.2.2), the INVITE client (§17.1.1 with RFC 6026), the keys that match messages to
//! them (§17.1.3, §17.2.3), and the INVITE server (§17.2.1 with RFC 6026). The `Endpoint`
//! that owns them comes next; until then they are driven directly.
//!
//! Each machine follows the crate family's shape. Polling order, after every input
//! (`handle_*`, a command, or `handle_timeout` once the deadline has passed):
//!
//! 1. `poll_transmit()` until `None`: messages to send (a retransmission is the same
//!    [`Bytes`] again);
//! 2. `poll_event()` until `None`: what the transaction user must know;
//! 3. `poll_timeout()`: the next deadline and which [`Timer`] it is. It moves when a message
//!    is sent or retransmitted (Timers E, A, G), when a response arrives or is sent (F, B, K,
//!    D, M, J, H, L, the 200 ms Trying timer), when an ACK arrives (I), and it is `None` once
//!    the transaction has terminated.
//!
//! Times come from [`Timers`] (T1, T2, T4); on a reliable transport the waiting timers (K, J,
//! D, I) are zero and nothing is retransmitted (§17.1.2.2, §17.2.2, §17.1.1.2, §17.2.1).

use core::time::Duration;
use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;

use crate::error::{Error, ErrorKind};
use crate::headers::{CSeq, CallId, FromHeader, ToHeader, TypedHeader, Via};
use crate::message::{Message, Method, OwnedMessage};
use crate::uri::Host;

/// The magic cookie that starts RFC 3261 branch parameters (§8.1.1.7).
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// What a response is matched to its client transaction by (RFC 3261 §17.1.3): the branch
/// of the top Via and the method of CSeq (so a CANCEL's response does not match the INVITE).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientKey {
    /// The top Via's `branch`.
    pub branch: String,
    /// CSeq's method.
    pub method: Method<'static>,
}

impl ClientKey {
    /// The key of a request being sent, or of a response received: the same for both.
    pub fn of(msg: &Message<'_, '_>) -> Result<Self, Error> {
        let via = msg.require::<Via<'_>>()?;
        let branch = via.branch().ok_or_else(|| msg.missing_header())?.to_owned();
        let method = msg.require::<CSeq<'_>>()?.method.into_owned();
        Ok(Self { branch, method })
    }
}

/// What a request is matched to its server transaction by (RFC 3261 §17.2.3). An ACK matches
/// the INVITE it acknowledges (its method is taken as INVITE); a CANCEL has its own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServerKey {
    /// The top Via's branch starts with the magic cookie: branch, sent-by and method.
    Rfc3261 {
        /// The `branch` parameter.
        branch: String,
        /// The sent-by host (lower-cased) and port.
        sent_by: (String, Option<u16>),
        /// The method (INVITE for an ACK).
        method: Method<'static>,
    },
    /// An RFC 2543 request (no magic cookie): Request-URI, From tag, Call-ID, CSeq number, top
    /// Via and method. The To tag, which §17.2.3 also compares, is left out so that the ACK
    /// of a non-2xx response (which carries the server's To tag) finds its INVITE.
    Rfc2543 {
        /// The Request-URI as written.
        request_uri: String,
        /// The From tag.
        from_tag: Option<String>,
        /// Call-ID.
        call_id: String,
        /// CSeq's number.
        cseq: u32,
        /// The top Via as written.
        via: String,
        /// The method (INVITE for an ACK).
        method: Method<'static>,
    },
}

impl ServerKey {
    /// The key of the INVITE transaction a CANCEL cancels (§9.2): the CANCEL's own key with
    /// INVITE as the method.
    pub fn of_cancelled(cancel: &Message<'_, '_>) -> Result<Self, Error> {
        Ok(match Self::of(cancel)? {
            Self::Rfc3261 { branch, sent_by, .. } => {
                Self::Rfc3261 { branch, sent_by, method: Method::Invite }
            }
            Self::Rfc2543 { request_uri, from_tag, call_id, cseq, via, .. } => {
                Self::Rfc2543 { request_uri, from_tag, call_id, cseq, via, method: Method::Invite }
            }
        })
    }

    /// The key of a received request. Errors: not a request, or Via/CSeq missing or malformed.
    pub fn of(request: &Message<'_, '_>) -> Result<Self, Error> {
        let line = request.request().ok_or(Error::new(ErrorKind::InvalidStartLine, 0))?;
        let method = if line.method == Method::Ack {
            Method::Invite
        } else {
            line.method.clone().into_owned()
        };
        let via = request.require::<Via<'_>>()?;
        match via.branch() {
            Some(b) if b.starts_with(MAGIC_COOKIE) => {
                let host = match &via.host {
                    Host::Domain(d) => d.to_ascii_lowercase(),
                    Host::Ipv4(_) | Host::Ipv6(_) => via.host.to_string(),
                };
                Ok(Self::Rfc3261 { branch: b.to_owned(), sent_by: (host, via.port), method })
            }
            Some(_) | None => {
                let cseq = request.require::<CSeq<'_>>()?.seq;
                let from_tag = request.require::<FromHeader<'_>>()?.tag().map(str::to_owned);
                let call_id = request.require::<CallId<'_>>()?.0.into_owned();
                request.require::<ToHeader<'_>>()?;
                Ok(Self::Rfc2543 {
                    request_uri: line.uri.to_string(),
                    from_tag,
                    call_id,
                    cseq,
                    via: String::from_utf8_lossy(&via.to_value_vec()).into_owned(),
                    method,
                })
            }
        }
    }
}

/// RFC 3261's timer values (§17.1.1.1, Table 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timers {
    /// RTT estimate (default 500 ms).
    pub t1: Duration,
    /// Longest retransmit interval for non-INVITE requests and INVITE responses (default 4 s).
    pub t2: Duration,
    /// Longest time a message stays in the network (default 5 s).
    pub t4: Duration,
}

impl Default for Timers {
    fn default() -> Self {
        Self {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }
}

/// Whether the transport retransmits by itself (TCP, TLS, SCTP) or not (UDP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reliability {
    /// UDP: the transaction retransmits and waits out stray copies.
    Unreliable,
    /// TCP, TLS, SCTP, WebSocket.
    Reliable,
}

/// The timers of the transactions (RFC 3261 §17, Table 4; RFC 6026 §8.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Timer {
    /// Client: retransmit the request (unreliable transports only).
    E,
    /// Client: give up waiting for a final response (64·T1).
    F,
    /// Client: stop absorbing retransmitted final responses (T4; zero when reliable).
    K,
    /// Server: stop answering retransmitted requests (64·T1; zero when reliable).
    J,
    /// INVITE client: retransmit the INVITE (unreliable transports only; doubling, no cap).
    A,
    /// INVITE client: give up waiting for any response (64·T1).
    B,
    /// INVITE client: stop answering copies of a non-2xx final response with ACK (32 s;
    /// zero when reliable).
    D,
    /// INVITE client: stop passing further 2xx responses (forks, retransmissions) up (64·T1,
    /// RFC 6026).
    M,
    /// INVITE server: send 100 Trying if the user has not answered within 200 ms (§17.2.1).
    Trying,
    /// INVITE server: retransmit a non-2xx final response (T1 doubling to T2; unreliable
    /// transports only).
    G,
    /// INVITE server: give up waiting for the ACK of a non-2xx final response (64·T1).
    H,
    /// INVITE server: stop absorbing ACK copies once confirmed (T4; zero when reliable).
    I,
    /// INVITE server: stop sending the user's 2xx retransmissions and absorbing INVITE copies
    /// (64·T1, RFC 6026).
    L,
    /// Endpoint: give up on an INVITE that has had a provisional response but no final one
    /// (the role of §16.6's Timer C; [`EndpointConfig::invite_timeout`](crate::endpoint::EndpointConfig::invite_timeout),
    /// default 3 minutes), so a peer that only ever sends 1xx cannot hold a transaction.
    C,
}

impl Timer {
    const COUNT: usize = 14;
    const ALL: [Self; Self::COUNT] = [
        Self::E,
        Self::F,
        Self::K,
        Self::J,
        Self::A,
        Self::B,
        Self::D,
        Self::M,
        Self::Trying,
        Self::G,
        Self::H,
        Self::I,
        Self::L,
        Self::C,
    ];

    const fn index(self) -> usize {
        match self {
            Self::E => 0,
            Self::F => 1,
            Self::K => 2,
            Self::J => 3,
            Self::A => 4,
            Self::B => 5,
            Self::D => 6,
            Self::M => 7,
            Self::Trying => 8,
            Self::G => 9,
            Self::H => 10,
            Self::I => 11,
            Self::L => 12,
            Self::C => 13,
        }
    }
}

/// One deadline per [`Timer`]; the next due is the earliest.
#[derive(Debug, Clone, Default)]
struct TimerTable {
    at: [Option<Instant>; Timer::COUNT],
}

impl TimerTable {
    const fn set(&mut self, t: Timer, at: Option<Instant>) {
        self.at[t.index()] = at;
    }

    const fn get(&self, t: Timer) -> Option<Instant> {
        self.at[t.index()]
    }

    fn next(&self) -> Option<(Instant, Timer)> {
        Timer::ALL.iter().filter_map(|&t| Some((self.get(t)?, t))).min_by_key(|(at, _)| *at)
    }

    fn clear(&mut self) {
        self.at = [None; Timer::COUNT];
    }

    /// The earliest timer due at `now`, taken out of the table.
    fn pop_due(&mut self, now: Instant) -> Option<(Instant, Timer)> {
        let (at, timer) = self.next().filter(|(at, _)| *at <= now)?;
        self.set(timer, None);
        Some((at, timer))
    }
}

/// The state of a non-INVITE transaction (§17.1.2.2, §17.2.2, Figures 6 and 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Client: request sent, nothing heard. Server: request received, nothing sent.
    Trying,
    /// A provisional response was received (client) or sent (server).
    Proceeding,
    /// A final response was received or sent; stray copies are absorbed or answered.
    Completed,
    /// Over: the transaction can be dropped.
    Terminated,
}

/// What a client transaction tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// A provisional (1xx) response.
    Provisional(OwnedMessage),
    /// The final response (2xx-6xx); later copies of it are absorbed.
    Final(OwnedMessage),
    /// No final response within Timer F: treat as 408 (§8.1.3.1).
    Timeout,
    /// The transaction is over and can be dropped.
    Terminated,
}

/// A client non-INVITE transaction (§17.1.2): sends the request, retransmits it on
/// unreliable transports (Timer E, doubling from T1 up to T2; T2 once a provisional response
/// came), gives up at Timer F, and absorbs copies of the final response for T4 (Timer K).
#[derive(Debug)]
pub struct ClientNonInvite {
    request: Bytes,
    reliability: Reliability,
    timers: Timers,
    state: State,
    interval: Duration,
    table: TimerTable,
    transmit: VecDeque<Bytes>,
    events: VecDeque<ClientEvent>,
}

impl ClientNonInvite {
    /// Starts the transaction at `now`: the request goes out with the first `poll_transmit`.
    pub fn new(request: Bytes, reliability: Reliability, timers: Timers, now: Instant) -> Self {
        let mut table = TimerTable::default();
        if reliability == Reliability::Unreliable {
            table.set(Timer::E, Some(now + timers.t1));
        }
        table.set(Timer::F, Some(now + timers.t1 * 64));
        Self {
            transmit: VecDeque::from([request.clone()]),
            request,
            reliability,
            timers,
            state: State::Trying,
            interval: timers.t1,
            table,
            events: VecDeque::new(),
        }
    }

    /// The state.
    pub const fn state(&self) -> State {
        self.state
    }

    /// A response that matched this transaction (§17.1.3 matching is the caller's).
    pub fn handle_response(&mut self, response: OwnedMessage, now: Instant) {
        let Some(code) = response.status_code() else { return };
        match (self.state, code) {
            (State::Trying | State::Proceeding, 100..=199) => {
                self.state = State::Proceeding;
                self.events.push_back(ClientEvent::Provisional(response));
            }
            (State::Trying | State::Proceeding, _) => {
                self.state = State::Completed;
                self.table.set(Timer::E, None);
                self.table.set(Timer::F, None);
                let wait = match self.reliability {
                    Reliability::Unreliable => self.timers.t4,
                    Reliability::Reliable => Duration::ZERO,
                };
                self.table.set(Timer::K, Some(now + wait));
                self.events.push_back(ClientEvent::Final(response));
            }
            // copies of the final response, and anything after the end, are absorbed
            (State::Completed | State::Terminated, _) => {}
        }
    }

    /// Fires the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((at, timer)) = self.table.pop_due(now) {
            match timer {
                Timer::E => {
                    self.transmit.push_back(self.request.clone());
                    // doubling in Trying, T2 in Proceeding (§17.1.2.2)
                    self.interval = match self.state {
                        State::Trying => (self.interval * 2).min(self.timers.t2),
                        State::Proceeding | State::Completed | State::Terminated => self.timers.t2,
                    };
                    self.table.set(Timer::E, Some(at + self.interval));
                }
                Timer::F => {
                    self.events.push_back(ClientEvent::Timeout);
                    self.terminate();
                }
                Timer::K => self.terminate(),
                Timer::J
                | Timer::A
                | Timer::B
                | Timer::D
                | Timer::M
                | Timer::Trying
                | Timer::G
                | Timer::H
                | Timer::I
                | Timer::L
                | Timer::C => unreachable!("a non-INVITE client transaction sets only E, F and K"),
            }
        }
    }

    fn terminate(&mut self) {
        self.state = State::Terminated;
        self.table.clear();
        self.transmit.clear();
        self.events.push_back(ClientEvent::Terminated);
    }

    /// The next message to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.transmit.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// When to call [`ClientNonInvite::handle_timeout`], and which timer that is.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<(Instant, Timer)> {
        self.table.next()
    }
}

/// What a server transaction tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// The transaction is over and can be dropped.
    Terminated,
}

/// Why a server transaction did not take a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RespondError {
    /// A final response was sent already (§17.2.2: later ones are not passed down).
    AlreadyFinal,
    /// The message is not a response.
    NotAResponse,
}

/// A server non-INVITE transaction (§17.2.2): created by a request, it sends the responses
/// its user gives, answers retransmitted requests with the last response sent (nothing in
/// Trying), and after the final response waits out copies of the request for 64·T1 (Timer J;
/// zero when reliable).
#[derive(Debug)]
pub struct ServerNonInvite {
    reliability: Reliability,
    timers: Timers,
    state: State,
    last_response: Option<Bytes>,
    table: TimerTable,
    transmit: VecDeque<Bytes>,
    events: VecDeque<ServerEvent>,
}

impl ServerNonInvite {
    /// The transaction for a request that just arrived; pass the request to the user.
    pub fn new(reliability: Reliability, timers: Timers) -> Self {
        Self {
            reliability,
            timers,
            state: State::Trying,
            last_response: None,
            table: TimerTable::default(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The state.
    pub const fn state(&self) -> State {
        self.state
    }

    /// A copy of the request arrived (matched by the caller, §17.2.3): the last response is
    /// sent again, if there is one.
    pub fn handle_retransmission(&mut self) {
        if let (State::Proceeding | State::Completed, Some(r)) = (self.state, &self.last_response) {
            self.transmit.push_back(r.clone());
        }
    }

    /// Sends `response` (its bytes): a provisional one moves to Proceeding, a final one to
    /// Completed with Timer J set.
    pub fn respond(&mut self, response: &OwnedMessage, now: Instant) -> Result<(), RespondError> {
        let code = response.status_code().ok_or(RespondError::NotAResponse)?;
        if matches!(self.state, State::Completed | State::Terminated) {
            return Err(RespondError::AlreadyFinal);
        }
        let bytes = response.bytes().clone();
        self.transmit.push_back(bytes.clone());
        self.last_response = Some(bytes);
        if code < 200 {
            self.state = State::Proceeding;
        } else {
            self.state = State::Completed;
            let wait = match self.reliability {
                Reliability::Unreliable => self.timers.t1 * 64,
                Reliability::Reliable => Duration::ZERO,
            };
            self.table.set(Timer::J, Some(now + wait));
        }
        Ok(())
    }

    /// Fires the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        // Timer J is the only one a server non-INVITE transaction sets
        if let Some((_, Timer::J)) = self.table.pop_due(now) {
            self.state = State::Terminated;
            self.table.clear();
            self.events.push_back(ServerEvent::Terminated);
        }
    }

    /// The next message to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.transmit.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// When to call [`ServerNonInvite::handle_timeout`], and which timer that is.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<(Instant, Timer)> {
        self.table.next()
    }
}

/// The state of an INVITE client transaction (RFC 3261 §17.1.1.2 with RFC 6026's Accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InviteState {
    /// The INVITE was sent; nothing heard.
    Calling,
    /// A provisional response came.
    Proceeding,
    /// A non-2xx final response came and was acknowledged; copies are acknowledged again.
    Completed,
    /// A 2xx came (RFC 6026): further 2xx (forks, retransmissions) still go to the user, who
    /// sends their ACKs.
    Accepted,
    /// Over.
    Terminated,
}

/// What an INVITE client transaction tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InviteEvent {
    /// A provisional (1xx) response.
    Provisional(OwnedMessage),
    /// A 2xx response: the user acknowledges it (the ACK of a 2xx is not the transaction's,
    /// §13.2.2.4). Each 2xx of each fork comes, for as long as Timer M runs (RFC 6026).
    Success(OwnedMessage),
    /// A 300-699 response, already acknowledged by the transaction (§17.1.1.3).
    Failure(OwnedMessage),
    /// No response within Timer B: treat as 408 (§8.1.3.1).
    Timeout,
    /// The transaction is over and can be dropped.
    Terminated,
}

/// An INVITE client transaction (RFC 3261 §17.1.1 as updated by RFC 6026): sends the INVITE,
/// retransmits it on unreliable transports (Timer A, doubling) until a response comes or Timer
/// B expires, acknowledges a non-2xx final response itself (and each copy of it until Timer D),
/// and passes every 2xx up until Timer M.
#[derive(Debug)]
pub struct ClientInvite {
    request: OwnedMessage,
    reliability: Reliability,
    timers: Timers,
    state: InviteState,
    interval: Duration,
    ack: Option<Bytes>,
    table: TimerTable,
    transmit: VecDeque<Bytes>,
    events: VecDeque<InviteEvent>,
}

impl ClientInvite {
    /// Starts the transaction for `invite` at `now`: it goes out with the first
    /// `poll_transmit`.
    pub fn new(
        invite: OwnedMessage,
        reliability: Reliability,
        timers: Timers,
        now: Instant,
    ) -> Self {
        let mut table = TimerTable::default();
        if reliability == Reliability::Unreliable {
            table.set(Timer::A, Some(now + timers.t1));
        }
        table.set(Timer::B, Some(now + timers.t1 * 64));
        Self {
            transmit: VecDeque::from([invite.bytes().clone()]),
            request: invite,
            reliability,
            timers,
            state: InviteState::Calling,
            interval: timers.t1,
            ack: None,
            table,
            events: VecDeque::new(),
        }
    }

    /// The state.
    pub const fn state(&self) -> InviteState {
        self.state
    }

    /// The INVITE.
    pub const fn request(&self) -> &OwnedMessage {
        &self.request
    }

    /// A response that matched this transaction.
    pub fn handle_response(&mut self, response: OwnedMessage, now: Instant) {
        let Some(code) = response.status_code() else { return };
        match (self.state, code) {
            (InviteState::Calling | InviteState::Proceeding, 100..=199) => {
                self.state = InviteState::Proceeding;
                self.table.set(Timer::A, None);
                self.table.set(Timer::B, None);
                self.events.push_back(InviteEvent::Provisional(response));
            }
            (InviteState::Calling | InviteState::Proceeding, 200..=299) => {
                self.state = InviteState::Accepted;
                self.table.clear();
                self.table.set(Timer::M, Some(now + self.timers.t1 * 64));
                self.events.push_back(InviteEvent::Success(response));
            }
            (InviteState::Accepted, 200..=299) => {
                self.events.push_back(InviteEvent::Success(response))
            }
            (InviteState::Calling | InviteState::Proceeding, _) => {
                self.state = InviteState::Completed;
                self.table.clear();
                let wait = match self.reliability {
                    Reliability::Unreliable => Duration::from_secs(32).max(self.timers.t1 * 64),
                    Reliability::Reliable => Duration::ZERO,
                };
                self.table.set(Timer::D, Some(now + wait));
                let ack = self.ack_for(&response);
                self.transmit.push_back(ack.clone());
                self.ack = Some(ack);
                self.events.push_back(InviteEvent::Failure(response));
            }
            (InviteState::Completed, 300..=699) => {
                // a copy of the final response: the ACK was lost, send it again
                if let Some(ack) = &self.ack {
                    self.transmit.push_back(ack.clone());
                }
            }
            // anything else after a final response is absorbed
            (InviteState::Completed | InviteState::Accepted | InviteState::Terminated, _) => {}
        }
    }

    /// The ACK of a non-2xx final response (§17.1.1.3): the INVITE's Request-URI, top Via,
    /// Route headers, From, Call-ID and CSeq number, the response's To (with its tag).
    fn ack_for(&self, response: &OwnedMessage) -> Bytes {
        let to = response.header(crate::message::HeaderName::To).map(|h| h.value().to_vec());
        Bytes::from(self.request.view(|inv| follow_up(inv, &Method::Ack, to.as_deref())))
    }

    /// Fires the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((at, timer)) = self.table.pop_due(now) {
            match timer {
                Timer::A => {
                    self.transmit.push_back(self.request.bytes().clone());
                    self.interval *= 2;
                    self.table.set(Timer::A, Some(at + self.interval));
                }
                Timer::B => {
                    self.events.push_back(InviteEvent::Timeout);
                    self.terminate();
                }
                Timer::D | Timer::M => self.terminate(),
                Timer::E
                | Timer::F
                | Timer::K
                | Timer::J
                | Timer::Trying
                | Timer::G
                | Timer::H
                | Timer::I
                | Timer::L
                | Timer::C => unreachable!("an INVITE client transaction sets only A, B, D and M"),
            }
        }
    }

    fn terminate(&mut self) {
        self.state = InviteState::Terminated;
        self.table.clear();
        self.transmit.clear();
        self.events.push_back(InviteEvent::Terminated);
    }

    /// The next message to send: the INVITE, its retransmissions, or an ACK.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.transmit.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<InviteEvent> {
        self.events.pop_front()
    }

    /// When to call [`ClientInvite::handle_timeout`], and which timer that is.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<(Instant, Timer)> {
        self.table.next()
    }
}

/// The state of an INVITE server transaction (RFC 3261 §17.2.1 with RFC 6026's Accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerInviteState {
    /// The INVITE arrived; provisional responses may be sent.
    Proceeding,
    /// A 300-699 response was sent; it is retransmitted until the ACK comes.
    Completed,
    /// The ACK came; copies of it are absorbed.
    Confirmed,
    /// A 2xx was sent (RFC 6026): the user's retransmissions of it go out, INVITE copies are
    /// absorbed.
    Accepted,
    /// Over.
    Terminated,
}

/// What an INVITE server transaction tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerInviteEvent {
    /// No ACK came for the non-2xx final response within Timer H (§17.2.1: the transaction
    /// failed).
    AckTimeout,
    /// An ACK matched in Accepted: the ACK of a 2xx, for the user (RFC 6026 §7.1).
    Ack(OwnedMessage),
    /// The transaction is over and can be dropped.
    Terminated,
}

/// An INVITE server transaction (RFC 3261 §17.2.1 as updated by RFC 6026): sends 100 Trying if
/// its user is silent for 200 ms, answers INVITE copies with the last response, retransmits a
/// non-2xx final response until the ACK (Timers G and H), absorbs ACK copies (Timer I), and
/// after a 2xx passes the user's retransmissions of it for Timer L.
#[derive(Debug)]
pub struct ServerInvite {
    request: OwnedMessage,
    reliability: Reliability,
    timers: Timers,
    state: ServerInviteState,
    interval: Duration,
    last_response: Option<Bytes>,
    table: TimerTable,
    transmit: VecDeque<Bytes>,
    events: VecDeque<ServerInviteEvent>,
}

impl ServerInvite {
    /// The transaction for an INVITE that just arrived at `now`; pass it to the user.
    pub fn new(
        invite: OwnedMessage,
        reliability: Reliability,
        timers: Timers,
        now: Instant,
    ) -> Self {
        let mut table = TimerTable::default();
        table.set(Timer::Trying, Some(now + Duration::from_millis(200)));
        Self {
            request: invite,
            reliability,
            timers,
            state: ServerInviteState::Proceeding,
            interval: timers.t1,
            last_response: None,
            table,
            transmit: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The state.
    pub const fn state(&self) -> ServerInviteState {
        self.state
    }

    /// Sends the user's `response`: a 1xx keeps Proceeding, a 2xx moves to Accepted (and,
    /// there, is a retransmission to pass on), a 300-699 to Completed.
    pub fn respond(&mut self, response: &OwnedMessage, now: Instant) -> Result<(), RespondError> {
        let code = response.status_code().ok_or(RespondError::NotAResponse)?;
        match (self.state, code) {
            (ServerInviteState::Proceeding, 100..=199) => {}
            (ServerInviteState::Proceeding, 200..=299) => {
                self.state = ServerInviteState::Accepted;
                self.table.clear();
                self.table.set(Timer::L, Some(now + self.timers.t1 * 64));
            }
            (ServerInviteState::Accepted, 200..=299) => {} // the user's retransmission
            (ServerInviteState::Proceeding, _) => {
                self.state = ServerInviteState::Completed;
                self.table.clear();
                if self.reliability == Reliability::Unreliable {
                    self.table.set(Timer::G, Some(now + self.interval));
                }
                self.table.set(Timer::H, Some(now + self.timers.t1 * 64));
            }
            (
                ServerInviteState::Completed
                | ServerInviteState::Confirmed
                | ServerInviteState::Accepted
                | ServerInviteState::Terminated,
                _,
            ) => return Err(RespondError::AlreadyFinal),
        }
        self.table.set(Timer::Trying, None);
        let bytes = response.bytes().clone();
        self.transmit.push_back(bytes.clone());
        self.last_response = Some(bytes);
        Ok(())
    }

    /// A copy of the INVITE arrived: the last response goes out again (absorbed in Accepted,
    /// RFC 6026).
    pub fn handle_retransmission(&mut self) {
        if let (ServerInviteState::Proceeding | ServerInviteState::Completed, Some(r)) =
            (self.state, &self.last_response)
        {
            self.transmit.push_back(r.clone());
        }
    }

    /// An ACK matched this transaction.
    pub fn handle_ack(&mut self, ack: OwnedMessage, now: Instant) {
        match self.state {
            ServerInviteState::Completed => {
                self.state = ServerInviteState::Confirmed;
                self.table.clear();
                let wait = match self.reliability {
                    Reliability::Unreliable => self.timers.t4,
                    Reliability::Reliable => Duration::ZERO,
                };
                self.table.set(Timer::I, Some(now + wait));
            }
            ServerInviteState::Accepted => self.events.push_back(ServerInviteEvent::Ack(ack)),
            ServerInviteState::Proceeding
            | ServerInviteState::Confirmed
            | ServerInviteState::Terminated => {}
        }
    }

    /// Fires the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((at, timer)) = self.table.pop_due(now) {
            match timer {
                Timer::Trying => {
                    let mut out = Vec::new();
                    let written = self.request.view(|inv| {
                        crate::message::MessageWriter::response_to(
                            &mut out, inv, 100, "Trying", None, None,
                        )
                        .map(crate::message::MessageWriter::finish)
                    });
                    // an INVITE this transaction was created for has the headers a response copies
                    if written.is_ok() {
                        let bytes = Bytes::from(out);
                        self.transmit.push_back(bytes.clone());
                        self.last_response = Some(bytes);
                    }
                }
                Timer::G => {
                    if let Some(r) = &self.last_response {
                        self.transmit.push_back(r.clone());
                    }
                    self.interval = (self.interval * 2).min(self.timers.t2);
                    self.table.set(Timer::G, Some(at + self.interval));
                }
                Timer::H => {
                    self.events.push_back(ServerInviteEvent::AckTimeout);
                    self.terminate();
                }
                Timer::I | Timer::L => self.terminate(),
                Timer::E
                | Timer::F
                | Timer::K
                | Timer::J
                | Timer::A
                | Timer::B
                | Timer::D
                | Timer::M
                | Timer::C => {
                    unreachable!("an INVITE server transaction sets only Trying, G, H, I and L")
                }
            }
        }
    }

    fn terminate(&mut self) {
        self.state = ServerInviteState::Terminated;
        self.table.clear();
        self.transmit.clear();
        self.events.push_back(ServerInviteEvent::Terminated);
    }

    /// The next message to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.transmit.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ServerInviteEvent> {
        self.events.pop_front()
    }

    /// When to call [`ServerInvite::handle_timeout`], and which timer that is.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<(Instant, Timer)> {
        self.table.next()
    }
}

/// The CANCEL of `invite` (RFC 3261 §9.1): its Request-URI, top Via (the same branch, so the
/// CANCEL matches at the server), Route headers, From, To, Call-ID and CSeq number, with
/// CANCEL as the method. Send it in a [`ClientNonInvite`] once a provisional response came.
pub fn cancel(invite: &Message<'_, '_>) -> Vec<u8> {
    follow_up(invite, &Method::Cancel, None)
}

/// A request that follows `original` in its transaction (an ACK of a non-2xx, a CANCEL):
/// the original's Request-URI, top Via value, Route set, From, Call-ID and CSeq number, with
/// `method`, and `to` as the To value (else the original's).
fn follow_up(original: &Message<'_, '_>, method: &Method<'_>, to: Option<&[u8]>) -> Vec<u8> {
    use crate::message::{HeaderName, MessageWriter};
    let mut out = Vec::with_capacity(512);
    let uri = original.request().map_or("", |r| &r.uri);
    let mut w = MessageWriter::request(&mut out, method, uri);
    if let Some(v) = original.header(HeaderName::Via) {
        // only the top Via, only its first value
        let top = crate::headers::ListSplit::new(v.value())
            .next()
            .and_then(Result::ok)
            .map_or(v.value(), |(item, _)| item);
        w.raw_header("Via", top);
    }
    for r in original.headers_named(HeaderName::Route) {
        w.copy_header(r);
    }
    for name in [HeaderName::From, HeaderName::CallId] {
        if let Some(h) = original.header(name) {
            w.copy_header(h);
        }
    }
    match (to, original.header(HeaderName::To)) {
        (Some(t), _) => {
            w.raw_header("To", t);
        }
        (None, Some(h)) => {
            w.copy_header(h);
        }
        (None, None) => {}
    }
    let seq = original.require::<CSeq<'_>>().map_or(0, |c| c.seq);
    w.header(&CSeq { seq, method: method.clone() });
    w.raw_header("Max-Forwards", b"70");
    w.finish();
    out
}
