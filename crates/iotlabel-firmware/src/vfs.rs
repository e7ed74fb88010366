//! The virtual tree every unpacker fills: files, directories and symlinks held in memory under
//! sanitised paths. Nothing is written to or read from the host file system, so an entry named
//! `../../etc/passwd` or a symlink to `/etc/shadow` cannot reach outside the image: paths that
//! climb above the root are refused, and links resolve inside the tree (an absolute target is
//! taken relative to the image's root, as a chroot would) or not at all.

use std::collections::BTreeMap;

/// How many symlinks one resolution may follow before it is called a loop.
const MAX_LINK_HOPS: usize = 40;

/// A path that cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("path {0:?} climbs above the root of its container")]
    Escapes(String),
    #[error("path {0:?} contains a NUL byte")]
    Nul(String),
    #[error("empty path")]
    Empty,
}

/// Turns a stored name into a tree path: no leading `/`, no `.` or empty components, `..`
/// resolved; a path that climbs above the root is refused. Backslashes are separators too
/// (archives made on Windows). Non-UTF-8 bytes are replaced (lossy) by the caller.
pub fn sanitize_path(raw: &str) -> Result<String, PathError> {
    if raw.contains('\0') {
        return Err(PathError::Nul(raw.to_owned()));
    }
    let mut parts: Vec<&str> = Vec::new();
    for component in raw.split(['/', '\\']) {
        match component {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(PathError::Escapes(raw.to_owned()));
                }
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return Err(PathError::Empty);
    }
    Ok(parts.join("/"))
}

/// One entry of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    File(FileEntry),
    Dir {
        mode: u32,
    },
    /// The target as stored in the image, unresolved.
    Symlink {
        target: String,
    },
    /// Device nodes, FIFOs, sockets: recorded, never opened.
    Special {
        mode: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    pub data: Vec<u8>,
    /// Unix permission and type bits where the format has them (0 when unknown).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

impl FileEntry {
    pub fn new(data: Vec<u8>) -> FileEntry {
        FileEntry {
            data,
            mode: 0o100644,
            uid: 0,
            gid: 0,
        }
    }
}

/// A file system or archive image, unpacked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    entries: BTreeMap<String, Node>,
}

impl Tree {
    pub fn new() -> Tree {
        Tree::default()
    }

    /// Number of entries of every kind.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Inserts `node` at the sanitised `raw_path`, creating missing parent directories. A
    /// later entry with the same path replaces the earlier one (as extraction would).
    pub fn insert(&mut self, raw_path: &str, node: Node) -> Result<String, PathError> {
        let path = sanitize_path(raw_path)?;
        let mut parent = String::new();
        let components: Vec<&str> = path.split('/').collect();
        for component in &components[..components.len() - 1] {
            if !parent.is_empty() {
                parent.push('/');
            }
            parent.push_str(component);
            self.entries
                .entry(parent.clone())
                .or_insert(Node::Dir { mode: 0o40755 });
        }
        self.entries.insert(path.clone(), node);
        Ok(path)
    }

    pub fn add_file(&mut self, raw_path: &str, entry: FileEntry) -> Result<String, PathError> {
        self.insert(raw_path, Node::File(entry))
    }

    pub fn add_dir(&mut self, raw_path: &str, mode: u32) -> Result<String, PathError> {
        self.insert(raw_path, Node::Dir { mode })
    }

    pub fn add_symlink(&mut self, raw_path: &str, target: &str) -> Result<String, PathError> {
        self.insert(
            raw_path,
            Node::Symlink {
                target: target.to_owned(),
            },
        )
    }

    /// The entry stored at `path` (already sanitised), without following links.
    pub fn get(&self, path: &str) -> Option<&Node> {
        self.entries.get(path)
    }

    /// Every entry in path order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.entries
            .iter()
            .map(|(path, node)| (path.as_str(), node))
    }

    /// Every regular file in path order.
    pub fn files(&self) -> impl Iterator<Item = (&str, &FileEntry)> {
        self.entries.iter().filter_map(|(path, node)| match node {
            Node::File(file) => Some((path.as_str(), file)),
            _ => None,
        })
    }

    /// Resolves `path` inside the tree, following symlinks in every component. Absolute link
    /// targets are taken relative to the tree's root; a link that climbs above the root, a
    /// dangling link or a loop gives `None`. Never touches the host.
    pub fn resolve(&self, path: &str) -> Option<(String, &Node)> {
        let mut pending: Vec<String> = path
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .map(str::to_owned)
            .collect();
        pending.reverse();
        let mut resolved: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(component) = pending.pop() {
            if component == ".." {
                resolved.pop()?;
                continue;
            }
            resolved.push(component);
            let current = resolved.join("/");
            match self.entries.get(&current) {
                Some(Node::Symlink { target }) => {
                    hops += 1;
                    if hops > MAX_LINK_HOPS {
                        return None;
                    }
                    resolved.pop();
                    if target.starts_with('/') {
                        resolved.clear();
                    }
                    let mut parts: Vec<String> = target
                        .split('/')
                        .filter(|c| !c.is_empty() && *c != ".")
                        .map(str::to_owned)
                        .collect();
                    parts.reverse();
                    pending.extend(parts);
                }
                Some(_) => {}
                None => return None,
            }
        }
        let path = resolved.join("/");
        let node = if path.is_empty() {
            return None;
        } else {
            self.entries.get(&path)?
        };
        Some((path, node))
    }

    /// The contents of the regular file at `path`, following links inside the tree.
    pub fn read(&self, path: &str) -> Option<&[u8]> {
        match self.resolve(path)? {
            (_, Node::File(file)) => Some(&file.data),
            _ => None,
        }
    }

    /// Whether a symlink stored at `path` resolves inside the tree.
    pub fn link_stays_inside(&self, path: &str) -> bool {
        self.resolve(path).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sanitises_names() {
        assert_eq!(sanitize_path("/etc/passwd").unwrap(), "etc/passwd");
        assert_eq!(sanitize_path("./a//b/./c").unwrap(), "a/b/c");
        assert_eq!(sanitize_path("a/b/../c").unwrap(), "a/c");
        assert_eq!(sanitize_path("dir\\file.txt").unwrap(), "dir/file.txt");
        assert!(matches!(
            sanitize_path("../../etc/passwd"),
            Err(PathError::Escapes(_))
        ));
        assert!(matches!(
            sanitize_path("a/../../b"),
            Err(PathError::Escapes(_))
        ));
        assert!(matches!(sanitize_path("/"), Err(PathError::Empty)));
        assert!(matches!(sanitize_path("a\0b"), Err(PathError::Nul(_))));
    }

    #[test]
    fn links_resolve_inside_the_image_only() {
        let mut tree = Tree::new();
        tree.add_file("bin/busybox", FileEntry::new(b"busybox".to_vec()))
            .unwrap();
        tree.add_symlink("sbin/init", "../bin/busybox").unwrap();
        tree.add_symlink("bin/sh", "/bin/busybox").unwrap();
        tree.add_file(
            "etc/passwd",
            FileEntry::new(b"root:x:0:0::/root:/bin/sh\n".to_vec()),
        )
        .unwrap();
        tree.add_symlink("escape", "../../../../etc/shadow")
            .unwrap();
        tree.add_symlink("abs", "/etc/passwd").unwrap();
        tree.add_symlink("loop1", "loop2").unwrap();
        tree.add_symlink("loop2", "loop1").unwrap();
        assert_eq!(tree.read("sbin/init"), Some(&b"busybox"[..]));
        assert_eq!(tree.read("bin/sh"), Some(&b"busybox"[..]));
        // An absolute link means the image's own /etc/passwd, never the host's.
        assert_eq!(tree.read("abs"), Some(&b"root:x:0:0::/root:/bin/sh\n"[..]));
        assert!(tree.read("escape").is_none());
        assert!(!tree.link_stays_inside("escape"));
        assert!(tree.read("loop1").is_none());
        // Parents are created as directories.
        assert!(matches!(tree.get("sbin"), Some(Node::Dir { .. })));
    }

    proptest! {
        #[test]
        fn sanitised_paths_never_climb_or_start_at_root(components in proptest::collection::vec(prop_oneof![
            Just("..".to_owned()), Just(".".to_owned()), Just(String::new()), "[a-z]{1,4}", Just("/".to_owned())
        ], 0..12)) {
            let raw = components.join("/");
            if let Ok(path) = sanitize_path(&raw) {
                prop_assert!(!path.starts_with('/'));
                prop_assert!(!path.split('/').any(|c| c == ".." || c == "." || c.is_empty()));
            }
        }

        #[test]
        fn resolution_stays_in_the_tree(targets in proptest::collection::vec("(/|\\.\\./|[a-z]/){0,6}[a-z]{0,2}", 1..6)) {
            let mut tree = Tree::new();
            tree.add_file("a/f", FileEntry::new(vec![1])).unwrap();
            for (index, target) in targets.iter().enumerate() {
                let _ = tree.add_symlink(&format!("a/l{index}"), target);
            }
            for index in 0..targets.len() {
                if let Some((path, _)) = tree.resolve(&format!("a/l{index}")) {
                    // Whatever it resolves to is an entry of the tree.
                    prop_assert!(tree.get(&path).is_some());
                }
            }
        }
    }
}
