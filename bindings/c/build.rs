//! Give the shared library its SONAME, `libpolc.so.ABI`, with `ABI` the C ABI major
//! version (`POLC_ABI_VERSION` in src/lib.rs), so programs linked with `-lpolc` depend on
//! the ABI and not on the unversioned development link (`libpolc.so`).

fn main() {
    println!("cargo:rerun-if-changed=src/lib.rs");
    let lib = std::fs::read_to_string("src/lib.rs").unwrap_or_default();
    let abi = lib
        .lines()
        .find_map(|l| l.strip_prefix("pub const POLC_ABI_VERSION: u32 = "))
        .and_then(|rest| rest.strip_suffix(';'))
        .and_then(|n| n.parse::<u32>().ok());
    let Some(abi) = abi else {
        println!("cargo:warning=no `pub const POLC_ABI_VERSION: u32 = N;` in src/lib.rs");
        std::process::exit(1);
    };
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libpolc.so.{abi}");
}
