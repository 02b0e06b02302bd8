//! The durable store's journal (docs/DURABILITY.md): numbered segment files
//! of checksummed records under one directory, appended while the store
//! serves from memory, replayed when a process opens the directory, and
//! rewritten from memory (compacted) in the background.

pub(crate) mod codec;
pub(crate) mod record;

use codec::Enc;
use parking_lot::{Condvar, Mutex};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// What a change that returned may lose (CONTRACT.md, "Durable stores").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SyncPolicy {
    /// On stable storage (`fdatasync`) before the call returns.
    Always,
    /// Handed to the operating system (`write(2)`) before the call
    /// returns, synced within the sync interval: a killed process loses
    /// nothing, a machine crash at most the last interval.
    #[default]
    Interval,
    /// Written in the background: a killed process may lose the last few
    /// milliseconds.
    Off,
}

impl SyncPolicy {
    /// `"always"`, `"interval"` or `"off"`.
    pub fn parse(text: &str) -> Option<SyncPolicy> {
        match text {
            "always" => Some(SyncPolicy::Always),
            "interval" => Some(SyncPolicy::Interval),
            "off" => Some(SyncPolicy::Off),
            _ => None,
        }
    }
}

/// What opening a directory found, for the caller to log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// Records applied.
    pub records: u64,
    /// Torn or corrupt tails cut off: each segment's file name and how many
    /// bytes of it were dropped.
    pub dropped: Vec<(String, u64)>,
}

/// The journal format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const MAGIC: &[u8; 8] = b"SIOHJRNL";
const HEADER_LEN: u64 = 16;
const FRAME_LEN: usize = 8;
/// A segment is closed and a new one begun past this size (by default).
pub const DEFAULT_SEGMENT_BYTES: u64 = 64 << 20;
/// Records buffered by `SyncPolicy::Off` before they are written anyway.
const OFF_BUFFER: usize = 256 << 10;
const SUFFIX: &str = ".journal";

/// Why a directory cannot be opened.
pub(crate) fn storage_error(path: &Path, what: impl std::fmt::Display) -> crate::HistoryError {
    crate::HistoryError::Storage {
        path: path.display().to_string(),
        reason: what.to_string(),
    }
}

fn segment_name(id: u64) -> String {
    format!("{id:020}{SUFFIX}")
}

fn segment_id(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(SUFFIX)?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

fn open_file(path: &Path, create: bool) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(create)
        .mode(0o600)
        .open(path)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Append one framed record to `buf`: its body, encoded by `body`, after
/// its length and checksum.
fn frame(buf: &mut Vec<u8>, body: impl FnOnce(&mut Enc)) {
    let start = buf.len();
    let mut enc = Enc {
        buf: std::mem::take(buf),
    };
    enc.buf.extend_from_slice(&[0; FRAME_LEN]);
    body(&mut enc);
    seal(&mut enc.buf, start);
    *buf = enc.buf;
}

/// Frame `body` (written after `FRAME_LEN` reserved bytes at `start`).
fn seal(buf: &mut [u8], start: usize) {
    let body = &buf[start + FRAME_LEN..];
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
    let crc = crc32fast::hash(body);
    buf[start..start + 4].copy_from_slice(&len.to_le_bytes());
    buf[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

fn header() -> [u8; HEADER_LEN as usize] {
    let mut h = [0u8; HEADER_LEN as usize];
    h[..8].copy_from_slice(MAGIC);
    h[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    h
}

/// The segments of `dir`, by id.
fn segments(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if let Some(id) = entry.file_name().to_str().and_then(segment_id) {
            out.push((id, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// The directory and its lock, taken.
pub(crate) struct Dir {
    path: PathBuf,
    _lock: File,
}

impl Dir {
    /// Create `path` (0700) if missing and lock it against other processes.
    pub fn lock(path: &Path) -> crate::Result<Dir> {
        if path.exists() && !path.is_dir() {
            return Err(storage_error(path, "is not a directory"));
        }
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)
            .map_err(|e| storage_error(path, format!("cannot create the directory: {e}")))?;
        let lock_path = path.join("LOCK");
        let lock = open_file(&lock_path, true)
            .map_err(|e| storage_error(path, format!("cannot open its LOCK file: {e}")))?;
        if let Err(e) = flock(&lock) {
            return Err(storage_error(
                path,
                if e.kind() == io::ErrorKind::WouldBlock {
                    "is already open in another process (its LOCK is held)".to_owned()
                } else {
                    format!("cannot lock it: {e}")
                },
            ));
        }
        // Left from a compaction a crash interrupted: never replayed.
        if let Ok(entries) = fs::read_dir(path) {
            for e in entries.flatten() {
                if e.file_name().to_str().is_some_and(|n| n.ends_with(".tmp")) {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        Ok(Dir {
            path: path.to_owned(),
            _lock: lock,
        })
    }
}

fn flock(file: &File) -> io::Result<()> {
    // An advisory lock that the kernel drops with the process, however it
    // dies: a SIGKILLed server leaves no stale lock behind.
    #[allow(unsafe_code)]
    // SAFETY: flock(2) takes a descriptor we own for the call's duration.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Read every whole record of the directory's segments in order, handing
/// each body to `apply`; cut off torn tails. Returns the report and the
/// last segment (its id and length) for the writer to go on with.
pub(crate) fn replay(
    dir: &Dir,
    mut apply: impl FnMut(&[u8]) -> bool,
) -> crate::Result<(OpenReport, Option<(u64, u64)>)> {
    let path = &dir.path;
    let list = segments(path).map_err(|e| storage_error(path, format!("cannot list it: {e}")))?;
    let mut report = OpenReport::default();
    let mut last = None;
    let count = list.len();
    for (i, (id, file)) in list.into_iter().enumerate() {
        let is_last = i + 1 == count;
        let mut bytes = Vec::new();
        File::open(&file)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| storage_error(&file, format!("cannot read: {e}")))?;
        if bytes.len() < HEADER_LEN as usize {
            // A segment whose header was never written whole: nothing in it.
            report.dropped.push((segment_name(id), bytes.len() as u64));
            fs::write(&file, header()).map_err(|e| storage_error(&file, e))?;
            last = Some((id, HEADER_LEN));
            continue;
        }
        if &bytes[..8] != MAGIC {
            return Err(storage_error(&file, "is not a socketio-history journal"));
        }
        let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        if version != FORMAT_VERSION {
            return Err(storage_error(
                &file,
                format!(
                    "was written in journal format {version}; this build reads format {FORMAT_VERSION} only"
                ),
            ));
        }
        let mut pos = HEADER_LEN as usize;
        while pos < bytes.len() {
            let whole = bytes.len() - pos >= FRAME_LEN && {
                let len = u32::from_le_bytes([
                    bytes[pos],
                    bytes[pos + 1],
                    bytes[pos + 2],
                    bytes[pos + 3],
                ]) as usize;
                let crc = u32::from_le_bytes([
                    bytes[pos + 4],
                    bytes[pos + 5],
                    bytes[pos + 6],
                    bytes[pos + 7],
                ]);
                let end = pos + FRAME_LEN + len;
                end <= bytes.len() && crc32fast::hash(&bytes[pos + FRAME_LEN..end]) == crc && {
                    let ok = apply(&bytes[pos + FRAME_LEN..end]);
                    if ok {
                        report.records += 1;
                        pos = end;
                    }
                    ok
                }
            };
            if !whole {
                break;
            }
        }
        if pos < bytes.len() {
            report
                .dropped
                .push((segment_name(id), (bytes.len() - pos) as u64));
            if is_last {
                // Cut the torn tail off: new records follow the last whole one.
                open_file(&file, false)
                    .and_then(|f| f.set_len(pos as u64))
                    .map_err(|e| storage_error(&file, format!("cannot cut its torn tail: {e}")))?;
            }
        }
        last = Some((id, pos as u64));
    }
    Ok((report, last))
}

struct Writer {
    file: File,
    id: u64,
    size: u64,
    /// Framed records not written yet (`SyncPolicy::Off`), or the record
    /// being framed.
    buf: Vec<u8>,
    /// Bytes written since the last sync.
    dirty: bool,
}

/// The open journal of a durable store.
pub(crate) struct Journal {
    dir: PathBuf,
    policy: SyncPolicy,
    segment_bytes: u64,
    writer: Mutex<Writer>,
    /// Bytes of every segment on disk, and what the last compaction wrote.
    disk_bytes: AtomicU64,
    image_bytes: AtomicU64,
    compacting: AtomicBool,
    closed: AtomicBool,
    failures: AtomicU64,
    error: Mutex<Option<String>>,
    stop: Mutex<bool>,
    wake: Condvar,
}

impl Journal {
    /// Go on writing after `last` (the last segment and its whole length),
    /// or in a first segment.
    pub fn start(
        dir: &Dir,
        policy: SyncPolicy,
        segment_bytes: u64,
        last: Option<(u64, u64)>,
    ) -> crate::Result<Journal> {
        let path = &dir.path;
        let (id, size) = match last {
            Some((id, size)) if size < segment_bytes => (id, size),
            Some((id, _)) => (id + 1, 0),
            None => (1, 0),
        };
        let file_path = path.join(segment_name(id));
        let mut file = open_file(&file_path, true).map_err(|e| storage_error(&file_path, e))?;
        if size == 0 {
            file.write_all(&header())
                .and_then(|()| file.sync_data())
                .and_then(|()| sync_dir(path))
                .map_err(|e| storage_error(&file_path, e))?;
        }
        let size = size.max(HEADER_LEN);
        file.seek(SeekFrom::Start(size))
            .map_err(|e| storage_error(&file_path, e))?;
        let on_disk = segments(path)
            .map(|l| {
                l.iter()
                    .map(|(_, p)| fs::metadata(p).map_or(0, |m| m.len()))
                    .sum()
            })
            .unwrap_or(0);
        Ok(Journal {
            dir: path.clone(),
            policy,
            segment_bytes,
            writer: Mutex::new(Writer {
                file,
                id,
                size,
                buf: Vec::with_capacity(4096),
                dirty: false,
            }),
            disk_bytes: AtomicU64::new(on_disk),
            // What is on disk counts as the last image: the first compaction
            // comes once as much again has been written.
            image_bytes: AtomicU64::new(on_disk),
            compacting: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            failures: AtomicU64::new(0),
            error: Mutex::new(None),
            stop: Mutex::new(false),
            wake: Condvar::new(),
        })
    }

    /// Count a failure and remember its message.
    pub fn note_failure(&self, what: &str, e: &io::Error) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        *self.error.lock() = Some(format!("{what}: {e}"));
    }

    /// The last write or sync that failed (the store goes on in memory).
    pub fn error(&self) -> Option<String> {
        self.error.lock().clone()
    }

    /// How many writes or syncs failed.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Append one record, encoded by `body`, as the sync policy says.
    /// Callers hold the lock of the room the record is about, so a room's
    /// records are in the order they happened.
    pub fn append(&self, body: impl FnOnce(&mut Enc)) {
        let mut w = self.writer.lock();
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        frame(&mut w.buf, body);
        if self.policy == SyncPolicy::Off && w.buf.len() < OFF_BUFFER {
            return;
        }
        self.flush(&mut w);
        if self.policy == SyncPolicy::Always && w.dirty {
            match w.file.sync_data() {
                Ok(()) => w.dirty = false,
                Err(e) => self.note_failure("fdatasync", &e),
            }
        }
    }

    /// Write what is buffered; start a new segment past the size limit.
    fn flush(&self, w: &mut Writer) {
        if w.buf.is_empty() {
            return;
        }
        match w.file.write_all(&w.buf) {
            Ok(()) => {
                let n = w.buf.len() as u64;
                w.size += n;
                w.dirty = true;
                self.disk_bytes.fetch_add(n, Ordering::Relaxed);
            }
            Err(e) => {
                // The position may be mid-record now: start a new segment
                // rather than append after a torn record.
                self.note_failure("write", &e);
                w.size = self.segment_bytes;
            }
        }
        w.buf.clear();
        if w.size >= self.segment_bytes {
            if let Err(e) = self.rotate(w) {
                self.note_failure("new segment", &e);
            }
        }
        if self.needs_compaction() {
            self.wake.notify_all();
        }
    }

    /// Close the current segment (synced) and begin segment `id + 1`.
    fn rotate(&self, w: &mut Writer) -> io::Result<()> {
        w.file.sync_data()?;
        let id = w.id + 1;
        let path = self.dir.join(segment_name(id));
        let mut file = open_file(&path, true)?;
        file.write_all(&header())?;
        file.sync_data()?;
        sync_dir(&self.dir)?;
        self.disk_bytes.fetch_add(HEADER_LEN, Ordering::Relaxed);
        *w = Writer {
            file,
            id,
            size: HEADER_LEN,
            buf: std::mem::take(&mut w.buf),
            dirty: false,
        };
        Ok(())
    }

    /// Write and sync what is pending (`sync_data` of the current segment).
    pub fn sync(&self) {
        let mut w = self.writer.lock();
        self.flush(&mut w);
        if w.dirty {
            match w.file.sync_data() {
                Ok(()) => w.dirty = false,
                Err(e) => self.note_failure("fdatasync", &e),
            }
        }
    }

    /// Write and sync what is pending, then write nothing more.
    pub fn close(&self) {
        self.sync();
        self.closed.store(true, Ordering::Release);
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    fn needs_compaction(&self) -> bool {
        let image = self.image_bytes.load(Ordering::Relaxed);
        let limit = image.saturating_mul(2).saturating_add(self.segment_bytes);
        self.disk_bytes.load(Ordering::Relaxed) > limit
    }

    /// Run the background thread: syncs every `interval` (interval and off
    /// policies; off also writes out its buffer) and compacts with
    /// `compact` when the segments have grown past twice the last image.
    pub fn spawn(
        self: &Arc<Self>,
        interval: Duration,
        compact: impl Fn(&Journal) + Send + 'static,
    ) -> io::Result<JoinHandle<()>> {
        let j = Arc::clone(self);
        std::thread::Builder::new()
            .name("sioh-journal".into())
            .spawn(move || loop {
                {
                    let mut stop = j.stop.lock();
                    if !*stop {
                        j.wake.wait_for(&mut stop, interval);
                    }
                    if *stop {
                        return;
                    }
                }
                if j.policy != SyncPolicy::Always {
                    j.sync();
                }
                if j.needs_compaction() && !j.compacting.swap(true, Ordering::AcqRel) {
                    compact(&j);
                    j.compacting.store(false, Ordering::Release);
                }
            })
    }

    /// Stop the background thread (it finishes what it is doing).
    pub fn stop(&self) {
        *self.stop.lock() = true;
        self.wake.notify_all();
    }

    /// Rewrite the state from memory: begin a new live segment, have
    /// `write_state` put every room's records into an image numbered before
    /// it (each with `Image::record`), then drop the older segments.
    pub fn compact(&self, write_state: impl FnOnce(&mut Image)) -> io::Result<()> {
        let image_id = {
            let mut w = self.writer.lock();
            self.flush(&mut w);
            // Reserve the id before the live segment's: new records go after.
            let image_id = w.id + 1;
            w.id += 1;
            self.rotate(&mut w)?;
            image_id
        };
        let tmp = self.dir.join(format!("{}.tmp", segment_name(image_id)));
        let mut image = Image {
            file: io::BufWriter::new(open_file(&tmp, true)?),
            buf: Vec::with_capacity(64 << 10),
            bytes: HEADER_LEN,
            result: Ok(()),
        };
        image.file.write_all(&header())?;
        write_state(&mut image);
        image.drain();
        image.result?;
        let bytes = image.bytes;
        let file = image
            .file
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        fs::rename(&tmp, self.dir.join(segment_name(image_id)))?;
        sync_dir(&self.dir)?;
        let mut kept = 0u64;
        for (id, path) in segments(&self.dir)? {
            if id < image_id {
                fs::remove_file(&path)?;
            } else {
                kept += fs::metadata(&path).map_or(0, |m| m.len());
            }
        }
        sync_dir(&self.dir)?;
        self.image_bytes.store(bytes, Ordering::Relaxed);
        self.disk_bytes.store(kept, Ordering::Relaxed);
        Ok(())
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        if !self.is_closed() {
            self.sync();
        }
    }
}

/// A compaction's image being written.
pub(crate) struct Image {
    file: io::BufWriter<File>,
    buf: Vec<u8>,
    bytes: u64,
    result: io::Result<()>,
}

impl Image {
    /// Add one record, encoded by `body`.
    pub fn record(&mut self, body: impl FnOnce(&mut Enc)) {
        frame(&mut self.buf, body);
    }

    /// Write out what was added (called between rooms, outside their locks).
    pub fn drain(&mut self) {
        if self.result.is_ok() {
            self.result = self.file.write_all(&self.buf);
        }
        self.bytes += self.buf.len() as u64;
        self.buf.clear();
    }
}
