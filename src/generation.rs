//! Generations: which batch of documents asked for a shared file (an entity
//! file, a DTD), so that files only finished batches used can be forgotten
//! ([`crate::load::Loader::evict_unused`]). Work on a batch says its
//! generation on the thread doing it; the loader reads it there.

thread_local! {
    /// The generation of the work this thread is doing, when it said so
    /// ([`within`]).
    static BATCH: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// Run `f` with the files it asks for marked as used in `generation` (one
/// already started) instead of the latest: a batch of documents checked
/// while the next one has started marks what it uses with its own
/// generation, so that what only it used can be forgotten as soon as it has
/// been reported. `None` runs `f` as it is. Work that `f` hands to other
/// threads must say its generation there again ([`current`]).
pub fn within<R>(generation: Option<u64>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<u64>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = BATCH.try_with(|b| b.set(self.0));
        }
    }
    let Some(g) = generation else {
        return f();
    };
    let _restore = Restore(BATCH.try_with(|b| b.replace(Some(g))).ok().flatten());
    f()
}

/// The generation this thread works in, if [`within`] set one.
pub fn current() -> Option<u64> {
    BATCH.try_with(std::cell::Cell::get).ok().flatten()
}
