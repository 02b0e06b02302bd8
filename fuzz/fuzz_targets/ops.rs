//! Random operation sequences on the core, checked step by step against the
//! naive model the proptest suite uses (core/tests/support/model.rs).
#![no_main]

#[path = "../../core/tests/support/model.rs"]
#[allow(dead_code)]
mod model;

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use model::{run, EpochChoice, Op, EVENTS, ROOMS};
use socketio_history_core::{HistoryStore, Payload, Query, RoomConfig};
use std::time::Duration;

fn opt<T>(u: &mut Unstructured, f: impl FnOnce(&mut Unstructured) -> Result<T>) -> Result<Option<T>> {
    Ok(if u.arbitrary::<bool>()? { Some(f(u)?) } else { None })
}

fn config(u: &mut Unstructured) -> Result<RoomConfig> {
    Ok(RoomConfig::default()
        .max_entries(u.int_in_range(1..=6)?)
        .retention(opt(u, |u| Ok(Duration::from_secs(u.int_in_range(1..=5)?)))?)
        .max_bytes(opt(u, |u| u.int_in_range(4..=40))?)
        .payload_size_cap(opt(u, |u| u.int_in_range(0..=12))?))
}

fn payload(u: &mut Unstructured) -> Result<Payload> {
    let text: String = u.arbitrary()?;
    Ok(match u.int_in_range(0..=3u8)? {
        0 => Payload::text(text.chars().take(10).collect::<String>()),
        1 => {
            let len = u.int_in_range(0..=10)?;
            Payload::bytes(u.bytes(len)?)
        }
        2 => Payload::from_json(&format!(r#"{{"n":{},"s":{:?}}}"#, u.arbitrary::<i32>()?, text))
            .unwrap_or_else(|_| Payload::text("x")),
        _ => Payload::args_from_json(&format!(r#"[{:?}, {}]"#, text, u.arbitrary::<bool>()?))
            .unwrap_or_else(|_| Payload::text("y")),
    })
}

fn events(u: &mut Unstructured) -> Result<Option<Vec<String>>> {
    opt(u, |u| {
        Ok(EVENTS.iter().filter_map(|e| u.arbitrary::<bool>().ok()?.then(|| e.to_string())).collect())
    })
}

fn query(u: &mut Unstructured) -> Result<Query> {
    Ok(Query {
        limit: opt(u, |u| u.int_in_range(0..=5))?,
        since_seq: opt(u, |u| u.int_in_range(0..=14))?,
        before_seq: opt(u, |u| u.int_in_range(0..=14))?,
        include_events: events(u)?,
        exclude_events: events(u)?,
        payload_size_cap: opt(u, |u| u.int_in_range(0..=12))?.into(),
        for_client: None,
        view: Default::default(),
        since_time: opt(u, |u| u.int_in_range(0..=40u32).map(|h| 1000.0 + f64::from(h) * 0.5))?,
        until_time: opt(u, |u| u.int_in_range(0..=40u32).map(|h| 1000.0 + f64::from(h) * 0.5))?,
    })
}

fn op(u: &mut Unstructured) -> Result<Op> {
    let room = u.choose_index(ROOMS.len())?;
    Ok(match u.int_in_range(0..=11u8)? {
        0 | 1 => Op::Enable(room, config(u)?),
        2 => Op::Disable(room),
        3 => Op::Clear(room),
        4..=7 => Op::Record(room, u.choose_index(EVENTS.len())?, payload(u)?, None),
        8 => Op::Fetch(room, query(u)?),
        9 => {
            let choice = *u.choose(&[EpochChoice::None, EpochChoice::Current, EpochChoice::Other])?;
            Op::Page(room, query(u)?, choice)
        }
        _ => Op::Advance(*u.choose(&[0, 1, 500, 1000, 2000, 3000])?),
    })
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let budget = u
        .arbitrary::<bool>()
        .ok()
        .filter(|b| *b)
        .map(|_| u.int_in_range(1..=8usize).unwrap_or(1) * HistoryStore::budget_cost(8, "x"));
    let mut ops = Vec::new();
    while ops.len() < 200 {
        match op(&mut u) {
            Ok(o) => ops.push(o),
            Err(_) => break,
        }
    }
    if let Err(e) = run(ops, budget) {
        panic!("{e}");
    }
});
