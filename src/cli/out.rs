//! Standard output of the commands. Rust ignores SIGPIPE, so once the reader of a pipe has
//! gone (`expertpool conflicts … | head -1`) every write fails with `BrokenPipe`, and
//! `println!` panics on that. Here a closed pipe ends the program quietly with status 0,
//! as it would end a C program (the reader had all it wanted); any other write error is
//! returned to the command.

use std::io::{ErrorKind, Write};

/// Prints a line to standard output: `out!("{x}")?` instead of `println!("{x}")`.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::out::line(format_args!($($arg)*))
    };
}

/// Ends the process when the reader closed the pipe; passes every other result on.
fn quiet_on_closed_pipe<T>(result: std::io::Result<T>) -> std::io::Result<T> {
    match result {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => std::process::exit(0),
        other => other,
    }
}

/// Standard output as a writer (for `csv::Writer` and the like), flushed on every write so
/// that a closed pipe is noticed at the write that meets it.
pub struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut lock = std::io::stdout().lock();
        let n = quiet_on_closed_pipe(lock.write(buf))?;
        quiet_on_closed_pipe(lock.flush())?;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        quiet_on_closed_pipe(std::io::stdout().lock().flush())
    }
}

/// Writes `text` as it is.
pub fn text(text: &str) -> Result<(), String> {
    Stdout
        .write_all(text.as_bytes())
        .map_err(|e| format!("cannot write to standard output: {e}"))
}

/// Writes one formatted line (what `out!` calls).
pub fn line(args: std::fmt::Arguments) -> Result<(), String> {
    let mut text = args.to_string();
    text.push('\n');
    self::text(&text)
}
