//! The committed header's version macros match Cargo.toml, and
//! `sioh_version()` agrees with both.

use std::ffi::CStr;

fn header() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../include/socketio_history.h");
    std::fs::read_to_string(path).expect("include/socketio_history.h is committed")
}

fn macro_value(header: &str, name: &str) -> String {
    let prefix = format!("#define {name} ");
    header
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("{name} is not defined in the header"))
        .trim()
        .trim_matches('"')
        .to_owned()
}

#[test]
fn version_macros_match_cargo_toml() {
    let h = header();
    assert_eq!(
        macro_value(&h, "SIOH_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MAJOR")
    );
    assert_eq!(
        macro_value(&h, "SIOH_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_MINOR")
    );
    assert_eq!(
        macro_value(&h, "SIOH_VERSION_PATCH"),
        env!("CARGO_PKG_VERSION_PATCH")
    );
    assert_eq!(
        macro_value(&h, "SIOH_VERSION_STRING"),
        env!("CARGO_PKG_VERSION")
    );
}

#[test]
fn sioh_version_is_the_crate_version() {
    // SAFETY: returns a static NUL-terminated string.
    let v = unsafe { CStr::from_ptr(socketio_history::sioh_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}
