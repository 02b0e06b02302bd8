//! Seqs assigned outside the store: several nodes that record one shared,
//! ordered stream (Redis Streams, say) take each entry's seq and epoch from
//! the stream instead of counting their own, so a client's cursor means the
//! same entry on every node.
//!
//! A room that records sequenced entries keeps the usual invariant (its
//! entries' seqs are contiguous, ending at `last_seq`) by how it meets each
//! new position, see [`Room::sequence`](crate::room::Room):
//! * the next seq of its epoch: recorded;
//! * a seq it already holds (the stream was read again after a reconnect):
//!   a duplicate, nothing changes;
//! * a later seq: the entries in between are not held anywhere this node can
//!   reach, so the room drops what it holds and continues from there; a
//!   cursor from before the hole then reads as a gap, never as a silent skip;
//! * another epoch (the stream's counters were lost and started again): the
//!   room starts that lifetime, empty.

use crate::epoch::Epoch;
use crate::error::{HistoryError, Result};

/// Where an entry stands in a shared stream: its room's (or log's) `seq`,
/// 1-based, in the stream's lifetime `epoch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sequenced {
    epoch: Epoch,
    seq: u64,
}

impl Sequenced {
    /// Seq `seq` (≥ 1) of the lifetime `epoch` (an [`Epoch`]'s text).
    pub fn new(epoch: &str, seq: u64) -> Result<Self> {
        let epoch = Epoch::parse(epoch).ok_or_else(|| {
            HistoryError::invalid(
                "epoch",
                format!("must be 12 characters of Crockford base32 (lowercase), got {epoch:?}"),
            )
        })?;
        if seq == 0 {
            return Err(HistoryError::invalid("seq", "must be at least 1"));
        }
        Ok(Sequenced { epoch, seq })
    }

    /// The stream's lifetime.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// The entry's seq in its room (or log).
    pub fn seq(&self) -> u64 {
        self.seq
    }
}

/// How a room met a sequenced position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    /// The next entry takes the position.
    Next,
    /// The room already holds that position or a later one.
    Duplicate,
}
