//! Where a scan spends its time: extraction, then each check, then component identification,
//! for one image. `cargo run --release -p iotlabel-firmware --example profile -- IMAGE`.

use std::time::{Duration, Instant};

use iotlabel_firmware::checks::{CHECKS, CheckInput, CheckOptions, Filesystem, run_checks};
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
    for check in CHECKS {
        let started = Instant::now();
        let (findings, _) = run_checks(&[check], &input);
        println!(
            "{:<36} {:>8.3} s ({} findings)",
            check.meta.id,
            started.elapsed().as_secs_f64(),
            findings.len()
        );
    }
    let started = Instant::now();
    let components = iotlabel_firmware::checks::components::identify_components(&filesystems);
    println!(
        "identify_components                  {:>8.3} s ({} components)",
        started.elapsed().as_secs_f64(),
        components.len()
    );
}
