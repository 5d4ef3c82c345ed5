//! The IM sender's bookkeeping (RFC 5438 §7.1): which notifications are still expected for
//! each IM from each recipient, and one final [`Outcome`] for each — the notification, a
//! timeout, or the transport's refusal (a non-2xx final answer to the IM means no IMDN will
//! come, §12.1.3.1). Duplicates, late and unsolicited notifications are events too, never
//! dropped silently.
//!
//! Sans-IO, in the crate's order: [`Tracker::track`] when an IM goes out,
//! [`handle_response`](Tracker::handle_response) with its final answer,
//! [`handle_notification`](Tracker::handle_notification) for every IMDN that arrives (an
//! aggregate is read into several by [`notifications`](crate::imdn::notifications)), then
//! [`poll_event`](Tracker::poll_event) until `None`, then
//! [`poll_timeout`](Tracker::poll_timeout) for when to call
//! [`handle_timeout`](Tracker::handle_timeout). Deadlines are kept per disposition (a
//! table keyed by [`TrackerTimer`]), each a queue in deadline order: `poll_timeout` is a
//! look-up.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use simple_imdn::imdn::{Disposition, Imdn, Notification, Requested, Status};
//! use simple_imdn::tracker::{Outcome, Tracker, TrackerConfig, TrackerEvent};
//!
//! let t0 = Instant::now();
//! let mut t = Tracker::new(TrackerConfig::default());
//! let asked = Requested::POSITIVE_DELIVERY.with(Requested::DISPLAY);
//! t.track("m1", &["sip:bob@example.com"], asked, t0);
//! let delivered = Imdn::new("m1", "2026-12-03T10:00:00Z",
//!     Notification::new(Disposition::Delivery, Status::Delivered));
//! t.handle_notification(&delivered, t0);
//! assert!(matches!(t.poll_event(), Some(TrackerEvent::Outcome {
//!     outcome: Outcome::Reported(Status::Delivered), .. })));
//! // no display notification: it times out after an hour
//! let (at, _) = t.poll_timeout().unwrap();
//! t.handle_timeout(at);
//! assert!(matches!(t.poll_event(), Some(TrackerEvent::Outcome { outcome: Outcome::TimedOut, .. })));
//! assert!(matches!(t.poll_event(), Some(TrackerEvent::Finished { .. })));
//! ```

use core::time::Duration;
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;

use crate::imdn::{Disposition, Imdn, Requested, Status};

/// How long a [`Tracker`] waits.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TrackerConfig {
    /// For a delivery notification (120 s).
    pub delivery_timeout: Duration,
    /// For a display notification (1 h: users read later).
    pub display_timeout: Duration,
    /// For a processing notification (120 s).
    pub processing_timeout: Duration,
    /// How many finished IMs are remembered, to tell a duplicate or late notification from
    /// one for an IM never sent (1024).
    pub remember_finished: usize,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            delivery_timeout: Duration::from_secs(120),
            display_timeout: Duration::from_secs(3600),
            processing_timeout: Duration::from_secs(120),
            remember_finished: 1024,
        }
    }
}

/// The tracker's timers: one queue per disposition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackerTimer {
    /// Delivery notifications due.
    Delivery,
    /// Display notifications due.
    Display,
    /// Processing notifications due.
    Processing,
}

impl TrackerTimer {
    const fn index(self) -> usize {
        match self {
            Self::Delivery => 0,
            Self::Display => 1,
            Self::Processing => 2,
        }
    }

    const fn of(d: Disposition) -> Self {
        match d {
            Disposition::Delivery => Self::Delivery,
            Disposition::Display => Self::Display,
            Disposition::Processing => Self::Processing,
        }
    }

    const ALL: [Self; 3] = [Self::Delivery, Self::Display, Self::Processing];
}

/// The end of one expected notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It came with this status.
    Reported(Status),
    /// It did not come in time.
    TimedOut,
    /// Only `negative-delivery` was asked for and no failure came in time: no news, which
    /// RFC 5438 means as good news.
    NoFailure,
    /// The IM was refused with this final status: no notification will come.
    Refused(u16),
}

/// What the [`Tracker`] tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrackerEvent {
    /// An expected notification ended (exactly once per IM, recipient and disposition
    /// asked for).
    Outcome {
        /// The IM's Message-ID.
        message_id: String,
        /// The recipient, as given to [`Tracker::track`].
        recipient: String,
        /// What was expected.
        disposition: Disposition,
        /// How it ended.
        outcome: Outcome,
    },
    /// Every expected notification of the IM ended; it is no longer tracked.
    Finished {
        /// The IM's Message-ID.
        message_id: String,
    },
    /// A second notification of the same type from the same recipient (§7.2.1 forbids it);
    /// the first stands.
    Duplicate {
        /// The IM's Message-ID.
        message_id: String,
        /// The recipient.
        recipient: String,
        /// The notification.
        disposition: Disposition,
        /// Its status.
        status: Status,
    },
    /// A notification for an IM that is not tracked: one that finished (late, after its
    /// timeout or a duplicate of a finished one: `finished` true), or one never sent here.
    Unsolicited {
        /// The Message-ID it names.
        message_id: String,
        /// Whether that IM was tracked and finished.
        finished: bool,
        /// The notification, if it has one.
        disposition: Option<Disposition>,
    },
    /// A notification for a tracked IM whose recipient cannot be told (a list server that
    /// hides its members, or a recipient not among those tracked): reported, but it ends
    /// no expectation.
    Unattributed {
        /// The IM's Message-ID.
        message_id: String,
        /// The recipient the notification names, if any.
        recipient: Option<String>,
        /// The notification.
        disposition: Disposition,
        /// Its status.
        status: Status,
    },
}

#[derive(Debug)]
struct Expect {
    recipient: String,
    key: String,
    disposition: Disposition,
    /// `None` while open.
    outcome: Option<Outcome>,
}

#[derive(Debug)]
struct Tracked {
    requested: Requested,
    expects: Vec<Expect>,
    open: usize,
    /// Deadlines by timer, to tell a queue entry from a stale one.
    deadlines: [Option<Instant>; 3],
}

/// The sender's bookkeeping. See the [module docs](self).
#[derive(Debug)]
pub struct Tracker {
    config: TrackerConfig,
    messages: HashMap<String, Tracked>,
    /// Per timer, `(deadline, message id)` in deadline order (every IM of one timer gets the
    /// same timeout, so arrival order is deadline order); entries of finished IMs are
    /// skipped when they come to the front.
    queues: [VecDeque<(Instant, String)>; 3],
    finished: VecDeque<String>,
    finished_set: HashSet<String>,
    events: VecDeque<TrackerEvent>,
}

/// A URI reduced for comparison: no angle brackets, no scheme of the IM family (`im:`,
/// `sip:`, `sips:`, `pres:`), no parameters, the host in lower case.
pub fn recipient_key(uri: &str) -> String {
    let u = uri.trim().trim_start_matches('<').trim_end_matches('>');
    let u = ["sips:", "sip:", "im:", "pres:"]
        .iter()
        .find_map(|s| u.get(..s.len()).filter(|p| p.eq_ignore_ascii_case(s)).map(|_| &u[s.len()..]))
        .unwrap_or(u);
    let u = u.split([';', '?']).next().unwrap_or(u);
    match u.rsplit_once('@') {
        Some((user, host)) => format!("{user}@{}", host.to_ascii_lowercase()),
        None => u.to_ascii_lowercase(),
    }
}

impl Tracker {
    /// A tracker with nothing tracked.
    pub fn new(config: TrackerConfig) -> Self {
        Self {
            config,
            messages: HashMap::new(),
            queues: [VecDeque::new(), VecDeque::new(), VecDeque::new()],
            finished: VecDeque::new(),
            finished_set: HashSet::new(),
            events: VecDeque::new(),
        }
    }

    /// IMs tracked.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// Whether IM `message_id` is tracked.
    pub fn is_tracking(&self, message_id: &str) -> bool {
        self.messages.contains_key(message_id)
    }

    /// Expected notifications not yet ended, over all IMs.
    pub fn open(&self) -> usize {
        self.messages.values().map(|m| m.open).sum()
    }

    fn timeout(&self, d: Disposition) -> Duration {
        match d {
            Disposition::Delivery => self.config.delivery_timeout,
            Disposition::Display => self.config.display_timeout,
            Disposition::Processing => self.config.processing_timeout,
        }
    }

    /// An IM went out to `recipients` asking for `requested`. Processing notifications are
    /// expected once per IM (they come from intermediaries), the others once per recipient.
    /// An IM asking for nothing, or already tracked, is not tracked (again).
    pub fn track(
        &mut self,
        message_id: &str,
        recipients: &[&str],
        requested: Requested,
        now: Instant,
    ) {
        if requested.is_empty() || recipients.is_empty() || self.messages.contains_key(message_id) {
            return;
        }
        let mut expects = Vec::new();
        let mut deadlines = [None; 3];
        for d in Disposition::ALL {
            if !requested.asks(d) {
                continue;
            }
            let targets: &[&str] =
                if d == Disposition::Processing { &recipients[..1] } else { recipients };
            for r in targets {
                expects.push(Expect {
                    recipient: (*r).to_owned(),
                    key: recipient_key(r),
                    disposition: d,
                    outcome: None,
                });
            }
            let t = TrackerTimer::of(d);
            let at = now + self.timeout(d);
            deadlines[t.index()] = Some(at);
            self.queues[t.index()].push_back((at, message_id.to_owned()));
        }
        let open = expects.len();
        self.messages
            .insert(message_id.to_owned(), Tracked { requested, expects, open, deadlines });
    }

    /// The IM's final answer: a 2xx changes nothing (notifications may follow); any other
    /// final status ends every open expectation as [`Outcome::Refused`].
    pub fn handle_response(&mut self, message_id: &str, code: u16) {
        if (100..300).contains(&code) {
            return;
        }
        let Some(m) = self.messages.get_mut(message_id) else { return };
        for e in m.expects.iter_mut().filter(|e| e.outcome.is_none()) {
            e.outcome = Some(Outcome::Refused(code));
            self.events.push_back(TrackerEvent::Outcome {
                message_id: message_id.to_owned(),
                recipient: e.recipient.clone(),
                disposition: e.disposition,
                outcome: Outcome::Refused(code),
            });
        }
        m.open = 0;
        self.finish(message_id);
    }

    /// A notification arrived.
    pub fn handle_notification(&mut self, imdn: &Imdn, now: Instant) {
        let _ = now;
        let id = imdn.message_id.as_str();
        let Some(n) = imdn.notification else {
            let finished = self.finished_set.contains(id);
            if !self.messages.contains_key(id) {
                self.events.push_back(TrackerEvent::Unsolicited {
                    message_id: id.to_owned(),
                    finished,
                    disposition: None,
                });
            }
            return;
        };
        let Some(m) = self.messages.get_mut(id) else {
            let finished = self.finished_set.contains(id);
            self.events.push_back(TrackerEvent::Unsolicited {
                message_id: id.to_owned(),
                finished,
                disposition: Some(n.disposition),
            });
            return;
        };
        let named: Vec<String> = [&imdn.recipient_uri, &imdn.original_recipient_uri]
            .into_iter()
            .flatten()
            .map(|u| recipient_key(u))
            .collect();
        let candidates: Vec<usize> =
            (0..m.expects.len()).filter(|&i| m.expects[i].disposition == n.disposition).collect();
        let hit = if n.disposition == Disposition::Processing || candidates.len() == 1 {
            candidates.first().copied()
        } else {
            candidates.iter().copied().find(|&i| named.contains(&m.expects[i].key))
        };
        let Some(i) = hit else {
            self.events.push_back(TrackerEvent::Unattributed {
                message_id: id.to_owned(),
                recipient: imdn
                    .recipient_uri
                    .clone()
                    .or_else(|| imdn.original_recipient_uri.clone()),
                disposition: n.disposition,
                status: n.status,
            });
            return;
        };
        let e = &mut m.expects[i];
        if e.outcome.is_some() {
            self.events.push_back(TrackerEvent::Duplicate {
                message_id: id.to_owned(),
                recipient: e.recipient.clone(),
                disposition: n.disposition,
                status: n.status,
            });
            return;
        }
        e.outcome = Some(Outcome::Reported(n.status));
        m.open -= 1;
        self.events.push_back(TrackerEvent::Outcome {
            message_id: id.to_owned(),
            recipient: e.recipient.clone(),
            disposition: n.disposition,
            outcome: Outcome::Reported(n.status),
        });
        let t = TrackerTimer::of(n.disposition);
        if !m.expects.iter().any(|e| e.outcome.is_none() && e.disposition == n.disposition) {
            // nothing left for this timer: its deadline goes
            m.deadlines[t.index()] = None;
        }
        if m.open == 0 {
            self.finish(id);
        } else {
            self.clean();
        }
    }

    fn finish(&mut self, id: &str) {
        if self.messages.remove(id).is_none() {
            return;
        }
        self.events.push_back(TrackerEvent::Finished { message_id: id.to_owned() });
        self.clean();
        if self.config.remember_finished == 0 {
            return;
        }
        if self.finished.len() == self.config.remember_finished {
            let old = self.finished.pop_front().expect("full");
            self.finished_set.remove(&old);
        }
        self.finished.push_back(id.to_owned());
        self.finished_set.insert(id.to_owned());
    }

    /// Drops queue fronts that belong to finished IMs, so the fronts are live.
    fn clean(&mut self) {
        for t in TrackerTimer::ALL {
            let q = &mut self.queues[t.index()];
            while let Some((at, id)) = q.front() {
                let live =
                    self.messages.get(id).is_some_and(|m| m.deadlines[t.index()] == Some(*at));
                if live {
                    break;
                }
                q.pop_front();
            }
        }
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<TrackerEvent> {
        self.events.pop_front()
    }

    /// The earliest deadline and its timer. Tracking and finishing move it.
    pub fn poll_timeout(&self) -> Option<(Instant, TrackerTimer)> {
        TrackerTimer::ALL
            .into_iter()
            .filter_map(|t| self.queues[t.index()].front().map(|(at, _)| (*at, t)))
            .min_by_key(|(at, _)| *at)
    }

    /// Ends what is due at `now`: each open expectation of a due timer is
    /// [`Outcome::TimedOut`] (or [`Outcome::NoFailure`] for a delivery when only
    /// negative-delivery was asked for).
    pub fn handle_timeout(&mut self, now: Instant) {
        for t in TrackerTimer::ALL {
            loop {
                self.clean();
                let Some((at, id)) = self.queues[t.index()].front().cloned() else { break };
                if at > now {
                    break;
                }
                self.queues[t.index()].pop_front();
                let m = self.messages.get_mut(&id).expect("a live queue front is a tracked IM's");
                m.deadlines[t.index()] = None;
                let negative_only = !m.requested.contains(Requested::POSITIVE_DELIVERY);
                for e in m
                    .expects
                    .iter_mut()
                    .filter(|e| e.outcome.is_none() && TrackerTimer::of(e.disposition) == t)
                {
                    let outcome = if e.disposition == Disposition::Delivery && negative_only {
                        Outcome::NoFailure
                    } else {
                        Outcome::TimedOut
                    };
                    e.outcome = Some(outcome);
                    m.open -= 1;
                    self.events.push_back(TrackerEvent::Outcome {
                        message_id: id.clone(),
                        recipient: e.recipient.clone(),
                        disposition: e.disposition,
                        outcome,
                    });
                }
                if m.open == 0 {
                    self.finish(&id);
                }
            }
        }
    }
}
