//! The process exit codes (the table in README.md): a script can tell a usage mistake, a
//! configuration to fix, a credential the service refused, and a failure worth retrying.

use std::process::ExitCode;

use crate::{CliError, UsageError};

/// What kind of failure ended the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exit {
    /// 1: anything else (an I/O error of the terminal, the async runtime).
    Failure,
    /// 2: the command line cannot be run as given (as clap's own usage errors).
    Usage,
    /// 3: the configuration is wrong (a file, a variable, an authority, a certificate, trust).
    Configuration,
    /// 4: the service (or the resource) refused the credential or the request; retrying the
    /// same thing will not help.
    Rejected,
    /// 5: a transient failure (network, timeout, throttling, a 5xx): retrying may help.
    Transient,
}

impl Exit {
    pub(crate) fn code(self) -> u8 {
        match self {
            Exit::Failure => 1,
            Exit::Usage => 2,
            Exit::Configuration => 3,
            Exit::Rejected => 4,
            Exit::Transient => 5,
        }
    }

    /// The kind of `error`.
    pub(crate) fn of(error: &CliError) -> Exit {
        if error.downcast_ref::<UsageError>().is_some() {
            return Exit::Usage;
        }
        if let Some(status) = error.downcast_ref::<ResourceStatus>() {
            return status.exit();
        }
        if let Some(e) = error.downcast_ref::<msal::Error>() {
            return Self::of_library(e);
        }
        if let Some(e) = error.downcast_ref::<msal::pkcs11::Error>() {
            return if e.is_retryable() {
                Exit::Transient
            } else {
                Exit::Configuration
            };
        }
        if let Some(e) = error.downcast_ref::<msal::transport::Error>() {
            return if e.is_retryable() {
                Exit::Transient
            } else {
                Exit::Configuration
            };
        }
        if error.downcast_ref::<std::io::Error>().is_some() {
            return Exit::Failure;
        }
        // the commands' own messages: files that cannot be read, values that do not parse
        Exit::Configuration
    }

    fn of_library(e: &msal::Error) -> Exit {
        if e.is_retryable() {
            Exit::Transient
        } else if e.as_service_error().is_some() {
            Exit::Rejected
        } else {
            Exit::Configuration
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

/// A resource answered with an error status (`msal call`).
#[derive(Debug)]
pub(crate) struct ResourceStatus(pub(crate) u16);

impl ResourceStatus {
    fn exit(&self) -> Exit {
        match self.0 {
            429 | 500..=599 => Exit::Transient,
            _ => Exit::Rejected,
        }
    }
}

impl std::fmt::Display for ResourceStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the resource answered HTTP {}", self.0)
    }
}

impl std::error::Error for ResourceStatus {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_code() {
        let usage: CliError = UsageError::new("x", "y").into();
        assert_eq!(Exit::of(&usage).code(), 2);
        let config: CliError = "cannot read x".into();
        assert_eq!(Exit::of(&config).code(), 3);
        let lib: CliError = msal::Error::MissingAuthority.into();
        assert_eq!(Exit::of(&lib).code(), 3);
        let refused: CliError = ResourceStatus(401).into();
        assert_eq!(Exit::of(&refused).code(), 4);
        let busy: CliError = ResourceStatus(503).into();
        assert_eq!(Exit::of(&busy).code(), 5);
        let io: CliError = std::io::Error::other("tty").into();
        assert_eq!(Exit::of(&io).code(), 1);
    }
}
