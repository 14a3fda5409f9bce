//! A bounded memo of a deterministic function of public inputs (key aggregation, taproot
//! tweaks): the answer cached for an input is the one computing it again would give, and
//! nothing secret goes in. A hash map, so a look costs the same however many channels S
//! watches (issue 10: a watcher pass over 10,000 channels looks up every channel's funding
//! key). Once it holds [`MEMO_SIZE`] answers, each new one takes the place of an arbitrary
//! old one: a flood of inputs costs memory only up to that bound and at worst the computing
//! the memo saves, and more inputs in use than the bound still find most of theirs.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};

/// Most answers one memo holds.
pub const MEMO_SIZE: usize = 1 << 15;

/// See the module documentation.
pub(crate) struct Memo<K, V>(Mutex<Option<HashMap<K, V>>>);

impl<K: Hash + Eq + Clone, V: Clone> Memo<K, V> {
    pub(crate) const fn new() -> Self {
        Memo(Mutex::new(None))
    }

    /// The answer for `key`: the cached one, or `compute`'s (then cached).
    pub(crate) fn get(&self, key: K, compute: impl FnOnce() -> V) -> V {
        match self.try_get(key, || Ok::<_, std::convert::Infallible>(compute())) {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }

    /// [`Memo::get`] for a computation that may fail (a failure is not cached). `compute`
    /// runs without the lock held.
    pub(crate) fn try_get<E>(
        &self,
        key: K,
        compute: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        if let Some(v) = self.lock().as_ref().and_then(|m| m.get(&key)) {
            return Ok(v.clone());
        }
        let v = compute()?;
        let mut guard = self.lock();
        let map = guard.get_or_insert_with(HashMap::new);
        if map.len() >= MEMO_SIZE {
            if let Some(old) = map.keys().next().cloned() {
                map.remove(&old);
            }
        }
        map.insert(key, v.clone());
        Ok(v)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<HashMap<K, V>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memo_answers_what_it_computed_and_stays_within_its_bound() {
        let memo: Memo<usize, usize> = Memo::new();
        let mut computed = 0;
        for round in 0..2 {
            for k in 0..10 {
                let v = memo.get(k, || {
                    computed += 1;
                    k * 7
                });
                assert_eq!(v, k * 7, "round {round}");
            }
        }
        assert_eq!(computed, 10, "the second round is answered from the memo");
        // Past the bound, new answers take the place of old ones (each still right).
        for k in 0..MEMO_SIZE + 5 {
            assert_eq!(memo.get(k, || k * 7), k * 7);
        }
        assert_eq!(memo.lock().as_ref().unwrap().len(), MEMO_SIZE);
        assert_eq!(memo.try_get(MEMO_SIZE * 2, || Err("no")), Err("no"));
        assert_eq!(memo.get(MEMO_SIZE * 2, || 1), 1, "a failure is not cached");
    }
}
