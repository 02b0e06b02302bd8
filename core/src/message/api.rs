//! The store's message operations: find the room, apply under its lock,
//! settle the budget. The rules are in `state.rs`, the room's side in
//! `room/messages.rs`.

use super::{Action, Auth, Message, MessageId, Mutation, Op, Patch};
use crate::delivery::Delivery;
use crate::error::{HistoryError, Result};
use crate::payload::Payload;
use crate::persist::record;
use crate::query::HistoryEntry;
use crate::recovery::Offset;
use crate::room::OpTag;
use crate::room::Room;
use crate::sequence::Sequenced;
use crate::slot::Key;
use crate::store::HistoryStore;

fn not_enabled(namespace: &str, room: &str) -> HistoryError {
    HistoryError::NotEnabled {
        namespace: namespace.to_owned(),
        room: room.to_owned(),
    }
}

impl HistoryStore {
    // `create_message`, or with `commit` false only its checks.
    #[allow(clippy::too_many_arguments)]
    fn create_message_in(
        &self,
        commit: bool,
        namespace: &str,
        room: &str,
        event: &str,
        data: Payload,
        message_id: Option<&str>,
        owner: Option<&str>,
    ) -> Result<Mutation> {
        let id = message_id.map(MessageId::new).transpose()?;
        self.mutate(
            namespace,
            room,
            Op::Create {
                id,
                event,
                data,
                owner,
            },
            commit,
        )
    }

    // `update_message`, or with `commit` false only its checks.
    #[allow(clippy::too_many_arguments)]
    fn update_message_in(
        &self,
        commit: bool,
        namespace: &str,
        room: &str,
        message_id: &str,
        event: Patch<&str>,
        data: Patch<Payload>,
        auth: &Auth<'_>,
    ) -> Result<Mutation> {
        MessageId::check(message_id)?;
        self.mutate(
            namespace,
            room,
            Op::Update {
                id: message_id,
                event,
                data,
                auth,
            },
            commit,
        )
    }

    // `delete_message`, or with `commit` false only its checks.
    fn delete_message_in(
        &self,
        commit: bool,
        namespace: &str,
        room: &str,
        message_id: &str,
        auth: &Auth<'_>,
    ) -> Result<Mutation> {
        MessageId::check(message_id)?;
        let m = self.mutate(
            namespace,
            room,
            Op::Delete {
                id: message_id,
                auth,
            },
            commit,
        )?;
        if commit {
            self.with_room(namespace, Key::Log, |log| {
                log.redact(Some(room), message_id);
                self.journal(|e| {
                    record::redact(e, namespace, Key::Log, Some(room), message_id);
                });
            });
        }
        Ok(m)
    }

    // `append_message`, or with `commit` false only its checks.
    #[allow(clippy::too_many_arguments)]
    fn append_message_in(
        &self,
        commit: bool,
        namespace: &str,
        room: &str,
        message_id: &str,
        fragment: &str,
        is_final: bool,
        auth: &Auth<'_>,
    ) -> Result<Mutation> {
        MessageId::check(message_id)?;
        self.mutate(
            namespace,
            room,
            Op::Append {
                id: message_id,
                fragment,
                is_final,
                auth,
            },
            commit,
        )
    }

    /// Create a message: record `data` as `event` (version 1 of message
    /// `message_id`, or of a fresh random id), owned by `owner` if given.
    /// Errors: the room has no history, the id is malformed or in use, the
    /// data is larger than the room's `max_message_bytes`.
    pub fn create_message(
        &self,
        namespace: &str,
        room: &str,
        event: &str,
        data: Payload,
        message_id: Option<&str>,
        owner: Option<&str>,
    ) -> Result<Mutation> {
        self.create_message_in(true, namespace, room, event, data, message_id, owner)
    }

    /// Update a message: each of `event` and `data` kept, cleared (data
    /// only) or replaced. An update that changes nothing is an error, as is
    /// updating a deleted message.
    pub fn update_message(
        &self,
        namespace: &str,
        room: &str,
        message_id: &str,
        event: Patch<&str>,
        data: Patch<Payload>,
        auth: &Auth<'_>,
    ) -> Result<Mutation> {
        self.update_message_in(true, namespace, room, message_id, event, data, auth)
    }

    /// Delete a message: its latest state becomes a tombstone without data,
    /// and every entry of it the room (and the namespace's recovery log)
    /// holds loses its data.
    pub fn delete_message(
        &self,
        namespace: &str,
        room: &str,
        message_id: &str,
        auth: &Auth<'_>,
    ) -> Result<Mutation> {
        self.delete_message_in(true, namespace, room, message_id, auth)
    }

    /// Append `fragment` to a message's text (no data counts as empty
    /// text); `is_final` closes the stream (the fragment may then be empty).
    /// Appending to a closed or deleted message, or to data that is not
    /// text, is an error.
    pub fn append_message(
        &self,
        namespace: &str,
        room: &str,
        message_id: &str,
        fragment: &str,
        is_final: bool,
        auth: &Auth<'_>,
    ) -> Result<Mutation> {
        self.append_message_in(true, namespace, room, message_id, fragment, is_final, auth)
    }

    /// What [`create_message`](Self::create_message) would return, or why
    /// it would be refused, without changing anything: for a node that
    /// hands the operation to a shared stream, which applies it on every
    /// node in stream order. (A generated id is drawn here: pass it on.)
    pub fn check_create_message(
        &self,
        namespace: &str,
        room: &str,
        event: &str,
        data: Payload,
        message_id: Option<&str>,
        owner: Option<&str>,
    ) -> Result<Mutation> {
        self.create_message_in(false, namespace, room, event, data, message_id, owner)
    }

    /// [`update_message`](Self::update_message)'s checks and result, as
    /// [`check_create_message`](Self::check_create_message).
    pub fn check_update_message(
        &self,
        namespace: &str,
        room: &str,
        message_id: &str,
        event: Patch<&str>,
        data: Patch<Payload>,
        auth: &Auth<'_>,
    ) -> Result<Mutation> {
        self.update_message_in(false, namespace, room, message_id, event, data, auth)
    }

    /// [`delete_message`](Self::delete_message)'s checks and result, as
    /// [`check_create_message`](Self::check_create_message).
    pub fn check_delete_message(
        &self,
        namespace: &str,
        room: &str,
        message_id: &str,
        auth: &Auth<'_>,
    ) -> Result<Mutation> {
        self.delete_message_in(false, namespace, room, message_id, auth)
    }

    /// [`append_message`](Self::append_message)'s checks and result, as
    /// [`check_create_message`](Self::check_create_message).
    pub fn check_append_message(
        &self,
        namespace: &str,
        room: &str,
        message_id: &str,
        fragment: &str,
        is_final: bool,
        auth: &Auth<'_>,
    ) -> Result<Mutation> {
        self.append_message_in(false, namespace, room, message_id, fragment, is_final, auth)
    }

    /// A message's latest state.
    pub fn get_message(&self, namespace: &str, room: &str, message_id: &str) -> Result<Message> {
        MessageId::check(message_id)?;
        self.read_room(namespace, room, |r| r.message(message_id))?
            .ok_or_else(|| HistoryError::NotFound {
                message_id: message_id.to_owned(),
            })
    }

    /// What the room's mutation events begin with (`None` without history).
    pub fn mutation_prefix(&self, namespace: &str, room: &str) -> Option<std::sync::Arc<str>> {
        self.with_room(namespace, Key::Room(room), |r| r.mutation_prefix())
    }

    /// A message's retained entries, newest first, at most `limit`.
    pub fn message_versions(
        &self,
        namespace: &str,
        room: &str,
        message_id: &str,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>> {
        MessageId::check(message_id)?;
        self.read_room(namespace, room, |r| r.versions(message_id, limit))?
            .ok_or_else(|| HistoryError::NotFound {
                message_id: message_id.to_owned(),
            })
    }

    /// [`record_log`](HistoryStore::record_log) for the emit of an operation
    /// on message `message_id` of `room`: deleting the message later removes
    /// this entry's data from the log too.
    /// With `at`, at a shared stream's position (see [`Sequenced`]).
    #[allow(clippy::too_many_arguments)]
    pub fn record_log_message(
        &self,
        namespace: &str,
        event: &str,
        payload: Payload,
        delivery: Delivery,
        room: &str,
        message_id: &str,
        at: Option<Sequenced>,
    ) -> Result<Option<Offset>> {
        let tag = OpTag {
            id: MessageId::new(message_id)?,
            room: Some(room.into()),
            // The log only needs to know which message an entry belongs to.
            action: super::Action::Create,
            version: 0,
            redacted: false,
        };
        Ok(self.record_log_tagged(namespace, event, payload, delivery, Some(tag), at))
    }

    /// Journal an applied operation as the room holds it now: a delete's
    /// redaction, the operation's entry, then the message's new state (for
    /// an append, only the fragment: a stream's text is not written again
    /// with every token).
    fn journal_mutation(&self, namespace: &str, room: &str, r: &Room, m: &Mutation) {
        let key = Key::Room(room);
        let id = m.message_id.as_str();
        if m.action == Action::Delete {
            self.journal(|e| record::redact(e, namespace, key, None, id));
        }
        self.journal_last_entry(namespace, key, r);
        match &m.fragment {
            Some(fragment) => self.journal(|e| {
                record::append(
                    e,
                    namespace,
                    room,
                    r.epoch(),
                    m.seq,
                    m.timestamp,
                    id,
                    m.version,
                    &m.event,
                    fragment,
                    m.is_final,
                );
            }),
            None => {
                if let Some(state) = r.message_state(id) {
                    self.journal(|e| record::message(e, namespace, room, r.epoch(), state));
                }
            }
        }
    }

    fn read_room<R>(
        &self,
        namespace: &str,
        room: &str,
        f: impl FnOnce(&crate::room::Room) -> R,
    ) -> Result<R> {
        let now = self.now_nanos();
        self.with_room(namespace, Key::Room(room), |r| {
            r.expire(now);
            f(r)
        })
        .ok_or_else(|| not_enabled(namespace, room))
    }

    fn mutate(&self, namespace: &str, room: &str, op: Op<'_>, commit: bool) -> Result<Mutation> {
        let max_cost = self.max_total_bytes();
        let out = self
            .with_room(namespace, Key::Room(room), |r| {
                // Clocks read under the room lock: seq order is time order.
                let (wall, mono) = self.now_both();
                let out = r.mutate(op, room, wall, mono, max_cost, commit);
                if let (true, Ok(m)) = (commit && self.is_durable(), &out) {
                    self.journal_mutation(namespace, room, r, m);
                }
                out
            })
            .unwrap_or_else(|| Err(not_enabled(namespace, room)));
        self.enforce_budget();
        out
    }
}
