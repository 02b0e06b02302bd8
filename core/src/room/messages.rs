//! A room's side of mutable messages: recording an operation as an entry,
//! redacting a deleted message's entries, and the reads that know messages
//! (the latest view, one message, its versions).

use super::{entry_cost, in_time, OpTag, Picked, Room};
use crate::error::{HistoryError, Result};
use crate::message::state::{MessageState, Stream};
use crate::message::{Action, Message, Mutation, Op};
use crate::payload::Payload;
use crate::query::{EntryRef, HistoryEntry, Query, View};

impl Room {
    /// Check and apply one operation on a message of this room (`room` is
    /// its name, for grants): record its entry, fold it into the message's
    /// state. A refused operation changes nothing and uses no seq.
    pub fn mutate(
        &mut self,
        op: Op<'_>,
        room: &str,
        wall: f64,
        now: u64,
        max_cost: Option<usize>,
        commit: bool,
    ) -> Result<Mutation> {
        self.expire(now);
        let plan = self.messages.plan(op, room, &self.config)?;
        let size = plan.entry.size();
        // The entry and the state it leaves must fit the room's and the
        // store's bounds on their own, or recording would evict the message.
        if let Some(max) = self.config.max_bytes {
            let need = size.saturating_add(plan.state_size);
            if need > max {
                return Err(HistoryError::too_large(
                    "max_bytes",
                    format!("the entry and the message's data would hold {need} bytes, more than the room's {max}"),
                ));
            }
        }
        if let Some(max) = max_cost {
            let need = entry_cost(size, plan.event.len()).saturating_add(plan.state_size);
            if need > max {
                return Err(HistoryError::too_large(
                    "max_total_bytes",
                    format!("the operation would hold {need} bytes, more than the store's {max}"),
                ));
            }
        }
        let data = plan.data_after(&self.messages);
        let (fragment, is_final) = plan
            .append()
            .map_or((None, false), |(f, fin)| (Some(f.to_owned()), fin));
        if !commit {
            return Ok(Mutation {
                message_id: plan.id.clone(),
                action: plan.action,
                version: plan.version,
                seq: self.last_seq + 1,
                epoch: self.epoch,
                event: plan.event.clone(),
                data,
                fragment,
                is_final,
                timestamp: wall,
                mutation_prefix: self.config.mutation_prefix.clone(),
            });
        }
        if plan.action == Action::Delete {
            self.redact(None, plan.id.as_str());
        }
        let tag = OpTag {
            id: plan.id.clone(),
            room: None,
            action: plan.action,
            version: plan.version,
            redacted: false,
        };
        let event = plan.event.clone();
        let seq = self.push(&event, plan.entry.clone(), None, Some(tag), wall, now);
        let (message_id, action, version) = (plan.id.clone(), plan.action, plan.version);
        self.messages.commit(plan, seq, wall);
        self.enforce_bounds();
        Ok(Mutation {
            message_id,
            action,
            version,
            seq,
            epoch: self.epoch,
            event,
            data,
            fragment,
            is_final,
            timestamp: wall,
            mutation_prefix: self.config.mutation_prefix.clone(),
        })
    }

    /// Remove the data of every entry of message `id` (of `room`, in a
    /// namespace log): deleted content never comes back through a read.
    pub fn redact(&mut self, room: Option<&str>, id: &str) {
        let head = self.head_seq();
        for (seq, tag) in self.ops.iter_mut() {
            if tag.redacted || !tag.is(room, id) {
                continue;
            }
            tag.redacted = true;
            if let Some(e) = self.entries.get_mut((*seq - head) as usize) {
                let gone = std::mem::replace(&mut e.payload, Payload::null());
                self.bytes = self.bytes - gone.size() + e.payload.size();
            }
        }
    }

    /// The latest view (and the replay view, which leaves deleted messages
    /// out): each live message once, at its create's place, in its latest
    /// state; plain entries as they are. Cursors and `limit` apply to
    /// places; event filters to the latest event name.
    pub(super) fn latest(&self, q: &Query) -> (Vec<Picked<'_>>, bool) {
        let head = self.head_seq();
        let (lo, hi) = self.seq_window(q);
        // A message's place may be older than the retained entries.
        let lo_msg = q.since_seq.map_or(0, |s| s.saturating_add(1));
        let allowed = self.event_mask(q);
        let wants = |name: &str| {
            q.include_events
                .as_ref()
                .is_none_or(|inc| inc.iter().any(|n| n == name))
                && !q
                    .exclude_events
                    .as_ref()
                    .is_some_and(|exc| exc.iter().any(|n| n == name))
        };
        let (a, b) = if lo < hi {
            ((lo - head) as usize, (hi - head) as usize)
        } else {
            (0, 0)
        };
        let plain = self
            .entries
            .range(a..b)
            .enumerate()
            .rev()
            .map(|(i, e)| (head + (a + i) as u64, e));
        // Walk the operations backwards beside the entries (both sorted by
        // seq) to tell plain entries apart: O(1) each, no search.
        let mut ops = self.ops.iter().rev().map(|(s, _)| *s).peekable();
        let mut plain = plain
            .filter(|(seq, _)| {
                while ops.next_if(|s| s > seq).is_some() {}
                ops.peek() != Some(seq)
            })
            .filter(|(seq, e)| {
                in_time(q, e.wall)
                    && allowed.as_ref().is_none_or(|m| m[e.event as usize])
                    && q.for_client
                        .as_ref()
                        .is_none_or(|client| self.delivery(*seq).is_none_or(|d| d.reaches(client)))
            })
            .peekable();
        let mut msgs = self
            .messages
            .by_position(lo_msg.min(hi)..q.before_seq.map_or(hi, |b| b.min(self.last_seq + 1)))
            .filter(|m| !(m.deleted && q.view == View::Replay))
            .filter(|m| wants(&m.event) && in_time(q, m.created))
            .peekable();
        let wanted = q.limit.unwrap_or(usize::MAX);
        let mut out = Vec::new();
        let mut has_more = false;
        loop {
            let take_msg = match (plain.peek(), msgs.peek()) {
                (None, None) => break,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some((seq, _)), Some(m)) => m.create_seq > *seq,
            };
            if out.len() == wanted {
                has_more = true;
                break;
            }
            if take_msg {
                if let Some(m) = msgs.next() {
                    out.push(Picked::Message(m));
                }
            } else if let Some((seq, e)) = plain.next() {
                out.push(Picked::Entry(seq, e));
            }
        }
        out.reverse();
        (out, has_more)
    }

    /// The room's mutation prefix.
    pub fn mutation_prefix(&self) -> std::sync::Arc<str> {
        self.config.mutation_prefix.clone()
    }

    /// The latest state of message `id`.
    pub fn message(&self, id: &str) -> Option<Message> {
        let m = self.messages.get(id)?;
        Some(Message {
            message_id: m.id.clone(),
            event: m.event.clone(),
            data: m.data.to_payload(),
            version: m.version,
            action: m.action,
            deleted: m.deleted,
            streaming: m.stream == Stream::Open,
            is_final: m.stream == Stream::Final,
            appends: m.appends,
            owner: m.owner.clone(),
            seq: m.create_seq,
            last_seq: m.last_seq,
            created: m.created,
            updated: m.updated,
        })
    }

    /// The retained entries of message `id`, newest first, at most `limit`;
    /// `None` if the room holds no such message.
    pub fn versions(&self, id: &str, limit: usize) -> Option<Vec<HistoryEntry>> {
        self.messages.get(id)?;
        let head = self.head_seq();
        Some(
            self.ops
                .iter()
                .rev()
                .filter(|(_, t)| t.is(None, id))
                .take(limit)
                .filter_map(|(seq, _)| {
                    let e = self.entries.get((*seq - head) as usize)?;
                    Some(self.entry_at(*seq, e, None))
                })
                .collect(),
        )
    }
}

/// A live message as the latest view returns it.
pub(super) fn latest_entry(m: &MessageState, cap: Option<usize>) -> EntryRef<'_> {
    let payload = m.data.to_payload().unwrap_or_else(Payload::null);
    let cut = cap.and_then(|c| payload.truncated(c));
    EntryRef {
        event: &m.event,
        truncated: cut.is_some(),
        payload: std::borrow::Cow::Owned(cut.unwrap_or(payload)),
        timestamp: m.created,
        seq: m.create_seq,
        action: m.action,
        message_id: Some(&m.id),
        version: Some(m.version),
        redacted: false,
        deleted: m.deleted,
    }
}
