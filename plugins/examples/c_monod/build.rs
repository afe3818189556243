// Compiles the plugin's C source against the ABI header.
fn main() {
    println!("cargo:rerun-if-changed=src/monod.c");
    println!("cargo:rerun-if-changed=../../abi/include/bioflux_plugin.h");
    cc::Build::new()
        .file("src/monod.c")
        .include("../../abi/include")
        .flag_if_supported("-std=c99")
        .warnings_into_errors(true)
        .compile("bioflux_c_monod");
}
