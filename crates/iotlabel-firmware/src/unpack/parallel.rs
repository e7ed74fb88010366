//! Spreads independent pieces of unpacking work (squashfs data blocks and fragments, jffs2
//! nodes, signature scans) over every core. Each item is worked on by exactly one thread and its
//! result is written into the item itself, so callers assemble results in their own order and
//! the output never depends on scheduling. A panic in a worker reaches the caller (where the
//! extraction driver turns it into a diagnostic) when the scope ends.

use std::sync::{Mutex, OnceLock, PoisonError};

/// Most threads one call uses.
const MAX_WORKERS: usize = 64;

/// Threads available for unpacking: the machine's parallelism, at least one.
pub fn workers() -> usize {
    static WORKERS: OnceLock<usize> = OnceLock::new();
    *WORKERS.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, |count| count.get())
            .clamp(1, MAX_WORKERS)
    })
}

/// Below this much work (bytes to decode or scan) starting threads costs more than it saves.
const MIN_PARALLEL_WORK: u64 = 256 * 1024;

/// Threads worth using for `work` bytes of decoding or scanning: one for small jobs, else
/// [`workers`].
pub fn threads_for(work: u64) -> usize {
    if work < MIN_PARALLEL_WORK {
        1
    } else {
        workers()
    }
}

/// Calls `work` once on every item, on up to `threads` threads (the caller's included, at most
/// [`workers`]), each taking the next item not yet taken. `init` makes one state per thread
/// (scratch buffers, decoders) that `work` may reuse from item to item. Runs on the caller's
/// thread alone when there is a single item or `threads` is 1.
pub fn for_each<T, S>(
    items: &mut [T],
    threads: usize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, &mut T) + Sync,
) where
    T: Send,
{
    let threads = threads.min(workers()).min(items.len());
    if threads <= 1 {
        let mut state = init();
        for item in items.iter_mut() {
            work(&mut state, item);
        }
        return;
    }
    let queue = Mutex::new(items.iter_mut());
    let run = || {
        let mut state = init();
        loop {
            // Holding the lock only to take the next item; a poisoned lock (another worker
            // panicked) still hands out items, the panic itself surfaces when the scope ends.
            let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
            match next {
                Some(item) => work(&mut state, item),
                None => break,
            }
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(run);
        }
        run();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_worked_on_once_and_in_place() {
        let mut items: Vec<(u64, u64)> = (0..1000).map(|index| (index, 0)).collect();
        for_each(
            &mut items,
            4,
            || 0u64,
            |calls, item| {
                *calls += 1;
                item.1 = item.0 * item.0 + 1;
            },
        );
        for (index, item) in items.iter().enumerate() {
            assert_eq!(item.1, (index as u64) * (index as u64) + 1);
        }
    }

    #[test]
    fn empty_and_single_item_lists_run_inline() {
        let mut empty: Vec<u8> = Vec::new();
        for_each(&mut empty, 4, || (), |_, _| unreachable!("no items"));
        let mut one = vec![1u8];
        let caller = std::thread::current().id();
        for_each(
            &mut one,
            4,
            || (),
            |_, item| {
                assert_eq!(std::thread::current().id(), caller);
                *item += 1;
            },
        );
        assert_eq!(one, vec![2]);
        assert_eq!(threads_for(10), 1);
        assert!(threads_for(1 << 30) >= 1);
    }
}
