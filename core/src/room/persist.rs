//! A room's side of the durable store: what the journal writes of it, and
//! how a replayed record is applied (docs/DURABILITY.md). Replay applies
//! facts the live store already decided (a seq, a message's state); it
//! checks no rule again.

use super::{Entry, OpTag, Room};
use crate::config::RoomConfig;
use crate::delivery::Delivery;
use crate::epoch::Epoch;
use crate::message::state::MessageState;
use crate::message::MessageId;
use crate::payload::Payload;
use crate::sequence::{Placement, Sequenced};
use crate::stats::Counters;
use std::sync::Arc;

/// One stored entry as the journal writes it, borrowed from its room.
#[derive(Debug)]
pub(crate) struct EntryParts<'a> {
    pub seq: u64,
    pub event: &'a str,
    pub payload: &'a Payload,
    pub wall: f64,
    pub delivery: Option<&'a Delivery>,
    pub tag: Option<&'a OpTag>,
}

impl Room {
    /// A new lifetime with a known epoch (a replayed `Enable`).
    pub(crate) fn with_epoch(config: RoomConfig, epoch: Epoch) -> Self {
        let mut r = Room::new(config);
        r.epoch = epoch;
        r
    }

    pub(crate) fn config(&self) -> &RoomConfig {
        &self.config
    }

    fn parts<'a>(&'a self, seq: u64, e: &'a Entry) -> EntryParts<'a> {
        EntryParts {
            seq,
            event: self.names.get(e.event),
            payload: &e.payload,
            wall: e.wall,
            delivery: self.delivery(seq),
            tag: self.tag(seq),
        }
    }

    /// The newest entry, if any.
    pub(crate) fn last_entry(&self) -> Option<EntryParts<'_>> {
        self.entries.back().map(|e| self.parts(self.last_seq, e))
    }

    /// Every entry, oldest first.
    pub(crate) fn for_each_entry(&self, mut f: impl FnMut(EntryParts<'_>)) {
        let head = self.head_seq();
        for (i, e) in self.entries.iter().enumerate() {
            f(self.parts(head + i as u64, e));
        }
    }

    /// A live message's state.
    pub(crate) fn message_state(&self, id: &str) -> Option<&MessageState> {
        self.messages.get(id)
    }

    /// Every live message's state, oldest create first.
    pub(crate) fn for_each_message(&self, mut f: impl FnMut(&MessageState)) {
        for m in self
            .messages
            .by_position(0..u64::MAX)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            f(m);
        }
    }

    /// Replay an entry at `seq` of `epoch` (a held seq is a duplicate, a
    /// later one or another epoch restarts the room there, as a shared
    /// stream would); `mono` is its record time on this process's clock.
    /// An `expired` entry only moves the seq on (what came before it is at
    /// least as old). Returns whether it was applied.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn replay_entry(
        &mut self,
        epoch: Epoch,
        seq: u64,
        wall: f64,
        mono: u64,
        expired: bool,
        event: &str,
        payload: Payload,
        delivery: Option<Delivery>,
        tag: Option<OpTag>,
    ) -> bool {
        let Ok(at) = Sequenced::new(epoch.as_str(), seq) else {
            return false;
        };
        if self.sequence(at) == Placement::Duplicate {
            return false;
        }
        if expired {
            self.clear();
            self.last_seq = seq;
            return true;
        }
        self.push(event, payload, delivery, tag, wall, mono);
        self.enforce_bounds();
        true
    }

    /// Replay a message's state (in this lifetime only).
    pub(crate) fn replay_message(&mut self, epoch: Epoch, state: MessageState) {
        if self.epoch == epoch {
            self.messages.restore(state);
        }
    }

    /// Replay an append to a message's state, once: the entry at `seq` was
    /// just replayed (a duplicate's state is already there).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn replay_append(
        &mut self,
        epoch: Epoch,
        seq: u64,
        wall: f64,
        id: MessageId,
        version: u64,
        event: Arc<str>,
        fragment: &str,
        is_final: bool,
    ) {
        let fresh = self
            .messages
            .get(id.as_str())
            .is_some_and(|m| m.version < version);
        if self.epoch == epoch && fresh {
            self.messages
                .replay_append(id, version, event, fragment, is_final, seq, wall);
        }
    }

    /// Replay a clear made when the room's last seq was `last_seq`: applied
    /// only if nothing after it is held yet (a compaction may have copied
    /// the room after the clear).
    pub(crate) fn replay_clear(&mut self, epoch: Epoch, last_seq: u64) {
        if self.epoch == epoch && self.last_seq == last_seq {
            self.clear();
        }
    }

    /// Counters start at zero in a new process (replay counted its own
    /// evictions).
    pub(crate) fn reset_counters(&mut self) {
        self.counters = Counters::default();
    }
}
