//! Pseudo-random bytes for message bodies: no accidental end-lines, no help for a search.
//! Included by the MSRP benches and the `msrp_transfer` example with `#[path]`.

/// `n` bytes from a fixed xorshift sequence (the same every run).
pub(crate) fn noise(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
