//! Connection state recovery, its history side: each namespace's log of
//! every emit with its delivery metadata (the buffer of missed events), the
//! offsets clients resume from, and the decision whether a dropped
//! connection can be resumed whole.
//!
//! The log is a room of its own kind in the store (it shares the retention
//! machinery and the store's byte budget) that no room name can reach. An
//! offset names the log's lifetime and an entry's seq: `"<epoch>-<seq>"`.

use crate::config::RoomConfig;
use crate::delivery::Delivery;
use crate::epoch::Epoch;
use crate::error::Result;
use crate::packet::{event_packet, EventPacket};
use crate::payload::Payload;
use crate::query::{HistoryEntry, Query};
use crate::room::{OpTag, RecordOutcome};
use crate::sequence::Sequenced;
use crate::slot::Key;
use crate::stats::RoomStats;
use crate::store::HistoryStore;
use crate::value::JsonStyle;
use std::time::Duration;

/// Most entries a namespace log keeps (its age and byte bounds come first in
/// practice).
pub const LOG_MAX_ENTRIES: usize = 1_000_000;

/// The byte bound of a namespace log when none is given: 64 MiB.
pub const DEFAULT_LOG_BYTES: usize = 64 << 20;

/// How many offsets of the events sent to one connection a binding keeps:
/// what a dying transport can have swallowed. Older ones are forgotten, and
/// [`ResumePoint::from_window`] then asks for the whole log since the
/// client's offset.
pub const SENT_WINDOW: usize = 128;

/// Most sessions of dropped connections a server keeps at once (the oldest
/// go first).
pub const DEFAULT_MAX_SESSIONS: usize = 10_000;

/// Most bytes the sessions of dropped connections take together (the
/// oldest go first): 64 MiB.
pub const DEFAULT_MAX_SESSION_BYTES: usize = 64 << 20;

/// The bounds on the sessions of dropped connections a server keeps. A
/// binding holds the sessions (they carry its own objects) and asks these
/// bounds whether the oldest must go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// Most sessions kept.
    pub max_sessions: usize,
    /// Most bytes kept, as the binding measures a session.
    pub max_bytes: usize,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            max_sessions: DEFAULT_MAX_SESSIONS,
            max_bytes: DEFAULT_MAX_SESSION_BYTES,
        }
    }
}

impl SessionLimits {
    /// Whether `count` sessions of `bytes` in all are over the bounds, so
    /// the oldest must be dropped (an expired one goes whatever the bounds).
    pub fn exceeded(&self, count: usize, bytes: usize) -> bool {
        count > self.max_sessions || bytes > self.max_bytes
    }
}

/// Where an event stands in its namespace's log. Its text, `"<epoch>-<seq>"`,
/// is what clients receive and send back; it increases strictly within a
/// log's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset {
    epoch: Epoch,
    seq: u64,
}

impl Offset {
    /// The offset of entry `seq` of the log lifetime `epoch`.
    pub fn new(epoch: Epoch, seq: u64) -> Self {
        Offset { epoch, seq }
    }

    /// The log lifetime it belongs to.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// The entry's seq in that lifetime.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Read an offset's text; `None` unless it is exactly
    /// `"<epoch>-<decimal seq>"` (no sign, no leading zeros, at most 20 digits).
    pub fn parse(text: &str) -> Option<Offset> {
        let (epoch, seq) = text.split_once('-')?;
        let epoch = Epoch::parse(epoch)?;
        let canonical = !seq.is_empty()
            && seq.len() <= 20
            && seq.bytes().all(|b| b.is_ascii_digit())
            && (seq == "0" || !seq.starts_with('0'));
        if !canonical {
            return None;
        }
        Some(Offset {
            epoch,
            seq: seq.parse().ok()?,
        })
    }

    /// The seq `text` names if it is an offset of the lifetime `epoch`
    /// (`None` for anything else: malformed, or another lifetime).
    pub fn seq_in(text: &str, epoch: Epoch) -> Option<u64> {
        Offset::parse(text)
            .filter(|o| o.epoch == epoch)
            .map(|o| o.seq)
    }
}

impl std::fmt::Display for Offset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.epoch, self.seq)
    }
}

/// Where a connection stood in its namespace's log when it dropped: what
/// [`HistoryStore::resume`] needs to tell what the client missed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumePoint {
    /// The log lifetime the connection lived in.
    pub epoch: Epoch,
    /// The log's last seq when the connection (first) began.
    pub connect_seq: u64,
    /// The seqs of the logged events sent to the connection most recently,
    /// ascending: every one after `sent_base` (a binding keeps a bounded
    /// window and moves `sent_base` up as it forgets).
    pub sent: Vec<u64>,
    /// Every event sent after this seq is in `sent`.
    pub sent_base: u64,
    /// The log's last seq when the connection dropped.
    pub disconnect_seq: u64,
}

impl ResumePoint {
    /// Where a dropped connection stood, from what a binding kept of it:
    /// the log lifetime `epoch` (text), the log's last seq when it connected
    /// and when it dropped, and `sent`, the offsets of the events sent to it
    /// most recently (at most [`SENT_WINDOW`], oldest first). Every event
    /// sent after `sent_base` (an offset; `None`: since it connected) is in
    /// `sent`, unless `window_full` says older ones were forgotten. `None`
    /// when `epoch` is not an epoch; offsets that do not parse are skipped.
    pub fn from_window<S: AsRef<str>>(
        epoch: &str,
        connect_seq: u64,
        sent: &[S],
        sent_base: Option<&str>,
        window_full: bool,
        disconnect_seq: u64,
    ) -> Option<ResumePoint> {
        let epoch = Epoch::parse(epoch)?;
        let seq_of = |text: &str| Offset::parse(text).map(|o| o.seq);
        let sent: Vec<u64> = sent.iter().filter_map(|t| seq_of(t.as_ref())).collect();
        let sent_base = sent_base.and_then(seq_of);
        Some(Self::from_seqs(
            epoch,
            connect_seq,
            sent,
            sent_base,
            window_full,
            disconnect_seq,
        ))
    }

    /// [`from_window`](Self::from_window) with the sent events as seqs
    /// (`sent_base`: `None` since it connected).
    pub fn from_seqs(
        epoch: Epoch,
        connect_seq: u64,
        sent: Vec<u64>,
        sent_base: Option<u64>,
        window_full: bool,
        disconnect_seq: u64,
    ) -> ResumePoint {
        let mut sent_base = sent_base.unwrap_or(connect_seq);
        if window_full {
            // What came before the window's oldest was forgotten.
            sent_base = sent_base.max(sent.first().map_or(0, |s| s.saturating_sub(1)));
        }
        ResumePoint {
            epoch,
            connect_seq,
            sent,
            sent_base,
            disconnect_seq,
        }
    }

    /// Where a connection stands that was still connected when the process
    /// (or node) serving it ended: nothing is known of what was sent to it,
    /// so it resumes only if the log holds everything after the client's
    /// offset. `last_seq` is the log's last seq now: it counts as where the
    /// connection dropped (and an offset up to it is not "ahead").
    pub fn still_connected(epoch: Epoch, connect_seq: u64, last_seq: u64) -> ResumePoint {
        let at = last_seq.max(connect_seq);
        ResumePoint {
            epoch,
            connect_seq,
            sent: Vec::new(),
            sent_base: at,
            disconnect_seq: at,
        }
    }
}

/// Why a dropped connection cannot be resumed whole (it starts afresh).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotResumable {
    /// The namespace has no log (recovery is off).
    #[error("the namespace has no recovery log")]
    NoLog,
    /// The log was restarted since the connection dropped, or the client's
    /// offset is from another lifetime.
    #[error("the offset is from another lifetime of the log")]
    OtherLifetime,
    /// The client's offset is not an offset.
    #[error("the offset is malformed")]
    BadOffset,
    /// The client's offset is ahead of what the server sent it.
    #[error("the offset is ahead of what was sent")]
    OffsetAhead,
    /// An event the client needs is no longer held.
    #[error("an event the client missed is no longer held")]
    Evicted,
}

impl NotResumable {
    /// A short, stable name for the reason, for logs and applications
    /// (`"no_log"`, `"other_epoch"`, `"bad_offset"`, `"offset_ahead"`,
    /// `"evicted"`).
    pub fn code(self) -> &'static str {
        match self {
            NotResumable::NoLog => "no_log",
            NotResumable::OtherLifetime => "other_epoch",
            NotResumable::BadOffset => "bad_offset",
            NotResumable::OffsetAhead => "offset_ahead",
            NotResumable::Evicted => "evicted",
        }
    }
}

/// A namespace log's configuration: retention `max_age`, at most
/// `max_bytes` of payloads (`None`: [`DEFAULT_LOG_BYTES`]).
pub fn log_config(max_age: Duration, max_bytes: Option<usize>) -> RoomConfig {
    RoomConfig::default()
        .max_entries(LOG_MAX_ENTRIES)
        .retention(Some(max_age))
        .max_bytes(Some(max_bytes.unwrap_or(DEFAULT_LOG_BYTES)))
}

impl HistoryStore {
    /// Keep a log of every emit to `namespace` (see [`log_config`]), or
    /// reconfigure it in place.
    pub fn enable_log(&self, namespace: &str, config: RoomConfig) -> Result<()> {
        self.enable_key(namespace, Key::Log, config)
    }

    /// Drop a namespace's log; returns whether there was one.
    pub fn disable_log(&self, namespace: &str) -> bool {
        self.disable_key(namespace, Key::Log)
    }

    /// Log one emit to the namespace with who it was addressed to. Returns
    /// its offset; `None` when the namespace has no log or the payload alone
    /// is larger than the log's byte bound.
    pub fn record_log(
        &self,
        namespace: &str,
        event: &str,
        payload: Payload,
        delivery: Delivery,
    ) -> Option<Offset> {
        self.record_log_tagged(namespace, event, payload, delivery, None, None)
    }

    /// Log one emit at a position a shared stream assigned (see
    /// [`Sequenced`]), so that offsets are the same on every node that logs
    /// the stream. `None` also for a position the log already holds.
    pub fn record_log_sequenced(
        &self,
        namespace: &str,
        event: &str,
        payload: Payload,
        delivery: Delivery,
        at: Sequenced,
    ) -> Option<Offset> {
        self.record_log_tagged(namespace, event, payload, delivery, None, Some(at))
    }

    pub(crate) fn record_log_tagged(
        &self,
        namespace: &str,
        event: &str,
        payload: Payload,
        delivery: Delivery,
        tag: Option<OpTag>,
        at: Option<Sequenced>,
    ) -> Option<Offset> {
        // The epoch is read under the same lock that assigns the seq.
        let mut epoch = None;
        let outcome = self.record_key(
            namespace,
            Key::Log,
            event,
            payload,
            Some(delivery),
            tag,
            None,
            at,
            |r| {
                epoch = Some(r.epoch());
            },
        );
        match (outcome, epoch) {
            (RecordOutcome::Recorded(seq), Some(epoch)) => Some(Offset { epoch, seq }),
            _ => None,
        }
    }

    /// The log's lifetime and its last seq (0 when none), if it has one.
    pub fn log_position(&self, namespace: &str) -> Option<(Epoch, u64)> {
        self.with_room(namespace, Key::Log, |r| (r.epoch(), r.last_seq()))
    }

    /// The log's counters and configuration.
    pub fn log_stats(&self, namespace: &str) -> RoomStats {
        self.stats_key(namespace, Key::Log)
    }

    /// What a dropped connection missed, in order with their seqs: every
    /// logged event after the client's offset that was addressed to a client
    /// in `member_of` (its rooms when it dropped, its sid among them). An
    /// error when that cannot be told whole: the log restarted, the offset
    /// is malformed or ahead of what was sent, or an event the client needs
    /// was evicted. `client_offset` is `None` when the client has received
    /// no event.
    ///
    /// The client has everything sent to it up to its offset (events reach
    /// a client in seq order). It needs the events sent to it after its
    /// offset (the point knows them) and every event logged after the drop
    /// that reaches it; others may have left the log. So a quiet client
    /// whose offset left the log long ago still resumes.
    pub fn resume<S: AsRef<str>>(
        &self,
        namespace: &str,
        point: &ResumePoint,
        client_offset: Option<&str>,
        member_of: &[S],
    ) -> std::result::Result<Vec<HistoryEntry>, NotResumable> {
        let now = self.now_nanos();
        self.with_room(namespace, Key::Log, |r| {
            r.expire(now);
            if r.epoch() != point.epoch {
                return Err(NotResumable::OtherLifetime);
            }
            let client = match client_offset {
                None => None,
                Some(text) => {
                    let o = Offset::parse(text).ok_or(NotResumable::BadOffset)?;
                    if o.epoch != point.epoch {
                        return Err(NotResumable::OtherLifetime);
                    }
                    let sent_up_to = point.sent.last().copied().unwrap_or(0);
                    if o.seq > sent_up_to.max(point.sent_base).max(point.connect_seq) {
                        return Err(NotResumable::OffsetAhead);
                    }
                    Some(o.seq)
                }
            };
            // Offsets from before this connection began tell nothing more.
            let after = client.unwrap_or(0).max(point.connect_seq);
            let head = r.head_seq();
            let whole = if after >= point.sent_base {
                // The first event sent after the offset, and every event
                // logged after the drop, must still be held.
                let first_needed = point.sent.iter().copied().find(|&s| s > after);
                first_needed.is_none_or(|s| s >= head)
                    && head <= point.disconnect_seq.saturating_add(1)
            } else {
                // What was sent right after the offset is forgotten: only a
                // log that holds everything since the offset will do.
                head <= after.saturating_add(1)
            };
            if !whole {
                return Err(NotResumable::Evicted);
            }
            let query = Query::new()
                .since_seq(Some(after))
                .for_client(member_of.iter().map(|m| m.as_ref().to_owned()))
                .whole_payloads();
            // Operations on messages deleted since are left out: their
            // content is gone (the delete itself is replayed).
            let mut missed = r.fetch(&query);
            missed.retain(|e| !e.redacted);
            Ok(missed)
        })
        .unwrap_or(Err(NotResumable::NoLog))
    }

    /// What [`resume`](HistoryStore::resume) finds, as the Socket.IO EVENT
    /// packets that restore it: each event with its offset as its last
    /// argument (and in [`EventPacket::offset`]), in `style`.
    pub fn resume_packets<S: AsRef<str>>(
        &self,
        namespace: &str,
        point: &ResumePoint,
        client_offset: Option<&str>,
        member_of: &[S],
        style: JsonStyle,
    ) -> std::result::Result<Vec<EventPacket>, NotResumable> {
        let missed = self.resume(namespace, point, client_offset, member_of)?;
        Ok(missed
            .iter()
            .map(|e| {
                let offset = Offset::new(point.epoch, e.seq);
                let text = offset.to_string();
                let mut p = event_packet(namespace, &e.event, &e.payload, Some(&text), style);
                p.offset = Some(offset);
                p
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_round_trip_and_reject_anything_else() {
        let epoch = Epoch::generate();
        let o = Offset { epoch, seq: 42 };
        assert_eq!(Offset::parse(&o.to_string()), Some(o));
        let e = epoch.as_str();
        for bad in [
            String::new(),
            "42".into(),
            format!("{e}-"),
            format!("{e}-+4"),
            format!("{e}-04"),
            format!("{e}- 4"),
            format!("{e}-4x"),
            format!("{e}-123456789012345678901"),
            format!("{e}-99999999999999999999"), // > u64::MAX
            format!("x{e}-4"),
            format!("{}-4", e.to_uppercase()),
        ] {
            assert_eq!(Offset::parse(&bad), None, "{bad:?}");
        }
        assert_eq!(Offset::parse(&format!("{e}-0")).map(|o| o.seq()), Some(0));
    }
}
