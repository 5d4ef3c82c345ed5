//! Both is-composing machines driven by arbitrary operations (typing, sending, refusals,
//! arbitrary status documents from several peers, content messages, time jumps): the
//! composer only ever sends a state change or a refresh no sooner than its interval, never
//! anything after a refusal; the receiver reports only changes (active and idle
//! alternate per peer), holds at most one deadline per peer, and forgets everyone once
//! time has run out.
#![no_main]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use simple_imdn::IsComposing;
use simple_imdn::iscomposing::{
    Composer, ComposerConfig, ComposerState, ComposingEvent, ComposingReceiver, ComposingState,
};

fuzz_target!(|data: &[u8]| {
    let t0 = Instant::now();
    let mut now = t0;
    let mut c = Composer::new(ComposerConfig::default());
    let mut r: ComposingReceiver<u8> = ComposingReceiver::new(Duration::from_secs(120));
    let mut shown: HashMap<u8, bool> = HashMap::new();
    let mut last_active_sent: Option<Instant> = None;
    let mut composer_active = false;
    for op in data.chunks_exact(3) {
        match op[0] % 7 {
            0 => c.typing(now),
            1 => c.sent(),
            2 => c.refused(),
            3 => {
                let state = match op[2] % 3 {
                    0 => ComposingState::Active,
                    1 => ComposingState::Idle,
                    _ => ComposingState::Other("x".into()),
                };
                let mut d = IsComposing::new(state);
                d.refresh = (op[2] > 128).then_some(u32::from(op[2]));
                r.handle_status(op[1] % 8, &d, now);
            }
            4 => r.handle_message(op[1] % 8),
            5 => now += Duration::from_secs(u64::from(op[1])),
            _ => {
                if let Some((at, _)) = c.poll_timeout() {
                    now = now.max(at);
                }
            }
        }
        c.handle_timeout(now);
        r.handle_timeout(now);
        while let Some(d) = c.poll_transmit() {
            assert_ne!(c.state(), ComposerState::Stopped, "nothing after a refusal");
            if d.state.is_active() {
                if composer_active {
                    let last = last_active_sent.expect("an active was sent before");
                    assert!(
                        now.duration_since(last) >= Duration::from_secs(120),
                        "refresh too soon"
                    );
                }
                composer_active = true;
                last_active_sent = Some(now);
            } else {
                assert!(composer_active, "idle only after active");
                composer_active = false;
            }
        }
        if c.state() != ComposerState::Active {
            composer_active = false;
        }
        while let Some(e) = r.poll_event() {
            let (peer, active) = match e {
                ComposingEvent::Active { peer, .. } => (peer, true),
                ComposingEvent::Idle { peer, .. } => (peer, false),
            };
            let was = shown.insert(peer, active).unwrap_or(false);
            assert_ne!(was, active, "only changes are reported");
        }
        assert!(r.held() <= 8);
    }
    let end = now + Duration::from_secs(1000);
    r.handle_timeout(end);
    c.handle_timeout(end);
    assert_eq!(r.held(), 0);
    assert!(r.poll_timeout().is_none());
});
