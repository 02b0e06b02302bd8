//! Delivery metadata: who an emit was addressed to, so that a replay to one
//! client re-applies it. Buffering without it would send targeted events to
//! the wrong clients.

/// The rooms an emit targeted (none: every client of the namespace) and the
/// clients it excluded. A client is a room of its own (its sid), so one
/// check covers `to=sid` and `skip_sid` as well as rooms.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Delivery {
    rooms: Option<Box<[Box<str>]>>,
    except: Box<[Box<str>]>,
}

impl Delivery {
    /// An emit to `rooms` (`None`: the whole namespace), excluding the
    /// clients or rooms in `except`.
    pub fn new<R, E>(rooms: Option<R>, except: E) -> Self
    where
        R: IntoIterator,
        R::Item: AsRef<str>,
        E: IntoIterator,
        E::Item: AsRef<str>,
    {
        let boxed = |it: &mut dyn Iterator<Item = Box<str>>| it.collect::<Box<[Box<str>]>>();
        Delivery {
            rooms: rooms.map(|r| boxed(&mut r.into_iter().map(|s| s.as_ref().into()))),
            except: boxed(&mut except.into_iter().map(|s| s.as_ref().into())),
        }
    }

    /// The rooms targeted, or `None` for the whole namespace.
    pub fn rooms(&self) -> Option<&[Box<str>]> {
        self.rooms.as_deref()
    }

    /// The clients (or rooms) excluded.
    pub fn except(&self) -> &[Box<str>] {
        &self.except
    }

    /// Whether a client that is in `member_of` (its rooms, its own sid among
    /// them) was addressed: a targeted room (or no target) and no exclusion.
    pub fn reaches<S: AsRef<str>>(&self, member_of: &[S]) -> bool {
        let is_member = |r: &str| member_of.iter().any(|m| m.as_ref() == r);
        self.rooms
            .as_ref()
            .is_none_or(|rooms| rooms.iter().any(|r| is_member(r)))
            && !self.except.iter().any(|e| is_member(e))
    }

    /// What it is charged against a store's budget, on top of its entry's
    /// [`budget_cost`](crate::HistoryStore::budget_cost) (nothing when it
    /// addresses everyone: then it is not kept).
    pub fn budget_cost(&self) -> usize {
        if self.is_everyone() {
            0
        } else {
            self.cost()
        }
    }

    /// Bytes it holds.
    pub(crate) fn cost(&self) -> usize {
        let strings = |v: &[Box<str>]| v.iter().map(|s| s.len() + 16).sum::<usize>();
        std::mem::size_of::<Self>()
            + self.rooms.as_deref().map_or(0, strings)
            + strings(&self.except)
    }

    /// Whether it addresses every client: nothing to keep.
    pub(crate) fn is_everyone(&self) -> bool {
        self.rooms.is_none() && self.except.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: [&str; 0] = [];

    #[test]
    fn targets_and_exclusions() {
        let to_a = Delivery::new(Some(["a"]), NONE);
        assert!(to_a.reaches(&["sid1", "a"]));
        assert!(!to_a.reaches(&["sid1", "b"]));
        let everyone_but = Delivery::new(None::<[&str; 0]>, ["sid1"]);
        assert!(!everyone_but.reaches(&["sid1", "a"]));
        assert!(everyone_but.reaches(&["sid2"]));
        let to_sid = Delivery::new(Some(["sid2"]), NONE);
        assert!(to_sid.reaches(&["sid2", "x"]));
        assert!(!to_sid.reaches(&["sid1", "x"]));
        // An exclusion wins over a target.
        let both = Delivery::new(Some(["a", "b"]), ["b"]);
        assert!(both.reaches(&["a"]));
        assert!(!both.reaches(&["a", "b"]));
        assert!(Delivery::default().is_everyone());
        assert!(!to_a.is_everyone());
    }
}
