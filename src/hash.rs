//! Hashing shared by the pipeline: maps looked up thousands of times per build (with a fast,
//! fixed hasher: the same in every run) and the hasher of fingerprints.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

/// A map with a fast hasher, for keys looked up thousands of times per build.
pub type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// A set with the same fast hasher.
pub type FastSet<K> = std::collections::HashSet<K, foldhash::fast::FixedState>;

/// The hasher of fingerprints: fast, and the same in every run.
pub fn hasher() -> impl Hasher {
    foldhash::fast::FixedState::with_seed(0x636c_6173_736d_6174).build_hasher()
}

/// Hash of some bytes.
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = hasher();
    h.write(bytes);
    h.finish()
}
