//! Properties of the payload encoding: the size counted while encoding is the
//! length of the rendered compact JSON, rendering agrees with serde_json, and
//! a document survives the round trip through the encoding.

use proptest::prelude::*;
use serde_json::Value;
use socketio_history_core::{HistoryStore, Payload, PayloadKind};

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN/inf", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn size_is_the_compact_json_length_and_rendering_matches_serde(doc in json()) {
        let text = serde_json::to_string(&doc).unwrap();
        let p = Payload::from_json(&text).unwrap();
        match p.kind() {
            PayloadKind::Text => prop_assert_eq!(p.as_text(), doc.as_str()),
            _ => {
                prop_assert_eq!(p.to_json(), text.clone());
                prop_assert_eq!(p.size(), text.len());
            }
        }
        let back: Value = serde_json::from_str(&p.to_json()).unwrap();
        prop_assert_eq!(back, doc);
    }

    #[test]
    fn truncated_json_is_a_prefix_within_the_cap(doc in json(), cap in 0usize..64) {
        let p = Payload::from_json(&serde_json::to_string(&doc).unwrap()).unwrap();
        match p.truncated(cap) {
            None => prop_assert!(p.size() <= cap),
            Some(cut) => {
                let cut = cut.as_text().unwrap().to_owned();
                prop_assert!(cut.len() <= cap);
                let full = if p.kind() == PayloadKind::Text { p.as_text().unwrap().to_owned() } else { p.to_json() };
                prop_assert!(full.starts_with(&cut));
                // Longest: one more character would not fit.
                let next = full[cut.len()..].chars().next().map_or(0, char::len_utf8);
                prop_assert!(next == 0 || cut.len() + next > cap);
            }
        }
    }
}

#[test]
fn the_store_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<HistoryStore>();
    assert_send_sync::<Payload>();
}
