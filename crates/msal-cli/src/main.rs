//! `msal`: get Microsoft Entra ID tokens from the command line, run the local Entra emulator, or
//! watch the whole flow in a self-contained demo.
#![forbid(unsafe_code)]

mod call_cmd;
mod demo;
mod emulator_cmd;
mod exit;
mod output;
mod progress;
mod secret_input;
mod token_cmd;

/// The unit tests run on an allocator that scans freed blocks for secrets (`item6_*` tests).
#[cfg(test)]
#[global_allocator]
static SCAN_FREED_MEMORY: alloc_scan::ScanAlloc = alloc_scan::ScanAlloc;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Microsoft Entra ID tokens for Rust services: demo, token, emulator.
#[derive(Debug, Parser)]
#[command(name = "msal", version, about)]
struct Cli {
    /// More logging (-v: debug, -vv: trace). RUST_LOG overrides it.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the Entra emulator in-process and acquire tokens from it over real TLS.
    Demo,
    /// Acquire a token for a confidential client and print the result as JSON.
    Token(Box<token_cmd::TokenArgs>),
    /// Call a resource with a token (over mTLS with the binding certificate for mtls_pop).
    Call(call_cmd::CallArgs),
    /// Run the Entra emulator standalone (for apps in other languages).
    Emulator(emulator_cmd::EmulatorArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Demo => demo::run().await,
            Command::Token(args) => token_cmd::run(*args).await,
            Command::Call(args) => call_cmd::run(args).await,
            Command::Emulator(args) => emulator_cmd::run(args).await,
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            match e.downcast_ref::<UsageError>() {
                Some(usage) => eprintln!(
                    "error: {usage} ({})\n\nFor more information, try '--help'.",
                    usage.code()
                ),
                None if is_timeout(&e) => eprintln!(
                    "error: {e}\n(msal token: --connect-timeout SECS and --timeout SECS set the limits)"
                ),
                None => eprintln!("error: {e}"),
            }
            exit::Exit::of(&e).into()
        }
    }
}

/// Whether the command ran out of time (library or transport timeout).
fn is_timeout(e: &CliError) -> bool {
    e.downcast_ref::<msal::Error>()
        .is_some_and(msal::Error::is_timeout)
        || e.downcast_ref::<msal::transport::Error>()
            .is_some_and(msal::transport::Error::is_timeout)
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "msal=debug,mtls_transport=debug,entra_emulator=info,warn",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // colour only on a terminal: redirected logs carry no escape codes
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
}

/// A boxed error for the command implementations.
type CliError = Box<dyn std::error::Error + Send + Sync>;

/// A command line that cannot be run as given (a flag missing, a combination refused). The
/// process exits with status 2, as for clap's own usage errors. Messages name flags, never the
/// values of secrets.
#[derive(Debug)]
struct UsageError {
    code: &'static str,
    message: String,
}

impl UsageError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        UsageError {
            code,
            message: message.into(),
        }
    }

    /// A stable identifier of the refusal, e.g. `insecure_url`.
    fn code(&self) -> &'static str {
        self.code
    }
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UsageError {}
