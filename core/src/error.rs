//! The one error type of the core.

/// Why a call to the core failed. A failed call never changes the store.
///
/// The variants are the error categories every binding keeps apart (CONTRACT.md,
/// "Errors"): malformed input (`InvalidArgument`, `InvalidPayload`,
/// `InvalidJson`), history not enabled, not found, too large, not allowed.
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
    /// The operation needs history and the room has none.
    #[error("history is not enabled for room {room:?} in namespace {namespace:?}")]
    NotEnabled {
        /// The namespace.
        namespace: String,
        /// The room.
        room: String,
    },
    /// No message with this id is held by the room (never created, or all
    /// of its entries were evicted).
    #[error(
        "no message {message_id:?} in this room (never created, or all of its entries \
         were evicted: a room streaming many messages at once needs room for them in \
         max_entries and max_bytes)"
    )]
    NotFound {
        /// The id asked for.
        message_id: String,
    },
    /// A message would exceed one of its room's limits; `limit` names it
    /// (`max_message_bytes`, `max_appends`, `max_open_streams`, `max_bytes`
    /// or `max_total_bytes`).
    #[error("too large: {reason} (limit `{limit}`)")]
    TooLarge {
        /// The limit as the public API spells it.
        limit: &'static str,
        /// What exceeded it.
        reason: String,
    },
    /// The actor is not allowed the operation.
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// A durable store's directory cannot be used: missing and not
    /// creatable, not a directory, not writable, open in another process,
    /// or written in another journal format.
    #[error("{path}: {reason}")]
    Storage {
        /// The directory (or one of its files).
        path: String,
        /// What is wrong.
        reason: String,
    },
}

impl HistoryError {
    pub(crate) fn invalid(param: &'static str, reason: impl Into<String>) -> Self {
        HistoryError::InvalidArgument {
            param,
            reason: reason.into(),
        }
    }

    pub(crate) fn too_large(limit: &'static str, reason: impl Into<String>) -> Self {
        HistoryError::TooLarge {
            limit,
            reason: reason.into(),
        }
    }

    /// The parameter (or limit) this error is about, if it is about one.
    pub fn param(&self) -> Option<&'static str> {
        match self {
            HistoryError::InvalidArgument { param, .. } => Some(param),
            HistoryError::TooLarge { limit, .. } => Some(limit),
            _ => None,
        }
    }
}

/// Shorthand for results of the core.
pub type Result<T, E = HistoryError> = std::result::Result<T, E>;
