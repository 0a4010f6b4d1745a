//! Running the commands of a release step: each is echoed, its output goes to a log file, and a
//! failure shows the end of that log.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Lines of a failed command's log shown in the error.
const TAIL_LINES: usize = 40;

/// A `cargo` command (the toolchain running xtask), without the package variables of
/// `cargo run` (see [`crate::cargo_command`]), building without debug info and without
/// incremental compilation (see [`frugal`]).
pub(crate) fn cargo() -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut cmd = crate::cargo_command(&cargo);
    frugal(&mut cmd);
    cmd
}

/// The release steps build everything several times over (packages, consumers, checks with
/// other features and other versions) into their own target folders; without debug info and
/// incremental caches that takes a fraction of the disk and a little less time.
fn frugal(cmd: &mut Command) {
    cmd.env("CARGO_PROFILE_DEV_DEBUG", "false")
        .env("CARGO_INCREMENTAL", "0");
}

/// A `cargo` command of another installed toolchain (`rustup run <toolchain> cargo`).
pub(crate) fn cargo_of(toolchain: &str) -> Command {
    let mut cmd = crate::cargo_command("rustup");
    // rustup's proxies pin the toolchain of the outer `cargo xtask` through these.
    cmd.env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTC")
        .env_remove("CARGO");
    cmd.args(["run", toolchain, "cargo"]);
    frugal(&mut cmd);
    cmd
}

/// Runs `cmd` and returns its standard output; an error carries its standard error.
pub(crate) fn capture(what: &str, cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: cannot start {:?}: {e}", cmd.get_program()))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{what} failed ({}):\n{}",
            out.status,
            tail(&String::from_utf8_lossy(&out.stderr))
        ))
    }
}

/// Where the commands of one run write their output.
#[derive(Debug, Clone)]
pub(crate) struct Logs {
    dir: PathBuf,
}

impl Logs {
    /// Logs in `dir` (created).
    pub(crate) fn new(dir: &Path) -> Result<Self, String> {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    /// Runs `cmd` with its output (stdout and stderr) in the log file `name`.log; the command
    /// line is printed first. On failure the log's last lines are printed, and the error is a
    /// one-line [`summary`] naming the log.
    pub(crate) fn run(&self, name: &str, cmd: &mut Command) -> Result<(), String> {
        let path = self.dir.join(format!("{name}.log"));
        eprintln!("    $ {} (log: {})", display(cmd), path.display());
        let file = fs::File::create(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        let err = file
            .try_clone()
            .map_err(|e| format!("cannot share {}: {e}", path.display()))?;
        let status = cmd
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .status()
            .map_err(|e| format!("{name}: cannot start {:?}: {e}", cmd.get_program()))?;
        if status.success() {
            return Ok(());
        }
        let log = fs::read_to_string(&path).unwrap_or_default();
        eprintln!(
            "    {name} failed ({status}); last lines of {}:\n{}",
            path.display(),
            tail(&log)
        );
        Err(format!("{} (log: {})", summary(&log), path.display()))
    }
}

/// The command line of `cmd`, for the echo.
pub(crate) fn display(cmd: &Command) -> String {
    let mut text = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        let arg = arg.to_string_lossy();
        if arg.contains([' ', '"', '\'']) {
            text.push_str(&format!(" '{arg}'"));
        } else {
            text.push(' ');
            text.push_str(&arg);
        }
    }
    if let Some(dir) = cmd.get_current_dir() {
        text.push_str(&format!("   (in {})", dir.display()));
    }
    text
}

/// The first error of a cargo log (`error: …`, `error[E0425]: …`, a test's `panicked at`) on
/// one line, with its location (`--> file:line`) or its first cause (`Caused by:`) when the
/// next line gives one; else the log's last line.
pub(crate) fn summary(log: &str) -> String {
    let lines: Vec<&str> = log
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let Some(i) = lines
        .iter()
        .position(|l| l.starts_with("error") || l.contains("panicked at"))
    else {
        return lines
            .last()
            .map_or_else(|| "no output".to_owned(), |l| (*l).to_owned());
    };
    let mut text = lines[i].to_owned();
    match (lines.get(i + 1), lines.get(i + 2)) {
        (Some(next), _) if next.starts_with("-->") => text = format!("{text} {next}"),
        (Some(&"Caused by:"), Some(cause)) => text = format!("{text}: {cause}"),
        _ => {}
    }
    text
}

/// The last [`TAIL_LINES`] lines of `text`, indented.
pub(crate) fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(TAIL_LINES);
    lines[start..]
        .iter()
        .map(|l| format!("      {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn summaries_keep_the_first_error_and_its_cause_or_place() {
        let publish = "   Packaging x\nerror: failed to prepare\n\nCaused by:\n  no matching package named `a`\n";
        assert_eq!(
            summary(publish),
            "error: failed to prepare: no matching package named `a`"
        );
        let rustc = "warning: w\nerror[E0425]: cannot find value `x`\n --> src/lib.rs:3:5\n";
        assert_eq!(
            summary(rustc),
            "error[E0425]: cannot find value `x` --> src/lib.rs:3:5"
        );
        let test = "thread 'a' panicked at tests/t.rs:9:5:\nassertion failed\n";
        assert_eq!(summary(test), "thread 'a' panicked at tests/t.rs:9:5:");
        assert_eq!(summary("one\nlast\n"), "last");
        assert_eq!(summary(""), "no output");
    }
}
