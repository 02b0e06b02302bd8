//! A room's live messages: each one's latest state, held once, and the
//! rules that turn an operation into the next state.
//!
//! Applying an operation has two halves. [`Messages::plan`] checks every
//! rule and limit and works out the entry to record and the state after,
//! changing nothing; [`Messages::commit`] applies a plan and cannot fail. The
//! room records the entry in between, so a refused operation changes nothing
//! and uses no seq.

use super::auth::{check_name, Verb};
use super::{Action, MessageId, Op, Patch};
use crate::config::RoomConfig;
use crate::error::{HistoryError, Result};
use crate::payload::{Payload, PayloadKind};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A message's data: none, a stored payload, or text that is being
/// streamed (grown in place, so a stream of appends costs linear time).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Data {
    None,
    Payload(Payload),
    Text(String),
}

impl Data {
    /// `None` and a JSON null are the same: no data.
    fn from_payload(p: Payload) -> Self {
        if p.kind() == PayloadKind::Value && p.to_json() == "null" {
            Data::None
        } else {
            Data::Payload(p)
        }
    }

    pub fn size(&self) -> usize {
        match self {
            Data::None => 0,
            Data::Payload(p) => p.size(),
            Data::Text(s) => s.len(),
        }
    }

    /// The data as a payload (`None`: no data).
    pub fn to_payload(&self) -> Option<Payload> {
        match self {
            Data::None => None,
            Data::Payload(p) => Some(p.clone()),
            Data::Text(s) => Some(Payload::text(s)),
        }
    }

    /// The text appends extend: `Some("")` for no data.
    fn text(&self) -> Option<&str> {
        match self {
            Data::None => Some(""),
            Data::Payload(p) => p.as_text(),
            Data::Text(s) => Some(s),
        }
    }
}

/// Where a message stands as a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    /// Never appended to.
    Idle,
    /// Appended to, not final yet.
    Open,
    /// Closed by a final append.
    Final,
}

#[derive(Debug)]
pub(crate) struct MessageState {
    pub id: MessageId,
    pub event: Arc<str>,
    pub data: Data,
    pub owner: Option<Arc<str>>,
    pub version: u64,
    pub action: Action,
    pub create_seq: u64,
    pub last_seq: u64,
    pub created: f64,
    pub updated: f64,
    pub deleted: bool,
    pub stream: Stream,
    pub appends: usize,
}

/// Bytes of bookkeeping a live message is charged beyond its strings: the
/// state itself and its places in the two indexes.
const STATE_OVERHEAD: usize = std::mem::size_of::<MessageState>() + 96;

impl MessageState {
    fn cost(&self) -> usize {
        self.data.size()
            + self.event.len()
            + self.id.as_str().len()
            + self.owner.as_deref().map_or(0, str::len)
            + STATE_OVERHEAD
    }
}

/// What an operation will do, once recorded.
#[derive(Debug)]
pub(crate) struct Plan {
    pub id: MessageId,
    pub action: Action,
    pub version: u64,
    /// The message's event name after the operation (the entry's event).
    pub event: Arc<str>,
    /// What the entry holds: the data of a create or update (after it), the
    /// fragment of an append, nothing for a delete.
    pub entry: Payload,
    /// The message's data size after the operation.
    pub state_size: usize,
    change: Change,
}

#[derive(Debug)]
enum Change {
    Create { owner: Option<Arc<str>>, data: Data },
    Edit(Edit),
}

/// An operation on a message that exists.
#[derive(Debug)]
enum Edit {
    Update { data: Option<Data> },
    Delete,
    Append { fragment: Box<str>, is_final: bool },
}

impl Plan {
    /// For an append: the fragment and whether it closes the stream.
    pub fn append(&self) -> Option<(&str, bool)> {
        match &self.change {
            Change::Edit(Edit::Append { fragment, is_final }) => Some((fragment, *is_final)),
            _ => None,
        }
    }

    /// The data after a create or an update.
    pub fn data_after(&self, messages: &Messages) -> Option<Payload> {
        match &self.change {
            Change::Create { data, .. } | Change::Edit(Edit::Update { data: Some(data) }) => {
                data.to_payload()
            }
            Change::Edit(Edit::Update { data: None }) => {
                messages.get(self.id.as_str())?.data.to_payload()
            }
            Change::Edit(Edit::Delete | Edit::Append { .. }) => None,
        }
    }
}

/// End a message's stream (`to`: how it ends, unless it was final); the
/// change to the room's count of open streams.
fn close_stream(m: &mut MessageState, to: Stream) -> isize {
    let was_open = m.stream == Stream::Open;
    if m.stream != Stream::Final {
        m.stream = to;
    }
    -isize::from(was_open)
}

#[derive(Debug, Default)]
pub(crate) struct Messages {
    by_id: HashMap<MessageId, MessageState>,
    /// Ids by their create's seq: the latest view's order.
    order: BTreeMap<u64, MessageId>,
    open_streams: usize,
    bytes: usize,
    cost: usize,
}

fn closed(what: &str) -> HistoryError {
    HistoryError::invalid("message_id", what.to_owned())
}

impl Messages {
    /// Live messages.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Data bytes of the live messages.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Budget bytes of the live messages.
    pub fn cost(&self) -> usize {
        self.cost
    }

    pub fn get(&self, id: &str) -> Option<&MessageState> {
        self.by_id.get(id)
    }

    /// Live messages whose create's seq is in `range`, newest first.
    pub fn by_position(
        &self,
        range: std::ops::Range<u64>,
    ) -> impl Iterator<Item = &MessageState> + '_ {
        self.order
            .range(range)
            .rev()
            .filter_map(|(_, id)| self.by_id.get(id.as_str()))
    }

    fn found(&self, id: &str) -> Result<&MessageState> {
        self.by_id.get(id).ok_or_else(|| HistoryError::NotFound {
            message_id: id.to_owned(),
        })
    }

    /// Check `op` against the rules, the limits and the caller's grants, in
    /// `room` with `config`; work out what it will do. Changes nothing.
    pub fn plan(&self, op: Op<'_>, room: &str, config: &RoomConfig) -> Result<Plan> {
        let max = config.max_message_bytes;
        let fits = |size: usize| {
            if size > max {
                Err(HistoryError::too_large(
                    "max_message_bytes",
                    format!("the message's data would be {size} bytes, more than {max}"),
                ))
            } else {
                Ok(size)
            }
        };
        match op {
            Op::Create {
                id,
                event,
                data,
                owner,
            } => {
                if let Some(o) = owner {
                    check_name("owner", o)?;
                }
                let id = match id {
                    Some(id) if self.by_id.contains_key(id.as_str()) => {
                        return Err(HistoryError::invalid(
                            "message_id",
                            format!("{:?} is already in use in this room", id.as_str()),
                        ));
                    }
                    Some(id) => id,
                    None => loop {
                        let id = MessageId::generate();
                        if !self.by_id.contains_key(id.as_str()) {
                            break id;
                        }
                    },
                };
                let state_size = fits(data.size())?;
                Ok(Plan {
                    id,
                    action: Action::Create,
                    version: 1,
                    event: event.into(),
                    entry: data.clone(),
                    state_size,
                    change: Change::Create {
                        owner: owner.map(Into::into),
                        data: Data::from_payload(data),
                    },
                })
            }
            Op::Update {
                id,
                event,
                data,
                auth,
            } => {
                let m = self.found(id)?;
                auth.check(Verb::Update, room, m.owner.as_deref())?;
                if m.deleted {
                    return Err(closed("the message was deleted"));
                }
                if matches!((&event, &data), (Patch::Keep, Patch::Keep)) {
                    return Err(HistoryError::invalid(
                        "data",
                        "an update must change the event or the data (both are KEEP)",
                    ));
                }
                let new_event: Arc<str> = match event {
                    Patch::Keep => m.event.clone(),
                    Patch::Clear => {
                        return Err(HistoryError::invalid(
                            "event",
                            "an event name cannot be cleared (replace it instead)",
                        ))
                    }
                    Patch::Replace(e) => e.into(),
                };
                let new_data = match data {
                    Patch::Keep => None,
                    Patch::Clear => Some(Data::None),
                    Patch::Replace(p) => Some(Data::from_payload(p)),
                };
                let same_data = new_data
                    .as_ref()
                    .is_none_or(|d| d.to_payload() == m.data.to_payload());
                if new_event == m.event && same_data {
                    return Err(HistoryError::invalid(
                        "data",
                        "the update changes nothing (same event and data)",
                    ));
                }
                let state_size = fits(new_data.as_ref().unwrap_or(&m.data).size())?;
                let entry = new_data
                    .as_ref()
                    .unwrap_or(&m.data)
                    .to_payload()
                    .unwrap_or_else(Payload::null);
                Ok(Plan {
                    id: m.id.clone(),
                    action: Action::Update,
                    version: m.version + 1,
                    event: new_event,
                    entry,
                    state_size,
                    change: Change::Edit(Edit::Update { data: new_data }),
                })
            }
            Op::Delete { id, auth } => {
                let m = self.found(id)?;
                auth.check(Verb::Delete, room, m.owner.as_deref())?;
                if m.deleted {
                    return Err(closed("the message was already deleted"));
                }
                Ok(Plan {
                    id: m.id.clone(),
                    action: Action::Delete,
                    version: m.version + 1,
                    event: m.event.clone(),
                    entry: Payload::null(),
                    state_size: 0,
                    change: Change::Edit(Edit::Delete),
                })
            }
            Op::Append {
                id,
                fragment,
                is_final,
                auth,
            } => {
                let m = self.found(id)?;
                auth.check(Verb::Append, room, m.owner.as_deref())?;
                if m.deleted {
                    return Err(closed("the message was deleted"));
                }
                if m.stream == Stream::Final {
                    return Err(closed(
                        "the message's stream is closed (a final append was made)",
                    ));
                }
                if fragment.is_empty() && !is_final {
                    return Err(HistoryError::invalid(
                        "fragment",
                        "must not be empty (only a final append may be)",
                    ));
                }
                let Some(text) = m.data.text() else {
                    return Err(HistoryError::invalid(
                        "fragment",
                        "the message's data is not a string: only text can be appended to",
                    ));
                };
                if !fragment.is_empty() && m.appends >= config.max_appends {
                    return Err(HistoryError::too_large(
                        "max_appends",
                        format!("the message already has {} appends", m.appends),
                    ));
                }
                if m.stream == Stream::Idle
                    && !is_final
                    && self.open_streams >= config.max_open_streams
                {
                    return Err(HistoryError::too_large(
                        "max_open_streams",
                        format!("{} streams of this room are open", self.open_streams),
                    ));
                }
                let state_size = fits(text.len().saturating_add(fragment.len()))?;
                Ok(Plan {
                    id: m.id.clone(),
                    action: Action::Append,
                    version: m.version + 1,
                    event: m.event.clone(),
                    entry: Payload::text(fragment),
                    state_size,
                    change: Change::Edit(Edit::Append {
                        fragment: fragment.into(),
                        is_final,
                    }),
                })
            }
        }
    }

    /// Apply a plan whose entry was recorded as `seq` at `wall`.
    pub fn commit(&mut self, plan: Plan, seq: u64, wall: f64) {
        let Plan {
            id,
            action,
            version,
            event,
            change,
            ..
        } = plan;
        let edit = match change {
            Change::Edit(edit) => edit,
            Change::Create { owner, data } => {
                let state = MessageState {
                    id: id.clone(),
                    event,
                    data,
                    owner,
                    version,
                    action,
                    create_seq: seq,
                    last_seq: seq,
                    created: wall,
                    updated: wall,
                    deleted: false,
                    stream: Stream::Idle,
                    appends: 0,
                };
                self.add(&state, true);
                self.order.insert(seq, id.clone());
                self.by_id.insert(id, state);
                return;
            }
        };
        let Some(m) = self.by_id.get_mut(id.as_str()) else {
            return;
        };
        // Changed in place (no re-insertion): an append is the hot path.
        let (bytes_before, cost_before) = (m.data.size(), m.cost());
        m.event = event;
        m.version = version;
        m.action = action;
        m.last_seq = seq;
        m.updated = wall;
        let mut open_delta: isize = 0;
        match edit {
            Edit::Update { data } => {
                if let Some(d) = data {
                    m.data = d;
                }
            }
            Edit::Delete => {
                m.deleted = true;
                m.data = Data::None;
                open_delta = close_stream(m, Stream::Idle);
            }
            Edit::Append { fragment, is_final } => {
                match &mut m.data {
                    Data::Text(text) => text.push_str(&fragment),
                    other => {
                        let mut text = other
                            .to_payload()
                            .and_then(|p| p.as_text().map(str::to_owned))
                            .unwrap_or_default();
                        text.push_str(&fragment);
                        *other = Data::Text(text);
                    }
                }
                if !fragment.is_empty() {
                    m.appends += 1;
                }
                if is_final {
                    if let Data::Text(text) = &mut m.data {
                        text.shrink_to_fit();
                    }
                    open_delta = close_stream(m, Stream::Final);
                } else if m.stream == Stream::Idle {
                    m.stream = Stream::Open;
                    open_delta = 1;
                }
            }
        }
        let (bytes_after, cost_after) = (m.data.size(), m.cost());
        self.bytes = self.bytes - bytes_before + bytes_after;
        self.cost = self.cost - cost_before + cost_after;
        self.open_streams = self.open_streams.wrapping_add_signed(open_delta);
    }

    /// Count a state in (or out of) the totals.
    fn add(&mut self, m: &MessageState, plus: bool) {
        if plus {
            self.bytes += m.data.size();
            self.cost += m.cost();
        } else {
            self.bytes -= m.data.size();
            self.cost -= m.cost();
        }
    }

    /// The entry `seq` of message `id` left the room: the message goes too
    /// if that was its newest entry.
    pub fn evicted(&mut self, id: &str, seq: u64) {
        if self.by_id.get(id).is_some_and(|m| m.last_seq <= seq) {
            if let Some(mut m) = self.by_id.remove(id) {
                self.add(&m, false);
                let delta = close_stream(&mut m, Stream::Idle);
                self.open_streams = self.open_streams.wrapping_add_signed(delta);
                self.order.remove(&m.create_seq);
            }
        }
    }

    /// Drop every message.
    pub fn clear(&mut self) {
        *self = Messages::default();
    }

    /// Put a message's state in place as it is (the durable store's
    /// replay), replacing any state of that id, totals kept.
    pub fn restore(&mut self, state: MessageState) {
        if let Some(old) = self.by_id.remove(state.id.as_str()) {
            self.add(&old, false);
            self.order.remove(&old.create_seq);
            if old.stream == Stream::Open {
                self.open_streams -= 1;
            }
        }
        self.add(&state, true);
        if state.stream == Stream::Open {
            self.open_streams += 1;
        }
        self.order.insert(state.create_seq, state.id.clone());
        self.by_id.insert(state.id.clone(), state);
    }

    /// Apply an append the live store already checked and recorded at `seq`
    /// (the durable store's replay).
    #[allow(clippy::too_many_arguments)]
    pub fn replay_append(
        &mut self,
        id: MessageId,
        version: u64,
        event: Arc<str>,
        fragment: &str,
        is_final: bool,
        seq: u64,
        wall: f64,
    ) {
        let plan = Plan {
            id,
            action: Action::Append,
            version,
            event,
            entry: Payload::null(),
            state_size: 0,
            change: Change::Edit(Edit::Append {
                fragment: fragment.into(),
                is_final,
            }),
        };
        self.commit(plan, seq, wall);
    }
}
