//! The sender's bookkeeping driven by arbitrary operations (IMs tracked, answers, any
//! notification for any IM and recipient, time jumps): exactly one outcome per expected
//! notification, a Finished per IM once all its outcomes are in, nothing tracked or timed
//! after the end, and the same for the URI-list aggregator (one event per IM's end).
#![no_main]

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use simple_imdn::aggregate::{Aggregator, AggregatorConfig, AggregatorEvent};
use simple_imdn::imdn::{Disposition, Imdn, Notification, Requested, Status};
use simple_imdn::tracker::{Tracker, TrackerConfig, TrackerEvent};

fuzz_target!(|data: &[u8]| {
    let t0 = Instant::now();
    let mut now = t0;
    let mut config = TrackerConfig::default();
    config.remember_finished = 4;
    let mut t = Tracker::new(config);
    let mut agg = Aggregator::new(AggregatorConfig::default());
    // expected (IM, recipient, disposition) -> ended
    let mut expected: HashMap<(String, String, Disposition), bool> = HashMap::new();
    let mut finished: HashSet<String> = HashSet::new();
    let mut agg_open: HashSet<String> = HashSet::new();
    let mut ops = data.chunks_exact(4);
    for op in &mut ops {
        let id = format!("m{}", op[1] % 8);
        let who = format!("sip:r{}@x", op[2] % 4);
        match op[0] % 6 {
            0 => {
                let n = usize::from(op[2] % 4) + 1;
                let asked = Requested::NONE
                    .with(if op[3] & 1 != 0 {
                        Requested::POSITIVE_DELIVERY
                    } else {
                        Requested::NONE
                    })
                    .with(if op[3] & 2 != 0 {
                        Requested::NEGATIVE_DELIVERY
                    } else {
                        Requested::NONE
                    })
                    .with(if op[3] & 4 != 0 { Requested::DISPLAY } else { Requested::NONE })
                    .with(if op[3] & 8 != 0 { Requested::PROCESSING } else { Requested::NONE });
                let recipients: Vec<String> = (0..n).map(|r| format!("sip:r{r}@x")).collect();
                let refs: Vec<&str> = recipients.iter().map(String::as_str).collect();
                // a Message-ID used again once its IM ended is a new IM
                let fresh = !t.is_tracking(&id) && !asked.is_empty();
                t.track(&id, &refs, asked, now);
                if fresh {
                    expected.retain(|k, _| k.0 != id);
                    finished.remove(&id);
                    for d in Disposition::ALL {
                        if !asked.asks(d) {
                            continue;
                        }
                        let targets = if d == Disposition::Processing {
                            &recipients[..1]
                        } else {
                            &recipients[..]
                        };
                        for r in targets {
                            expected.insert((id.clone(), r.clone(), d), false);
                        }
                    }
                }
                let had = agg_open.contains(&id);
                agg.expect(&id, n, asked, now);
                if !had && !asked.is_empty() && !agg.is_empty() {
                    agg_open.insert(id.clone());
                }
            }
            1 => t.handle_response(&id, 100 + u16::from(op[3]) * 3),
            2 | 3 => {
                let d = Disposition::ALL[usize::from(op[3] % 3)];
                let s = Status::ALL[usize::from(op[3] / 3) % Status::ALL.len()];
                let mut n = Imdn::new(&id, "2026-01-01T00:00:00Z", Notification::new(d, s));
                if op[0] % 6 == 3 {
                    n.recipient_uri = Some(who.clone());
                }
                t.handle_notification(&n, now);
                agg.add(&n, b"x", now);
            }
            4 => now += Duration::from_secs(u64::from(op[3]) * 30),
            _ => {
                if let Some((at, _)) = t.poll_timeout() {
                    assert!(at >= t0);
                    now = now.max(at);
                }
            }
        }
        t.handle_timeout(now);
        agg.handle_timeout(now);
        while let Some(e) = t.poll_event() {
            match e {
                TrackerEvent::Outcome { message_id, recipient, disposition, .. } => {
                    let ended = expected
                        .get_mut(&(message_id.clone(), recipient, disposition))
                        .expect("an outcome is for an expected notification");
                    assert!(!*ended, "one outcome each");
                    *ended = true;
                }
                TrackerEvent::Finished { message_id } => {
                    assert!(expected.iter().filter(|(k, _)| k.0 == message_id).all(|(_, e)| *e));
                    assert!(finished.insert(message_id.clone()), "finished once");
                    assert!(!t.is_tracking(&message_id));
                }
                _ => {}
            }
        }
        while let Some(e) = agg.poll_event() {
            match e {
                AggregatorEvent::Batch { message_id, complete: true, .. }
                | AggregatorEvent::Expired { message_id, .. } => {
                    assert!(agg_open.remove(&message_id), "an IM's state ends once");
                }
                _ => {}
            }
        }
    }
    // run out the clock: everything ends, nothing is left
    while let Some((at, _)) = t.poll_timeout() {
        t.handle_timeout(at);
    }
    while let Some(e) = t.poll_event() {
        if let TrackerEvent::Outcome { message_id, recipient, disposition, .. } = e {
            let ended = expected.get_mut(&(message_id, recipient, disposition)).expect("expected");
            assert!(!*ended);
            *ended = true;
        }
    }
    assert!(expected.values().all(|e| *e), "every expectation ended");
    assert!(t.is_empty() && t.poll_timeout().is_none());
    while let Some((at, _)) = agg.poll_timeout() {
        agg.handle_timeout(at);
    }
    assert!(agg.is_empty());
});
