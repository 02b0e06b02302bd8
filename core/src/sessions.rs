//! Connection state recovery's sessions as a durable store keeps them: the
//! binding holds each client's session while it runs, and writes it here
//! when it changes (a connect, a join or leave, a saved user session, a
//! lost transport), never per emit; a new process opening the directory
//! reads them back (docs/DURABILITY.md).

use crate::epoch::Epoch;
use crate::payload::Payload;
use crate::persist::record;
use crate::recovery::{Offset, ResumePoint};
use crate::store::HistoryStore;

/// One client's recovery session in a namespace, keyed by its pid.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The client's sid.
    pub sid: String,
    /// Its rooms, its sid among them.
    pub rooms: Vec<String>,
    /// The application's user session, in the payload encoding (`None`:
    /// none, or one the payload encoding cannot hold).
    pub user: Option<Payload>,
    /// The namespace log's lifetime the session lives in.
    pub epoch: Epoch,
    /// The log's last seq when the client connected.
    pub connect_seq: u64,
    /// Set once its transport was lost; `None` while connected.
    pub dropped: Option<Dropped>,
}

/// Where a dropped connection stood.
#[derive(Debug, Clone, PartialEq)]
pub struct Dropped {
    /// The log's last seq when it dropped.
    pub disconnect_seq: u64,
    /// The seqs of the events sent to it most recently, ascending.
    pub sent: Vec<u64>,
    /// Every event sent after this seq is in `sent` (`None`: since it
    /// connected).
    pub sent_base: Option<u64>,
    /// Older sent events were forgotten.
    pub window_full: bool,
    /// When it dropped (Unix seconds): with the recovery window, when the
    /// session expires.
    pub wall: f64,
}

impl Session {
    /// Where the connection stands for [`HistoryStore::resume`]; for one
    /// still connected when its process ended,
    /// [`ResumePoint::still_connected`] at `last_seq`, the log's last seq
    /// when the store was opened.
    pub fn resume_point(&self, last_seq: u64) -> ResumePoint {
        match &self.dropped {
            Some(d) => ResumePoint::from_seqs(
                self.epoch,
                self.connect_seq,
                d.sent.clone(),
                d.sent_base,
                d.window_full,
                d.disconnect_seq,
            ),
            None => ResumePoint::still_connected(self.epoch, self.connect_seq, last_seq),
        }
    }

    /// The offsets of the events it was sent, as the binding keeps them.
    pub fn sent_offsets(&self) -> Vec<String> {
        self.dropped.as_ref().map_or_else(Vec::new, |d| {
            d.sent
                .iter()
                .map(|&s| Offset::new(self.epoch, s).to_string())
                .collect()
        })
    }
}

impl HistoryStore {
    /// Keep (or replace) the session of `pid` in `namespace`. A store in
    /// memory only keeps none: its binding holds them.
    pub fn put_session(&self, namespace: &str, pid: &str, session: &Session) {
        let Some(d) = &self.durable else { return };
        let mut table = d.sessions.lock();
        d.journal
            .append(|e| record::session(e, namespace, pid, session));
        table.insert((namespace.to_owned(), pid.to_owned()), session.clone());
    }

    /// Forget the session of `pid` in `namespace` (used, refused, or its
    /// client left).
    pub fn remove_session(&self, namespace: &str, pid: &str) {
        let Some(d) = &self.durable else { return };
        let mut table = d.sessions.lock();
        if table
            .remove(&(namespace.to_owned(), pid.to_owned()))
            .is_some()
        {
            d.journal
                .append(|e| record::session_gone(e, namespace, pid));
        }
    }

    /// Every session kept: `(namespace, pid, session)`, as a restarted
    /// process finds them (sorted).
    pub fn sessions(&self) -> Vec<(String, String, Session)> {
        let Some(d) = &self.durable else {
            return Vec::new();
        };
        let mut out: Vec<_> = d
            .sessions
            .lock()
            .iter()
            .map(|((ns, pid), s)| (ns.clone(), pid.clone(), s.clone()))
            .collect();
        out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        out
    }
}
