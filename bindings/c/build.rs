//! Give the shared library its SONAME, `libpolc.so.MAJOR`, so programs linked with
//! `-lpolc` depend on the ABI major version and not on the unversioned development
//! link (`libpolc.so`).

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libpolc.so.{major}");
}
