//! Who may change a message: grants with room patterns, and the owner check.
//!
//! A call without an actor is the server's own and is allowed. With an
//! actor, an `_any` grant whose pattern matches the room allows the
//! operation; otherwise an `_own` grant that matches allows it only when the
//! actor is the message's owner (compared in constant time; both must be
//! set); otherwise it is refused.

use crate::error::{HistoryError, Result};
use subtle::ConstantTimeEq;

/// One kind of grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GrantKind {
    /// Update any message of matching rooms.
    UpdateAny,
    /// Update one's own messages of matching rooms.
    UpdateOwn,
    /// Delete any message of matching rooms.
    DeleteAny,
    /// Delete one's own messages of matching rooms.
    DeleteOwn,
    /// Append to any message of matching rooms.
    AppendAny,
    /// Append to one's own messages of matching rooms.
    AppendOwn,
}

impl GrantKind {
    /// Every kind, in the order of their names' table.
    pub const ALL: [GrantKind; 6] = [
        GrantKind::UpdateAny,
        GrantKind::UpdateOwn,
        GrantKind::DeleteAny,
        GrantKind::DeleteOwn,
        GrantKind::AppendAny,
        GrantKind::AppendOwn,
    ];

    /// The kind's name, e.g. `"message_update_own"`.
    pub fn name(self) -> &'static str {
        match self {
            GrantKind::UpdateAny => "message_update_any",
            GrantKind::UpdateOwn => "message_update_own",
            GrantKind::DeleteAny => "message_delete_any",
            GrantKind::DeleteOwn => "message_delete_own",
            GrantKind::AppendAny => "message_append_any",
            GrantKind::AppendOwn => "message_append_own",
        }
    }

    /// The kind a name spells, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The operations grants govern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    Update,
    Delete,
    Append,
}

impl Verb {
    fn kinds(self) -> (GrantKind, GrantKind) {
        match self {
            Verb::Update => (GrantKind::UpdateAny, GrantKind::UpdateOwn),
            Verb::Delete => (GrantKind::DeleteAny, GrantKind::DeleteOwn),
            Verb::Append => (GrantKind::AppendAny, GrantKind::AppendOwn),
        }
    }
}

/// Longest room pattern, actor or owner in bytes.
pub const MAX_NAME_LEN: usize = 1024;

/// What an actor is allowed: for each [`GrantKind`], room patterns in which
/// `*` matches any run of characters (empty included).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    patterns: [Vec<Box<str>>; 6],
}

impl Grants {
    /// No grants: an actor may do nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Allow `kind` in the rooms `pattern` matches.
    pub fn allow(&mut self, kind: GrantKind, pattern: &str) -> Result<&mut Self> {
        if pattern.len() > MAX_NAME_LEN {
            return Err(HistoryError::invalid(
                "grants",
                format!("a room pattern must be at most {MAX_NAME_LEN} bytes"),
            ));
        }
        self.patterns[kind.index()].push(pattern.into());
        Ok(self)
    }

    /// Allow the kind named `kind` (e.g. `"message_update_own"`).
    pub fn allow_named(&mut self, kind: &str, pattern: &str) -> Result<&mut Self> {
        let k = GrantKind::parse(kind).ok_or_else(|| {
            let names: Vec<&str> = GrantKind::ALL.iter().map(|k| k.name()).collect();
            HistoryError::invalid(
                "grants",
                format!("unknown grant {kind:?} (known: {})", names.join(", ")),
            )
        })?;
        self.allow(k, pattern)
    }

    fn matches(&self, kind: GrantKind, room: &str) -> bool {
        self.patterns[kind.index()]
            .iter()
            .any(|p| glob(p.as_bytes(), room.as_bytes()))
    }
}

/// Who is acting: nobody (the server itself) or an actor with grants.
#[derive(Debug, Clone, Copy, Default)]
pub struct Auth<'a> {
    actor: Option<&'a str>,
    grants: Option<&'a Grants>,
}

impl<'a> Auth<'a> {
    /// The server's own call: always allowed.
    pub fn server() -> Self {
        Auth::default()
    }

    /// A call on behalf of `actor` (taken from the server's session, never
    /// from a client payload), allowed by `grants`.
    pub fn actor(actor: &'a str, grants: &'a Grants) -> Result<Self> {
        check_name("actor", actor)?;
        Ok(Auth {
            actor: Some(actor),
            grants: Some(grants),
        })
    }

    /// Whether this caller may apply `verb` to a message of `room` owned by
    /// `owner`.
    pub(crate) fn check(&self, verb: Verb, room: &str, owner: Option<&str>) -> Result<()> {
        let Some(actor) = self.actor else {
            return Ok(());
        };
        let no_grants = Grants::new();
        let grants = self.grants.unwrap_or(&no_grants);
        let (any, own) = verb.kinds();
        if grants.matches(any, room) {
            return Ok(());
        }
        if grants.matches(own, room) {
            return match owner {
                Some(owner) if bool::from(actor.as_bytes().ct_eq(owner.as_bytes())) => Ok(()),
                Some(_) => Err(HistoryError::Forbidden(format!(
                    "{} allows only the message's owner",
                    own.name()
                ))),
                None => Err(HistoryError::Forbidden(format!(
                    "{} needs a message with an owner; this one has none",
                    own.name()
                ))),
            };
        }
        Err(HistoryError::Forbidden(format!(
            "no grant allows {} or {} in this room",
            any.name(),
            own.name()
        )))
    }
}

/// An actor's or owner's name: 1 to [`MAX_NAME_LEN`] bytes.
pub(crate) fn check_name(param: &'static str, name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(HistoryError::invalid(
            param,
            format!("must be 1 to {MAX_NAME_LEN} bytes long, got {}", name.len()),
        ));
    }
    Ok(())
}

/// `*` matches any run of bytes; everything else matches itself. Linear
/// time: a later `*` only ever moves the restart point forward.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut restart: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            restart = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = restart {
            p = sp + 1;
            t = st + 1;
            restart = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        for (p, t, want) in [
            ("*", "", true),
            ("*", "room", true),
            ("room", "room", true),
            ("room", "rooms", false),
            ("chat:*", "chat:42", true),
            ("chat:*", "chat:", true),
            ("chat:*", "chats", false),
            ("*:admin", "x:admin", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbY", false),
            ("a**", "a", true),
            ("", "", true),
            ("", "x", false),
        ] {
            assert_eq!(glob(p.as_bytes(), t.as_bytes()), want, "{p:?} vs {t:?}");
        }
    }

    #[test]
    fn the_authorization_matrix() {
        let mut g = Grants::new();
        g.allow(GrantKind::UpdateAny, "mod:*").unwrap();
        g.allow(GrantKind::UpdateOwn, "*").unwrap();
        let alice = Auth::actor("alice", &g).unwrap();
        // The server itself.
        assert!(Auth::server().check(Verb::Delete, "r", None).is_ok());
        // _any first, whoever owns it.
        assert!(alice.check(Verb::Update, "mod:1", Some("bob")).is_ok());
        assert!(alice.check(Verb::Update, "mod:1", None).is_ok());
        // _own: owner match, mismatch, no owner.
        assert!(alice.check(Verb::Update, "r", Some("alice")).is_ok());
        let e = alice.check(Verb::Update, "r", Some("bob")).unwrap_err();
        assert!(matches!(e, HistoryError::Forbidden(_)));
        assert!(alice.check(Verb::Update, "r", Some("alicex")).is_err());
        assert!(alice.check(Verb::Update, "r", None).is_err());
        // No grant for the verb.
        assert!(alice.check(Verb::Delete, "r", Some("alice")).is_err());
        assert!(alice.check(Verb::Append, "mod:1", Some("alice")).is_err());
        // An actor with no grants may do nothing.
        let none = Grants::new();
        let eve = Auth::actor("eve", &none).unwrap();
        assert!(eve.check(Verb::Update, "r", Some("eve")).is_err());
        assert!(Auth::actor("", &none).is_err());
    }

    #[test]
    fn grant_names() {
        for k in GrantKind::ALL {
            assert_eq!(GrantKind::parse(k.name()), Some(k));
        }
        let mut g = Grants::new();
        assert_eq!(
            g.allow_named("message_edit_any", "*").unwrap_err().param(),
            Some("grants")
        );
    }
}
