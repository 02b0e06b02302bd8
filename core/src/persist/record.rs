//! The journal's records (docs/DURABILITY.md has the table): encoded from
//! borrowed views of the store's state, decoded into owned values that the
//! replay applies.

use super::codec::{Dec, Decoded, Enc, Malformed};
use crate::config::RoomConfig;
use crate::delivery::Delivery;
use crate::epoch::Epoch;
use crate::message::state::{Data, MessageState, Stream};
use crate::message::{Action, MessageId};
use crate::payload::Payload;
use crate::room::{EntryParts, OpTag};
use crate::sessions::{Dropped, Session};
use crate::slot::Key;
use std::sync::Arc;
use std::time::Duration;

const ENABLE: u8 = 1;
const DISABLE: u8 = 2;
const CLEAR: u8 = 3;
const ENTRY: u8 = 4;
const MESSAGE: u8 = 5;
const APPEND: u8 = 6;
const REDACT: u8 = 7;
const SESSION: u8 = 8;
const SESSION_GONE: u8 = 9;

/// A slot's key, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OwnedKey {
    Room(String),
    Log,
}

impl OwnedKey {
    pub fn as_key(&self) -> Key<'_> {
        match self {
            OwnedKey::Room(r) => Key::Room(r),
            OwnedKey::Log => Key::Log,
        }
    }
}

/// One decoded record.
#[derive(Debug)]
pub(crate) enum Record {
    Enable {
        ns: String,
        key: OwnedKey,
        epoch: Epoch,
        config: RoomConfig,
    },
    Disable {
        ns: String,
        key: OwnedKey,
        epoch: Epoch,
    },
    Clear {
        ns: String,
        key: OwnedKey,
        epoch: Epoch,
        last_seq: u64,
    },
    Entry {
        ns: String,
        key: OwnedKey,
        epoch: Epoch,
        seq: u64,
        wall: f64,
        event: String,
        payload: Payload,
        delivery: Option<Delivery>,
        tag: Option<OpTag>,
    },
    Message {
        ns: String,
        room: String,
        epoch: Epoch,
        state: MessageState,
    },
    Append {
        ns: String,
        room: String,
        epoch: Epoch,
        seq: u64,
        wall: f64,
        id: MessageId,
        version: u64,
        event: Arc<str>,
        fragment: String,
        is_final: bool,
    },
    Redact {
        ns: String,
        key: OwnedKey,
        room: Option<String>,
        id: String,
    },
    Session {
        ns: String,
        pid: String,
        session: Session,
    },
    SessionGone {
        ns: String,
        pid: String,
    },
}

// ---- encoding ------------------------------------------------------------

fn head(e: &mut Enc, kind: u8, ns: &str, key: Key<'_>) {
    e.u8(kind);
    e.str(ns);
    match key {
        Key::Room(r) => {
            e.u8(0);
            e.str(r);
        }
        Key::Log => e.u8(1),
    }
}

fn epoch(e: &mut Enc, epoch: Epoch) {
    e.buf.extend_from_slice(epoch.as_str().as_bytes());
}

pub(crate) fn enable(e: &mut Enc, ns: &str, key: Key<'_>, ep: Epoch, c: &RoomConfig) {
    head(e, ENABLE, ns, key);
    epoch(e, ep);
    e.usize(c.max_entries);
    e.opt(
        c.retention
            .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)),
    );
    e.opt(c.max_bytes.map(|v| v as u64));
    e.opt(c.payload_size_cap.map(|v| v as u64));
    e.usize(c.max_message_bytes);
    e.usize(c.max_appends);
    e.usize(c.max_open_streams);
    e.str(&c.mutation_prefix);
}

pub(crate) fn disable(e: &mut Enc, ns: &str, key: Key<'_>, ep: Epoch) {
    head(e, DISABLE, ns, key);
    epoch(e, ep);
}

pub(crate) fn clear(e: &mut Enc, ns: &str, key: Key<'_>, ep: Epoch, last_seq: u64) {
    head(e, CLEAR, ns, key);
    epoch(e, ep);
    e.var(last_seq);
}

pub(crate) fn entry(e: &mut Enc, ns: &str, key: Key<'_>, ep: Epoch, p: &EntryParts<'_>) {
    head(e, ENTRY, ns, key);
    epoch(e, ep);
    e.var(p.seq);
    e.f64(p.wall);
    e.str(p.event);
    e.bytes(p.payload.stored());
    match p.delivery {
        None => e.u8(0),
        Some(d) => {
            e.u8(1);
            match d.rooms() {
                None => e.u8(0),
                Some(rooms) => {
                    e.u8(1);
                    e.usize(rooms.len());
                    rooms.iter().for_each(|r| e.str(r));
                }
            }
            e.usize(d.except().len());
            d.except().iter().for_each(|r| e.str(r));
        }
    }
    match p.tag {
        None => e.u8(0),
        Some(t) => {
            e.u8(1);
            e.str(t.id.as_str());
            e.opt_str(t.room.as_deref());
            e.u8(action_code(t.action));
            e.var(t.version);
            e.bool(t.redacted);
        }
    }
}

fn data(e: &mut Enc, d: &Data) {
    match d {
        Data::None => e.u8(0),
        Data::Payload(p) => {
            e.u8(1);
            e.bytes(p.stored());
        }
        Data::Text(t) => {
            e.u8(2);
            e.str(t);
        }
    }
}

pub(crate) fn message(e: &mut Enc, ns: &str, room: &str, ep: Epoch, m: &MessageState) {
    head(e, MESSAGE, ns, Key::Room(room));
    epoch(e, ep);
    e.str(m.id.as_str());
    e.str(&m.event);
    data(e, &m.data);
    e.opt_str(m.owner.as_deref());
    e.var(m.version);
    e.u8(action_code(m.action));
    e.var(m.create_seq);
    e.var(m.last_seq);
    e.f64(m.created);
    e.f64(m.updated);
    e.bool(m.deleted);
    e.u8(match m.stream {
        Stream::Idle => 0,
        Stream::Open => 1,
        Stream::Final => 2,
    });
    e.usize(m.appends);
}

/// An append to message `id`: what the replay applies to its state (the
/// entry itself is an `Entry` record just before).
#[allow(clippy::too_many_arguments)]
pub(crate) fn append(
    e: &mut Enc,
    ns: &str,
    room: &str,
    ep: Epoch,
    seq: u64,
    wall: f64,
    id: &str,
    version: u64,
    event: &str,
    fragment: &str,
    is_final: bool,
) {
    head(e, APPEND, ns, Key::Room(room));
    epoch(e, ep);
    e.var(seq);
    e.f64(wall);
    e.str(id);
    e.var(version);
    e.str(event);
    e.str(fragment);
    e.bool(is_final);
}

pub(crate) fn redact(e: &mut Enc, ns: &str, key: Key<'_>, room: Option<&str>, id: &str) {
    head(e, REDACT, ns, key);
    e.opt_str(room);
    e.str(id);
}

/// A client's recovery session (namespace, pid) as it stands now. The key
/// field carries the pid: sessions belong to no room.
pub(crate) fn session(e: &mut Enc, ns: &str, pid: &str, s: &Session) {
    head(e, SESSION, ns, Key::Room(pid));
    e.str(&s.sid);
    e.usize(s.rooms.len());
    s.rooms.iter().for_each(|r| e.str(r));
    match &s.user {
        None => e.u8(0),
        Some(p) => {
            e.u8(1);
            e.bytes(p.stored());
        }
    }
    epoch(e, s.epoch);
    e.var(s.connect_seq);
    match &s.dropped {
        None => e.u8(0),
        Some(d) => {
            e.u8(1);
            e.var(d.disconnect_seq);
            e.usize(d.sent.len());
            d.sent.iter().for_each(|&v| e.var(v));
            e.opt(d.sent_base);
            e.bool(d.window_full);
            e.f64(d.wall);
        }
    }
}

/// A session that ended (used, refused, or its client left).
pub(crate) fn session_gone(e: &mut Enc, ns: &str, pid: &str) {
    head(e, SESSION_GONE, ns, Key::Room(pid));
}

fn action_code(a: Action) -> u8 {
    match a {
        Action::Create => 0,
        Action::Update => 1,
        Action::Delete => 2,
        Action::Append => 3,
    }
}

// ---- decoding ------------------------------------------------------------

fn action(code: u8) -> Decoded<Action> {
    Ok(match code {
        0 => Action::Create,
        1 => Action::Update,
        2 => Action::Delete,
        3 => Action::Append,
        _ => return Err(Malformed("unknown action")),
    })
}

fn read_epoch(d: &mut Dec<'_>) -> Decoded<Epoch> {
    let mut text = [0u8; 12];
    for b in &mut text {
        *b = d.u8()?;
    }
    std::str::from_utf8(&text)
        .ok()
        .and_then(Epoch::parse)
        .ok_or(Malformed("bad epoch"))
}

fn read_payload(d: &mut Dec<'_>) -> Decoded<Payload> {
    Payload::from_stored(d.bytes()?).ok_or(Malformed("bad payload"))
}

fn read_data(d: &mut Dec<'_>) -> Decoded<Data> {
    Ok(match d.u8()? {
        0 => Data::None,
        1 => Data::Payload(read_payload(d)?),
        2 => Data::Text(d.str()?.to_owned()),
        _ => return Err(Malformed("bad message data")),
    })
}

fn read_id(d: &mut Dec<'_>) -> Decoded<MessageId> {
    MessageId::new(d.str()?).map_err(|_| Malformed("bad message id"))
}

fn read_strs(d: &mut Dec<'_>) -> Decoded<Vec<String>> {
    let n = d.usize()?;
    let mut out = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        out.push(d.str()?.to_owned());
    }
    Ok(out)
}

/// Decode one record body.
pub(crate) fn decode(body: &[u8]) -> Decoded<Record> {
    let mut d = Dec::new(body);
    let kind = d.u8()?;
    let ns = d.str()?.to_owned();
    let key = match d.u8()? {
        0 => OwnedKey::Room(d.str()?.to_owned()),
        1 => OwnedKey::Log,
        _ => return Err(Malformed("bad key")),
    };
    let room_name = |key: &OwnedKey| match key {
        OwnedKey::Room(r) => Ok(r.clone()),
        OwnedKey::Log => Err(Malformed("a message record names no room")),
    };
    let record = match kind {
        ENABLE => {
            let epoch = read_epoch(&mut d)?;
            // Fields are read in the order they were written (a struct
            // literal evaluates in source order).
            let config = RoomConfig {
                max_entries: d.usize()?,
                retention: d.opt()?.map(Duration::from_nanos),
                max_bytes: d.opt_usize()?,
                payload_size_cap: d.opt_usize()?,
                max_message_bytes: d.usize()?,
                max_appends: d.usize()?,
                max_open_streams: d.usize()?,
                mutation_prefix: d.str()?.into(),
            };
            let config = config
                .normalized()
                .map_err(|_| Malformed("bad configuration"))?;
            Record::Enable {
                ns,
                key,
                epoch,
                config,
            }
        }
        DISABLE => Record::Disable {
            epoch: read_epoch(&mut d)?,
            ns,
            key,
        },
        CLEAR => Record::Clear {
            epoch: read_epoch(&mut d)?,
            last_seq: d.var()?,
            ns,
            key,
        },
        ENTRY => {
            let epoch = read_epoch(&mut d)?;
            let seq = d.var()?;
            let wall = d.f64()?;
            let event = d.str()?.to_owned();
            let payload = read_payload(&mut d)?;
            let delivery = match d.u8()? {
                0 => None,
                1 => {
                    let rooms = match d.u8()? {
                        0 => None,
                        1 => Some(read_strs(&mut d)?),
                        _ => return Err(Malformed("bad delivery")),
                    };
                    Some(Delivery::new(rooms, read_strs(&mut d)?))
                }
                _ => return Err(Malformed("bad delivery")),
            };
            let tag = match d.u8()? {
                0 => None,
                1 => Some(OpTag {
                    id: read_id(&mut d)?,
                    room: d.opt_str()?.map(Arc::from),
                    action: action(d.u8()?)?,
                    version: d.var()?,
                    redacted: d.bool()?,
                }),
                _ => return Err(Malformed("bad message tag")),
            };
            if seq == 0 {
                return Err(Malformed("seq 0"));
            }
            Record::Entry {
                ns,
                key,
                epoch,
                seq,
                wall,
                event,
                payload,
                delivery,
                tag,
            }
        }
        MESSAGE => {
            let room = room_name(&key)?;
            let epoch = read_epoch(&mut d)?;
            let state = MessageState {
                id: read_id(&mut d)?,
                event: d.str()?.into(),
                data: read_data(&mut d)?,
                owner: d.opt_str()?.map(Arc::from),
                version: d.var()?,
                action: action(d.u8()?)?,
                create_seq: d.var()?,
                last_seq: d.var()?,
                created: d.f64()?,
                updated: d.f64()?,
                deleted: d.bool()?,
                stream: match d.u8()? {
                    0 => Stream::Idle,
                    1 => Stream::Open,
                    2 => Stream::Final,
                    _ => return Err(Malformed("bad stream state")),
                },
                appends: d.usize()?,
            };
            Record::Message {
                ns,
                room,
                epoch,
                state,
            }
        }
        APPEND => Record::Append {
            room: room_name(&key)?,
            epoch: read_epoch(&mut d)?,
            seq: d.var()?,
            wall: d.f64()?,
            id: read_id(&mut d)?,
            version: d.var()?,
            event: d.str()?.into(),
            fragment: d.str()?.to_owned(),
            is_final: d.bool()?,
            ns,
        },
        SESSION => {
            let pid = room_name(&key)?;
            let sid = d.str()?.to_owned();
            let rooms = read_strs(&mut d)?;
            let user = match d.u8()? {
                0 => None,
                1 => Some(read_payload(&mut d)?),
                _ => return Err(Malformed("bad user session")),
            };
            let epoch = read_epoch(&mut d)?;
            let connect_seq = d.var()?;
            let dropped = match d.u8()? {
                0 => None,
                1 => {
                    let disconnect_seq = d.var()?;
                    let n = d.usize()?;
                    let mut sent = Vec::with_capacity(n.min(1024));
                    for _ in 0..n {
                        sent.push(d.var()?);
                    }
                    Some(Dropped {
                        disconnect_seq,
                        sent,
                        sent_base: d.opt()?,
                        window_full: d.bool()?,
                        wall: d.f64()?,
                    })
                }
                _ => return Err(Malformed("bad session state")),
            };
            Record::Session {
                ns,
                pid,
                session: Session {
                    sid,
                    rooms,
                    user,
                    epoch,
                    connect_seq,
                    dropped,
                },
            }
        }
        SESSION_GONE => Record::SessionGone {
            pid: room_name(&key)?,
            ns,
        },
        REDACT => Record::Redact {
            room: d.opt_str()?.map(str::to_owned),
            id: d.str()?.to_owned(),
            ns,
            key,
        },
        _ => return Err(Malformed("unknown record kind")),
    };
    if !d.is_empty() {
        return Err(Malformed("trailing bytes"));
    }
    Ok(record)
}
