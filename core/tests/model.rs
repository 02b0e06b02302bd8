//! Model-based test: random operation sequences run against the store and
//! against the naive model in `support/model.rs`, comparing every result and
//! every room's stats after every step.

#[path = "support/model.rs"]
mod model;

use model::{run, EpochChoice, Op, Target, CLIENT_ROOMS, EVENTS, ROOMS};
use proptest::prelude::*;
use socketio_history_core::{HistoryStore, Payload, PayloadCap, Query, RoomConfig};
use std::time::Duration;

fn config() -> impl Strategy<Value = RoomConfig> {
    (
        1usize..6,
        prop_oneof![Just(None), (1u64..6).prop_map(Some)],
        prop_oneof![Just(None), (4usize..40).prop_map(Some)],
        prop_oneof![Just(None), (0usize..12).prop_map(Some)],
    )
        .prop_map(|(n, ttl, bytes, cap)| {
            RoomConfig::default()
                .max_entries(n)
                .retention(ttl.map(Duration::from_secs))
                .max_bytes(bytes)
                .payload_size_cap(cap)
        })
}

fn payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        "[aé€]{0,8}".prop_map(Payload::text),
        proptest::collection::vec(any::<u8>(), 0..10).prop_map(Payload::bytes),
        (any::<i32>(), "[a-z\"]{0,4}").prop_map(|(n, s)| {
            Payload::from_json(&serde_json::json!({ "n": n, "s": s }).to_string()).unwrap()
        }),
        ("[ab]{0,3}", any::<bool>()).prop_map(|(s, b)| {
            Payload::args_from_json(&serde_json::json!([s, b]).to_string()).unwrap()
        }),
    ]
}

fn events() -> impl Strategy<Value = Option<Vec<String>>> {
    prop_oneof![
        Just(None),
        proptest::sample::subsequence(EVENTS.to_vec(), 0..=3)
            .prop_map(|v| Some(v.into_iter().map(String::from).collect())),
    ]
}

fn rooms_subset() -> impl Strategy<Value = Vec<String>> {
    proptest::sample::subsequence(CLIENT_ROOMS.to_vec(), 0..=3)
        .prop_map(|v| v.into_iter().map(String::from).collect())
}

fn target() -> impl Strategy<Value = Option<Target>> {
    prop_oneof![
        2 => Just(None),
        1 => (prop_oneof![Just(None), rooms_subset().prop_map(Some)], rooms_subset()).prop_map(Some),
    ]
}

fn query() -> impl Strategy<Value = Query> {
    (
        prop_oneof![Just(None), (0usize..5).prop_map(Some)],
        prop_oneof![Just(None), (0u64..14).prop_map(Some)],
        prop_oneof![Just(None), (0u64..14).prop_map(Some)],
        events(),
        events(),
        prop_oneof![
            Just(PayloadCap::RoomDefault),
            Just(PayloadCap::Unlimited),
            (0usize..12).prop_map(PayloadCap::Bytes)
        ],
        prop_oneof![Just(None), rooms_subset().prop_map(Some)],
        (times(), times()),
    )
        .prop_map(
            |(limit, since, before, inc, exc, cap, client, (since_time, until_time))| Query {
                limit,
                since_seq: since,
                before_seq: before,
                include_events: inc,
                exclude_events: exc,
                payload_size_cap: cap,
                for_client: client,
                view: Default::default(),
                since_time,
                until_time,
            },
        )
}

/// Wall times around those the model's clock reaches (it starts at 1000 s
/// and often moves by whole seconds, so bounds often equal an entry's time).
fn times() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![
        Just(None),
        (0u32..12).prop_map(|s| Some(1000.0 + f64::from(s))),
        (0u32..40).prop_map(|h| Some(1000.25 + f64::from(h) * 0.5)),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let room = 0..ROOMS.len();
    prop_oneof![
        2 => (room.clone(), config()).prop_map(|(r, c)| Op::Enable(r, c)),
        1 => room.clone().prop_map(Op::Disable),
        1 => room.clone().prop_map(Op::Clear),
        8 => (room.clone(), 0..EVENTS.len(), payload(), target()).prop_map(|(r, e, p, t)| Op::Record(r, e, p, t)),
        3 => (room.clone(), query()).prop_map(|(r, q)| Op::Fetch(r, q)),
        2 => (room, query(), prop_oneof![Just(EpochChoice::None), Just(EpochChoice::Current), Just(EpochChoice::Other)])
            .prop_map(|(r, q, e)| Op::Page(r, q, e)),
        // Whole seconds too, so ages land exactly on the (whole-second) TTLs.
        2 => prop_oneof![0u64..3000, (1u64..4).prop_map(|s| s * 1000)].prop_map(Op::Advance),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn store_matches_naive_model(ops in proptest::collection::vec(op(), 1..80)) {
        run(ops, None).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn store_with_budget_matches_naive_model(
        ops in proptest::collection::vec(op(), 1..80),
        entries in 1usize..8,
    ) {
        // A budget of a few entries, so global eviction happens often.
        run(ops, Some(entries * HistoryStore::budget_cost(8, "x"))).map_err(TestCaseError::fail)?;
    }
}
