//! Gives the shared library a SONAME on Linux, so programs link against a
//! versioned name: until 1.0 a minor version may change the ABI, so the
//! SONAME carries major.minor (libsocketio_history.so.0.2). Only a linker
//! flag; nothing is written into the source tree.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_default();
        let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_default();
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libsocketio_history.so.{major}.{minor}");
    }
}
