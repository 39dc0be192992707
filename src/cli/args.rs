//! A small command-line argument reader: `--name value` options and `--flag` switches.

use std::collections::BTreeMap;

/// Parsed options of one subcommand.
pub struct Args {
    values: BTreeMap<String, Vec<String>>,
    positional: Vec<String>,
}

impl Args {
    /// Reads `args`; `flags` are the options that take no value.
    pub fn parse(args: &[String], flags: &[&str]) -> Result<Self, String> {
        let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut positional = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            if let Some(name) = a.strip_prefix("--") {
                let (name, inline) = match name.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (name, None),
                };
                if flags.contains(&name) {
                    values.entry(name.into()).or_default().push(String::new());
                } else {
                    let v = match inline {
                        Some(v) => v,
                        None => {
                            i += 1;
                            args.get(i)
                                .cloned()
                                .ok_or_else(|| format!("--{name} needs a value"))?
                        }
                    };
                    values.entry(name.into()).or_default().push(v);
                }
            } else {
                positional.push(a.clone());
            }
            i += 1;
        }
        Ok(Self { values, positional })
    }

    /// Fails on an option not in `known`.
    pub fn only(&self, known: &[&str]) -> Result<(), String> {
        match self.values.keys().find(|k| !known.contains(&k.as_str())) {
            Some(k) if known.is_empty() => {
                Err(format!("unknown option --{k} (this command takes none)"))
            }
            Some(k) => Err(format!(
                "unknown option --{k} (known: {})",
                known
                    .iter()
                    .map(|k| format!("--{k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            None => Ok(()),
        }
    }

    /// An option's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .and_then(|v| v.last())
            .map(String::as_str)
    }

    /// A required option.
    pub fn require(&self, name: &str) -> Result<&str, String> {
        self.get(name)
            .ok_or_else(|| format!("--{name} is required"))
    }

    /// Whether a switch is present.
    pub fn flag(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// A number option with a default.
    pub fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{name}: '{v}' is not a valid number")),
        }
    }

    /// Positional arguments.
    pub fn positional(&self) -> &[String] {
        &self.positional
    }
}
