//! The C header and the Rust definitions describe the same ABI: a C
//! program built against the header prints every size and offset, and
//! they must equal Rust's.

use bioflux_plugin::{
    ABI_VERSION, Description, ENTRY_SYMBOL, PluginTable, Port, Status, TOOL_FREE_SYMBOL, TOOL_SYMBOL,
};
use std::mem::{offset_of, size_of};
use std::path::PathBuf;
use std::process::Command;

const PROBE: &str = r#"
#include <stdio.h>
#include "bioflux_plugin.h"
#define F(T, f) printf(#T "." #f " %zu\n", offsetof(T, f))
int main(void) {
    printf("size.Port %zu\nsize.Description %zu\nsize.Table %zu\n",
           sizeof(BiofluxPort), sizeof(BiofluxDescription), sizeof(BiofluxPluginTable));
    F(BiofluxPort, name); F(BiofluxPort, unit);
    F(BiofluxDescription, n_inputs); F(BiofluxDescription, inputs);
    F(BiofluxDescription, n_outputs); F(BiofluxDescription, outputs);
    F(BiofluxPluginTable, abi_version); F(BiofluxPluginTable, name); F(BiofluxPluginTable, version);
    F(BiofluxPluginTable, create); F(BiofluxPluginTable, describe); F(BiofluxPluginTable, eval);
    F(BiofluxPluginTable, eval_batch); F(BiofluxPluginTable, jacobian);
    F(BiofluxPluginTable, last_error); F(BiofluxPluginTable, destroy);
    printf("abi %u\nentry %s\nok %d\nrelaxed %d\nerror %d\nstop %d\n", BIOFLUX_ABI_VERSION, BIOFLUX_ENTRY_SYMBOL,
           BIOFLUX_OK, BIOFLUX_RELAXED, BIOFLUX_ERROR, BIOFLUX_STOP);
    printf("tool %s\ntool_free %s\n", BIOFLUX_TOOL_SYMBOL, BIOFLUX_TOOL_FREE_SYMBOL);
    BiofluxToolFn tool = 0; BiofluxToolFreeFn tool_free = 0; (void)tool; (void)tool_free;
    return 0;
}
"#;

#[test]
fn c_header_matches_the_rust_abi() {
    let include = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("include");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("header-probe");
    std::fs::create_dir_all(&dir).unwrap();
    let (src, exe) = (dir.join("probe.c"), dir.join("probe"));
    std::fs::write(&src, PROBE).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
        .args(["-std=c99", "-Wall", "-Werror", "-I"])
        .arg(&include)
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .status()
        .unwrap_or_else(|e| panic!("the C compiler `{cc}` is needed for this test: {e}"));
    assert!(status.success(), "the header does not compile");
    let out = String::from_utf8(Command::new(&exe).output().unwrap().stdout).unwrap();

    let expected = [
        ("size.Port", size_of::<Port>().to_string()),
        ("size.Description", size_of::<Description>().to_string()),
        ("size.Table", size_of::<PluginTable>().to_string()),
        ("BiofluxPort.name", offset_of!(Port, name).to_string()),
        ("BiofluxPort.unit", offset_of!(Port, unit).to_string()),
        ("BiofluxDescription.n_inputs", offset_of!(Description, n_inputs).to_string()),
        ("BiofluxDescription.inputs", offset_of!(Description, inputs).to_string()),
        ("BiofluxDescription.n_outputs", offset_of!(Description, n_outputs).to_string()),
        ("BiofluxDescription.outputs", offset_of!(Description, outputs).to_string()),
        ("BiofluxPluginTable.abi_version", offset_of!(PluginTable, abi_version).to_string()),
        ("BiofluxPluginTable.name", offset_of!(PluginTable, name).to_string()),
        ("BiofluxPluginTable.version", offset_of!(PluginTable, version).to_string()),
        ("BiofluxPluginTable.create", offset_of!(PluginTable, create).to_string()),
        ("BiofluxPluginTable.describe", offset_of!(PluginTable, describe).to_string()),
        ("BiofluxPluginTable.eval", offset_of!(PluginTable, eval).to_string()),
        ("BiofluxPluginTable.eval_batch", offset_of!(PluginTable, eval_batch).to_string()),
        ("BiofluxPluginTable.jacobian", offset_of!(PluginTable, jacobian).to_string()),
        ("BiofluxPluginTable.last_error", offset_of!(PluginTable, last_error).to_string()),
        ("BiofluxPluginTable.destroy", offset_of!(PluginTable, destroy).to_string()),
        ("abi", ABI_VERSION.to_string()),
        ("entry", ENTRY_SYMBOL.to_string()),
        ("ok", (Status::Ok as i32).to_string()),
        ("relaxed", (Status::Relaxed as i32).to_string()),
        ("error", (Status::Error as i32).to_string()),
        ("stop", (Status::Stop as i32).to_string()),
        ("tool", TOOL_SYMBOL.to_string()),
        ("tool_free", TOOL_FREE_SYMBOL.to_string()),
    ];
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), expected.len(), "{out}");
    for (line, (key, value)) in lines.iter().zip(expected) {
        assert_eq!(*line, format!("{key} {value}"), "C and Rust disagree");
    }
}
