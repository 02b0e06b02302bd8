//! The model test of mutable messages: random operation sequences (creates,
//! updates, deletes, appends, plain records) against a naive model that
//! keeps every operation forever and folds them, with small limits so they
//! are hit. After every step: the outcome (accepted, or the error's
//! category) agrees, every live message's held state equals the model's,
//! folding the retained log of a message whose create is retained gives the
//! held state, and the latest view equals the model's.

use proptest::prelude::*;
use socketio_history_core::{
    Action, Auth, HistoryError, HistoryStore, Patch, Payload, Query, RoomConfig, View,
};
use std::collections::HashMap;

const IDS: [&str; 4] = ["a", "b", "c", "d"];
const MAX_ENTRIES: usize = 12;
const MAX_BYTES: usize = 8;
const MAX_APPENDS: usize = 3;
const MAX_OPEN: usize = 1;

#[derive(Debug, Clone)]
enum Step {
    Record,
    Create(usize, Option<Payload>),
    Update(usize, Patch<&'static str>, Patch<Payload>),
    Delete(usize),
    Append(usize, &'static str, bool),
}

fn data() -> impl Strategy<Value = Option<Payload>> {
    prop_oneof![
        Just(None),
        Just(Some(Payload::text(""))),
        Just(Some(Payload::text("xy"))),
        Just(Some(Payload::from_json("[1]").unwrap())),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let patch_event = prop_oneof![
        Just(Patch::Keep),
        Just(Patch::Clear),
        Just(Patch::Replace("chat")),
        Just(Patch::Replace("note")),
    ];
    let patch_data = prop_oneof![
        Just(Patch::Keep),
        Just(Patch::Clear),
        data()
            .prop_map(|d| Patch::Replace(d.unwrap_or_else(|| Payload::from_json("null").unwrap()))),
    ];
    prop_oneof![
        1 => Just(Step::Record),
        2 => (0..IDS.len(), data()).prop_map(|(i, d)| Step::Create(i, d)),
        2 => (0..IDS.len(), patch_event, patch_data).prop_map(|(i, e, d)| Step::Update(i, e, d)),
        1 => (0..IDS.len()).prop_map(Step::Delete),
        4 => (0..IDS.len(), prop_oneof![Just(""), Just("t"), Just("ok")], proptest::bool::weighted(0.25))
            .prop_map(|(i, f, fin)| Step::Append(i, f, fin)),
    ]
}

/// What the model knows of a message.
#[derive(Debug, Clone, PartialEq)]
struct MMsg {
    event: String,
    data: Option<Payload>,
    version: u64,
    deleted: bool,
    open: bool,
    closed: bool,
    appends: usize,
    create_seq: u64,
    last_seq: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    Invalid,
    NotFound,
    TooLarge,
}

fn outcome<T>(r: &Result<T, HistoryError>) -> Outcome {
    match r {
        Ok(_) => Outcome::Ok,
        Err(HistoryError::InvalidArgument { .. }) => Outcome::Invalid,
        Err(HistoryError::NotFound { .. }) => Outcome::NotFound,
        Err(HistoryError::TooLarge { .. }) => Outcome::TooLarge,
        Err(e) => panic!("unexpected error {e}"),
    }
}

fn is_null(p: &Payload) -> bool {
    p.to_json() == "null"
}

#[derive(Default)]
struct Model {
    /// Every entry ever recorded: (seq, message id if an operation).
    log: Vec<(u64, Option<usize>)>,
    msgs: HashMap<usize, MMsg>,
    last_seq: u64,
}

impl Model {
    fn head(&self) -> u64 {
        (self.last_seq + 1)
            .saturating_sub(MAX_ENTRIES as u64)
            .max(1)
    }

    fn open_streams(&self) -> usize {
        self.msgs.values().filter(|m| m.open).count()
    }

    /// Apply a step; what the store should answer.
    fn apply(&mut self, step: &Step) -> Outcome {
        use Outcome::*;
        let out = match step {
            Step::Record => {
                self.push(None);
                return Ok;
            }
            Step::Create(i, d) => {
                if self.msgs.contains_key(i) {
                    return Invalid;
                }
                let size = d.as_ref().map_or(4, Payload::size);
                if size > MAX_BYTES {
                    return TooLarge;
                }
                let seq = self.push(Some(*i));
                let data = d.clone().filter(|p| !is_null(p));
                self.msgs.insert(
                    *i,
                    MMsg {
                        event: "chat".into(),
                        data,
                        version: 1,
                        deleted: false,
                        open: false,
                        closed: false,
                        appends: 0,
                        create_seq: seq,
                        last_seq: seq,
                    },
                );
                return Ok;
            }
            Step::Update(i, e, d) => {
                let Some(m) = self.msgs.get(i).cloned() else {
                    return NotFound;
                };
                if m.deleted || matches!((e, d), (Patch::Keep, Patch::Keep)) {
                    return Invalid;
                }
                let event = match e {
                    Patch::Keep => m.event.clone(),
                    Patch::Clear => return Invalid,
                    Patch::Replace(e) => e.to_string(),
                };
                let data = match d {
                    Patch::Keep => m.data.clone(),
                    Patch::Clear => None,
                    Patch::Replace(p) => Some(p.clone()).filter(|p| !is_null(p)),
                };
                if event == m.event && data == m.data {
                    return Invalid;
                }
                if data.as_ref().map_or(0, Payload::size) > MAX_BYTES {
                    return TooLarge;
                }
                (*i, MMsg { event, data, ..m })
            }
            Step::Delete(i) => {
                let Some(m) = self.msgs.get(i).cloned() else {
                    return NotFound;
                };
                if m.deleted {
                    return Invalid;
                }
                (
                    *i,
                    MMsg {
                        deleted: true,
                        data: None,
                        open: false,
                        ..m
                    },
                )
            }
            Step::Append(i, f, fin) => {
                let Some(m) = self.msgs.get(i).cloned() else {
                    return NotFound;
                };
                if m.deleted || m.closed || (f.is_empty() && !fin) {
                    return Invalid;
                }
                let text = match &m.data {
                    None => String::new(),
                    Some(p) => match p.as_text() {
                        Some(t) => t.to_owned(),
                        None => return Invalid,
                    },
                };
                if !f.is_empty() && m.appends >= MAX_APPENDS {
                    return TooLarge;
                }
                if !m.open && !fin && self.open_streams() >= MAX_OPEN {
                    return TooLarge;
                }
                if text.len() + f.len() > MAX_BYTES {
                    return TooLarge;
                }
                (
                    *i,
                    MMsg {
                        data: Some(Payload::text(text + f)),
                        appends: m.appends + usize::from(!f.is_empty()),
                        open: !fin,
                        closed: *fin,
                        ..m
                    },
                )
            }
        };
        let (i, mut m) = out;
        m.version += 1;
        m.last_seq = self.push(Some(i));
        self.msgs.insert(i, m);
        // The push may have evicted nothing of it (its newest entry stays).
        Ok
    }

    fn push(&mut self, id: Option<usize>) -> u64 {
        self.last_seq += 1;
        self.log.push((self.last_seq, id));
        let head = self.head();
        self.msgs.retain(|_, m| m.last_seq >= head);
        self.last_seq
    }
}

fn run(steps: &[Step]) -> Result<(), String> {
    let store = HistoryStore::new();
    let config = RoomConfig::default()
        .max_entries(MAX_ENTRIES)
        .max_message_bytes(MAX_BYTES)
        .max_appends(MAX_APPENDS)
        .max_open_streams(MAX_OPEN);
    store.enable("/", "r", config).unwrap();
    let mut model = Model::default();
    let server = Auth::server();
    for (n, step) in steps.iter().enumerate() {
        let want = model.apply(step);
        let id = |i: &usize| IDS[*i];
        let got = match step.clone() {
            Step::Record => {
                store.record("/", "r", "plain", Payload::text("p"));
                Outcome::Ok
            }
            Step::Create(i, d) => outcome(&store.create_message(
                "/",
                "r",
                "chat",
                d.unwrap_or_else(|| Payload::from_json("null").unwrap()),
                Some(id(&i)),
                None,
            )),
            Step::Update(i, e, d) => {
                outcome(&store.update_message("/", "r", id(&i), e, d, &server))
            }
            Step::Delete(i) => outcome(&store.delete_message("/", "r", id(&i), &server)),
            Step::Append(i, f, fin) => {
                outcome(&store.append_message("/", "r", id(&i), f, fin, &server))
            }
        };
        if got != want {
            return Err(format!("step {n} {step:?}: store {got:?}, model {want:?}"));
        }
        check(&store, &model).map_err(|e| format!("after step {n} {step:?}: {e}"))?;
    }
    Ok(())
}

fn check(store: &HistoryStore, model: &Model) -> Result<(), String> {
    let log = store.fetch("/", "r", &Query::new());
    let head = model.head();
    for (i, name) in IDS.iter().enumerate() {
        let held = store.get_message("/", "r", name);
        let Some(m) = model.msgs.get(&i) else {
            if held.is_ok() {
                return Err(format!("{name} should be gone"));
            }
            continue;
        };
        let h = held.map_err(|e| format!("{name}: {e}"))?;
        let ours = (
            &*h.event,
            h.data.clone(),
            h.version,
            h.deleted,
            h.streaming,
            h.is_final,
        );
        let theirs = (
            m.event.as_str(),
            m.data.clone(),
            m.version,
            m.deleted,
            m.open,
            m.closed,
        );
        if ours != theirs {
            return Err(format!("{name}: store {ours:?}, model {theirs:?}"));
        }
        // Fold the retained log of a message whose create is retained.
        if m.create_seq >= head && !m.deleted {
            let mut folded: Option<Payload> = None;
            for e in log
                .iter()
                .filter(|e| e.message_id.as_ref().is_some_and(|x| x.as_str() == *name))
            {
                match e.action {
                    Action::Create | Action::Update => {
                        folded = Some(e.payload.clone()).filter(|p| !is_null(p));
                    }
                    Action::Append => {
                        let base = folded.as_ref().and_then(|p| p.as_text()).unwrap_or("");
                        folded = Some(Payload::text(format!(
                            "{base}{}",
                            e.payload.as_text().unwrap_or("")
                        )));
                    }
                    _ => folded = None,
                }
            }
            if folded != h.data {
                return Err(format!("{name}: folded {folded:?}, held {:?}", h.data));
            }
        }
    }
    // The latest view: plain entries retained, and the live messages, by place.
    let mut want: Vec<(u64, Option<String>)> = model
        .log
        .iter()
        .filter(|(seq, id)| *seq >= head && id.is_none())
        .map(|(seq, _)| (*seq, None))
        .collect();
    want.extend(
        model
            .msgs
            .iter()
            .map(|(i, m)| (m.create_seq, Some(IDS[*i].to_owned()))),
    );
    want.sort();
    let got: Vec<(u64, Option<String>)> = store
        .fetch("/", "r", &Query::new().view(View::Latest))
        .iter()
        .map(|e| (e.seq, e.message_id.as_ref().map(|m| m.as_str().to_owned())))
        .collect();
    if got != want {
        return Err(format!("latest view: store {got:?}, model {want:?}"));
    }
    let messages = store.stats("/", "r").messages;
    if messages != model.msgs.len() {
        return Err(format!(
            "stats.messages {messages}, model {}",
            model.msgs.len()
        ));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn messages_match_the_naive_model(steps in proptest::collection::vec(step(), 1..60)) {
        run(&steps).map_err(TestCaseError::fail)?;
    }
}
