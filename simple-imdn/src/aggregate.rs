//! Aggregation of notifications at a URI-list server (RFC 5438 §8.3): the notifications
//! the list's members send for one IM are collected and sent on to the IM's sender as one
//! multipart/mixed body — when every member has answered every disposition asked for, or
//! when the batch timer fires (whatever has come so far), whichever is first. A second
//! timer ends the IM's state; what comes later is reported, not lost.
//!
//! Sans-IO like the rest of the crate: [`Aggregator::expect`], [`Aggregator::add`], then
//! `poll_event`, then `poll_timeout` / `handle_timeout`.

use core::time::Duration;
use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use crate::imdn::{Disposition, Imdn, Requested};

/// How an [`Aggregator`] waits.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AggregatorConfig {
    /// From the first notification of a batch to its sending (5 s).
    pub batch: Duration,
    /// From the IM to the end of its state (10 min).
    pub keep: Duration,
}

impl Default for AggregatorConfig {
    fn default() -> Self {
        Self { batch: Duration::from_secs(5), keep: Duration::from_secs(600) }
    }
}

/// The aggregator's timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregatorTimer {
    /// A batch is due.
    Batch,
    /// An IM's state ends.
    Keep,
}

/// What the [`Aggregator`] tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AggregatorEvent {
    /// Send these notifications (written `message/imdn+xml` documents) to the IM's sender
    /// as one aggregate ([`write_aggregate`](crate::imdn::write_aggregate)).
    Batch {
        /// The IM's Message-ID.
        message_id: String,
        /// The documents.
        documents: Vec<Vec<u8>>,
        /// Whether every expected notification has now been sent on (the IM's state is
        /// gone).
        complete: bool,
    },
    /// The IM's state ended with notifications still expected.
    Expired {
        /// The IM's Message-ID.
        message_id: String,
        /// How many were never received.
        missing: usize,
    },
    /// A notification for an IM with no state (never expected, or ended): consumed, as
    /// §8.3 says.
    Consumed {
        /// The Message-ID it names.
        message_id: String,
    },
}

#[derive(Debug)]
struct Agg {
    expected: usize,
    received: usize,
    batch: Vec<Vec<u8>>,
    batch_due: Option<Instant>,
    keep_due: Instant,
}

/// Collects notifications per IM. See the [module docs](self).
#[derive(Debug)]
pub struct Aggregator {
    config: AggregatorConfig,
    ims: HashMap<String, Agg>,
    /// Per timer, `(deadline, message id)` in deadline order (one timeout per kind);
    /// stale entries are dropped when they reach the front.
    queues: [VecDeque<(Instant, String)>; 2],
    events: VecDeque<AggregatorEvent>,
}

impl Aggregator {
    /// An aggregator with no IMs.
    pub fn new(config: AggregatorConfig) -> Self {
        Self {
            config,
            ims: HashMap::new(),
            queues: [VecDeque::new(), VecDeque::new()],
            events: VecDeque::new(),
        }
    }

    /// IMs with state.
    pub fn len(&self) -> usize {
        self.ims.len()
    }

    /// Whether no IM has state.
    pub fn is_empty(&self) -> bool {
        self.ims.is_empty()
    }

    /// IM `message_id` went to `members` members asking for `requested`: every member
    /// answers delivery (if positive delivery is asked) and display (if asked).
    pub fn expect(&mut self, message_id: &str, members: usize, requested: Requested, now: Instant) {
        let per = usize::from(requested.contains(Requested::POSITIVE_DELIVERY))
            + usize::from(requested.asks(Disposition::Display));
        if self.ims.contains_key(message_id) || members == 0 || requested.is_empty() {
            return;
        }
        let keep_due = now + self.config.keep;
        self.queues[1].push_back((keep_due, message_id.to_owned()));
        self.ims.insert(
            message_id.to_owned(),
            Agg {
                expected: members * per,
                received: 0,
                batch: Vec::new(),
                batch_due: None,
                keep_due,
            },
        );
    }

    /// A member's notification arrived (`document` as received).
    pub fn add(&mut self, imdn: &Imdn, document: &[u8], now: Instant) {
        let id = imdn.message_id.as_str();
        let Some(a) = self.ims.get_mut(id) else {
            self.events.push_back(AggregatorEvent::Consumed { message_id: id.to_owned() });
            return;
        };
        a.batch.push(document.to_vec());
        a.received += 1;
        if a.expected > 0 && a.received >= a.expected {
            let documents = core::mem::take(&mut a.batch);
            self.ims.remove(id);
            self.events.push_back(AggregatorEvent::Batch {
                message_id: id.to_owned(),
                documents,
                complete: true,
            });
            self.clean();
            return;
        }
        if a.batch_due.is_none() {
            let due = now + self.config.batch;
            a.batch_due = Some(due);
            self.queues[0].push_back((due, id.to_owned()));
        }
    }

    fn clean(&mut self) {
        for (i, q) in self.queues.iter_mut().enumerate() {
            while let Some((at, id)) = q.front() {
                let live = self.ims.get(id).is_some_and(|a| {
                    if i == 0 { a.batch_due == Some(*at) } else { a.keep_due == *at }
                });
                if live {
                    break;
                }
                q.pop_front();
            }
        }
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<AggregatorEvent> {
        self.events.pop_front()
    }

    /// The earliest deadline and its timer.
    pub fn poll_timeout(&self) -> Option<(Instant, AggregatorTimer)> {
        let b = self.queues[0].front().map(|(t, _)| (*t, AggregatorTimer::Batch));
        let k = self.queues[1].front().map(|(t, _)| (*t, AggregatorTimer::Keep));
        match (b, k) {
            (Some(b), Some(k)) => Some(if k.0 < b.0 { k } else { b }),
            (b, k) => b.or(k),
        }
    }

    /// Sends the batches due and ends the IMs whose time is up.
    pub fn handle_timeout(&mut self, now: Instant) {
        loop {
            self.clean();
            let next = self.poll_timeout();
            let Some((at, timer)) = next.filter(|(at, _)| *at <= now) else { break };
            let q = match timer {
                AggregatorTimer::Batch => 0,
                AggregatorTimer::Keep => 1,
            };
            let (_, id) = self.queues[q].pop_front().expect("the front was just read");
            let _ = at;
            let a = self.ims.get_mut(&id).expect("a live front is an IM with state");
            let documents = core::mem::take(&mut a.batch);
            a.batch_due = None;
            match timer {
                AggregatorTimer::Batch => {
                    self.events.push_back(AggregatorEvent::Batch {
                        message_id: id,
                        documents,
                        complete: false,
                    });
                }
                AggregatorTimer::Keep => {
                    let missing = a.expected.saturating_sub(a.received);
                    self.ims.remove(&id);
                    if !documents.is_empty() {
                        self.events.push_back(AggregatorEvent::Batch {
                            message_id: id.clone(),
                            documents,
                            complete: false,
                        });
                    }
                    self.events.push_back(AggregatorEvent::Expired { message_id: id, missing });
                }
            }
        }
    }
}
