//! Mutable messages (CONTRACT.md, "Mutable messages"): one logical message that changes after
//! it was emitted — an edit, a deletion, an answer streamed by appends —
//! while the room keeps every operation as an entry of its own.
//!
//! A message is created like an emit (version 1) and every later operation
//! is recorded with its own seq and the next version. The room holds each
//! live message's latest state once (see `state.rs`); entries hold the
//! operations (an append holds its fragment, not a snapshot), so a long
//! stream costs memory linear in its text. A message lives while any of its
//! entries is retained. The rules of each operation, the limits and the
//! authorization are all checked here, under the room's lock, before
//! anything changes: a failed operation changes nothing and uses no seq.

mod api;
mod auth;
mod id;
pub(crate) mod state;

pub use auth::{Auth, GrantKind, Grants};
pub use id::MessageId;

use crate::epoch::Epoch;
use crate::payload::Payload;
use std::sync::Arc;

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// A plain emit, or a message's first version.
    Create,
    /// A message's event name or data replaced or cleared.
    Update,
    /// A message deleted (a tombstone).
    Delete,
    /// Text appended to a message (a streamed fragment).
    Append,
}

impl Action {
    /// The action's name: `"create"`, `"update"`, `"delete"` or `"append"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Append => "append",
        }
    }
}

/// How an update treats one field of a message.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Patch<T> {
    /// Leave it as it is.
    #[default]
    Keep,
    /// Clear it (data becomes none; an event name cannot be cleared).
    Clear,
    /// Replace it.
    Replace(T),
}

/// What a successful operation did: the entry it recorded and the message's
/// state after it. This is what a binding emits to the room.
#[derive(Debug, Clone, PartialEq)]
pub struct Mutation {
    /// The message's id.
    pub message_id: MessageId,
    /// The operation.
    pub action: Action,
    /// The message's version after it (1 for the create).
    pub version: u64,
    /// The entry's seq in the room.
    pub seq: u64,
    /// The room's epoch.
    pub epoch: Epoch,
    /// The message's event name after it.
    pub event: Arc<str>,
    /// The message's data after a create or an update (`None`: no data);
    /// `None` for a delete and an append.
    pub data: Option<Payload>,
    /// The appended text, for an append.
    pub fragment: Option<String>,
    /// Whether an append closed the stream.
    pub is_final: bool,
    /// Wall-clock Unix seconds of the entry.
    pub timestamp: f64,
    /// The room's mutation prefix when the operation was applied.
    pub mutation_prefix: Arc<str>,
}

impl Mutation {
    /// The event a mutation is emitted as (the room's mutation prefix and
    /// the action, e.g. `"history:update"`); `None` for a create, which is
    /// emitted as its own event.
    pub fn notify_event(&self) -> Option<String> {
        (self.action != Action::Create)
            .then(|| format!("{}{}", self.mutation_prefix, self.action.as_str()))
    }
}

/// A message's latest state, as [`HistoryStore::get_message`] returns it.
///
/// [`HistoryStore::get_message`]: crate::HistoryStore::get_message
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Its id.
    pub message_id: MessageId,
    /// The latest event name.
    pub event: Arc<str>,
    /// The latest data (`None`: none, or deleted).
    pub data: Option<Payload>,
    /// The latest version.
    pub version: u64,
    /// The last operation applied.
    pub action: Action,
    /// Whether it was deleted.
    pub deleted: bool,
    /// Whether it is a stream that was appended to and not closed yet.
    pub streaming: bool,
    /// Whether a final append closed it.
    pub is_final: bool,
    /// Appends applied so far.
    pub appends: usize,
    /// Who created it, if given.
    pub owner: Option<Arc<str>>,
    /// The create's seq (its place in the room, even once evicted).
    pub seq: u64,
    /// The seq of its newest entry.
    pub last_seq: u64,
    /// Wall-clock Unix seconds of the create.
    pub created: f64,
    /// Wall-clock Unix seconds of the last operation.
    pub updated: f64,
}

/// The default of [`RoomConfig::max_message_bytes`](crate::RoomConfig::max_message_bytes): 1 MiB.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 1 << 20;
/// The default of [`RoomConfig::max_appends`](crate::RoomConfig::max_appends).
pub const DEFAULT_MAX_APPENDS: usize = 4096;
/// The default of [`RoomConfig::max_open_streams`](crate::RoomConfig::max_open_streams).
pub const DEFAULT_MAX_OPEN_STREAMS: usize = 1024;
/// The default of [`RoomConfig::mutation_prefix`](crate::RoomConfig::mutation_prefix).
pub const DEFAULT_MUTATION_PREFIX: &str = "history:";
/// How many of a message's entries a versions read returns when not told.
pub const DEFAULT_VERSIONS_LIMIT: usize = 100;

/// One operation on a message, as the room applies it.
#[derive(Debug)]
pub(crate) enum Op<'a> {
    Create {
        id: Option<MessageId>,
        event: &'a str,
        data: Payload,
        owner: Option<&'a str>,
    },
    Update {
        id: &'a str,
        event: Patch<&'a str>,
        data: Patch<Payload>,
        auth: &'a Auth<'a>,
    },
    Delete {
        id: &'a str,
        auth: &'a Auth<'a>,
    },
    Append {
        id: &'a str,
        fragment: &'a str,
        is_final: bool,
        auth: &'a Auth<'a>,
    },
}
