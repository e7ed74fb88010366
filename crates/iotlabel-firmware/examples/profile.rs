//! Where a scan spends its time: extraction, then the analysis the checks share (byte scan,
//! account files, components), then each check on top of it, then all checks together as a
//! scan runs them (side by side, with a fresh shared analysis), for one image.
//! `cargo run --release -p iotlabel-firmware --example profile -- IMAGE`.

use std::time::{Duration, Instant};

use iotlabel_firmware::checks::{
    Analysis, CHECKS, CheckInput, CheckOptions, Filesystem, run_checks_with,
};
use iotlabel_firmware::extract::{ExtractOptions, extract};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: profile IMAGE");
        std::process::exit(2);
    };
    let data = match std::fs::read(&path) {
        Ok(data) => data,
        Err(error) => {
            eprintln!("cannot read {path}: {error}");
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    let extraction = extract(&path, &data, &ExtractOptions::default(), &mut |_| {});
    println!(
        "extract                              {:>8.3} s ({} files)",
        started.elapsed().as_secs_f64(),
        extraction.files
    );
    let filesystems: Vec<Filesystem<'_>> = extraction
        .filesystems
        .iter()
        .map(|fs| Filesystem {
            containers: fs.containers.clone(),
            tree: &fs.tree,
        })
        .collect();
    let options = CheckOptions {
        now: time::OffsetDateTime::now_utc(),
        crack_budget_per_hash: Duration::from_secs(2),
        ..CheckOptions::default()
    };
    let input = CheckInput {
        filesystems: &filesystems,
        options: &options,
    };
    let analysis = Analysis::new(&filesystems);
    let mut sequential = 0.0;
    let started = Instant::now();
    let facts: usize = (0..filesystems.len())
        .map(|index| analysis.file_facts(index).len())
        .sum();
    sequential += started.elapsed().as_secs_f64();
    println!(
        "shared: byte scan                    {:>8.3} s ({facts} files)",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let accounts: usize = (0..filesystems.len())
        .map(|index| analysis.accounts(index).len())
        .sum();
    sequential += started.elapsed().as_secs_f64();
    println!(
        "shared: account files                {:>8.3} s ({accounts} accounts)",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let components = analysis.components().map_or(0, <[_]>::len);
    sequential += started.elapsed().as_secs_f64();
    println!(
        "shared: components                   {:>8.3} s ({components} components)",
        started.elapsed().as_secs_f64()
    );
    for check in CHECKS {
        let started = Instant::now();
        let (findings, _) = run_checks_with(&[check], &input, &analysis);
        sequential += started.elapsed().as_secs_f64();
        println!(
            "{:<36} {:>8.3} s ({} findings)",
            check.meta.id,
            started.elapsed().as_secs_f64(),
            findings.len()
        );
    }
    println!("checks one after another (sum)        {sequential:>8.3} s");
    let started = Instant::now();
    let analysis = Analysis::new(&filesystems);
    let (findings, _) = run_checks_with(CHECKS, &input, &analysis);
    let components = analysis.components().map_or(0, <[_]>::len);
    println!(
        "checks as a scan runs them           {:>8.3} s ({} findings, {components} components)",
        started.elapsed().as_secs_f64(),
        findings.len()
    );
}
