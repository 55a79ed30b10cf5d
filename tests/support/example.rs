//! The path of an example binary, built on demand.
//!
//! Cargo gives integration tests the path of `[[bin]]` targets only
//! (`CARGO_BIN_EXE_<name>`), not of examples. So [`example_binary`] runs
//! `cargo build --example <name> --quiet` (the cargo that builds the tests, from
//! `env!("CARGO")`) into the target directory this test executable lives in
//! (`<target>/<profile>/deps/<test>` → `<target>`), then uses
//! `<target>/<profile>/examples/<name>`. When the example is up to date the build is a
//! no-op.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// Prefixes of the variables cargo sets when it runs a test.
const SET_FOR_TESTS: &[&str] = &[
    "CARGO_MANIFEST_",
    "CARGO_PKG_",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_TMPDIR",
    "CARGO_RUSTC_CURRENT_DIR",
];

/// Builds the example `name` (a no-op when it is up to date) and returns its path.
pub fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test executable under <target>/<profile>/deps")
        .to_path_buf();
    let target_dir = profile_dir
        .parent()
        .expect("profile directory under the target directory");
    let mut build = Command::new(env!("CARGO"));
    build
        .args(["build", "--quiet", "--example", name, "--manifest-path"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .env("CARGO_TARGET_DIR", target_dir);
    // Variables cargo sets for the test process: some build scripts (ring's) rerun
    // when they differ from the outer build's, which would make this build and the
    // next `cargo test` rebuild each other's dependencies.
    for (key, _) in std::env::vars_os() {
        let var = key.to_string_lossy();
        if var == "OUT_DIR" || SET_FOR_TESTS.iter().any(|p| var.starts_with(p)) {
            build.env_remove(&key);
        }
    }
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    let status = build.status().expect("run cargo build");
    assert!(status.success(), "cargo build --example {name} failed");
    let binary = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(binary.exists(), "no {name} binary at {}", binary.display());
    binary
}
