//! Durable stores (docs/DURABILITY.md): what a store opened on a directory
//! holds comes back in the next process that opens it, whole, through torn
//! tails, kills and compactions; a second opener and a newer format are
//! refused.

use socketio_history_core::{
    log_config, Auth, Delivery, Dropped, HistoryEntry, HistoryError, HistoryStore, ManualClock,
    NotResumable, Patch, Payload, Query, ResumePoint, RoomConfig, Session, SyncPolicy, View,
    FORMAT_VERSION,
};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const NS: &str = "/";

/// A fresh directory under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let p = std::env::temp_dir().join(format!(
            "sioh-durable-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn open(dir: &Path) -> HistoryStore {
    HistoryStore::builder().path(Some(dir)).build().unwrap()
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "journal"))
        .collect();
    v.sort();
    v
}

/// Everything a client can observe of a store: each room's configuration,
/// epoch, seq, entries (every field) and latest view, and each log's
/// position and entries.
fn fingerprint(s: &HistoryStore) -> String {
    let mut out = String::new();
    for (ns, room) in s.rooms() {
        let st = s.stats(&ns, &room);
        out += &format!(
            "{ns} {room} epoch={:?} last={} first={:?} config={:?}\n",
            st.epoch.map(|e| e.to_string()),
            st.last_seq,
            st.first_seq,
            st.config
        );
        for view in [View::Log, View::Latest] {
            let mut q = Query::new();
            q.view = view;
            for e in s.fetch(&ns, &room, &q) {
                out += &format!("  {}\n", entry(&e));
            }
        }
    }
    for ns in [NS, "/chat"] {
        if let Some((epoch, seq)) = s.log_position(ns) {
            out += &format!("log {ns} {epoch} {seq}\n");
            let point = ResumePoint {
                epoch,
                connect_seq: 0,
                sent: vec![],
                sent_base: 0,
                disconnect_seq: seq,
            };
            for e in s
                .resume(ns, &point, None, &["a", "b", "sid"])
                .unwrap_or_default()
            {
                out += &format!("  {}\n", entry(&e));
            }
        }
    }
    out
}

fn entry(e: &HistoryEntry) -> String {
    format!(
        "{} {:?} {:?} t={} {:?} {:?} v={:?} red={} del={}",
        e.seq,
        e.event,
        e.payload,
        e.timestamp,
        e.action,
        e.message_id.as_ref().map(|m| m.as_str()),
        e.version,
        e.redacted,
        e.deleted
    )
}

/// A store with a bit of everything: rooms with bounds, every payload kind,
/// delivery metadata, a clear, a disabled and re-enabled room, messages
/// (create, update, a stream of appends, a delete), two namespace logs.
fn populate(s: &HistoryStore) {
    s.enable(NS, "a", RoomConfig::default().max_entries(50))
        .unwrap();
    s.enable(NS, "b", RoomConfig::default().max_bytes(Some(10_000)))
        .unwrap();
    s.enable("/chat", "c", RoomConfig::default()).unwrap();
    s.enable_log(NS, log_config(Duration::from_secs(120), None))
        .unwrap();
    s.enable_log("/chat", log_config(Duration::from_secs(120), None))
        .unwrap();
    for i in 0..80 {
        s.record(NS, "a", "chat", Payload::text(format!("m{i}")));
    }
    s.record(NS, "b", "bin", Payload::bytes([0u8, 255, 7]));
    s.record(
        NS,
        "b",
        "val",
        Payload::from_json(r#"{"k":[1,2.5,null,true,"é"]}"#).unwrap(),
    );
    s.record(
        NS,
        "b",
        "args",
        Payload::args_from_json(r#"[1,"two",{"3":4}]"#).unwrap(),
    );
    s.record_delivery(
        NS,
        "b",
        "dm",
        Payload::text("x"),
        Delivery::new(Some(["b"]), ["sid9"]),
    );
    s.clear(NS, "b");
    s.record(NS, "b", "after-clear", Payload::text("y"));
    s.enable(NS, "gone", RoomConfig::default()).unwrap();
    s.record(NS, "gone", "e", Payload::text("z"));
    s.disable(NS, "gone");
    s.enable(NS, "again", RoomConfig::default()).unwrap();
    s.record(NS, "again", "e", Payload::text("1"));
    s.disable(NS, "again");
    s.enable(NS, "again", RoomConfig::default()).unwrap();
    s.record(NS, "again", "e", Payload::text("2"));
    let server = Auth::server();
    s.create_message(
        NS,
        "a",
        "msg",
        Payload::text("hello"),
        Some("m1"),
        Some("alice"),
    )
    .unwrap();
    s.update_message(
        NS,
        "a",
        "m1",
        Patch::Keep,
        Patch::Replace(Payload::text("hello!")),
        &server,
    )
    .unwrap();
    s.create_message(NS, "a", "answer", Payload::null(), Some("m2"), None)
        .unwrap();
    for tok in ["The", " answer", " is", " 42"] {
        s.append_message(NS, "a", "m2", tok, false, &server)
            .unwrap();
    }
    s.append_message(NS, "a", "m2", "", true, &server).unwrap();
    s.create_message(NS, "a", "msg", Payload::text("secret"), Some("m3"), None)
        .unwrap();
    for i in 0..5 {
        let to = Delivery::new(Some(["a"]), ["sid"]);
        s.record_log(NS, "e", Payload::text(format!("log{i}")), to);
    }
    s.record_log_message(
        NS,
        "msg",
        Payload::text("secret"),
        Delivery::new(Some(["a"]), None::<&str>),
        "a",
        "m3",
        None,
    )
    .unwrap();
    s.delete_message(NS, "a", "m3", &server).unwrap();
    s.record_log(
        "/chat",
        "e",
        Payload::text("chat"),
        Delivery::new(None::<[&str; 0]>, None::<&str>),
    );
}

#[test]
fn a_reopened_store_holds_exactly_what_the_last_one_had() {
    let dir = TempDir::new();
    let before = {
        let s = open(&dir.0);
        assert_eq!(s.open_report().unwrap().records, 0);
        populate(&s);
        fingerprint(&s)
    };
    assert!(before.contains("answer"), "{before}");
    let s = open(&dir.0);
    assert_eq!(fingerprint(&s), before);
    assert!(s.open_report().unwrap().dropped.is_empty());
    // The deleted message's text is gone from the room and the log alike.
    assert!(!before.contains("secret"), "{before}");
    // A cursor from before the restart resumes without a gap.
    let epoch = s.stats(NS, "a").epoch.unwrap().to_string();
    let q = Query::new().since_seq(Some(85));
    let page = s.page(NS, "a", &q, Some(&epoch));
    assert!(!page.gap && !page.entries.is_empty());
    // Counters start at zero; the message rules go on where they were.
    assert_eq!(s.stats(NS, "a").evictions_size, 0);
    let m = s
        .append_message(NS, "a", "m2", "!", false, &Auth::server())
        .unwrap_err();
    assert!(matches!(m, HistoryError::InvalidArgument { .. }), "{m:?}"); // closed
    assert_eq!(
        s.get_message(NS, "a", "m2").unwrap().data,
        Some(Payload::text("The answer is 42"))
    );
}

#[test]
fn every_policy_keeps_what_a_clean_close_had() {
    for policy in [SyncPolicy::Always, SyncPolicy::Interval, SyncPolicy::Off] {
        let dir = TempDir::new();
        let before = {
            let s = HistoryStore::builder()
                .path(Some(&dir.0))
                .sync(policy)
                .build()
                .unwrap();
            populate(&s);
            fingerprint(&s)
        };
        assert_eq!(fingerprint(&open(&dir.0)), before, "{policy:?}");
    }
}

#[test]
fn a_second_opener_is_refused_until_the_first_closes() {
    let dir = TempDir::new();
    let first = open(&dir.0);
    let err = HistoryStore::builder()
        .path(Some(&dir.0))
        .build()
        .unwrap_err();
    assert!(matches!(err, HistoryError::Storage { .. }));
    assert!(
        err.to_string().contains("already open in another process"),
        "{err}"
    );
    drop(first);
    open(&dir.0);
}

#[test]
fn close_releases_the_directory_and_keeps_serving_from_memory() {
    let dir = TempDir::new();
    let s = open(&dir.0);
    s.enable(NS, "r", RoomConfig::default()).unwrap();
    s.record(NS, "r", "e", Payload::text("kept"));
    s.close();
    s.close(); // again: nothing
    s.record(NS, "r", "e", Payload::text("memory only"));
    assert_eq!(texts(&s, "r"), ["kept", "memory only"]);
    let other = open(&dir.0);
    assert_eq!(texts(&other, "r"), ["kept"]);
    drop(s); // the closed store's drop leaves the other's files alone
    other.record(NS, "r", "e", Payload::text("next"));
    drop(other);
    assert_eq!(texts(&open(&dir.0), "r"), ["kept", "next"]);
}

#[test]
fn bad_paths_are_clear_errors() {
    let dir = TempDir::new();
    std::fs::create_dir_all(&dir.0).unwrap();
    let file = dir.0.join("a-file");
    std::fs::write(&file, "x").unwrap();
    let err = HistoryStore::builder()
        .path(Some(&file))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("is not a directory"), "{err}");
    let under_file = file.join("sub");
    let err = HistoryStore::builder()
        .path(Some(&under_file))
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("cannot create the directory"),
        "{err}"
    );
    let err = HistoryStore::builder()
        .path(Some(&dir.0))
        .sync_interval(Duration::ZERO)
        .build()
        .unwrap_err();
    assert!(matches!(
        err,
        HistoryError::InvalidArgument {
            param: "sync_interval",
            ..
        }
    ));
}

#[test]
fn files_are_for_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new();
    let s = open(&dir.0);
    s.enable(NS, "r", RoomConfig::default()).unwrap();
    s.record(NS, "r", "e", Payload::text("x"));
    drop(s);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.0), 0o700);
    for f in segments(&dir.0).iter().chain([&dir.0.join("LOCK")]) {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
}

#[test]
fn a_newer_format_is_refused_by_name() {
    let dir = TempDir::new();
    drop(open(&dir.0));
    let seg = segments(&dir.0).pop().unwrap();
    let mut bytes = std::fs::read(&seg).unwrap();
    bytes[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    std::fs::write(&seg, bytes).unwrap();
    let err = HistoryStore::builder()
        .path(Some(&dir.0))
        .build()
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&format!("journal format {}", FORMAT_VERSION + 1)),
        "{text}"
    );
    assert!(
        text.contains(&format!("format {FORMAT_VERSION} only")),
        "{text}"
    );
    // A file that is no journal at all.
    std::fs::write(&seg, b"definitely not a journal").unwrap();
    let err = HistoryStore::builder()
        .path(Some(&dir.0))
        .build()
        .unwrap_err();
    assert!(err
        .to_string()
        .contains("is not a socketio-history journal"));
}

/// One room's entries' texts.
fn texts(s: &HistoryStore, room: &str) -> Vec<String> {
    s.fetch(NS, room, &Query::new())
        .iter()
        .map(|e| e.payload.as_text().unwrap().to_owned())
        .collect()
}

#[test]
fn a_torn_or_corrupt_tail_keeps_every_whole_record_before_it() {
    let dir = TempDir::new();
    {
        let s = open(&dir.0);
        s.enable(NS, "r", RoomConfig::default().max_entries(1000))
            .unwrap();
        for i in 0..200 {
            s.record(NS, "r", "e", Payload::text(format!("{i:04}")));
        }
    }
    let seg = segments(&dir.0).pop().unwrap();
    let whole = std::fs::read(&seg).unwrap();
    // Cut at many offsets, and flip a byte at many others: the store opens
    // with a prefix of the entries, in order, never garbage.
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    for round in 0..60 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let at = 16 + (rng as usize) % (whole.len() - 16);
        let mut bytes = whole.clone();
        if round % 2 == 0 {
            bytes.truncate(at);
        } else {
            bytes[at] ^= 0x5a;
        }
        std::fs::write(&seg, &bytes).unwrap();
        let s = open(&dir.0);
        let got = texts(&s, "r");
        let want: Vec<String> = (0..got.len()).map(|i| format!("{i:04}")).collect();
        assert_eq!(got, want, "round {round} at {at}");
        let report = s.open_report().unwrap();
        assert!(
            !report.dropped.is_empty() || got.len() == 200,
            "round {round}"
        );
        // The torn tail was cut: the next record follows the last whole one.
        s.record(NS, "r", "e", Payload::text("next"));
        drop(s);
        let s = open(&dir.0);
        assert_eq!(texts(&s, "r").last().map(String::as_str), Some("next"));
        assert!(s.open_report().unwrap().dropped.is_empty(), "round {round}");
    }
}

#[test]
fn compaction_bounds_the_files_and_keeps_the_state() {
    let dir = TempDir::new();
    let s = open(&dir.0);
    s.enable(NS, "r", RoomConfig::default().max_entries(100))
        .unwrap();
    s.create_message(NS, "r", "answer", Payload::null(), Some("m"), None)
        .unwrap();
    for i in 0..5_000 {
        s.record(NS, "r", "e", Payload::text(format!("{i:0100}")));
        if i % 50 == 0 {
            // (often enough that the message keeps an entry within the 100)
            s.append_message(NS, "r", "m", "tok ", false, &Auth::server())
                .unwrap();
        }
    }
    let disk = |d: &Path| {
        segments(d)
            .iter()
            .map(|p| std::fs::metadata(p).unwrap().len())
            .sum::<u64>()
    };
    let grown = disk(&dir.0);
    s.compact().unwrap();
    let compacted = disk(&dir.0);
    // 100 entries of ~100 bytes, and the message, in the image.
    assert!(compacted < grown / 10, "{compacted} of {grown}");
    assert!(compacted < 64 << 10, "{compacted}");
    let before = fingerprint(&s);
    // Changes after the compaction land in the live segment.
    s.record(NS, "r", "e", Payload::text("after"));
    let after = fingerprint(&s);
    assert_ne!(before, after);
    drop(s);
    let s = open(&dir.0);
    assert_eq!(fingerprint(&s), after);
}

#[test]
fn entries_that_expired_while_no_process_had_them_are_gone() {
    let dir = TempDir::new();
    let clock = Arc::new(ManualClock::new(1_000_000.0));
    {
        let s = HistoryStore::builder()
            .path(Some(&dir.0))
            .clock(clock.clone())
            .build()
            .unwrap();
        s.enable(
            NS,
            "r",
            RoomConfig::default().retention_seconds(Some(60.0)).unwrap(),
        )
        .unwrap();
        s.record(NS, "r", "e", Payload::text("old"));
        clock.advance(Duration::from_secs(50));
        s.record(NS, "r", "e", Payload::text("new"));
    }
    // 30 s later (wall clock): "old" is 80 s old, "new" 30 s.
    let later = Arc::new(ManualClock::new(1_000_080.0));
    let s = HistoryStore::builder()
        .path(Some(&dir.0))
        .clock(later.clone())
        .build()
        .unwrap();
    assert_eq!(texts(&s, "r"), ["new"]);
    assert_eq!(s.stats(NS, "r").last_seq, 2);
    // "new" expires on this process's clock when it reaches 60 s.
    later.advance(Duration::from_secs(29));
    assert_eq!(texts(&s, "r"), ["new"]);
    later.advance(Duration::from_secs(1));
    assert!(texts(&s, "r").is_empty());
}

/// Sustained traffic through a small retention: the background thread
/// compacts by itself, the files stay within about twice the retained
/// bytes plus a segment, and emits never wait for it.
#[test]
fn files_stay_bounded_under_sustained_traffic() {
    let dir = TempDir::new();
    let segment = 256 << 10;
    let s = HistoryStore::builder()
        .path(Some(&dir.0))
        .segment_bytes(segment)
        .sync_interval(Duration::from_millis(5))
        .build()
        .unwrap();
    s.enable(NS, "r", RoomConfig::default().max_entries(200))
        .unwrap();
    let disk = || -> u64 {
        segments(&dir.0)
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    };
    let retained = 200 * 260; // entries of ~200 bytes and their framing
    let mut worst = 0;
    for i in 0..40_000u64 {
        s.record(NS, "r", "e", Payload::text(format!("{i:0200}")));
        if i % 1000 == 999 {
            // Give the background thread a moment, as a real server's
            // traffic would (without pausing the writer for it).
            std::thread::sleep(Duration::from_millis(10));
            worst = worst.max(disk());
        }
    }
    // Written: ~10 MB. Held on disk: never more than twice what is retained
    // plus a segment and the live segment's slack.
    assert!(worst < 2 * retained + 3 * segment, "{worst}");
    let before = fingerprint(&s);
    drop(s);
    assert_eq!(fingerprint(&open(&dir.0)), before);
}

fn session(s: &HistoryStore, sid: &str, dropped: Option<Dropped>) -> Session {
    let (epoch, connect_seq) = s.log_position(NS).unwrap();
    Session {
        sid: sid.into(),
        rooms: vec![sid.into(), "a".into()],
        user: Some(Payload::from_json(r#"{"user":"ann"}"#).unwrap()),
        epoch,
        connect_seq,
        dropped,
    }
}

#[test]
fn recovery_sessions_are_kept_until_they_end() {
    let dir = TempDir::new();
    let s = open(&dir.0);
    s.enable_log(NS, log_config(Duration::from_secs(120), None))
        .unwrap();
    let live = session(&s, "sid1", None);
    s.put_session(NS, "pid1", &live);
    s.record_log(
        NS,
        "e",
        Payload::text("x"),
        Delivery::new(Some(["a"]), None::<&str>),
    );
    let dropped = session(
        &s,
        "sid2",
        Some(Dropped {
            disconnect_seq: 1,
            sent: vec![1],
            sent_base: None,
            window_full: false,
            wall: 1.5e9,
        }),
    );
    s.put_session(NS, "pid2", &dropped);
    s.put_session(NS, "gone", &live);
    s.remove_session(NS, "gone");
    s.remove_session(NS, "never"); // nothing to forget
    let want = vec![
        ("/".to_owned(), "pid1".to_owned(), live.clone()),
        ("/".to_owned(), "pid2".to_owned(), dropped.clone()),
    ];
    assert_eq!(s.sessions(), want);
    drop(s);
    let s = open(&dir.0);
    assert_eq!(s.sessions(), want);
    s.compact().unwrap();
    drop(s);
    let s = open(&dir.0);
    assert_eq!(s.sessions(), want);
    assert_eq!(dropped.sent_offsets(), [format!("{}-1", dropped.epoch)]);
    // An in-memory store keeps none (its binding holds them).
    let m = HistoryStore::new();
    m.put_session(NS, "pid1", &live);
    assert!(m.sessions().is_empty());
}

#[test]
fn a_session_connected_when_its_process_died_needs_everything_after_its_offset() {
    let (s, clock) = {
        let clock = Arc::new(ManualClock::new(1_000.0));
        let s = HistoryStore::builder()
            .clock(clock.clone())
            .build()
            .unwrap();
        (s, clock)
    };
    s.enable_log(NS, log_config(Duration::from_secs(60), None))
        .unwrap();
    let live = session(&s, "sid", None);
    let to_a = || Delivery::new(Some(["a"]), None::<&str>);
    let first = s.record_log(NS, "e", Payload::text("1"), to_a()).unwrap();
    s.record_log(NS, "e", Payload::text("2"), to_a()).unwrap();
    let (_, last) = s.log_position(NS).unwrap();
    let point = live.resume_point(last);
    // Its offset says it got "1": it gets "2", whatever was sent.
    let missed = s
        .resume(NS, &point, Some(&first.to_string()), &live.rooms)
        .unwrap();
    assert_eq!(missed.len(), 1);
    // Once "2" left the log, it cannot tell: a fresh session.
    clock.advance(Duration::from_secs(61));
    s.record_log(NS, "e", Payload::text("3"), to_a()).unwrap();
    assert_eq!(
        s.resume(NS, &point, Some(&first.to_string()), &live.rooms),
        Err(NotResumable::Evicted)
    );
}

/// The writer of the kill tests, run as a child process: records entries
/// and prints each one once it returned.
#[test]
#[ignore = "run by the kill tests as a child process"]
fn child_writer() {
    let dir = std::env::var("SIOH_CHILD_DIR").unwrap();
    let policy = SyncPolicy::parse(&std::env::var("SIOH_CHILD_SYNC").unwrap()).unwrap();
    let s = HistoryStore::builder()
        .path(Some(&dir))
        .sync(policy)
        .build()
        .unwrap();
    s.enable(NS, "r", RoomConfig::default().max_entries(1_000_000))
        .unwrap();
    let start = s.last_seq(NS, "r").unwrap();
    let mut out = std::io::stdout().lock();
    for i in start + 1.. {
        s.record(
            NS,
            "r",
            "e",
            Payload::text(format!("{i}:{}", "x".repeat(100))),
        );
        writeln!(out, "{i}").unwrap();
        out.flush().unwrap();
    }
}

/// Kill a writer with SIGKILL mid-stream, many times: with `always` and
/// with `interval` (only the process dies), every entry it acknowledged is
/// there, in order, and the seq goes on from there.
#[test]
fn kill_minus_nine_mid_write_loses_nothing_acknowledged() {
    for policy in ["always", "interval"] {
        let dir = TempDir::new();
        let mut acked = 0u64;
        for round in 0..6 {
            let mut child = Command::new(std::env::current_exe().unwrap())
                .args([
                    "--ignored",
                    "--exact",
                    "child_writer",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("SIOH_CHILD_DIR", &dir.0)
                .env("SIOH_CHILD_SYNC", policy)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
            // Kill it at a different point each round.
            let target = acked + 200 + round * 150;
            while let Some(Ok(line)) = lines.next() {
                if let Ok(i) = line.trim().parse::<u64>() {
                    acked = i;
                    if i >= target {
                        break;
                    }
                }
            }
            child.kill().unwrap();
            child.wait().unwrap();
            let s = open(&dir.0);
            let entries = s.fetch(NS, "r", &Query::new());
            let held = entries.len() as u64;
            assert!(
                held >= acked,
                "{policy} round {round}: {held} < {acked} acknowledged"
            );
            for (i, e) in entries.iter().enumerate() {
                assert_eq!(e.seq, i as u64 + 1);
                let text = e.payload.as_text().unwrap();
                assert!(text.starts_with(&format!("{}:", i + 1)), "{text}");
            }
        }
    }
}
