//! Services started at boot (EN 303 645 5.6-1, 5.6-4A, 5.6-5): telnet, FTP and TFTP servers,
//! unauthenticated shells on serial consoles, debug daemons (gdbserver, adbd, bind shells), and
//! SSH servers that accept root logins by password. Boot sources parsed: `inittab`, `rcS` and
//! other rc scripts, `init.d` scripts (with OpenWrt/SysV `S??name` links deciding which run),
//! procd `procd_set_param command` lines, `inetd.conf`, systemd units (enabled through a
//! `*.wants/` link), `sshd_config` and OpenWrt's dropbear configuration.
//!
//! Layered evidence: a daemon name only counts as the program a command runs (not inside
//! `killall telnetd`, `[ -x /usr/sbin/telnetd ]` or an `echo`), commented lines are ignored, an
//! `init.d` script that no rc link enables is not started, and a console line that runs
//! `getty` or `login` asks for a password. One finding per service, however many boot files
//! start it (the others are listed in the evidence).

use std::collections::{BTreeMap, BTreeSet};

use iotlabel_core::report::{Confidence, Severity};
use serde_json::{Map, json};

use super::credentials::{as_text, basename, new_finding};
use super::{Check, CheckInput, CheckMeta, CheckOutput, Filesystem};

const MAX_SCRIPT_BYTES: usize = 1024 * 1024;

/// A kind of boot file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BootSource {
    Inittab,
    RcScript,
    InitScript,
    Inetd,
    Systemd,
}

impl BootSource {
    fn name(self) -> &'static str {
        match self {
            BootSource::Inittab => "inittab",
            BootSource::RcScript => "rc script",
            BootSource::InitScript => "init script",
            BootSource::Inetd => "inetd.conf",
            BootSource::Systemd => "systemd unit",
        }
    }
}

/// One command line that runs at boot (or, for init scripts without rc links, may run).
#[derive(Debug, Clone)]
pub struct BootCommand {
    pub path: String,
    pub line: usize,
    pub text: String,
    pub source: BootSource,
    pub confidence: Confidence,
    /// For inittab: the `id` field (busybox: the terminal) and the action.
    pub inittab: Option<(String, String)>,
}

fn is_rc_script(path: &str) -> bool {
    let name = basename(path);
    matches!(
        path,
        "etc/rcS"
            | "etc/rc"
            | "etc/rc.local"
            | "etc/rc.sysinit"
            | "etc/init.d/rcS"
            | "etc/rc.d/rcS"
            | "etc/rc.d/rc.local"
            | "etc/rc.d/rc.sysinit"
            | "etc/init.d/rc.local"
            | "etc/rc.d/rc.init"
    ) || (path.starts_with("etc/") && (name == "rcS" || name == "rc.local" || name == "rc.sysinit"))
}

/// `etc/init.d/<name>` → the names that rc directories enable (`S50telnet` → `telnet`).
fn enabled_init_scripts(fs: &Filesystem<'_>) -> Option<BTreeSet<String>> {
    let mut enabled = BTreeSet::new();
    let mut has_rc_dirs = false;
    for (path, _) in fs.tree.entries() {
        let Some((dir, name)) = path.rsplit_once('/') else {
            continue;
        };
        let rc_dir = dir == "etc/rc.d"
            || (dir.starts_with("etc/rc") && dir.ends_with(".d") && dir != "etc/rc.d/init.d")
            || (dir.starts_with("etc/rc.d/rc") && dir.ends_with(".d"));
        if !rc_dir {
            continue;
        }
        if let Some(rest) = name.strip_prefix('S') {
            has_rc_dirs = true;
            let service = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            enabled.insert(service.to_owned());
            // The link target names the script too.
            if let Some(crate::vfs::Node::Symlink { target }) = fs.tree.get(path) {
                enabled.insert(basename(target).to_owned());
            }
        }
    }
    has_rc_dirs.then_some(enabled)
}

fn strip_comment(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') {
        return "";
    }
    match line.find(" #") {
        Some(at) => line.get(..at).unwrap_or(line),
        None => line,
    }
}

/// Every boot command of `fs`, and how many boot files were read.
pub fn boot_commands(fs: &Filesystem<'_>) -> (Vec<BootCommand>, usize) {
    let enabled = enabled_init_scripts(fs);
    let wanted: BTreeSet<String> = fs
        .tree
        .entries()
        .filter_map(|(path, _)| {
            let (dir, name) = path.rsplit_once('/')?;
            (dir.ends_with(".wants") || dir.ends_with(".requires")).then(|| name.to_owned())
        })
        .collect();
    let mut out = Vec::new();
    let mut files = 0;
    for (path, file) in fs.tree.files() {
        if file.data.len() > MAX_SCRIPT_BYTES {
            continue;
        }
        let name = basename(path);
        let (source, confidence) =
            if path == "etc/inittab" || name == "inittab" && path.starts_with("etc/") {
                (BootSource::Inittab, Confidence::Confirmed)
            } else if name == "inetd.conf" {
                (BootSource::Inetd, Confidence::Likely)
            } else if is_rc_script(path) {
                (BootSource::RcScript, Confidence::Confirmed)
            } else if let Some(script) = path.strip_prefix("etc/init.d/") {
                let confidence = match &enabled {
                    Some(enabled) if enabled.contains(script) => Confidence::Confirmed,
                    Some(_) => continue,
                    None if script.starts_with('S') => Confidence::Likely,
                    None => Confidence::Possible,
                };
                (BootSource::InitScript, confidence)
            } else if (path.contains("systemd/system/") || path.contains("systemd/user/"))
                && (name.ends_with(".service") || name.ends_with(".socket"))
            {
                let confidence = if wanted.contains(name) || path.contains(".wants/") {
                    Confidence::Confirmed
                } else {
                    continue;
                };
                (BootSource::Systemd, confidence)
            } else {
                continue;
            };
        let Some(text) = as_text(&file.data) else {
            continue;
        };
        files += 1;
        collect_lines(path, &text, source, confidence, &mut out);
    }
    (out, files)
}

fn collect_lines(
    path: &str,
    text: &str,
    source: BootSource,
    confidence: Confidence,
    out: &mut Vec<BootCommand>,
) {
    for (index, raw) in text.lines().enumerate() {
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        let (text, inittab) = match source {
            BootSource::Inittab => {
                let mut fields = line.splitn(4, ':');
                let (Some(id), Some(_runlevels), Some(action), Some(process)) =
                    (fields.next(), fields.next(), fields.next(), fields.next())
                else {
                    continue;
                };
                if matches!(
                    action,
                    "initdefault"
                        | "ctrlaltdel"
                        | "shutdown"
                        | "restart"
                        | "powerfail"
                        | "powerwait"
                        | "powerokwait"
                        | "powerfailnow"
                ) {
                    continue;
                }
                (
                    process.trim().to_owned(),
                    Some((id.to_owned(), action.to_owned())),
                )
            }
            BootSource::Systemd => {
                let Some((key, value)) = line.split_once('=') else {
                    continue;
                };
                let key = key.trim();
                if key == "ExecStart" || key == "ExecStartPre" || key == "ExecStartPost" {
                    (
                        value
                            .trim()
                            .trim_start_matches(['-', '@', '+', '!'])
                            .to_owned(),
                        None,
                    )
                } else if key == "ListenStream" || key == "ListenDatagram" {
                    (format!("listen {}", value.trim()), None)
                } else {
                    continue;
                }
            }
            _ => (line.to_owned(), None),
        };
        out.push(BootCommand {
            path: path.to_owned(),
            line: index + 1,
            text,
            source,
            confidence,
            inittab,
        });
    }
}

/// Programs that only inspect or stop a daemon named in their arguments.
const NOT_STARTING: &[&str] = &[
    "killall",
    "kill",
    "pkill",
    "pidof",
    "pgrep",
    "echo",
    "printf",
    "test",
    "[",
    "[[",
    "which",
    "type",
    "command",
    "rm",
    "ln",
    "cp",
    "mv",
    "chmod",
    "chown",
    "ls",
    "cat",
    "grep",
    "logger",
    "local",
    "return",
    "if",
    "elif",
    "while",
    "case",
    "export",
    "sed",
    "awk",
    "uci",
    "config_get",
    "stop",
    "service_stop",
    "procd_kill",
    "insmod",
    "rmmod",
    "mkdir",
    "touch",
];

/// Wrappers whose arguments contain the real program.
const WRAPPERS: &[&str] = &[
    "exec",
    "nohup",
    "busybox",
    "setsid",
    "nice",
    "ionice",
    "taskset",
    "chroot",
    "sudo",
    "su",
    "start-stop-daemon",
    "tcpsvd",
    "udpsvd",
    "service_start",
    "procd_set_param",
    "daemon",
    "runuser",
    "env",
    "then",
    "do",
    "else",
    "{",
    "(",
];

/// The programs (basename, arguments) that a shell command line starts.
pub fn started_programs(line: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let normalized = line.replace("&&", ";").replace("||", ";").replace('|', ";");
    for command in normalized.split([';', '&', '`']) {
        let tokens: Vec<String> = command
            .split_whitespace()
            .map(|t| t.trim_matches(['"', '\'', '(', ')']).to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        let mut index = 0;
        // Skip environment assignments.
        while tokens
            .get(index)
            .is_some_and(|t| t.contains('=') && !t.starts_with('-'))
        {
            index += 1;
        }
        let Some(first) = tokens.get(index) else {
            continue;
        };
        let first_name = basename(first.trim_start_matches('-'));
        if NOT_STARTING.contains(&first_name) {
            continue;
        }
        if WRAPPERS.contains(&first_name) {
            // The program is the first later token that names a known service program, or
            // (procd) the token after `command`.
            let rest = tokens.get(index + 1..).unwrap_or_default();
            let start = rest.iter().position(|t| {
                service_of(basename(t)).is_some() || is_shell(basename(t.trim_start_matches('-')))
            });
            if let Some(at) = start
                && let Some(program) = rest.get(at)
            {
                out.push((
                    basename(program).to_owned(),
                    rest.get(at + 1..).unwrap_or_default().to_vec(),
                ));
            }
            continue;
        }
        out.push((
            first_name.to_owned(),
            tokens.get(index + 1..).unwrap_or_default().to_vec(),
        ));
    }
    out
}

fn is_shell(name: &str) -> bool {
    matches!(
        name,
        "sh" | "ash" | "bash" | "hush" | "msh" | "dash" | "zsh" | "ksh"
    )
}

/// Which service a program name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ServiceKind {
    Telnet,
    Ftp,
    Tftp,
    Debug,
    Dropbear,
    Sshd,
}

fn service_of(program: &str) -> Option<ServiceKind> {
    match program {
        "telnetd" | "utelnetd" | "in.telnetd" | "telnetd.sh" => Some(ServiceKind::Telnet),
        "ftpd" | "vsftpd" | "proftpd" | "pure-ftpd" | "bftpd" | "in.ftpd" | "stupid-ftpd"
        | "uftpd" | "wu-ftpd" => Some(ServiceKind::Ftp),
        "tftpd" | "in.tftpd" | "atftpd" | "tftpd-hpa" | "opentftpd" => Some(ServiceKind::Tftp),
        "gdbserver" | "adbd" | "frida-server" | "nc" | "netcat" | "ncat" | "socat" => {
            Some(ServiceKind::Debug)
        }
        "dropbear" => Some(ServiceKind::Dropbear),
        "sshd" => Some(ServiceKind::Sshd),
        _ => None,
    }
}

/// Whether an `nc`/`socat` invocation is a listening shell (a bind shell).
fn is_bind_shell(program: &str, args: &[String]) -> bool {
    let joined = args.join(" ").to_ascii_lowercase();
    match program {
        "nc" | "netcat" | "ncat" => {
            args.iter().any(|a| a.starts_with('-') && a.contains('l'))
                && args
                    .iter()
                    .any(|a| a == "-e" || a == "-c" || a.starts_with("-e") && a.len() > 2)
        }
        "socat" => {
            joined.contains("listen")
                && (joined.contains("exec:") || joined.contains("system:"))
                && (joined.contains("sh"))
        }
        _ => false,
    }
}

/// A service started at boot.
#[derive(Debug, Clone)]
struct Started {
    command: BootCommand,
    program: String,
    args: Vec<String>,
}

fn started_services(fs: &Filesystem<'_>) -> (Vec<(ServiceKind, Started)>, usize) {
    let (commands, files) = boot_commands(fs);
    // inetd.conf only matters when a boot file starts inetd; a commented-out `#/sbin/inetd`
    // leaves the entries as a possibility (another daemon may still start it).
    let inetd_started = commands.iter().any(|c| {
        c.source != BootSource::Inetd
            && started_programs(&c.text)
                .iter()
                .any(|(program, _)| program == "inetd" || program == "xinetd")
    });
    let mut out = Vec::new();
    for mut command in commands {
        if command.source == BootSource::Inetd {
            command.confidence = if inetd_started {
                Confidence::Confirmed
            } else {
                Confidence::Possible
            };
            // service socket-type protocol wait user server arguments
            let fields: Vec<&str> = command.text.split_whitespace().collect();
            let (Some(service), Some(server)) = (fields.first(), fields.get(5)) else {
                continue;
            };
            let server_name = basename(server).to_owned();
            let args: Vec<String> = fields
                .get(6..)
                .unwrap_or_default()
                .iter()
                .map(|s| (*s).to_owned())
                .collect();
            let kind = match *service {
                "telnet" => Some(ServiceKind::Telnet),
                "ftp" => Some(ServiceKind::Ftp),
                "tftp" => Some(ServiceKind::Tftp),
                _ => args
                    .first()
                    .and_then(|a| service_of(basename(a)))
                    .or_else(|| service_of(&server_name)),
            };
            if let Some(kind) = kind.filter(|k| !matches!(k, ServiceKind::Debug)) {
                out.push((
                    kind,
                    Started {
                        command: command.clone(),
                        program: server_name,
                        args,
                    },
                ));
            }
            continue;
        }
        if command.source == BootSource::Systemd && command.text.starts_with("listen ") {
            let port = command.text.rsplit([':', ' ']).next().unwrap_or_default();
            let kind = match port {
                "23" => Some(ServiceKind::Telnet),
                "21" => Some(ServiceKind::Ftp),
                "69" => Some(ServiceKind::Tftp),
                _ => None,
            };
            if let Some(kind) = kind {
                out.push((
                    kind,
                    Started {
                        command: command.clone(),
                        program: format!("socket port {port}"),
                        args: Vec::new(),
                    },
                ));
            }
            continue;
        }
        for (program, args) in started_programs(&command.text) {
            let Some(kind) = service_of(&program) else {
                continue;
            };
            if kind == ServiceKind::Debug
                && matches!(program.as_str(), "nc" | "netcat" | "ncat" | "socat")
                && !is_bind_shell(&program, &args)
            {
                continue;
            }
            out.push((
                kind,
                Started {
                    command: command.clone(),
                    program,
                    args,
                },
            ));
        }
    }
    (out, files)
}

fn service_findings(
    input: &CheckInput<'_>,
    meta: &CheckMeta,
    wanted: ServiceKind,
    describe: fn(&Started) -> (Severity, String, Option<String>),
) -> CheckOutput {
    let mut findings = Vec::new();
    let mut files = 0;
    for fs in input.filesystems {
        let (started, read) = started_services(fs);
        files += read;
        // One finding per program per file system; other places that start it are evidence.
        let mut by_program: BTreeMap<String, Vec<Started>> = BTreeMap::new();
        for (kind, entry) in started {
            if kind == wanted {
                by_program
                    .entry(entry.program.clone())
                    .or_default()
                    .push(entry);
            }
        }
        for (program, mut entries) in by_program {
            entries.sort_by_key(|e| (confidence_rank(e.command.confidence), e.command.source));
            let Some(first) = entries.first() else {
                continue;
            };
            let (severity, message, note) = describe(first);
            let mut evidence = Map::new();
            evidence.insert("program".into(), json!(program));
            evidence.insert("command".into(), json!(first.command.text));
            evidence.insert("line".into(), json!(first.command.line));
            evidence.insert("boot_source".into(), json!(first.command.source.name()));
            if let Some(note) = note {
                evidence.insert("note".into(), json!(note));
            }
            let others: Vec<String> = entries
                .iter()
                .skip(1)
                .map(|e| format!("{}:{}", e.command.path, e.command.line))
                .collect();
            if !others.is_empty() {
                evidence.insert("also_started_in".into(), json!(others));
            }
            findings.push(new_finding(
                meta,
                fs,
                &first.command.path,
                severity,
                first.command.confidence,
                message,
                evidence,
                &[&program],
            ));
        }
    }
    CheckOutput {
        findings,
        coverage: Some(format!(
            "{files} boot files parsed (inittab, rc and init.d scripts, inetd.conf, enabled systemd units)"
        )),
        ..CheckOutput::default()
    }
}

fn confidence_rank(confidence: Confidence) -> u8 {
    match confidence {
        Confidence::Confirmed => 0,
        Confidence::Likely => 1,
        Confidence::Possible => 2,
    }
}

fn login_option_shell(args: &[String]) -> Option<String> {
    let at = args.iter().position(|a| a == "-l")?;
    let program = args.get(at + 1)?;
    is_shell(basename(program)).then(|| program.clone())
}

pub static TELNET: Check = Check {
    meta: CheckMeta {
        id: "services.telnet",
        provisions: &["5.6-5", "5.6-1"],
        severity: Severity::High,
        title: "Telnet server started at boot",
        rationale: "Telnet sends passwords in clear text and is the login service automated \
                    attacks (Mirai) scan for; it is rarely needed for the product's use.",
    },
    run: |input, _| {
        service_findings(input, &TELNET.meta, ServiceKind::Telnet, |started| {
            match login_option_shell(&started.args) {
                Some(shell) => (
                    Severity::Critical,
                    format!(
                        "A telnet server ({}) is started at boot and gives a shell ({shell}) without a password.",
                        started.program
                    ),
                    Some(format!("-l {shell}: no login prompt")),
                ),
                None => (
                    Severity::High,
                    format!("A telnet server ({}) is started at boot.", started.program),
                    None,
                ),
            }
        })
    },
};

pub static FTP: Check = Check {
    meta: CheckMeta {
        id: "services.ftp",
        provisions: &["5.6-5", "5.6-1"],
        severity: Severity::Medium,
        title: "FTP server started at boot",
        rationale: "FTP sends credentials and files in clear text; a server listening by \
                    default widens the attack surface.",
    },
    run: |input, _| {
        service_findings(input, &FTP.meta, ServiceKind::Ftp, |started| {
            (
                Severity::Medium,
                format!("An FTP server ({}) is started at boot.", started.program),
                None,
            )
        })
    },
};

pub static TFTP: Check = Check {
    meta: CheckMeta {
        id: "services.tftp",
        provisions: &["5.6-5", "5.6-1"],
        severity: Severity::High,
        title: "TFTP server started at boot",
        rationale: "TFTP has no authentication at all: anyone on the network can read (and \
                    often write) the files it serves.",
    },
    run: |input, _| {
        service_findings(input, &TFTP.meta, ServiceKind::Tftp, |started| {
            (
                Severity::High,
                format!(
                    "A TFTP server ({}) is started at boot; TFTP has no authentication.",
                    started.program
                ),
                None,
            )
        })
    },
};

pub static DEBUG_DAEMON: Check = Check {
    meta: CheckMeta {
        id: "services.debug-daemon",
        provisions: &["5.6-4A", "5.6-5"],
        severity: Severity::High,
        title: "Debug daemon or bind shell started at boot",
        rationale: "A debugger server, Android debug bridge or listening shell started at boot \
                    is a debug interface reachable over the network without access control.",
    },
    run: |input, _| {
        service_findings(input, &DEBUG_DAEMON.meta, ServiceKind::Debug, |started| {
            let what = match started.program.as_str() {
                "nc" | "netcat" | "ncat" | "socat" => "a listening shell (bind shell)",
                "gdbserver" => "a remote debugger server",
                "adbd" => "the Android debug bridge",
                _ => "a debug daemon",
            };
            (
                Severity::High,
                format!("{} ({what}) is started at boot.", started.program),
                None,
            )
        })
    },
};

// ---------------------------------------------------------------------------------------------
// services.serial-shell

pub static SERIAL_SHELL: Check = Check {
    meta: CheckMeta {
        id: "services.serial-shell",
        provisions: &["5.6-4A"],
        severity: Severity::High,
        title: "Shell without login on a serial console",
        rationale: "A console that starts a shell directly gives a root shell to anyone who \
                    connects to the UART pins, with no password.",
    },
    run: run_serial_shell,
};

fn run_serial_shell(input: &CheckInput<'_>, _: &super::analysis::Analysis<'_>) -> CheckOutput {
    let meta = &SERIAL_SHELL.meta;
    let mut findings = Vec::new();
    let mut lines = 0;
    for fs in input.filesystems {
        let (commands, _) = boot_commands(fs);
        for command in commands.iter().filter(|c| c.source == BootSource::Inittab) {
            lines += 1;
            let Some((id, action)) = &command.inittab else {
                continue;
            };
            if !matches!(
                action.as_str(),
                "respawn" | "askfirst" | "once" | "wait" | "sysinit" | "askconsole"
            ) {
                continue;
            }
            let tokens: Vec<&str> = command.text.split_whitespace().collect();
            let Some(program) = tokens.first() else {
                continue;
            };
            let name = basename(program.trim_start_matches('-'));
            let (unauthenticated, how) = if is_shell(name) {
                (true, format!("runs {} directly", program))
            } else if name == "login" && tokens.contains(&"-f") {
                (true, "runs login -f (no password asked)".to_owned())
            } else if name.contains("getty")
                && (tokens.contains(&"-n") && tokens.contains(&"-l")
                    || tokens
                        .iter()
                        .any(|t| t.starts_with("--autologin") || *t == "-a"))
            {
                (true, "getty skips the login prompt".to_owned())
            } else {
                (false, String::new())
            };
            if !unauthenticated || (action == "sysinit" && !is_shell(name)) {
                continue;
            }
            let terminal = if id.is_empty() {
                "console".to_owned()
            } else {
                id.clone()
            };
            let mut evidence = Map::new();
            evidence.insert("terminal".into(), json!(terminal));
            evidence.insert("action".into(), json!(action));
            evidence.insert("command".into(), json!(command.text));
            evidence.insert("line".into(), json!(command.line));
            findings.push(new_finding(
                meta,
                fs,
                &command.path,
                Severity::High,
                Confidence::Confirmed,
                format!("The serial console ({terminal}) {how}: a shell without a password."),
                evidence,
                &[&terminal],
            ));
        }
    }
    CheckOutput {
        findings,
        coverage: Some(format!("{lines} inittab entries checked")),
        ..CheckOutput::default()
    }
}

// ---------------------------------------------------------------------------------------------
// services.ssh-root-password

pub static SSH_ROOT_PASSWORD: Check = Check {
    meta: CheckMeta {
        id: "services.ssh-root-password",
        provisions: &["5.6-5", "5.1-1"],
        severity: Severity::High,
        title: "SSH server accepts root logins by password",
        rationale: "Password logins as root over SSH are what brute-force and default-password \
                    attacks target; keys or a non-root account are safer defaults.",
    },
    run: run_ssh_root_password,
};

/// The global (before any `Match`) directives of an sshd_config, first value winning.
fn sshd_directives(text: &str) -> BTreeMap<String, (String, usize)> {
    let mut out = BTreeMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line = strip_comment(raw).trim();
        let mut words = line.splitn(2, [' ', '\t', '=']);
        let (Some(key), Some(value)) = (words.next(), words.next()) else {
            continue;
        };
        let key = key.to_ascii_lowercase();
        if key == "match" {
            break;
        }
        out.entry(key).or_insert_with(|| {
            (
                value
                    .trim()
                    .trim_start_matches('=')
                    .trim()
                    .to_ascii_lowercase(),
                index + 1,
            )
        });
    }
    out
}

fn run_ssh_root_password(input: &CheckInput<'_>, _: &super::analysis::Analysis<'_>) -> CheckOutput {
    let meta = &SSH_ROOT_PASSWORD.meta;
    let mut findings = Vec::new();
    let mut checked = Vec::new();
    let mut notes = Vec::new();
    for fs in input.filesystems {
        for (path, file) in fs.tree.files() {
            if basename(path) != "sshd_config" || file.data.len() > MAX_SCRIPT_BYTES {
                continue;
            }
            let Some(text) = as_text(&file.data) else {
                continue;
            };
            checked.push(path.to_owned());
            let directives = sshd_directives(&text);
            let get = |key: &str| directives.get(key).map(|(v, l)| (v.as_str(), *l));
            let Some((permit, line)) = get("permitrootlogin") else {
                notes.push(format!(
                    "{path} leaves PermitRootLogin unset (prohibit-password since OpenSSH 7.0, yes before)"
                ));
                continue;
            };
            let password_off = get("passwordauthentication").is_some_and(|(v, _)| v == "no");
            let keyboard_off = get("kbdinteractiveauthentication")
                .or_else(|| get("challengeresponseauthentication"))
                .is_some_and(|(v, _)| v == "no");
            if permit != "yes" || (password_off && keyboard_off) {
                continue;
            }
            let mut evidence = Map::new();
            evidence.insert("server".into(), json!("openssh"));
            evidence.insert("PermitRootLogin".into(), json!(permit));
            evidence.insert("line".into(), json!(line));
            evidence.insert("password_authentication".into(), json!(!password_off));
            findings.push(new_finding(
                meta,
                fs,
                path,
                Severity::High,
                Confidence::Confirmed,
                "sshd_config sets PermitRootLogin yes with password authentication enabled."
                    .to_owned(),
                evidence,
                &["openssh"],
            ));
        }
        findings.extend(dropbear_findings(meta, fs, &mut checked));
    }
    CheckOutput {
        findings,
        coverage: Some(if checked.is_empty() {
            "no sshd_config, dropbear configuration or dropbear start line found".to_owned()
        } else {
            let mut coverage = format!("SSH configuration checked: {}", checked.join(", "));
            for note in &notes {
                coverage.push_str("; ");
                coverage.push_str(note);
            }
            coverage
        }),
        ..CheckOutput::default()
    }
}

/// Dropbear: the OpenWrt UCI file (`RootPasswordAuth`, `PasswordAuth`, default on) or, without
/// it, the start command's flags (`-w` no root logins, `-s` no passwords, `-g` no root
/// passwords).
fn dropbear_findings(
    meta: &CheckMeta,
    fs: &Filesystem<'_>,
    checked: &mut Vec<String>,
) -> Vec<iotlabel_core::report::Finding> {
    let mut out = Vec::new();
    if let Some(data) = fs.tree.read("etc/config/dropbear") {
        checked.push("etc/config/dropbear".to_owned());
        let text = String::from_utf8_lossy(data);
        let settings = super::credentials::parse_settings(&text);
        let off = |key: &str| {
            settings
                .iter()
                .find(|s| s.key == key)
                .is_some_and(|s| matches!(s.value.as_str(), "off" | "0" | "no" | "false"))
        };
        if !off("RootPasswordAuth") && !off("PasswordAuth") && !off("RootLogin") {
            let mut evidence = Map::new();
            evidence.insert("server".into(), json!("dropbear"));
            evidence.insert("RootPasswordAuth".into(), json!("on (default or set)"));
            out.push(new_finding(
                meta,
                fs,
                "etc/config/dropbear",
                Severity::High,
                Confidence::Likely,
                "Dropbear's configuration allows root logins by password (RootPasswordAuth and PasswordAuth are on).".to_owned(),
                evidence,
                &["dropbear"],
            ));
        }
        return out;
    }
    let (started, _) = started_services(fs);
    for (kind, entry) in started {
        if kind != ServiceKind::Dropbear {
            continue;
        }
        checked.push(format!("{}:{}", entry.command.path, entry.command.line));
        let flags: String = entry
            .args
            .iter()
            .filter(|a| a.starts_with('-') && !a.starts_with("--"))
            .flat_map(|a| a.chars().skip(1))
            .collect();
        if flags.contains('w') || flags.contains('s') || flags.contains('g') {
            continue;
        }
        let mut evidence = Map::new();
        evidence.insert("server".into(), json!("dropbear"));
        evidence.insert("command".into(), json!(entry.command.text));
        evidence.insert("line".into(), json!(entry.command.line));
        out.push(new_finding(
            meta,
            fs,
            &entry.command.path,
            Severity::High,
            entry.command.confidence,
            "Dropbear is started without -w, -s or -g, so root can log in by password.".to_owned(),
            evidence,
            &["dropbear"],
        ));
        break;
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::checks::{CheckOptions, run_checks};
    use crate::vfs::{FileEntry, Tree};

    fn tree(files: &[(&str, &str)]) -> Tree {
        let mut tree = Tree::new();
        for (path, text) in files {
            tree.add_file(path, FileEntry::new(text.as_bytes().to_vec()))
                .unwrap();
        }
        tree
    }

    fn checks_of(tree: &Tree, check: &Check) -> Vec<iotlabel_core::report::Finding> {
        let options = CheckOptions::default();
        let filesystems = [Filesystem {
            containers: vec![],
            tree,
        }];
        let input = CheckInput {
            filesystems: &filesystems,
            options: &options,
        };
        run_checks(&[check], &input).0
    }

    fn programs(line: &str) -> Vec<String> {
        started_programs(line).into_iter().map(|(p, _)| p).collect()
    }

    #[test]
    fn only_started_programs_count() {
        assert!(!programs("killall telnetd").contains(&"telnetd".to_owned()));
        assert!(!programs("[ -x /usr/sbin/telnetd ] || exit 0").contains(&"telnetd".to_owned()));
        assert!(!programs("echo telnetd disabled").contains(&"telnetd".to_owned()));
        assert!(
            programs("[ -x /usr/sbin/telnetd ] && /usr/sbin/telnetd -l /bin/login")
                .contains(&"telnetd".to_owned())
        );
        assert!(
            programs("start-stop-daemon -S -b -x /usr/sbin/vsftpd").contains(&"vsftpd".to_owned())
        );
        assert!(
            programs("procd_set_param command /usr/sbin/telnetd -F -l /bin/login.sh")
                .contains(&"telnetd".to_owned())
        );
        assert!(programs("busybox telnetd -p 2323").contains(&"telnetd".to_owned()));
        assert!(
            programs("FOO=1 nohup gdbserver :9999 /bin/app &").contains(&"gdbserver".to_owned())
        );
    }

    #[test]
    fn openwrt_rc_links_decide_which_init_scripts_run() {
        let script = "#!/bin/sh /etc/rc.common\nstart_service() {\n\tprocd_open_instance\n\tprocd_set_param command /usr/sbin/telnetd -F -l /bin/login.sh\n}\n";
        let disabled = tree(&[("etc/init.d/telnet", script), ("etc/rc.d/S10boot", "")]);
        assert!(checks_of(&disabled, &TELNET).is_empty());
        let mut enabled = tree(&[("etc/init.d/telnet", script)]);
        enabled
            .add_symlink("etc/rc.d/S50telnet", "../init.d/telnet")
            .unwrap();
        let found = checks_of(&enabled, &TELNET);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].confidence, Confidence::Confirmed);
        assert_eq!(
            found[0].severity,
            Severity::High,
            "login.sh asks for a password"
        );
    }

    #[test]
    fn systemd_units_count_when_wanted() {
        let unit = "[Unit]\nDescription=tftp\n[Service]\nExecStart=-/usr/sbin/in.tftpd -s /srv\n";
        let mut wanted = tree(&[("lib/systemd/system/tftpd.service", unit)]);
        wanted
            .add_symlink(
                "etc/systemd/system/multi-user.target.wants/tftpd.service",
                "/lib/systemd/system/tftpd.service",
            )
            .unwrap();
        assert_eq!(checks_of(&wanted, &TFTP).len(), 1);
        let unwanted = tree(&[("lib/systemd/system/tftpd.service", unit)]);
        assert!(checks_of(&unwanted, &TFTP).is_empty());
    }

    #[test]
    fn bind_shell_positive_and_negative() {
        let positive = tree(&[("etc/rc.local", "nc -l -p 4444 -e /bin/sh &\n")]);
        assert_eq!(checks_of(&positive, &DEBUG_DAEMON).len(), 1);
        let negative = tree(&[("etc/rc.local", "nc -z 10.0.0.1 80 && echo up\n")]);
        assert!(checks_of(&negative, &DEBUG_DAEMON).is_empty());
    }

    #[test]
    fn sshd_and_dropbear_positive_and_negative() {
        let negative = tree(&[(
            "etc/ssh/sshd_config",
            "PermitRootLogin yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n",
        )]);
        assert!(checks_of(&negative, &SSH_ROOT_PASSWORD).is_empty());
        let first_wins = tree(&[(
            "etc/ssh/sshd_config",
            "PermitRootLogin prohibit-password\nPermitRootLogin yes\nMatch User admin\n  PermitRootLogin yes\n",
        )]);
        assert!(checks_of(&first_wins, &SSH_ROOT_PASSWORD).is_empty());
        let uci_on = tree(&[(
            "etc/config/dropbear",
            "config dropbear\n\toption PasswordAuth 'on'\n\toption Port '22'\n",
        )]);
        assert_eq!(checks_of(&uci_on, &SSH_ROOT_PASSWORD).len(), 1);
        let uci_off = tree(&[(
            "etc/config/dropbear",
            "config dropbear\n\toption RootPasswordAuth 'off'\n",
        )]);
        assert!(checks_of(&uci_off, &SSH_ROOT_PASSWORD).is_empty());
        let flags = tree(&[("etc/init.d/S50dropbear", "dropbear -R -p 22\n")]);
        assert_eq!(checks_of(&flags, &SSH_ROOT_PASSWORD).len(), 1);
        let flags_off = tree(&[("etc/init.d/S50dropbear", "dropbear -R -w -p 22\n")]);
        assert!(checks_of(&flags_off, &SSH_ROOT_PASSWORD).is_empty());
    }

    #[test]
    fn serial_console_with_login_is_not_a_finding() {
        let negative = tree(&[(
            "etc/inittab",
            "ttyS0::respawn:/sbin/getty -L ttyS0 115200 vt100\n::sysinit:/etc/init.d/rcS\n",
        )]);
        assert!(checks_of(&negative, &SERIAL_SHELL).is_empty());
        let autologin = tree(&[("etc/inittab", "ttyS0::respawn:/bin/login -f root\n")]);
        assert_eq!(checks_of(&autologin, &SERIAL_SHELL).len(), 1);
    }

    proptest! {
        #[test]
        fn hostile_boot_files_never_panic(text in "\\PC{0,400}") {
            let tree = tree(&[("etc/inittab", &text), ("etc/init.d/rcS", &text), ("etc/inetd.conf", &text), ("etc/ssh/sshd_config", &text)]);
            for check in [&TELNET, &FTP, &TFTP, &SERIAL_SHELL, &DEBUG_DAEMON, &SSH_ROOT_PASSWORD] {
                let _ = checks_of(&tree, check);
            }
        }
    }
}
