//! Fast hashing for the maps of lowering, the lints, the checker's indexes, the diff and
//! the backends: their keys are the policies' own texts, small tuples and automaton
//! states, so hash flooding is not a concern, and SipHash dominated the time of checking,
//! diffing and compiling large policies.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A hasher for keys that are already hashes (`diff::index::Scan::hash`).
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher {
    hash: u64,
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.hash = (self.hash.rotate_left(8) ^ u64::from(b)).wrapping_mul(SEED);
        }
    }

    fn write_u64(&mut self, i: u64) {
        self.hash = i;
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A hash map keyed by `diff::index::Scan::hash` values.
pub(crate) type HashMap64<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

/// A fast hasher for maps of glob texts and small keys (Fx, as in rustc): the keys are
/// the policies' own texts, so hash flooding is not a concern, and SipHash dominated the time
/// of diffing large policies.
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    /// Mixes one word into the hash.
    pub fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            for (d, s) in w.iter_mut().zip(rest) {
                *d = *s;
            }
            self.add(u64::from_le_bytes(w));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    // the same word `write` makes of the integer's bytes, without the loop
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        // Fold the high bits, where the multiplications put the entropy, into the low
        // bits the table indexes with.
        let h = self.hash;
        (h ^ (h >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (h >> 32)
    }
}

/// Builds [`FxHasher`]s.
pub type FxBuild = BuildHasherDefault<FxHasher>;

/// A hash map with [`FxHasher`].
pub type FastMap<K, V> = HashMap<K, V, FxBuild>;

/// A hash set with [`FxHasher`].
pub type FastSet<K> = std::collections::HashSet<K, FxBuild>;
