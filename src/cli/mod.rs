//! The command line: `serve` (default) | `migrate` | `import` | `draw` | `conflicts` | `solve`
//! | `bench` | `user` | `backup` | `restore`.

pub mod args;
pub mod bench;
pub mod engine;
pub mod service;

/// Usage text.
pub const USAGE: &str = "usage: expertpool [COMMAND] [OPTIONS]

  serve                         run the web service (default; DATABASE_URL, ROCKET_PORT …)
  migrate                       create or upgrade the database schema and exit
  import DIR                    load a sample-format folder (organizations, disciplines, experts,
                                relations, memberships, history) in one transaction
  user add NAME ROLE [--expert CODE]   create an account (password from EXPERTPOOL_PASSWORD
                                or printed); ROLE is admin, staff, expert or supervisor
  backup FILE                   write a consistent copy of the SQLite database to the new FILE
                                (safe while the service runs; PostgreSQL: use pg_dump)
  restore FILE                  replace the SQLite database by the backup FILE (stop the
                                service first; the replaced file is kept beside it)
  draw --data DIR --event ID [--seed N] [--json] [--explain EXPERT PANEL]
  conflicts --data DIR [--event ID] [--csv]
  solve --scores F --constraints F --per-item K --max-load L [--min-load M] [--seed N] [--out F]
  bench [--only abc] [--seed N]";

/// Runs a command; the error is printed by `main` with exit code 2.
pub fn run(args: Vec<String>) -> Result<(), String> {
    let (command, rest) = match args.split_first() {
        Some((c, rest)) if !c.starts_with("--") => (c.as_str(), rest),
        _ => ("serve", &args[..]),
    };
    match command {
        "serve" => service::serve(rest),
        "migrate" => service::migrate(rest),
        "import" => service::import(rest),
        "user" => service::user(rest),
        "backup" => service::backup(rest),
        "restore" => service::restore(rest),
        "draw" => engine::draw(rest),
        "conflicts" => engine::conflicts(rest),
        "solve" => engine::solve(rest),
        "bench" => bench::run(rest),
        "help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command '{other}'\n{USAGE}")),
    }
}
