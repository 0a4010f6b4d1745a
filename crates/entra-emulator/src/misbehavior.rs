//! [`Misbehavior`]: deliberate deviations of the token endpoint from Entra.

/// Deliberate deviations from Entra's behaviour, to test how clients cope with a misbehaving
/// token endpoint. Applies to token responses until reset to [`Misbehavior::None`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Misbehavior {
    /// Behave like Entra.
    #[default]
    None,
    /// Answer an `mtls_pop` request with `"token_type":"Bearer"` (a downgrade).
    AnswerBearerToPop,
    /// Leave `token_type` out of successful token responses.
    OmitTokenType,
}
