//! Structural checks of the C boundary, read from the sources and the
//! committed header: every export's body is a panic boundary, every
//! function in the header is such an export, and every status in the header
//! has its own text.

use std::collections::BTreeSet;
use std::ffi::CStr;

fn sources() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.display().to_string(), text)
        })
        .collect();
    out.sort();
    out
}

fn header() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../include/socketio_history.h");
    std::fs::read_to_string(path).unwrap()
}

/// `(name, body)` of every `extern "C" fn` in `text`; `body` starts after
/// the opening brace.
fn exports(text: &str) -> Vec<(String, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("extern \"C\" fn ") {
        let after = &rest[i + "extern \"C\" fn ".len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        // The parameter list, then the first brace opens the body (no
        // signature here contains a brace).
        let open = after.find('(').unwrap();
        let mut depth = 0;
        let mut close = open;
        for (j, c) in after[open..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                close = open + j;
                break;
            }
        }
        let brace = close + after[close..].find('{').unwrap();
        out.push((name, &after[brace + 1..]));
        rest = &after[brace..];
    }
    out
}

/// The body with leading white space and `//` comment lines skipped.
fn first_code(body: &str) -> &str {
    let mut b = body.trim_start();
    while b.starts_with("//") {
        b = b.split_once('\n').map_or("", |(_, r)| r).trim_start();
    }
    b
}

#[test]
fn every_export_runs_inside_the_panic_boundary() {
    let mut names = BTreeSet::new();
    for (file, text) in sources() {
        for (name, body) in exports(&text) {
            assert!(
                first_code(body).starts_with("boundary!"),
                "{file}: {name} does not start with boundary!"
            );
            names.insert(name);
        }
    }
    // Every exported function of the header is one of them.
    let h = header();
    let declared: BTreeSet<String> = h
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("sioh_"))
        .filter(|w| h.contains(&format!("{w}(")))
        .map(str::to_owned)
        .collect();
    assert_eq!(declared, names, "header functions vs exports");
    assert!(names.len() >= 23, "found only {names:?}");
}

#[test]
fn every_status_in_the_header_has_its_own_text() {
    let h = header();
    let mut texts = BTreeSet::new();
    let mut count = 0;
    for line in h.lines().map(str::trim) {
        let Some(rest) = line.strip_prefix("SIOH_STATUS_") else {
            continue;
        };
        let Some((_, value)) = rest.split_once(" = ") else {
            continue;
        };
        let code: u32 = value.trim_end_matches(',').parse().unwrap();
        // SAFETY: returns a static NUL-terminated string.
        let text = unsafe { CStr::from_ptr(socketio_history::sioh_status_message(code)) };
        let text = text.to_str().unwrap().to_owned();
        assert_ne!(text, "unknown status code", "SIOH_STATUS_{rest}");
        texts.insert(text);
        count += 1;
    }
    assert_eq!(texts.len(), count, "each status has a text of its own");
    assert!(count >= 9);
    // SAFETY: as above.
    let unknown = unsafe { CStr::from_ptr(socketio_history::sioh_status_message(9999)) };
    assert_eq!(unknown.to_str().unwrap(), "unknown status code");
}
