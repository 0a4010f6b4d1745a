//! Client secret authentication.

use crate::registration::AppRegistration;
use crate::respond::StsError;

/// Compares a presented secret with the registered ones without early exit on the content.
pub(super) fn client_secret(app: &AppRegistration, presented: &str) -> Result<(), StsError> {
    let presented = ring::digest::digest(&ring::digest::SHA256, presented.as_bytes());
    let mut any = false;
    for secret in &app.secrets {
        let expected = ring::digest::digest(&ring::digest::SHA256, secret.as_bytes());
        let diff = presented
            .as_ref()
            .iter()
            .zip(expected.as_ref())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        any |= diff == 0;
    }
    if any {
        Ok(())
    } else {
        Err(StsError::invalid_client(
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.",
                app.client_id
            ),
        ))
    }
}
