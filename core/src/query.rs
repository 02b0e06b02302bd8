//! What a read asks for, and what it gets back.

use crate::epoch::Epoch;
use crate::message::{Action, MessageId};
use crate::payload::Payload;
use std::borrow::Cow;
use std::sync::Arc;

/// How a read cuts the payloads it returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PayloadCap {
    /// The room's default cap (`RoomConfig::payload_size_cap`), if it has one.
    #[default]
    RoomDefault,
    /// Whole payloads, whatever the room's default (what a replay sends).
    Unlimited,
    /// Cut payloads larger than this many bytes.
    Bytes(usize),
}

impl PayloadCap {
    /// The cap in bytes this read applies in a room whose default is
    /// `room_default`; `None` for whole payloads.
    pub fn resolve(self, room_default: Option<usize>) -> Option<usize> {
        match self {
            PayloadCap::RoomDefault => room_default,
            PayloadCap::Unlimited => None,
            PayloadCap::Bytes(n) => Some(n),
        }
    }
}

impl From<Option<usize>> for PayloadCap {
    /// The public APIs' spelling: `None` for the room's default.
    fn from(cap: Option<usize>) -> Self {
        cap.map_or(PayloadCap::RoomDefault, PayloadCap::Bytes)
    }
}

/// How a read shows mutable messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum View {
    /// Entries as recorded: every operation on a message is an entry.
    #[default]
    Log,
    /// Each live message once, at its create's place, in its latest state
    /// (deleted ones marked `deleted`); plain entries as they are.
    Latest,
    /// The latest view without the deleted messages: what a late joiner is
    /// sent (`limit` counts what is left).
    Replay,
}

impl View {
    /// The view a name spells: `"log"` or `"latest"` (the replay view is
    /// the replays' own).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "log" => Some(View::Log),
            "latest" => Some(View::Latest),
            _ => None,
        }
    }
}

/// A read of one room. Applied in this order: drop expired entries; select by
/// cursor (`since_seq` < seq < `before_seq`) and time (`since_time` ≤
/// timestamp < `until_time`, by binary search); keep what reaches `for_client`;
/// keep `include_events`; drop `exclude_events`; keep the newest `limit`;
/// return oldest to newest; cut payloads of the returned copies to the cap.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    /// Keep at most this many (the newest); `None` for all, `Some(0)` for none.
    pub limit: Option<usize>,
    /// Exclusive lower bound on `seq`.
    pub since_seq: Option<u64>,
    /// Exclusive upper bound on `seq`.
    pub before_seq: Option<u64>,
    /// Keep only these event names (an empty list selects nothing).
    pub include_events: Option<Vec<String>>,
    /// Drop these event names (an empty list drops nothing).
    pub exclude_events: Option<Vec<String>>,
    /// How returned payloads are cut; a cap given here replaces the room's
    /// default.
    pub payload_size_cap: PayloadCap,
    /// Only entries that were addressed to a client in these rooms (its sid
    /// among them): the delivery metadata a replay re-applies. Entries
    /// recorded without metadata reach every client.
    pub for_client: Option<Vec<String>>,
    /// How mutable messages are shown.
    pub view: View,
    /// Only entries recorded at or after this wall-clock time (Unix seconds).
    pub since_time: Option<f64>,
    /// Only entries recorded before this wall-clock time (Unix seconds).
    pub until_time: Option<f64>,
}

impl Query {
    /// Everything the room holds.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set `limit`.
    pub fn limit(mut self, n: Option<usize>) -> Self {
        self.limit = n;
        self
    }

    /// Set `since_seq`.
    pub fn since_seq(mut self, seq: Option<u64>) -> Self {
        self.since_seq = seq;
        self
    }

    /// Set `before_seq`.
    pub fn before_seq(mut self, seq: Option<u64>) -> Self {
        self.before_seq = seq;
        self
    }

    /// Keep only these event names.
    pub fn include_events<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.include_events = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Drop these event names.
    pub fn exclude_events<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.exclude_events = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Set the read's payload cap (`None`: the room's default).
    pub fn payload_size_cap(mut self, cap: Option<usize>) -> Self {
        self.payload_size_cap = cap.into();
        self
    }

    /// Keep only what was addressed to a client in `rooms` (its sid among
    /// them).
    pub fn for_client<I, S>(mut self, rooms: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.for_client = Some(rooms.into_iter().map(Into::into).collect());
        self
    }

    /// Keep entries recorded at or after `t` (Unix seconds).
    pub fn since_time(mut self, t: Option<f64>) -> Self {
        self.since_time = t;
        self
    }

    /// Keep entries recorded before `t` (Unix seconds).
    pub fn until_time(mut self, t: Option<f64>) -> Self {
        self.until_time = t;
        self
    }

    /// Set the view.
    pub fn view(mut self, view: View) -> Self {
        self.view = view;
        self
    }

    /// Return whole payloads, whatever the room's default cap.
    pub fn whole_payloads(mut self) -> Self {
        self.payload_size_cap = PayloadCap::Unlimited;
        self
    }

    /// This query as a replay to one client: whole payloads, each mutable
    /// message once in its latest state, only what was addressed to
    /// `member_of` when given (the client's rooms, its own sid among them), and, with
    /// `joined_at` (the room's last seq when the client joined), only what
    /// was recorded before the client joined: what came after reached it
    /// live.
    pub fn for_replay(mut self, member_of: Option<Vec<String>>, joined_at: Option<u64>) -> Self {
        self.payload_size_cap = PayloadCap::Unlimited;
        self.for_client = member_of;
        self.before_seq = joined_at.map(|s| s.saturating_add(1));
        self.view = View::Replay;
        self
    }
}

/// One recorded emit, as a read returns it (a copy; the room keeps its own).
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// The event name.
    pub event: Arc<str>,
    /// The payload, cut to the read's cap if `truncated`.
    pub payload: Payload,
    /// Wall-clock Unix seconds at record time.
    pub timestamp: f64,
    /// Position in the room's lifetime: 1-based, gap-free in record order.
    pub seq: u64,
    /// Whether `payload` was cut by the cap.
    pub truncated: bool,
    /// What the entry records (`Create` for a plain emit). In the latest
    /// view: the message's last operation.
    pub action: Action,
    /// The message it belongs to; `None` for a plain emit.
    pub message_id: Option<MessageId>,
    /// The message's version at this entry (in the latest view: its latest).
    pub version: Option<u64>,
    /// The message was deleted since: `payload` holds no data.
    pub redacted: bool,
    /// In the latest view: the message is deleted (a tombstone).
    pub deleted: bool,
}

impl HistoryEntry {
    /// The entry as an [`EntryRef`] borrowing from it.
    pub fn as_ref(&self) -> EntryRef<'_> {
        EntryRef {
            event: &self.event,
            payload: Cow::Borrowed(&self.payload),
            timestamp: self.timestamp,
            seq: self.seq,
            truncated: self.truncated,
            action: self.action,
            message_id: self.message_id.as_ref(),
            version: self.version,
            redacted: self.redacted,
            deleted: self.deleted,
        }
    }
}

/// One selected entry as a read finds it in the room, borrowed: what
/// [`HistoryEntry`] copies. [`HistoryStore::visit`](crate::HistoryStore::visit)
/// hands these out under the room's lock; the payload is owned only when the
/// read's cap cut it or it is a message's latest state.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryRef<'a> {
    /// The event name.
    pub event: &'a Arc<str>,
    /// The payload, cut to the read's cap if `truncated`.
    pub payload: Cow<'a, Payload>,
    /// Wall-clock Unix seconds at record time.
    pub timestamp: f64,
    /// Position in the room's lifetime.
    pub seq: u64,
    /// Whether `payload` was cut by the cap.
    pub truncated: bool,
    /// What the entry records (see [`HistoryEntry::action`]).
    pub action: Action,
    /// The message it belongs to; `None` for a plain emit.
    pub message_id: Option<&'a MessageId>,
    /// The message's version at this entry.
    pub version: Option<u64>,
    /// The message was deleted since: `payload` holds no data.
    pub redacted: bool,
    /// In the latest view: the message is deleted (a tombstone).
    pub deleted: bool,
}

impl EntryRef<'_> {
    /// The entry's copy.
    pub fn to_entry(&self) -> HistoryEntry {
        HistoryEntry {
            event: self.event.clone(),
            payload: self.payload.clone().into_owned(),
            timestamp: self.timestamp,
            seq: self.seq,
            truncated: self.truncated,
            action: self.action,
            message_id: self.message_id.cloned(),
            version: self.version,
            redacted: self.redacted,
            deleted: self.deleted,
        }
    }
}

/// A windowed read with the signals a reconnecting client needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The selected entries, oldest to newest.
    pub entries: Vec<HistoryEntry>,
    /// The room's current epoch (`None` when history is disabled).
    pub epoch: Option<Epoch>,
    /// Oldest retained seq (`None` when the room is empty).
    pub first_seq: Option<u64>,
    /// Newest assigned seq (0 when none).
    pub last_seq: u64,
    /// Older selected entries exist beyond `limit`.
    pub has_more: bool,
    /// The cursor cannot be served whole: entries after `since_seq` were
    /// evicted or expired, `since_seq` is ahead of `last_seq`, or the caller's
    /// epoch is not the room's.
    pub gap: bool,
}
