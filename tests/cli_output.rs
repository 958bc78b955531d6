//! The CLI's output end: a reader that goes away (`drr-margin replay … | head`) ends the process
//! quietly with success, never with a panic or a coded error about the closed pipe. Native only
//! (there is no process to spawn in wasm32).
#![cfg(not(target_arch = "wasm32"))]

use std::io::Read;
use std::process::{Command, Stdio};

const CLI: &str = env!("CARGO_BIN_EXE_drr-margin");

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs the CLI with a stdout pipe whose reading end is closed before the CLI writes (it is
/// closed right after the spawn; the CLI first reads and validates its files). Returns the exit
/// code and what it wrote to stderr.
fn with_closed_stdout(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(CLI)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the CLI");
    drop(child.stdout.take());
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        e.read_to_string(&mut stderr).expect("read stderr");
    }
    let status = child.wait().expect("wait for the CLI");
    (status.code(), stderr)
}

#[test]
fn a_closed_stdout_ends_a_one_document_command_quietly() {
    let (market, account) = (fixture("market.json"), fixture("account.json"));
    let (code, stderr) =
        with_closed_stdout(&["margin", "--market", &market, "--account", &account]);
    assert_eq!((code, stderr.as_str()), (Some(0), ""));
}

#[test]
fn a_closed_stdout_ends_a_streaming_command_quietly() {
    let events = fixture("events.ndjson");
    let (code, stderr) = with_closed_stdout(&["replay", "--events", &events]);
    assert_eq!((code, stderr.as_str()), (Some(0), ""));
}

#[test]
fn errors_still_go_to_stderr_with_their_code() {
    let out = Command::new(CLI)
        .args([
            "margin",
            "--market",
            "/nonexistent.json",
            "--account",
            "/nonexistent.json",
        ])
        .output()
        .expect("run the CLI");
    assert_eq!(out.status.code(), Some(2));
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).expect("a JSON error line");
    assert!(
        err["error"]["code"]
            .as_str()
            .is_some_and(|c| c.starts_with("E_")),
        "{err}"
    );
}
