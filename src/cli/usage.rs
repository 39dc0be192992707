//! What each command accepts, in one table: `--help` and the check of the options a command
//! is given both read it, so the help lists exactly the options that are taken.

use super::args::Args;
use std::fmt::Write as _;

/// An option of a command.
pub struct Opt {
    /// Its name, without the dashes.
    pub name: &'static str,
    /// What its value is called (`DIR`, `N`); `None` for a switch.
    pub value: Option<&'static str>,
    /// What it does.
    pub about: &'static str,
}

/// A command of the command line.
pub struct Command {
    /// Its name.
    pub name: &'static str,
    /// The arguments after the name, as the usage line shows them.
    pub synopsis: &'static str,
    /// What it does: the first line is the summary of the overview.
    pub about: &'static str,
    /// Its options.
    pub options: &'static [Opt],
}

impl Command {
    /// Reads `raw`, refusing an option this command does not take.
    pub fn parse(&self, raw: &[String]) -> Result<Args, String> {
        let flags: Vec<&str> = self
            .options
            .iter()
            .filter(|o| o.value.is_none())
            .map(|o| o.name)
            .collect();
        let known: Vec<&str> = self.options.iter().map(|o| o.name).collect();
        // Before reading values: a mistyped switch would otherwise be "missing its value".
        let unknown = raw
            .iter()
            .filter_map(|a| a.strip_prefix("--"))
            .map(|a| a.split_once('=').map_or(a, |(name, _)| name))
            .find(|name| !known.contains(name));
        if let Some(name) = unknown {
            return Err(self.hint(format!("unknown option --{name}")));
        }
        let args = Args::parse(raw, &flags).map_err(|e| self.hint(e))?;
        args.only(&known).map_err(|e| self.hint(e))?;
        Ok(args)
    }

    /// An error message followed by the usage line and where the help is.
    pub fn hint(&self, message: impl std::fmt::Display) -> String {
        format!(
            "{message}\n{}\n(more: expertpool {} --help)",
            self.usage_line(),
            self.name
        )
    }

    /// `usage: expertpool NAME SYNOPSIS`.
    fn usage_line(&self) -> String {
        format!("usage: expertpool {} {}", self.name, self.synopsis)
            .trim_end()
            .to_string()
    }

    /// The text of `expertpool COMMAND --help`.
    pub fn help(&self) -> String {
        let mut text = format!("{}\n\n{}\n\noptions:\n", self.usage_line(), self.about);
        let mut rows: Vec<(String, &str)> = self
            .options
            .iter()
            .map(|o| {
                let value = o.value.map(|v| format!(" {v}")).unwrap_or_default();
                (format!("--{}{value}", o.name), o.about)
            })
            .collect();
        rows.push(("-h, --help".into(), "print this help"));
        let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        for (name, about) in rows {
            let _ = writeln!(text, "  {name:<width$}  {about}");
        }
        text
    }
}

/// The text of `expertpool --help`.
pub fn overview() -> String {
    let mut text = String::from("usage: expertpool [COMMAND] [OPTIONS]\n\ncommands:\n");
    for c in COMMANDS {
        let summary = c.about.lines().next().unwrap_or_default();
        let call = format!("{} {}", c.name, c.synopsis);
        let _ = writeln!(text, "  {}\n      {summary}", call.trim_end());
    }
    text.push_str(
        "  help [COMMAND]\n      print this help, or a command's\n\n\
         'expertpool COMMAND --help' describes a command and lists its options.\n",
    );
    text
}

/// The command called `name`.
pub fn find(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().copied().find(|c| c.name == name)
}

/// Whether the arguments ask for help (`-h` or `--help` anywhere).
pub fn asks_for_help(args: &[String]) -> bool {
    args.iter().any(|a| a == "-h" || a == "--help")
}

/// Every command, in the order the overview lists them.
pub const COMMANDS: &[&Command] = &[
    &SERVE, &MIGRATE, &IMPORT, &EXPORT, &USER, &BACKUP, &RESTORE, &DRAW, &CONFLICTS, &SOLVE, &BENCH,
];

/// `serve`.
pub const SERVE: Command = Command {
    name: "serve",
    synopsis: "",
    about: "run the web service (the command when none is given)\n\
            Settings come from the environment: DATABASE_URL (default\n\
            sqlite://data/expertpool.db?mode=rwc), ROCKET_ADDRESS, ROCKET_PORT,\n\
            EXPERTPOOL_SECRET_KEY, EXPERTPOOL_ADMIN_PASSWORD (see README, Configuration).",
    options: &[],
};

/// `migrate`.
pub const MIGRATE: Command = Command {
    name: "migrate",
    synopsis: "",
    about: "create or upgrade the database schema, create the first administrator, and exit",
    options: &[],
};

/// `import`.
pub const IMPORT: Command = Command {
    name: "import",
    synopsis: "DIR",
    about: "load a sample-format folder into the database in one transaction\n\
            DIR holds organizations.csv, disciplines.csv, experts.csv, relations.csv and\n\
            optionally memberships.csv and history.csv (../shared/data/README.md). Experts are\n\
            matched by code and updated; a malformed row names its file, line and field, and\n\
            then nothing is written.",
    options: &[],
};

/// `export`.
pub const EXPORT: Command = Command {
    name: "export",
    synopsis: "DIR [--force]",
    about: "write the database as a sample-format folder that `import DIR` reads back\n\
            Writes organizations, disciplines, experts (with past employers and unavailable\n\
            dates), relations, memberships (each expert's latest per pool), history (the\n\
            imported history and the answers to the service's invitations), projects and\n\
            events. DIR is created when missing. Each file is written under a temporary name,\n\
            read back as `import` would, and only then renamed into place.",
    options: &[Opt {
        name: "force",
        value: None,
        about: "write into DIR although it holds files (the export's own files are replaced)",
    }],
};

/// `user`.
pub const USER: Command = Command {
    name: "user",
    synopsis: "add NAME ROLE [--expert CODE]",
    about: "create an account; ROLE is admin, staff, expert or supervisor\n\
            The password is EXPERTPOOL_PASSWORD, or generated and printed once.",
    options: &[Opt {
        name: "expert",
        value: Some("CODE"),
        about: "the expert (E00001 …) an `expert` account belongs to",
    }],
};

/// `backup`.
pub const BACKUP: Command = Command {
    name: "backup",
    synopsis: "FILE",
    about: "write a consistent copy of the SQLite database to the new FILE\n\
            Safe while the service runs. For PostgreSQL use pg_dump.",
    options: &[],
};

/// `restore`.
pub const RESTORE: Command = Command {
    name: "restore",
    synopsis: "FILE",
    about: "replace the SQLite database by the backup FILE (stop the service first)\n\
            The replaced file is kept beside it.",
    options: &[],
};

/// `draw`.
pub const DRAW: Command = Command {
    name: "draw",
    synopsis: "--data DIR --event ID [--seed N] [--json] [--explain EXPERT PANEL]",
    about: "draw the panels of one event of a sample-format folder (no database)",
    options: &[
        Opt {
            name: "data",
            value: Some("DIR"),
            about: "the sample-format folder (required)",
        },
        Opt {
            name: "event",
            value: Some("ID"),
            about: "the event of events.json (required)",
        },
        Opt {
            name: "seed",
            value: Some("N"),
            about: "the seed of the draw (default: random)",
        },
        Opt {
            name: "json",
            value: None,
            about: "print the result as JSON",
        },
        Opt {
            name: "explain",
            value: Some("EXPERT PANEL"),
            about: "say why EXPERT is or is not on PANEL",
        },
        Opt {
            name: "randomness",
            value: Some("R"),
            about: "replace the event's randomness rule",
        },
        Opt {
            name: "time-limit",
            value: Some("S"),
            about: "seconds the solver may take (default 30)",
        },
    ],
};

/// `conflicts`.
pub const CONFLICTS: Command = Command {
    name: "conflicts",
    synopsis: "--data DIR [--event ID] [--csv]",
    about: "list the conflicts of interest of every event (or one) of a sample-format folder",
    options: &[
        Opt {
            name: "data",
            value: Some("DIR"),
            about: "the sample-format folder (required)",
        },
        Opt {
            name: "event",
            value: Some("ID"),
            about: "only this event of events.json",
        },
        Opt {
            name: "csv",
            value: None,
            about: "print CSV with a header instead of tab-separated lines",
        },
    ],
};

/// `solve`.
pub const SOLVE: Command = Command {
    name: "solve",
    synopsis:
        "--scores F --constraints F --per-item K --max-load L [--min-load M] [--seed N] [--out F]",
    about: "solve an openreview-style assignment (item,reviewer,score CSV files)",
    options: &[
        Opt {
            name: "scores",
            value: Some("F"),
            about: "item,reviewer,score rows (required)",
        },
        Opt {
            name: "constraints",
            value: Some("F"),
            about: "item,reviewer,-1 (conflict) or 1 (forced) rows",
        },
        Opt {
            name: "per-item",
            value: Some("K"),
            about: "reviewers per item (required)",
        },
        Opt {
            name: "max-load",
            value: Some("L"),
            about: "most items per reviewer (required)",
        },
        Opt {
            name: "min-load",
            value: Some("M"),
            about: "fewest items per reviewer (default 0)",
        },
        Opt {
            name: "seed",
            value: Some("N"),
            about: "seed for ties (default 0)",
        },
        Opt {
            name: "out",
            value: Some("F"),
            about: "write the pairs to F instead of standard output",
        },
        Opt {
            name: "time-limit",
            value: Some("S"),
            about: "seconds the solver may take (default 60)",
        },
    ],
};

/// `bench`.
pub const BENCH: Command = Command {
    name: "bench",
    synopsis: "[--only abcd] [--seed N] [--scale F] [--full-lp] [--data DIR] [--event ID]",
    about: "time the engine on generated instances (README, Performance)",
    options: &[
        Opt {
            name: "only",
            value: Some("abcd"),
            about: "which instances: a (city event), b (large batch), c (openreview), d (province: needs --data)",
        },
        Opt {
            name: "data",
            value: Some("DIR"),
            about: "for (d): a folder made by the sample generator (30,000 experts)",
        },
        Opt {
            name: "event",
            value: Some("ID"),
            about: "for (d): the event drawn (default EV001-ACC)",
        },
        Opt {
            name: "seed",
            value: Some("N"),
            about: "seed of the generators (default 42)",
        },
        Opt {
            name: "scale",
            value: Some("F"),
            about: "shrink instance (b) for a quick look (default 1)",
        },
        Opt {
            name: "full-lp",
            value: None,
            about: "also solve (a) and (b) as one full model by the LP backend",
        },
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_help_lists_its_options_and_help_itself() {
        for c in COMMANDS {
            let help = c.help();
            assert!(help.starts_with(&format!("usage: expertpool {}", c.name)));
            for o in c.options {
                assert!(
                    help.contains(&format!("--{}", o.name)),
                    "{}: {}",
                    c.name,
                    o.name
                );
            }
            assert!(help.contains("-h, --help"));
            assert!(overview().contains(&format!("\n  {}", c.name)));
        }
    }

    #[test]
    fn an_unknown_option_is_refused_with_the_usage_line() {
        let raw = |args: &[&str]| args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        // A mistyped switch is unknown, not "missing its value".
        let err = CONFLICTS
            .parse(&raw(&["--data", "d", "--cvs"]))
            .err()
            .unwrap_or_default();
        assert!(err.contains("unknown option --cvs"), "{err}");
        assert!(
            err.contains("usage: expertpool conflicts --data DIR"),
            "{err}"
        );
        let args = CONFLICTS
            .parse(&raw(&["--data=d", "--csv"]))
            .map_err(|e| e.to_string());
        assert_eq!(
            args.map(|a| (a.flag("csv"), a.get("data") == Some("d"))),
            Ok((true, true))
        );
    }
}
