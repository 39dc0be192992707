//! The binary as a shell user meets it: `--help` everywhere, clear refusals with exit code 2,
//! and a quiet end when the reader of its output goes away early.

use crate::helpers::{sample_dir, small_dataset};
use expertpool::dataset::Dataset;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn expertpool(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_expertpool"))
        .args(args)
        // A database the help must never open.
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/never")
        .output()
        .expect("run expertpool")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const COMMANDS: [&str; 11] = [
    "serve",
    "migrate",
    "import",
    "export",
    "user",
    "backup",
    "restore",
    "draw",
    "conflicts",
    "solve",
    "bench",
];

#[test]
fn help_is_printed_for_the_binary_and_every_command() {
    for args in [&["--help"][..], &["-h"], &["help"]] {
        let out = expertpool(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        let usage = text(&out.stdout);
        for c in COMMANDS {
            assert!(usage.contains(&format!("\n  {c}")), "{args:?} lists {c}");
        }
    }
    for c in COMMANDS {
        for flag in ["--help", "-h"] {
            let out = expertpool(&[c, flag]);
            assert!(out.status.success(), "{c} {flag}: {}", text(&out.stderr));
            let help = text(&out.stdout);
            assert!(
                help.starts_with(&format!("usage: expertpool {c}")),
                "{help}"
            );
            assert!(help.contains("options:"), "{help}");
        }
    }
    let export = text(&expertpool(&["export", "--help"]).stdout);
    assert!(export.contains("--force"), "{export}");
    let draw = text(&expertpool(&["help", "draw"]).stdout);
    for option in [
        "--data DIR",
        "--event ID",
        "--seed N",
        "--json",
        "--time-limit S",
    ] {
        assert!(draw.contains(option), "{draw}");
    }
}

#[test]
fn unknown_commands_and_options_fail_with_a_hint_and_code_2() {
    for (args, says) in [
        (&["frobnicate"][..], "unknown command 'frobnicate'"),
        (&["export", "out", "--forse"], "unknown option --forse"),
        (&["draw", "--colour", "red"], "unknown option --colour"),
        (&["-x"], "unknown option -x"),
        (&["export"], "usage: expertpool export DIR [--force]"),
    ] {
        let out = expertpool(args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(err.contains("--help"), "{args:?} points at the help: {err}");
    }
}

/// Runs the binary with its output read by a reader that stops after `lines` lines.
fn read_then_close(args: &[&str], database: Option<&Path>, lines: usize) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_expertpool"));
    command
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(db) = database {
        command.env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", db.display()),
        );
    }
    let mut child = command.spawn().expect("start expertpool");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    for _ in 0..lines {
        let mut line = String::new();
        reader.read_line(&mut line).expect("read a line");
    }
    drop(reader);
    child.wait_with_output().expect("wait")
}

#[test]
fn conflicts_into_a_reader_that_stops_after_one_line_ends_quietly() {
    let sample = sample_dir();
    // About 30,000 lines: far more than a pipe holds, so the writes meet the closed pipe.
    let out = read_then_close(
        &["conflicts", "--data", sample.to_str().expect("utf-8")],
        None,
        1,
    );

    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{:?}: {err}", out.status);
}

#[tokio::test]
async fn export_into_a_closed_pipe_ends_quietly_with_its_files_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("expertpool.db");
    let store = expertpool::store::Store::connect(&format!("sqlite://{}?mode=rwc", db.display()))
        .await
        .expect("open");
    let data = Dataset::load(small_dataset(4).path()).expect("dataset");
    expertpool::store::import::import(
        &store,
        &data,
        &expertpool::store::audit::Actor::system("test"),
    )
    .await
    .expect("import");
    store.pool.close().await;
    let target = dir.path().join("export");

    let out = tokio::task::spawn_blocking({
        let (db, target) = (db.clone(), target.clone());
        move || read_then_close(&["export", target.to_str().expect("utf-8")], Some(&db), 0)
    })
    .await
    .expect("join");

    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{:?}: {err}", out.status);
    assert_eq!(Dataset::load(&target).expect("loads").experts.len(), 4);
}

#[test]
fn export_names_a_missing_sqlite_database_instead_of_creating_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("missing.db");
    let out = Command::new(env!("CARGO_BIN_EXE_expertpool"))
        .args(["export", dir.path().join("out").to_str().expect("utf-8")])
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", db.display()),
        )
        .output()
        .expect("run");

    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("there is no database"));
    assert!(!db.exists());
}
