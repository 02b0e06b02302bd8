//! The clocks a Python ``HistoryStore`` can be given: ``ManualClock`` for
//! tests, ``CoarseClock`` for high record rates.

use crate::args;
use pyo3::prelude::*;
use socketio_history_core as core;
use std::sync::Arc;
use std::time::Duration;

/// A clock that moves only when told to, for tests: pass it as
/// ``HistoryStore(clock=...)`` and call :meth:`advance` instead of sleeping.
#[pyclass(module = "socketio_history._native", frozen)]
pub struct ManualClock {
    inner: Arc<core::ManualClock>,
}

/// The system's coarse monotonic clock, for stores that record at high
/// rates: a clock read costs a few nanoseconds instead of tens, for
/// timestamps (and age-based retention) in steps of the kernel's tick, 1 to
/// 4 ms on Linux. Pass it as ``HistoryStore(clock=CoarseClock())``.
#[pyclass(module = "socketio_history._native", frozen)]
pub struct CoarseClock;

#[pymethods]
impl CoarseClock {
    #[new]
    fn new() -> Self {
        CoarseClock
    }

    fn __repr__(&self) -> &'static str {
        "CoarseClock()"
    }
}

#[pymethods]
impl ManualClock {
    #[new]
    #[pyo3(signature = (wall=1_700_000_000.0))]
    fn new(wall: f64) -> Self {
        ManualClock {
            inner: Arc::new(core::ManualClock::new(wall)),
        }
    }

    /// Move monotonic and wall time forward by ``seconds`` (≥ 0).
    fn advance(&self, seconds: &Bound<'_, PyAny>) -> PyResult<()> {
        let s = args::seconds("seconds", Some(seconds))?.unwrap_or(0.0);
        let d = Duration::try_from_secs_f64(s).map_err(|_| {
            pyo3::exceptions::PyValueError::new_err(format!(
                "seconds must be a finite number >= 0, got {s}"
            ))
        })?;
        self.inner.advance(d);
        Ok(())
    }

    /// Set the wall clock alone (retention does not notice).
    fn set_wall(&self, wall: f64) {
        self.inner.set_wall(wall);
    }
}

/// The core clock of a ``clock=`` argument (``None``: the system's).
pub fn of(clock: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Arc<dyn core::Clock>>> {
    let Some(c) = clock.filter(|c| !c.is_none()) else {
        return Ok(None);
    };
    if c.is_instance_of::<CoarseClock>() {
        return Ok(Some(Arc::new(core::CoarseClock::new())));
    }
    let c = c
        .cast::<ManualClock>()
        .map_err(|_| args::type_error("clock", "a ManualClock, a CoarseClock or None", c))?;
    Ok(Some(c.get().inner.clone()))
}
