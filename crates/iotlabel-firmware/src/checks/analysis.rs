//! Analysis shared by the checks of one run, computed once and read by every check that needs
//! it: one multi-pattern pass over the bytes of each file (PEM markers, embedded account
//! lines, API-token prefixes) with what the checks derive from it (PEM blocks, token matches,
//! embedded accounts), the parsed account files of each file system, and the identified
//! component instances. Each piece is computed lazily, on first use, behind a `OnceLock`, so a
//! check that runs alone (in tests) pays only for what it reads, and checks running side by
//! side wait for the one computation instead of repeating it. The byte pass is spread over
//! every core.
//!
//! Nothing here decides a finding: the checks keep their own rules and read these facts. Every
//! derived list equals what the check's own whole-file search would give (the property tests
//! of the checks compare the two).

use std::ops::Range;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use aho_corasick::{AhoCorasick, MatchKind};

use super::Filesystem;
use super::component_signatures::{SignatureError, signatures};
use super::components::{ComponentInstance, identify_instances};
use super::credentials::{self, Account};
use super::secrets::{self, PemBlock};
use crate::vfs::FileEntry;

/// Files larger than this get no byte scan: the limit every byte-scanning check applies.
pub const MAX_SCAN_BYTES: usize = 64 * 1024 * 1024;

const PEM_BEGIN: &str = "-----BEGIN ";
const PEM_END: &str = "-----END ";
/// An embedded `user:hash` account line has its colon followed by `$` (crypt schemes) or `{`
/// (`{SHA}`).
const ACCOUNT_COLONS: [&str; 2] = [":$", ":{"];

/// Where the literal anchors of the byte-level patterns occur in one file. Every list is in
/// ascending order and holds every occurrence, overlapping ones included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Anchors {
    /// Offsets of `-----BEGIN `.
    pub pem_begin: Vec<usize>,
    /// Offsets of `-----END `.
    pub pem_end: Vec<usize>,
    /// Offsets of a `:` that may start the hash of an embedded account line.
    pub account_colons: Vec<usize>,
    /// Per token kind (the order of the API-token check's patterns), the offsets where one of
    /// its literal prefixes occurs: a match of the kind can only start there.
    pub tokens: Vec<Vec<usize>>,
}

#[derive(Debug, Clone, Copy)]
enum AnchorKind {
    PemBegin,
    PemEnd,
    AccountColon,
    Token(usize),
}

/// The automaton over every anchor, and what each of its patterns is.
fn automaton() -> Option<&'static (AhoCorasick, Vec<AnchorKind>)> {
    static AUTOMATON: OnceLock<Option<(AhoCorasick, Vec<AnchorKind>)>> = OnceLock::new();
    AUTOMATON
        .get_or_init(|| {
            let mut patterns: Vec<&str> = vec![PEM_BEGIN, PEM_END];
            let mut kinds = vec![AnchorKind::PemBegin, AnchorKind::PemEnd];
            for colon in ACCOUNT_COLONS {
                patterns.push(colon);
                kinds.push(AnchorKind::AccountColon);
            }
            for (kind, prefixes) in secrets::token_prefixes().iter().enumerate() {
                for prefix in *prefixes {
                    patterns.push(prefix);
                    kinds.push(AnchorKind::Token(kind));
                }
            }
            // No pattern is a prefix of another (a test checks it), so at most one matches at
            // any offset: leftmost searches restarted one byte after each match start find
            // every occurrence, overlapping ones included, at the speed of the prefilter.
            let automaton = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(&patterns)
                .ok()?;
            Some((automaton, kinds))
        })
        .as_ref()
}

impl Anchors {
    /// One pass over `data` for every anchor.
    pub fn scan(data: &[u8]) -> Anchors {
        let token_kinds = secrets::token_prefixes().len();
        let mut anchors = Anchors {
            tokens: vec![Vec::new(); token_kinds],
            ..Anchors::default()
        };
        let Some((automaton, kinds)) = automaton() else {
            // The automaton is built from constants and cannot fail; should it, fall back to
            // the slower per-pattern searches so nothing is missed.
            return Anchors::scan_each(data);
        };
        let mut from = 0;
        while from < data.len() {
            let Some(found) = automaton.find(aho_corasick::Input::new(data).range(from..)) else {
                break;
            };
            let at = found.start();
            from = at + 1;
            match kinds.get(found.pattern().as_usize()) {
                Some(AnchorKind::PemBegin) => anchors.pem_begin.push(at),
                Some(AnchorKind::PemEnd) => anchors.pem_end.push(at),
                Some(AnchorKind::AccountColon) => anchors.account_colons.push(at),
                Some(AnchorKind::Token(kind)) => {
                    if let Some(list) = anchors.tokens.get_mut(*kind) {
                        list.push(at);
                    }
                }
                None => {}
            }
        }
        anchors
    }

    /// The same anchors found one pattern at a time (the reference for [`Anchors::scan`]).
    pub fn scan_each(data: &[u8]) -> Anchors {
        let all = |needle: &str| -> Vec<usize> {
            let needle = needle.as_bytes();
            if needle.is_empty() {
                return Vec::new();
            }
            (0..data.len().saturating_sub(needle.len() - 1))
                .filter(|&at| data.get(at..at + needle.len()) == Some(needle))
                .collect()
        };
        let mut account_colons: Vec<usize> = ACCOUNT_COLONS.iter().flat_map(|c| all(c)).collect();
        account_colons.sort_unstable();
        Anchors {
            pem_begin: all(PEM_BEGIN),
            pem_end: all(PEM_END),
            account_colons,
            tokens: secrets::token_prefixes()
                .iter()
                .map(|prefixes| {
                    let mut list: Vec<usize> = prefixes.iter().flat_map(|p| all(p)).collect();
                    list.sort_unstable();
                    list.dedup();
                    list
                })
                .collect(),
        }
    }
}

/// What the byte pass found in one file.
#[derive(Debug, Clone, Default)]
pub struct FileFacts {
    /// Every PEM block (as [`secrets::pem_blocks`] gives them).
    pub pem_blocks: Vec<PemBlock>,
    /// API-token matches: (kind index, byte range of the token value), grouped by kind in the
    /// patterns' order, each kind's matches in file order.
    pub tokens: Vec<(usize, Range<usize>)>,
    /// `user:hash` account lines embedded in the file (used when the file is not itself an
    /// account file).
    pub embedded_accounts: Vec<Account>,
}

impl FileFacts {
    /// The facts of the file at `path` with contents `data`; empty above [`MAX_SCAN_BYTES`].
    pub fn of(path: &str, data: &[u8]) -> FileFacts {
        if data.len() > MAX_SCAN_BYTES {
            return FileFacts::default();
        }
        let anchors = Anchors::scan(data);
        FileFacts {
            pem_blocks: secrets::pem_blocks_at(data, &anchors.pem_begin, &anchors.pem_end),
            tokens: secrets::token_matches_at(data, &anchors.tokens),
            embedded_accounts: credentials::embedded_accounts_at(
                path,
                data,
                &anchors.account_colons,
            ),
        }
    }
}

/// The cached analysis of one file system.
#[derive(Debug, Default)]
struct FilesystemCache {
    files: OnceLock<Vec<FileFacts>>,
    accounts: OnceLock<Vec<Account>>,
}

/// The shared analysis of the file systems of one check run.
#[derive(Debug)]
pub struct Analysis<'a> {
    filesystems: &'a [Filesystem<'a>],
    caches: Vec<FilesystemCache>,
    components: OnceLock<Vec<ComponentInstance<'static>>>,
}

impl<'a> Analysis<'a> {
    /// An empty analysis of `filesystems`: nothing is computed until a check asks.
    pub fn new(filesystems: &'a [Filesystem<'a>]) -> Analysis<'a> {
        Analysis {
            filesystems,
            caches: filesystems
                .iter()
                .map(|_| FilesystemCache::default())
                .collect(),
            components: OnceLock::new(),
        }
    }

    /// Whether this is the analysis of exactly `filesystems` (the same slice).
    pub fn is_of(&self, filesystems: &[Filesystem<'_>]) -> bool {
        std::ptr::eq(
            self.filesystems.as_ptr().cast::<()>(),
            filesystems.as_ptr().cast::<()>(),
        ) && self.filesystems.len() == filesystems.len()
    }

    /// The byte facts of every regular file of file system `index`, in the order of
    /// `Tree::files()`. Empty for an index out of range.
    pub fn file_facts(&self, index: usize) -> &[FileFacts] {
        let (Some(fs), Some(cache)) = (self.filesystems.get(index), self.caches.get(index)) else {
            return &[];
        };
        cache.files.get_or_init(|| scan_files(fs))
    }

    /// Every regular file of file system `index` with its byte facts, in path order.
    pub fn files(
        &self,
        index: usize,
    ) -> impl Iterator<Item = (&'a str, &'a FileEntry, &FileFacts)> + '_ {
        let tree_files = self
            .filesystems
            .get(index)
            .into_iter()
            .flat_map(|fs| fs.tree.files());
        tree_files
            .zip(self.file_facts(index))
            .map(|((path, file), facts)| (path, file, facts))
    }

    /// Every account line of file system `index` (as [`credentials::collect_accounts`]).
    pub fn accounts(&self, index: usize) -> &[Account] {
        let (Some(fs), Some(cache)) = (self.filesystems.get(index), self.caches.get(index)) else {
            return &[];
        };
        cache
            .accounts
            .get_or_init(|| credentials::collect_accounts_with(fs, self.file_facts(index)))
    }

    /// The component instances of every file system (as
    /// [`super::components::identify_instances`] with the embedded signatures), or the error
    /// that kept the signatures from loading.
    pub fn components(&self) -> Result<&[ComponentInstance<'static>], &'static SignatureError> {
        let signatures = signatures()?;
        Ok(self
            .components
            .get_or_init(|| identify_instances(self.filesystems, signatures)))
    }
}

/// The byte facts of every file of `fs`, computed on every core.
fn scan_files(fs: &Filesystem<'_>) -> Vec<FileFacts> {
    map_files(fs, |path, file| FileFacts::of(path, &file.data))
}

/// `work` applied to every regular file of `fs` on every core; the results are in the order
/// of `Tree::files()`. A panic in `work` resumes in the caller (the check that asked).
pub fn map_files<T: Send>(
    fs: &Filesystem<'_>,
    work: impl Fn(&str, &FileEntry) -> T + Sync,
) -> Vec<T> {
    let files: Vec<(&str, &FileEntry)> = fs.tree.files().collect();
    let workers = std::thread::available_parallelism()
        .map(std::num::NonZeroUsize::get)
        .unwrap_or(1)
        .min(files.len())
        .max(1);
    if workers == 1 {
        return files.iter().map(|(path, file)| work(path, file)).collect();
    }
    let next = AtomicUsize::new(0);
    let done: Vec<Vec<(usize, T)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut local = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some((path, file)) = files.get(index) else {
                            break;
                        };
                        local.push((index, work(path, file)));
                    }
                    local
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| match handle.join() {
                Ok(local) => local,
                // Let the check that asked report the crash, as if it had crashed itself.
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    let mut indexed: Vec<(usize, T)> = done.into_iter().flatten().collect();
    indexed.sort_unstable_by_key(|(index, _)| *index);
    indexed.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::vfs::Tree;

    #[test]
    fn one_pass_finds_every_anchor() {
        let data = b"x-----BEGIN RSA PRIVATE KEY-----\nroot:$1$salt\n-----END RSA PRIVATE KEY-----\nAKIAxyz ghp_ u:{SHA}";
        let anchors = Anchors::scan(data);
        assert_eq!(anchors.pem_begin, [1]);
        assert_eq!(anchors.pem_end, [46]);
        assert_eq!(anchors.account_colons, [37, 90]);
        assert_eq!(anchors.tokens.first().map(Vec::as_slice), Some(&[76][..]));
        assert_eq!(anchors, Anchors::scan_each(data));
    }

    #[test]
    fn no_anchor_is_a_prefix_of_another() {
        // What makes the restarted leftmost search find every occurrence.
        let mut patterns: Vec<&str> = vec![PEM_BEGIN, PEM_END];
        patterns.extend(ACCOUNT_COLONS);
        patterns.extend(
            secrets::token_prefixes()
                .iter()
                .flat_map(|p| p.iter().copied()),
        );
        for (i, a) in patterns.iter().enumerate() {
            for (j, b) in patterns.iter().enumerate() {
                assert!(i == j || !b.starts_with(a), "{a:?} is a prefix of {b:?}");
            }
        }
    }

    #[test]
    fn facts_are_cached_per_filesystem_and_aligned_with_the_files() {
        let mut tree = Tree::new();
        tree.add_file(
            "a/one",
            FileEntry::new(b"admin:$1$abcdefgh$l/LAqC8oJERu7Cmx6trtY/".to_vec()),
        )
        .unwrap();
        tree.add_file("b/two", FileEntry::new(b"nothing".to_vec()))
            .unwrap();
        let filesystems = [Filesystem {
            containers: vec![],
            tree: &tree,
        }];
        let analysis = Analysis::new(&filesystems);
        let paths: Vec<&str> = analysis.files(0).map(|(path, _, _)| path).collect();
        assert_eq!(paths, ["a/one", "b/two"]);
        let first = analysis.file_facts(0).as_ptr();
        assert_eq!(analysis.file_facts(0).as_ptr(), first);
        assert_eq!(analysis.file_facts(0)[0].embedded_accounts.len(), 1);
        assert!(analysis.file_facts(0)[1].embedded_accounts.is_empty());
        assert!(analysis.file_facts(7).is_empty());
        assert_eq!(analysis.accounts(0).len(), 1);
        assert!(analysis.is_of(&filesystems));
        let other = [Filesystem {
            containers: vec![],
            tree: &tree,
        }];
        assert!(!analysis.is_of(&other));
    }

    proptest! {
        #[test]
        fn the_single_pass_equals_one_search_per_pattern(parts in proptest::collection::vec(prop_oneof![
            Just(b"-----BEGIN ".to_vec()), Just(b"-----END ".to_vec()), Just(b"-----".to_vec()),
            Just(b":$".to_vec()), Just(b":{".to_vec()), Just(b"AKIA".to_vec()), Just(b"AIza".to_vec()),
            Just(b"gh".to_vec()), Just(b"xoxb-".to_vec()), Just(b"aWs".to_vec()), Just("awſ".as_bytes().to_vec()),
            Just(b"sk_live_".to_vec()), Just(b"AccountKey=".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..6),
        ], 0..40)) {
            let data = parts.concat();
            prop_assert_eq!(Anchors::scan(&data), Anchors::scan_each(&data));
        }
    }
}
