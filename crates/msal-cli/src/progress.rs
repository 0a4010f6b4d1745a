//! Progress on slow steps: when a step takes longer than [`FIRST_NOTICE`], one line on standard
//! error says what is being waited for and for how long, then again every [`EVERY`]; a fast
//! step prints nothing. Standard output (the JSON) is never touched.

use std::future::IntoFuture;
use std::time::{Duration, Instant};

/// How long a step runs before the first progress line.
const FIRST_NOTICE: Duration = Duration::from_secs(2);

/// The interval of further progress lines.
const EVERY: Duration = Duration::from_secs(5);

/// Awaits `step`, printing a progress line on standard error while it takes longer than
/// [`FIRST_NOTICE`].
pub(crate) async fn reported<F: IntoFuture>(what: &str, step: F) -> F::Output {
    let started = Instant::now();
    let mut step = std::pin::pin!(step.into_future());
    let mut wait = FIRST_NOTICE;
    loop {
        match tokio::time::timeout(wait, &mut step).await {
            Ok(output) => return output,
            Err(_) => {
                eprintln!(
                    "msal: still waiting for the {what} ({}s; --connect-timeout and --timeout set the limits)",
                    started.elapsed().as_secs()
                );
                wait = EVERY;
            }
        }
    }
}
