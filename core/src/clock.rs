//! Time sources. Age-based retention reads a monotonic clock (so wall-clock
//! jumps neither expire nor revive entries); entries carry a wall-clock
//! timestamp for display. Tests swap in [`ManualClock`] instead of sleeping.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A source of monotonic and wall-clock time, shared by every room of a store.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Monotonic time since an arbitrary, fixed origin. Never goes backwards.
    fn monotonic(&self) -> Duration;
    /// Wall-clock time as Unix seconds.
    fn wall(&self) -> f64;
    /// Both at once: `(monotonic, wall)`. Records call this once each, so a
    /// clock may override it to share work between the two readings.
    fn now(&self) -> (Duration, f64) {
        (self.monotonic(), self.wall())
    }
}

/// How long [`SystemClock`] trusts its wall-clock offset before re-reading
/// the system clock.
pub const WALL_RESYNC: Duration = Duration::from_millis(100);

/// The real clocks: [`Instant`] and [`SystemTime`].
///
/// Reading both costs two system clock reads, most of a record's time. So
/// [`now`](Clock::now) reads the monotonic clock and derives wall time from
/// an offset that it re-reads from [`SystemTime`] at most every
/// [`WALL_RESYNC`]: a wall-clock step shows in timestamps within that time,
/// and between re-reads timestamps advance at the monotonic rate.
#[derive(Debug)]
pub struct SystemClock {
    origin: Instant,
    wall: WallOffset,
}

impl SystemClock {
    /// A clock whose monotonic origin is now.
    pub fn new() -> Self {
        SystemClock {
            origin: Instant::now(),
            wall: WallOffset::new(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }

    fn wall(&self) -> f64 {
        system_wall().as_secs_f64()
    }

    fn now(&self) -> (Duration, f64) {
        let mono = self.origin.elapsed();
        (mono, self.wall.at(mono))
    }
}

/// The system's coarse monotonic clock (`CLOCK_MONOTONIC_COARSE` on Linux,
/// through `coarsetime`), with wall time derived as [`SystemClock`] does.
///
/// A read costs a few nanoseconds instead of a precise clock's tens (on a
/// virtual machine, often most of a record), for a resolution of the
/// kernel's tick: 1 to 4 ms on Linux (`getconf CLK_TCK`, `CONFIG_HZ`).
/// Timestamps and age-based retention then move in those steps; entries
/// recorded within one tick share a timestamp. Where the platform has no
/// coarse clock, `coarsetime` reads the precise one.
#[derive(Debug)]
pub struct CoarseClock {
    origin: coarsetime::Instant,
    wall: WallOffset,
}

impl CoarseClock {
    /// A clock whose monotonic origin is now.
    pub fn new() -> Self {
        CoarseClock {
            origin: coarsetime::Instant::now_without_cache_update(),
            wall: WallOffset::new(),
        }
    }
}

impl Default for CoarseClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for CoarseClock {
    fn monotonic(&self) -> Duration {
        // `now_without_cache_update`: `now` also stores into a global that
        // every recording thread would then write.
        coarsetime::Instant::now_without_cache_update()
            .duration_since(self.origin)
            .into()
    }

    fn wall(&self) -> f64 {
        system_wall().as_secs_f64()
    }

    fn now(&self) -> (Duration, f64) {
        let mono = self.monotonic();
        (mono, self.wall.at(mono))
    }
}

/// Wall time derived from monotonic time: the offset between the two,
/// re-read from the system at most every [`WALL_RESYNC`].
#[derive(Debug)]
struct WallOffset {
    /// Wall nanoseconds minus monotonic nanoseconds at the last re-read.
    offset: AtomicI64,
    /// Monotonic nanoseconds of the last re-read (`u64::MAX`: never).
    synced: AtomicU64,
}

impl WallOffset {
    fn new() -> Self {
        WallOffset {
            offset: AtomicI64::new(0),
            synced: AtomicU64::new(u64::MAX),
        }
    }

    /// Wall-clock Unix seconds at monotonic time `mono`.
    fn at(&self, mono: Duration) -> f64 {
        let m = nanos(mono);
        let synced = self.synced.load(Ordering::Acquire);
        let offset = if synced == u64::MAX || m.saturating_sub(synced) >= nanos(WALL_RESYNC) {
            let wall = i64::try_from(nanos(system_wall())).unwrap_or(i64::MAX);
            let offset = wall.saturating_sub(i64::try_from(m).unwrap_or(i64::MAX));
            self.offset.store(offset, Ordering::Release);
            self.synced.store(m, Ordering::Release);
            offset
        } else {
            self.offset.load(Ordering::Acquire)
        };
        let wall = i64::try_from(m).unwrap_or(i64::MAX).saturating_add(offset);
        wall as f64 * 1e-9
    }
}

fn system_wall() -> Duration {
    // A system clock set before 1970 reads as 0 rather than failing a record.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
}

fn nanos(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::from(d.subsec_nanos()))
}

/// A clock that moves only when told to; for tests and simulations.
///
/// Monotonic and wall time are independent, so a test can jump the wall clock
/// and check that retention does not notice.
#[derive(Debug)]
pub struct ManualClock {
    mono_nanos: AtomicU64,
    wall_bits: AtomicU64,
}

impl ManualClock {
    /// Monotonic time zero, wall time `wall` Unix seconds.
    pub fn new(wall: f64) -> Self {
        ManualClock {
            mono_nanos: AtomicU64::new(0),
            wall_bits: AtomicU64::new(wall.to_bits()),
        }
    }

    /// Move both clocks forward by `by`.
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.mono_nanos.fetch_add(nanos, Ordering::SeqCst);
        let wall = f64::from_bits(self.wall_bits.load(Ordering::SeqCst)) + by.as_secs_f64();
        self.wall_bits.store(wall.to_bits(), Ordering::SeqCst);
    }

    /// Set the wall clock alone (a jump that must not affect retention).
    pub fn set_wall(&self, wall: f64) {
        self.wall_bits.store(wall.to_bits(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn monotonic(&self) -> Duration {
        Duration::from_nanos(self.mono_nanos.load(Ordering::SeqCst))
    }

    fn wall(&self) -> f64 {
        f64::from_bits(self.wall_bits.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_derived_wall_time_tracks_the_real_one() {
        let c = SystemClock::new();
        for _ in 0..3 {
            let (_, derived) = c.now();
            let real = c.wall();
            assert!((real - derived).abs() < 0.05, "{real} vs {derived}");
        }
    }

    #[test]
    fn coarse_clock_is_monotonic_and_tracks_the_real_wall_time() {
        let c = CoarseClock::new();
        let precise = Instant::now();
        let mut last = c.monotonic();
        while precise.elapsed() < Duration::from_millis(30) {
            let (mono, wall) = c.now();
            assert!(mono >= last);
            assert!((c.wall() - wall).abs() < 0.05, "{wall}");
            last = mono;
        }
        // It moved with time, in ticks of at most a few milliseconds.
        assert!(last >= Duration::from_millis(20), "{last:?}");
    }

    #[test]
    fn manual_clock_wall_jumps_leave_monotonic_alone() {
        let c = ManualClock::new(1000.0);
        c.advance(Duration::from_secs(2));
        c.set_wall(5.0);
        assert_eq!(c.now(), (Duration::from_secs(2), 5.0));
    }
}
