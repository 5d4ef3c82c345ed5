//! Identifiers for requests (RFC 3261 §8.1.1.4 Call-ID, §8.1.1.7 branch, §19.3 tags) from a
//! generator the caller seeds: no hidden randomness, so a run can be replayed, and two
//! generators seeded apart never collide in practice.
//!
//! ```
//! use simple_sip::ids::IdGenerator;
//!
//! let mut ids = IdGenerator::new(0x243f_6a88_85a3_08d3); // from a real random source
//! let branch = ids.branch();
//! assert!(branch.starts_with("z9hG4bK"));
//! assert_ne!(ids.tag(), ids.tag());
//! assert!(ids.call_id(Some("pc33.atlanta.com")).ends_with("@pc33.atlanta.com"));
//! ```

use crate::transaction::MAGIC_COOKIE;

/// SplitMix64 over a caller's seed, written in base 62.
#[derive(Debug, Clone)]
pub struct IdGenerator {
    state: u64,
}

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

impl IdGenerator {
    /// A generator seeded with `seed`: take it from a real random source, once per process or
    /// per endpoint.
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub const fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 16 random bytes (e.g. for [`DigestServer::challenge`](crate::digest::DigestServer::challenge)).
    pub fn bytes16(&mut self) -> [u8; 16] {
        let (a, b) = (self.next_u64(), self.next_u64());
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&a.to_le_bytes());
        out[8..].copy_from_slice(&b.to_le_bytes());
        out
    }

    /// `words` × 64 bits in base 62 (11 characters each).
    fn text(&mut self, words: usize) -> String {
        let mut s = String::with_capacity(11 * words);
        for _ in 0..words {
            let mut z = self.next_u64();
            for _ in 0..11 {
                s.push(char::from(ALPHABET[(z % 62) as usize]));
                z /= 62;
            }
        }
        s
    }

    /// A branch: the magic cookie and 128 random bits (§8.1.1.7: unique across space and
    /// time).
    pub fn branch(&mut self) -> String {
        let mut b = String::from(MAGIC_COOKIE);
        b.push_str(&self.text(2));
        b
    }

    /// A From or To tag: 64 random bits (§19.3 asks for at least 32).
    pub fn tag(&mut self) -> String {
        self.text(1)
    }

    /// A Call-ID: 128 random bits, `@host` appended when given (§8.1.1.4).
    pub fn call_id(&mut self, host: Option<&str>) -> String {
        let mut c = self.text(2);
        if let Some(h) = host {
            c.push('@');
            c.push_str(h);
        }
        c
    }

    /// A digest `cnonce`: 64 random bits.
    pub fn cnonce(&mut self) -> String {
        self.text(1)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::headers::{CallId, TypedHeader};

    #[test]
    fn the_same_seed_gives_the_same_ids_and_ids_do_not_repeat() {
        let (mut a, mut b) = (IdGenerator::new(7), IdGenerator::new(7));
        assert_eq!((a.branch(), a.tag()), (b.branch(), b.tag()));
        let mut c = IdGenerator::new(8);
        assert_ne!(c.branch(), IdGenerator::new(7).branch());
        let mut seen = HashSet::new();
        for _ in 0..100_000 {
            assert!(seen.insert(a.tag()), "a tag repeated");
        }
    }

    #[test]
    fn ids_are_valid_where_they_go() {
        let mut g = IdGenerator::new(1);
        let branch = g.branch();
        assert!(branch.starts_with(MAGIC_COOKIE) && branch.len() == 7 + 22);
        assert!(g.tag().bytes().all(|b| b.is_ascii_alphanumeric()));
        let id = g.call_id(Some("pc33.atlanta.com"));
        assert_eq!(CallId::parse(id.as_bytes()).unwrap().0, id);
        assert_ne!(g.bytes16(), g.bytes16());
    }
}
