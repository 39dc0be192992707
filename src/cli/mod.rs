//! The command line: `serve` (default) | `migrate` | `import` | `export` | `draw` | `conflicts`
//! | `solve` | `bench` | `user` | `backup` | `restore`, each with `--help` (`usage`).

#[macro_use]
mod out;
pub mod args;
pub mod bench;
pub mod engine;
pub mod export;
mod province;
pub mod service;
pub mod usage;

/// Runs a command; the error is printed by `main` with exit code 2.
pub fn run(args: Vec<String>) -> Result<(), String> {
    let (command, rest) = match args.split_first() {
        Some((c, rest)) if !c.starts_with('-') || c == "-h" || c == "--help" => (c.as_str(), rest),
        // Options alone are the default command's (`expertpool --x` is `serve --x`).
        Some((c, _)) if c.starts_with("--") => ("serve", &args[..]),
        Some((c, _)) => return Err(format!("unknown option {c}\n(more: expertpool --help)")),
        None => ("serve", &args[..]),
    };
    if matches!(command, "help" | "-h" | "--help") {
        return match rest.first() {
            None => out::text(&usage::overview()),
            Some(name) => match usage::find(name) {
                Some(c) => out::text(&c.help()),
                None => Err(unknown(name)),
            },
        };
    }
    let spec = usage::find(command).ok_or_else(|| unknown(command))?;
    if usage::asks_for_help(rest) {
        return out::text(&spec.help());
    }
    match command {
        "serve" => service::serve(rest),
        "migrate" => service::migrate(rest),
        "import" => service::import(rest),
        "export" => export::run(rest),
        "user" => service::user(rest),
        "backup" => service::backup(rest),
        "restore" => service::restore(rest),
        "draw" => engine::draw(rest),
        "conflicts" => engine::conflicts(rest),
        "solve" => engine::solve(rest),
        "bench" => bench::run(rest),
        other => Err(unknown(other)),
    }
}

fn unknown(command: &str) -> String {
    let names: Vec<&str> = usage::COMMANDS.iter().map(|c| c.name).collect();
    format!(
        "unknown command '{command}' (commands: {})\n(more: expertpool --help)",
        names.join(", ")
    )
}
