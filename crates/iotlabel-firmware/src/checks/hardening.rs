//! Binary hardening of the ELF executables and libraries of an image (level 3 evidence): NX
//! stack, PIE, RELRO, stack canary, FORTIFY_SOURCE, stripped symbols and imports of dangerous
//! functions, per ELF, summarised per file system.
//!
//! Output of `hardening.elf`: one `info` finding per file system with the counts, and one `low`
//! finding per hardening property that some binaries lack, listing them (not one per binary,
//! which would bury the report). Relocatable objects (kernel modules) are not looked at.
//!
//! How each property is read (the same rules as the usual `checksec` tools):
//! - NX: a `PT_GNU_STACK` header without the execute flag (no header = executable stack);
//! - PIE (executables only): `ET_DYN` with a `PT_INTERP`, or `DF_1_PIE`;
//! - RELRO: `PT_GNU_RELRO` = partial; with `DT_BIND_NOW`, `DF_BIND_NOW` or `DF_1_NOW` = full;
//! - canary: a symbol `__stack_chk_fail` / `__stack_chk_guard`;
//! - FORTIFY: a `__*_chk` function other than the canary's; a binary is called unfortified only
//!   if it imports a function FORTIFY would have replaced and no `_chk` one;
//! - stripped: no `.symtab` section;
//! - dangerous functions: imports of `gets`, `strcpy`, `strcat`, `sprintf`, `vsprintf`,
//!   `system`, `popen`.
//!
//! Canary and FORTIFY need symbols: a binary with neither dynamic imports nor a symbol table
//! (static and stripped) counts as unknown for them, not as lacking them.

use std::collections::BTreeSet;

use goblin::elf::Elf;
use goblin::elf::dynamic::{DF_1_NOW, DF_1_PIE, DF_BIND_NOW, DT_BIND_NOW};
use goblin::elf::header::{ET_DYN, ET_EXEC};
use goblin::elf::program_header::{PF_X, PT_GNU_RELRO, PT_GNU_STACK, PT_INTERP};
use iotlabel_core::report::{Confidence, Finding, Severity};
use serde_json::{Map, Value, json};

use super::{Check, CheckInput, CheckMeta, CheckOutput, Filesystem};

/// Binaries listed in one finding's evidence (the count is always complete).
const MAX_LISTED: usize = 200;

const DANGEROUS_FUNCTIONS: &[&str] = &[
    "gets", "strcpy", "strcat", "sprintf", "vsprintf", "system", "popen",
];

/// Functions `_FORTIFY_SOURCE` replaces with a `__*_chk` variant.
const FORTIFIABLE_FUNCTIONS: &[&str] = &[
    "memcpy",
    "memmove",
    "mempcpy",
    "memset",
    "strcpy",
    "stpcpy",
    "strncpy",
    "strcat",
    "strncat",
    "sprintf",
    "snprintf",
    "vsprintf",
    "vsnprintf",
    "printf",
    "fprintf",
    "vprintf",
    "vfprintf",
    "gets",
    "fgets",
    "read",
    "pread",
    "recv",
    "recvfrom",
    "realpath",
    "getcwd",
    "wcscpy",
];

/// RELRO level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relro {
    None,
    Partial,
    Full,
}

/// What kind of ELF file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElfKind {
    Executable,
    SharedLibrary,
}

/// The hardening properties of one ELF file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfHardening {
    pub kind: ElfKind,
    pub nx: bool,
    /// `None` for shared libraries (not applicable).
    pub pie: Option<bool>,
    pub relro: Relro,
    /// `None` when the binary has no symbols to tell.
    pub canary: Option<bool>,
    /// `None` when there are no symbols, or nothing FORTIFY would have replaced.
    pub fortify: Option<bool>,
    pub stripped: bool,
    /// Dangerous functions imported, sorted.
    pub dangerous_imports: Vec<String>,
}

/// Analyses one file; `None` if it is not an ELF executable or shared library goblin can parse.
pub fn analyse_elf(data: &[u8]) -> Option<ElfHardening> {
    if !data.starts_with(b"\x7fELF") {
        return None;
    }
    let elf = Elf::parse(data).ok()?;
    let has_interp = elf.program_headers.iter().any(|ph| ph.p_type == PT_INTERP);
    let (flags, flags_1, bind_now_tag) = match &elf.dynamic {
        Some(dynamic) => (
            dynamic.info.flags,
            dynamic.info.flags_1,
            dynamic.dyns.iter().any(|d| d.d_tag == DT_BIND_NOW),
        ),
        None => (0, 0, false),
    };
    let kind = match elf.header.e_type {
        ET_EXEC => ElfKind::Executable,
        ET_DYN if has_interp || flags_1 & DF_1_PIE != 0 => ElfKind::Executable,
        ET_DYN => ElfKind::SharedLibrary,
        _ => return None,
    };
    let nx = elf
        .program_headers
        .iter()
        .find(|ph| ph.p_type == PT_GNU_STACK)
        .is_some_and(|ph| ph.p_flags & PF_X == 0);
    let pie = match kind {
        ElfKind::Executable => Some(elf.header.e_type == ET_DYN),
        ElfKind::SharedLibrary => None,
    };
    let has_relro = elf
        .program_headers
        .iter()
        .any(|ph| ph.p_type == PT_GNU_RELRO);
    let bind_now = bind_now_tag || flags & DF_BIND_NOW != 0 || flags_1 & DF_1_NOW != 0;
    let relro = match (has_relro, bind_now) {
        (false, _) => Relro::None,
        (true, false) => Relro::Partial,
        (true, true) => Relro::Full,
    };
    let mut imports: BTreeSet<&str> = BTreeSet::new();
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for symbol in elf.dynsyms.iter() {
        let Some(name) = elf
            .dynstrtab
            .get_at(symbol.st_name)
            .filter(|n| !n.is_empty())
        else {
            continue;
        };
        // Strip a symbol version (`memcpy@GLIBC_2.14`) if the string table carries one.
        let name = name.split('@').next().unwrap_or(name);
        if symbol.st_shndx == 0 {
            imports.insert(name);
        }
        names.insert(name);
    }
    for symbol in elf.syms.iter() {
        if let Some(name) = elf.strtab.get_at(symbol.st_name).filter(|n| !n.is_empty()) {
            names.insert(name.split('@').next().unwrap_or(name));
        }
    }
    let stripped = !elf
        .section_headers
        .iter()
        .any(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(".symtab"));
    let has_symbols = !names.is_empty();
    let canary = has_symbols.then(|| {
        names.iter().any(|name| {
            matches!(
                *name,
                "__stack_chk_fail" | "__stack_chk_guard" | "__stack_chk_fail_local"
            )
        })
    });
    let fortified = names.iter().any(|name| {
        name.starts_with("__") && name.ends_with("_chk") && !name.starts_with("__stack_chk")
    });
    let fortifiable = names
        .iter()
        .chain(imports.iter())
        .any(|name| FORTIFIABLE_FUNCTIONS.contains(name));
    let fortify = if !has_symbols {
        None
    } else if fortified {
        Some(true)
    } else if fortifiable {
        Some(false)
    } else {
        None
    };
    let dangerous_imports = imports
        .iter()
        .filter(|name| DANGEROUS_FUNCTIONS.contains(name))
        .map(|name| (*name).to_owned())
        .collect();
    Some(ElfHardening {
        kind,
        nx,
        pie,
        relro,
        canary,
        fortify,
        stripped,
        dangerous_imports,
    })
}

/// The hardening of every ELF file of one file system, in path order (parsed on every core).
pub fn analyse_filesystem(filesystem: &Filesystem<'_>) -> Vec<(String, ElfHardening)> {
    super::analysis::map_files(filesystem, |path, file| {
        analyse_elf(&file.data).map(|h| (path.to_owned(), h))
    })
    .into_iter()
    .flatten()
    .collect()
}

/// A property some binaries lack.
struct Weakness {
    property: &'static str,
    /// The message after "N of M ": the noun and what they lack.
    message: &'static str,
    /// How many binaries the property applies to.
    of: usize,
    lacking: Vec<String>,
}

fn listed(paths: &[String]) -> Value {
    json!(paths.iter().take(MAX_LISTED).collect::<Vec<_>>())
}

fn filesystem_findings(
    filesystem: &Filesystem<'_>,
    binaries: &[(String, ElfHardening)],
) -> Vec<Finding> {
    let id = HARDENING.meta.id;
    let location = filesystem.location("");
    let count = |predicate: &dyn Fn(&ElfHardening) -> bool| {
        binaries.iter().filter(|(_, h)| predicate(h)).count()
    };
    let executables = count(&|h| h.kind == ElfKind::Executable);
    let mut summary = Map::new();
    summary.insert("elf_files".into(), json!(binaries.len()));
    summary.insert("executables".into(), json!(executables));
    summary.insert(
        "shared_libraries".into(),
        json!(binaries.len() - executables),
    );
    summary.insert("nx".into(), json!(count(&|h| h.nx)));
    summary.insert("pie".into(), json!(count(&|h| h.pie == Some(true))));
    summary.insert(
        "relro_full".into(),
        json!(count(&|h| h.relro == Relro::Full)),
    );
    summary.insert(
        "relro_partial".into(),
        json!(count(&|h| h.relro == Relro::Partial)),
    );
    summary.insert("canary".into(), json!(count(&|h| h.canary == Some(true))));
    summary.insert(
        "canary_unknown".into(),
        json!(count(&|h| h.canary.is_none())),
    );
    summary.insert("fortify".into(), json!(count(&|h| h.fortify == Some(true))));
    summary.insert("stripped".into(), json!(count(&|h| h.stripped)));
    summary.insert(
        "dangerous_imports".into(),
        json!(count(&|h| !h.dangerous_imports.is_empty())),
    );
    let mut findings = vec![Finding {
        check: id.to_owned(),
        provisions: HARDENING.meta.provision_ids(),
        severity: Severity::Info,
        confidence: Confidence::Confirmed,
        fingerprint: Finding::fingerprint_for(id, &location, &["summary"]),
        location: location.clone(),
        message: format!(
            "{} ELF files ({} executables): {} with NX, {} of {} executables PIE, {} with full RELRO, {} with a stack canary, {} fortified.",
            binaries.len(),
            executables,
            count(&|h| h.nx),
            count(&|h| h.pie == Some(true)),
            executables,
            count(&|h| h.relro == Relro::Full),
            count(&|h| h.canary == Some(true)),
            count(&|h| h.fortify == Some(true)),
        ),
        evidence: summary,
    }];
    let lacking = |predicate: &dyn Fn(&ElfHardening) -> bool| -> Vec<String> {
        binaries
            .iter()
            .filter(|(_, h)| predicate(h))
            .map(|(path, _)| path.clone())
            .collect()
    };
    let weaknesses = [
        Weakness {
            property: "nx",
            message: "ELF files have an executable stack (no NX)",
            of: binaries.len(),
            lacking: lacking(&|h| !h.nx),
        },
        Weakness {
            property: "pie",
            message: "executables are not position-independent (no ASLR for the program)",
            of: executables,
            lacking: lacking(&|h| h.pie == Some(false)),
        },
        Weakness {
            property: "relro",
            message: "ELF files have no RELRO (writable relocation tables)",
            of: binaries.len(),
            lacking: lacking(&|h| h.relro == Relro::None),
        },
        Weakness {
            property: "canary",
            message: "ELF files have no stack canaries",
            of: binaries.len(),
            lacking: lacking(&|h| h.canary == Some(false)),
        },
        Weakness {
            property: "fortify",
            message: "ELF files are built without FORTIFY_SOURCE although they call functions it checks",
            of: binaries.len(),
            lacking: lacking(&|h| h.fortify == Some(false)),
        },
    ];
    for weakness in weaknesses {
        if weakness.lacking.is_empty() {
            continue;
        }
        let mut evidence = Map::new();
        evidence.insert("property".into(), json!(weakness.property));
        evidence.insert("count".into(), json!(weakness.lacking.len()));
        evidence.insert("binaries".into(), listed(&weakness.lacking));
        findings.push(Finding {
            check: id.to_owned(),
            provisions: HARDENING.meta.provision_ids(),
            severity: Severity::Low,
            confidence: Confidence::Confirmed,
            fingerprint: Finding::fingerprint_for(id, &location, &[weakness.property]),
            location: location.clone(),
            message: format!(
                "{} of {} {}.",
                weakness.lacking.len(),
                weakness.of,
                weakness.message
            ),
            evidence,
        });
    }
    let dangerous: Vec<Value> = binaries
        .iter()
        .filter(|(_, h)| !h.dangerous_imports.is_empty())
        .map(|(path, h)| json!({"path": path, "functions": h.dangerous_imports}))
        .collect();
    if !dangerous.is_empty() {
        let functions: BTreeSet<&str> = binaries
            .iter()
            .flat_map(|(_, h)| h.dangerous_imports.iter().map(String::as_str))
            .collect();
        let mut evidence = Map::new();
        evidence.insert("property".into(), json!("dangerous-functions"));
        evidence.insert("count".into(), json!(dangerous.len()));
        evidence.insert(
            "binaries".into(),
            Value::Array(dangerous.into_iter().take(MAX_LISTED).collect()),
        );
        let count = evidence.get("count").and_then(Value::as_u64).unwrap_or(0);
        findings.push(Finding {
            check: id.to_owned(),
            provisions: HARDENING.meta.provision_ids(),
            severity: Severity::Low,
            confidence: Confidence::Confirmed,
            fingerprint: Finding::fingerprint_for(id, &location, &["dangerous-functions"]),
            location,
            message: format!(
                "{count} of {} ELF files import functions prone to overflows or command injection ({}).",
                binaries.len(),
                functions.into_iter().collect::<Vec<_>>().join(", ")
            ),
            evidence,
        });
    }
    findings
}

fn run_hardening(input: &CheckInput<'_>, _: &super::analysis::Analysis<'_>) -> CheckOutput {
    let mut findings = Vec::new();
    let mut total = 0;
    for filesystem in input.filesystems {
        let binaries = analyse_filesystem(filesystem);
        if binaries.is_empty() {
            continue;
        }
        total += binaries.len();
        findings.extend(filesystem_findings(filesystem, &binaries));
    }
    CheckOutput {
        coverage: Some(format!("{total} ELF files")),
        findings,
        ..CheckOutput::default()
    }
}

/// ELF binary hardening.
pub static HARDENING: Check = Check {
    meta: CheckMeta {
        id: "hardening.elf",
        provisions: &["5.6-9"],
        severity: Severity::Low,
        title: "ELF binary hardening",
        rationale: "Compiler and linker hardening (NX, PIE, RELRO, stack canaries, FORTIFY_SOURCE) turns many memory-safety bugs from code execution into crashes; its absence shows secure development practice was not followed.",
    },
    run: run_hardening,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_elf_and_truncated_input_is_ignored() {
        assert_eq!(analyse_elf(b"not an elf"), None);
        assert_eq!(analyse_elf(b"\x7fELF\x02\x01\x01"), None);
        let mut header = b"\x7fELF\x02\x01\x01".to_vec();
        header.resize(64, 0xff);
        assert_eq!(analyse_elf(&header), None);
    }
}
