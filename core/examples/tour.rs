//! A tour of the core's model: rooms, seq and epoch, retention, the query
//! order, and the resync signal a reconnecting client gets.
//! Run it with `make demo-core` or `cargo run -p socketio-history --example tour`.

use socketio_history_core::{HistoryStore, Payload, Query, RoomConfig};

fn main() -> Result<(), socketio_history_core::HistoryError> {
    let store = HistoryStore::new();

    // History is opt-in per (namespace, room).
    store.enable("/", "lobby", RoomConfig::default().max_entries(4))?;
    for (event, text) in [
        ("chat", "hi all"),
        ("join", "bob"),
        ("chat", "hey alice"),
        ("chat", "how are you?"),
        ("typing", "alice"),
        ("chat", "fine, thanks"),
    ] {
        store.record("/", "lobby", event, Payload::text(text));
    }
    println!("room /lobby keeps the newest 4 of 6 entries:");
    for e in store.fetch("/", "lobby", &Query::new()) {
        println!(
            "  seq {:>2}  {:<7} {:?}",
            e.seq,
            e.event,
            e.payload.as_text().unwrap()
        );
    }

    // Filters apply before the limit: the newest 2 chat messages.
    let q = Query::new().include_events(["chat"]).limit(Some(2));
    let chats: Vec<u64> = store
        .fetch("/", "lobby", &q)
        .iter()
        .map(|e| e.seq)
        .collect();
    println!("newest 2 chat entries: seqs {chats:?}");

    // A client that saw up to seq 1 comes back: seq 2 was evicted, so it is
    // told to resync instead of silently missing a message.
    let stats = store.stats("/", "lobby");
    let epoch = stats.epoch.unwrap();
    let page = store.page(
        "/",
        "lobby",
        &Query::new().since_seq(Some(1)),
        Some(epoch.as_str()),
    );
    println!(
        "resume after seq 1 in epoch {epoch}: {} entries, gap={}",
        page.entries.len(),
        page.gap
    );
    let page = store.page(
        "/",
        "lobby",
        &Query::new().since_seq(Some(4)),
        Some(epoch.as_str()),
    );
    println!(
        "resume after seq 4: seqs {:?}, gap={}",
        page.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        page.gap
    );

    println!(
        "stats: {} entries, {} bytes, {} evicted by count, last seq {}",
        stats.entries_count, stats.bytes, stats.evictions_size, stats.last_seq
    );

    // Disabling frees everything; enabling again is a new lifetime.
    store.disable("/", "lobby");
    store.enable("/", "lobby", RoomConfig::default())?;
    let fresh = store.stats("/", "lobby");
    println!(
        "after disable + enable: {} entries, new epoch {} (was {epoch})",
        fresh.entries_count,
        fresh.epoch.unwrap()
    );
    Ok(())
}
