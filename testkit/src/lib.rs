//! Test support for the simple-rs crates (a dev-dependency only).
//!
//! Random bytes mostly test rejection at byte 0: a parser refuses them at the first
//! character. [`mutated`] makes *near-valid* inputs instead: a valid message or document with a
//! few edits of the kinds that break real parsers (a structural byte swapped in, a range
//! deleted or doubled, a cut), so that parsing gets deep before it fails, or succeeds on
//! something unusual. [`Tally`] counts the outcomes so a test can assert that the deep paths
//! really ran.

use proptest::prelude::*;
use proptest::strategy::ValueTree;

/// Bytes that matter to SIP, MSRP and XML grammars.
const STRUCTURAL: &[u8] = b"<>/=\"':;,@ \t\r\n-+$#*?&%[]()!\\\x00\x7f\xff\xc3";

/// One edit of a valid input.
#[derive(Debug, Clone)]
enum Edit {
    /// Replace the byte at a position with a structural one.
    Swap(prop::sample::Index, u8),
    /// Insert a structural byte.
    Insert(prop::sample::Index, u8),
    /// Delete up to 8 bytes.
    Delete(prop::sample::Index, usize),
    /// Repeat a range of up to 16 bytes.
    Duplicate(prop::sample::Index, usize),
    /// Cut the input.
    Truncate(prop::sample::Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    let byte = prop::sample::select(STRUCTURAL);
    prop_oneof![
        3 => (any::<prop::sample::Index>(), byte.clone()).prop_map(|(i, b)| Edit::Swap(i, b)),
        2 => (any::<prop::sample::Index>(), byte).prop_map(|(i, b)| Edit::Insert(i, b)),
        2 => (any::<prop::sample::Index>(), 1usize..8).prop_map(|(i, n)| Edit::Delete(i, n)),
        1 => (any::<prop::sample::Index>(), 1usize..16).prop_map(|(i, n)| Edit::Duplicate(i, n)),
        1 => any::<prop::sample::Index>().prop_map(Edit::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        if bytes.is_empty() {
            break;
        }
        match e {
            Edit::Swap(i, b) => {
                let at = i.index(bytes.len());
                bytes[at] = *b;
            }
            Edit::Insert(i, b) => {
                let at = i.index(bytes.len() + 1);
                bytes.insert(at, *b);
            }
            Edit::Delete(i, n) => {
                let at = i.index(bytes.len());
                let end = (at + n).min(bytes.len());
                bytes.drain(at..end);
            }
            Edit::Duplicate(i, n) => {
                let at = i.index(bytes.len());
                let end = (at + n).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
            Edit::Truncate(i) => {
                let at = i.index(bytes.len());
                bytes.truncate(at);
            }
        }
    }
    bytes
}

/// Valid inputs from `valid`, each with one to four edits.
pub fn mutated(valid: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (valid, prop::collection::vec(edit(), 1..=4)).prop_map(|(bytes, edits)| apply(bytes, &edits))
}

/// Outcomes of parsing near-valid inputs: how many parsed, how many failed, and how many of
/// the failures were found past the first bytes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Inputs that parsed.
    pub accepted: usize,
    /// Inputs refused within the first 16 bytes (or with no position).
    pub refused_early: usize,
    /// Inputs refused past the first 16 bytes: the parser got deep.
    pub refused_deep: usize,
}

impl Tally {
    /// Counts one outcome: `None` for accepted, `Some(position)` for refused (`None` inside
    /// when the error has no byte position, e.g. an XML path).
    pub fn count(&mut self, refused_at: Option<Option<usize>>) {
        match refused_at {
            None => self.accepted += 1,
            Some(Some(at)) if at >= 16 => self.refused_deep += 1,
            Some(_) => self.refused_early += 1,
        }
    }

    /// All outcomes counted.
    pub const fn total(&self) -> usize {
        self.accepted + self.refused_early + self.refused_deep
    }

    /// Panics unless at least `min_accepted` and `min_deep` of every hundred inputs parsed and
    /// failed deep: what makes near-valid input worth generating.
    pub fn assert_deep(&self, min_accepted: usize, min_deep: usize) {
        let t = self.total().max(1);
        assert!(
            self.accepted * 100 >= min_accepted * t && self.refused_deep * 100 >= min_deep * t,
            "near-valid inputs did not reach deep paths: {self:?}"
        );
    }
}

/// Runs `case` on `cases` inputs from `strategy` with a fixed seed (deterministic in CI) and
/// returns what `case` tallied. A failing case panics with its input.
pub fn run<S: Strategy>(
    cases: u32,
    strategy: S,
    mut case: impl FnMut(S::Value, &mut Tally),
) -> Tally
where
    S::Value: core::fmt::Debug,
{
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let mut tally = Tally::default();
    for _ in 0..cases {
        let value = strategy.new_tree(&mut runner).expect("the strategy generates").current();
        case(value, &mut tally);
    }
    tally
}
