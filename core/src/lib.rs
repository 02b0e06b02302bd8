//! In-memory message history for Socket.IO rooms.
//!
//! A [`HistoryStore`] keeps, for each `(namespace, room)` that has history
//! enabled, a bounded, ordered log of the events emitted to it. Entries carry
//! a per-room `seq` (1-based, gap-free) and each room lifetime an
//! [`Epoch`], so a reconnecting client can ask for exactly what it missed and
//! learn when that is no longer possible.
//!
//! ```
//! use socketio_history_core::{HistoryStore, Payload, Query, RoomConfig};
//!
//! let store = HistoryStore::new();
//! store.enable("/", "lobby", RoomConfig::default().max_entries(2))?;
//! for text in ["a", "b", "c"] {
//!     store.record("/", "lobby", "chat", Payload::text(text));
//! }
//! let entries = store.fetch("/", "lobby", &Query::new());
//! let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
//! assert_eq!(seqs, [2, 3]); // the oldest was evicted
//! assert_eq!(store.stats("/", "lobby").evictions_size, 1);
//! # Ok::<(), socketio_history_core::HistoryError>(())
//! ```
//!
//! This crate holds every rule of the behaviour contract; the C ABI and the
//! Python package only translate types and errors.

mod budget;
mod clock;
mod config;
mod delivery;
mod durable;
mod epoch;
mod error;
mod message;
mod names;
mod packet;
mod payload;
mod persist;
mod query;
mod recovery;
mod room;
mod sequence;
mod sessions;
mod slot;
mod stats;
mod store;
pub mod value;

pub use clock::{Clock, CoarseClock, ManualClock, SystemClock};
pub use config::{retention_from_seconds, RoomConfig, DEFAULT_MAX_ENTRIES};
pub use delivery::Delivery;
pub use epoch::Epoch;
pub use error::{HistoryError, Result};
pub use message::{
    Action, Auth, GrantKind, Grants, Message, MessageId, Mutation, Patch, DEFAULT_MAX_APPENDS,
    DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_OPEN_STREAMS, DEFAULT_MUTATION_PREFIX,
    DEFAULT_VERSIONS_LIMIT,
};
pub use packet::{event_packet, EventPacket};
pub use payload::{Payload, PayloadKind};
pub use persist::{OpenReport, SyncPolicy, DEFAULT_SEGMENT_BYTES, FORMAT_VERSION};
pub use query::{EntryRef, HistoryEntry, Page, PayloadCap, Query, View};
pub use recovery::{
    log_config, NotResumable, Offset, ResumePoint, SessionLimits, DEFAULT_LOG_BYTES,
    DEFAULT_MAX_SESSIONS, DEFAULT_MAX_SESSION_BYTES, LOG_MAX_ENTRIES, SENT_WINDOW,
};
pub use room::RecordOutcome;
pub use sequence::Sequenced;
pub use sessions::{Dropped, Session};
pub use stats::RoomStats;
pub use store::{HistoryStore, StoreBuilder, DEFAULT_NAMESPACE};
pub use value::{JsonStyle, Token, ValueWriter, MAX_DEPTH};
