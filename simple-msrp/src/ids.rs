//! Unguessable identifiers for what a relay hands out (RFC 4976 §6.3: a Use-Path URI carries
//! at least 64 bits of cryptographically random material) and for the transactions and nonces
//! it creates: SHA-256 of a 32-byte secret seed and a counter, so that one identifier tells
//! nothing about the next (a plain mixing generator can be run backwards from its output).

use sha2::{Digest, Sha256};

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A keyed generator: output `n` is `SHA-256(seed || n)`.
#[derive(Clone)]
pub(crate) struct Ids {
    seed: [u8; 32],
    counter: u64,
}

impl core::fmt::Debug for Ids {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ids").field("counter", &self.counter).finish_non_exhaustive()
    }
}

impl Ids {
    pub(crate) const fn new(seed: [u8; 32]) -> Self {
        Self { seed, counter: 0 }
    }

    /// 32 fresh bytes.
    pub(crate) fn bytes(&mut self) -> [u8; 32] {
        self.counter += 1;
        let mut h = Sha256::new();
        h.update(self.seed);
        h.update(self.counter.to_be_bytes());
        h.finalize().into()
    }

    /// `len` base-62 characters (at most 43, about 5.95 bits each).
    pub(crate) fn text(&mut self, len: usize) -> String {
        let b = self.bytes();
        let mut hi = u128::from_be_bytes(b[..16].try_into().expect("16 of 32 bytes"));
        let mut lo = u128::from_be_bytes(b[16..].try_into().expect("16 of 32 bytes"));
        (0..len.min(43))
            .map(|i| {
                let x = if i < 21 { &mut hi } else { &mut lo };
                let c = ALPHABET[(*x % 62) as usize];
                *x /= 62;
                char::from(c)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_differ_and_depend_on_the_seed() {
        let mut a = Ids::new([1; 32]);
        let mut b = Ids::new([2; 32]);
        let x = a.text(22);
        assert_eq!(x.len(), 22);
        assert_ne!(x, a.text(22));
        assert_ne!(x, b.text(22));
        assert_eq!(x, Ids::new([1; 32]).text(22), "deterministic for a seed");
    }
}
