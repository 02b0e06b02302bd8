//! The store's side of durability (docs/DURABILITY.md): opening a directory
//! (replaying its journal into a fresh store), the records each change
//! writes, and the compaction's image of the whole state.

use crate::error::Result;
use crate::persist::record::{self, OwnedKey, Record};
use crate::persist::{Dir, Image, Journal, OpenReport, SyncPolicy};
use crate::room::Room;
use crate::sessions::Session;
use crate::slot::Key;
use crate::store::{HistoryStore, Shard};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Where and how a store keeps its journal.
#[derive(Debug, Clone)]
pub(crate) struct Durability {
    pub path: PathBuf,
    pub sync: SyncPolicy,
    pub sync_interval: Duration,
    pub segment_bytes: u64,
}

impl HistoryStore {
    /// Open `d.path` into this new, empty store: lock it, replay it, then
    /// journal every change from now on.
    pub(crate) fn attach_journal(&mut self, d: &Durability) -> Result<()> {
        let dir = Dir::lock(&d.path)?;
        let mut sessions = SessionTable::default();
        let (report, last) = crate::persist::replay(&dir, |body| match record::decode(body) {
            Ok(Record::Session { ns, pid, session }) => {
                sessions.insert((ns, pid), session);
                true
            }
            Ok(Record::SessionGone { ns, pid }) => {
                sessions.remove(&(ns, pid));
                true
            }
            Ok(r) => {
                self.apply(r);
                true
            }
            Err(_) => false,
        })?;
        let sessions = Arc::new(parking_lot::Mutex::new(sessions));
        self.after_replay();
        let journal = Arc::new(Journal::start(&dir, d.sync, d.segment_bytes, last)?);
        let shards = Arc::downgrade(&self.shards);
        let kept = Arc::clone(&sessions);
        let thread = journal
            .spawn(d.sync_interval, move |j| {
                // A failed compaction leaves the old segments in place.
                if let Err(e) = write_image(j, &shards, &kept) {
                    j.note_failure("compaction", &e);
                }
            })
            .map_err(|e| crate::persist::storage_error(&d.path, e))?;
        self.durable = Some(crate::store::Durable {
            journal,
            thread: parking_lot::Mutex::new(Some(thread)),
            report,
            path: d.path.clone(),
            dir: parking_lot::Mutex::new(Some(dir)),
            sessions,
        });
        Ok(())
    }

    /// Apply one replayed record (nothing is journaled meanwhile: the
    /// journal is attached after).
    fn apply(&self, r: Record) {
        let (now_wall, now) = self.now_both();
        match r {
            Record::Enable {
                ns,
                key,
                epoch,
                config,
            } => self.replay_enable(&ns, key.as_key(), epoch, config),
            Record::Disable { ns, key, epoch } => {
                let same = self.with_room(&ns, key.as_key(), |r| r.epoch() == epoch);
                if same == Some(true) {
                    self.disable_key(&ns, key.as_key());
                }
            }
            Record::Clear {
                ns,
                key,
                epoch,
                last_seq,
            } => {
                self.with_room(&ns, key.as_key(), |r| r.replay_clear(epoch, last_seq));
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
            } => {
                let age = Duration::try_from_secs_f64((now_wall - wall).max(0.0))
                    .unwrap_or(Duration::MAX);
                let mono = now.saturating_sub(u64::try_from(age.as_nanos()).unwrap_or(u64::MAX));
                self.with_room(&ns, key.as_key(), |r| {
                    let expired = r.config().retention.is_some_and(|ttl| age >= ttl);
                    r.replay_entry(
                        epoch, seq, wall, mono, expired, &event, payload, delivery, tag,
                    );
                });
            }
            Record::Message {
                ns,
                room,
                epoch,
                state,
            } => {
                self.with_room(&ns, Key::Room(&room), |r| r.replay_message(epoch, state));
            }
            Record::Append {
                ns,
                room,
                epoch,
                seq,
                wall,
                id,
                version,
                event,
                fragment,
                is_final,
            } => {
                self.with_room(&ns, Key::Room(&room), |r| {
                    r.replay_append(epoch, seq, wall, id, version, event, &fragment, is_final);
                });
            }
            Record::Redact { ns, key, room, id } => {
                self.with_room(&ns, key.as_key(), |r| r.redact(room.as_deref(), &id));
            }
            // Kept in the session table, by the caller.
            Record::Session { .. } | Record::SessionGone { .. } => {}
        }
    }

    /// After a replay: counters start at zero, and the store-wide budget
    /// holds.
    fn after_replay(&self) {
        for shard in self.shards.iter() {
            let slots = shard.slots();
            for slot in slots {
                slot.change(&self.accounts(shard), |r| {
                    if let Some(r) = r {
                        r.reset_counters();
                    }
                });
            }
        }
        self.enforce_budget();
    }

    /// Write a record about a room, while its lock is held (no journal: no
    /// cost but this test).
    pub(crate) fn journal(&self, body: impl FnOnce(&mut crate::persist::codec::Enc)) {
        if let Some(d) = &self.durable {
            d.journal.append(body);
        }
    }

    /// Whether the store was opened on a directory (it journals its
    /// changes and keeps sessions; a closed one still says so).
    pub fn is_durable(&self) -> bool {
        self.durable.is_some()
    }

    /// Journal the newest entry of `r` (just recorded).
    pub(crate) fn journal_last_entry(&self, ns: &str, key: Key<'_>, r: &Room) {
        // An in-memory store pays this one test per record, nothing more.
        let Some(d) = &self.durable else { return };
        if let Some(p) = r.last_entry() {
            d.journal
                .append(|e| record::entry(e, ns, key, r.epoch(), &p));
        }
    }

    /// Journal a room's configuration (an enable or a reconfigure).
    pub(crate) fn journal_enable(&self, ns: &str, key: Key<'_>, r: &Room) {
        self.journal(|e| record::enable(e, ns, key, r.epoch(), r.config()));
    }

    /// What opening the directory found (`None` for an in-memory store).
    pub fn open_report(&self) -> Option<&OpenReport> {
        self.durable.as_ref().map(|d| &d.report)
    }

    /// The directory the store is kept in (`None`: in memory only).
    pub fn path(&self) -> Option<&std::path::Path> {
        self.durable.as_ref().map(|d| d.path.as_path())
    }

    /// The last journal write, sync or compaction that failed, if any: the
    /// store goes on serving from memory; the caller should log it.
    pub fn journal_error(&self) -> Option<String> {
        self.durable.as_ref().and_then(|d| d.journal.error())
    }

    /// How many journal writes, syncs or compactions failed.
    pub fn journal_failures(&self) -> u64 {
        self.durable.as_ref().map_or(0, |d| d.journal.failures())
    }

    /// Write out and `fdatasync` every change made so far (a clean
    /// shutdown's last step; dropping the store does it too).
    pub fn sync(&self) {
        if let Some(d) = &self.durable {
            d.journal.sync();
        }
    }

    /// Close the directory: write out and sync every change made so far,
    /// stop the background thread and release the directory's lock, so
    /// another process (or store) can open it. The store goes on serving
    /// from memory; later changes are not written. Closing again, or an
    /// in-memory store, does nothing. Dropping the store closes it.
    pub fn close(&self) {
        let Some(d) = &self.durable else { return };
        d.journal.stop();
        if let Some(t) = d.thread.lock().take() {
            let _ = t.join();
        }
        d.journal.close();
        d.dir.lock().take();
    }

    /// Rewrite the journal from memory now (the background thread does it
    /// by itself when the journal has grown past twice the state).
    pub fn compact(&self) -> Result<()> {
        let Some(d) = self.durable.as_ref().filter(|d| !d.journal.is_closed()) else {
            return Ok(());
        };
        write_image(&d.journal, &Arc::downgrade(&self.shards), &d.sessions)
            .map_err(|e| crate::persist::storage_error(&d.path, format!("compaction failed: {e}")))
    }
}

/// The recovery sessions a durable store keeps, by (namespace, pid).
pub(crate) type SessionTable = HashMap<(String, String), Session>;

/// The compaction: every room (and log) as an `Enable`, its entries and its
/// live messages, one room locked at a time; then the sessions.
fn write_image(
    journal: &Journal,
    shards: &Weak<[Shard]>,
    sessions: &parking_lot::Mutex<SessionTable>,
) -> std::io::Result<()> {
    journal.compact(|image: &mut Image| {
        for ((ns, pid), s) in sessions.lock().iter() {
            image.record(|e| record::session(e, ns, pid, s));
        }
        image.drain();
        let Some(shards) = shards.upgrade() else {
            return;
        };
        for shard in shards.iter() {
            let slots = shard.slots();
            for slot in slots {
                let ns = slot.namespace();
                let key = match slot.name() {
                    Some(name) => OwnedKey::Room(name.to_owned()),
                    None => OwnedKey::Log,
                };
                let key = key.as_key();
                slot.peek(|room| {
                    let Some(r) = room else { return };
                    image.record(|e| record::enable(e, ns, key, r.epoch(), r.config()));
                    r.for_each_entry(|p| {
                        image.record(|e| record::entry(e, ns, key, r.epoch(), &p))
                    });
                    if let Key::Room(name) = key {
                        r.for_each_message(|m| {
                            image.record(|e| record::message(e, ns, name, r.epoch(), m));
                        });
                    }
                });
                image.drain();
            }
        }
    })
}
