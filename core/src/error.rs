//! The one error type of the core.

/// Why a call to the core failed. A failed call never changes the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// An argument is out of its valid range; `param` names it.
    #[error("invalid value for `{param}`: {reason}")]
    InvalidArgument {
        /// The parameter's name as the public API spells it.
        param: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A payload could not be taken in (too deep, misused writer, not the
    /// shape asked for).
    #[error("invalid payload: {0}")]
    InvalidPayload(String),
    /// A JSON payload's text is not valid JSON.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
}

impl HistoryError {
    pub(crate) fn invalid(param: &'static str, reason: impl Into<String>) -> Self {
        HistoryError::InvalidArgument {
            param,
            reason: reason.into(),
        }
    }

    /// The parameter this error is about, if it is about one.
    pub fn param(&self) -> Option<&'static str> {
        match self {
            HistoryError::InvalidArgument { param, .. } => Some(param),
            HistoryError::InvalidPayload(_) | HistoryError::InvalidJson(_) => None,
        }
    }
}

/// Shorthand for results of the core.
pub type Result<T, E = HistoryError> = std::result::Result<T, E>;
