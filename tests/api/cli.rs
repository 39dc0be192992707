//! The binary as a shell user meets it: `--help` everywhere, clear refusals with exit code 2,
//! and a quiet end when the reader of its output goes away early.

use crate::helpers::sample_dir;
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

const COMMANDS: [&str; 10] = [
    "serve",
    "migrate",
    "import",
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
        (&["import", "dir", "--forse"], "unknown option --forse"),
        (&["draw", "--colour", "red"], "unknown option --colour"),
        (&["-x"], "unknown option -x"),
        (&["import"], "usage: expertpool import DIR"),
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
