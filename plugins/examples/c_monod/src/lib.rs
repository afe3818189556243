//! An example cell-model plugin written in C (`src/monod.c`): everything,
//! the table included, is C. A Rust cdylib only exports the symbols Rust
//! defines, so this one line re-exports the C entry point under the ABI's
//! name.

#[repr(C)]
pub struct CTable {
    _private: [u8; 0],
}

unsafe extern "C" {
    fn bioflux_c_monod_table() -> *const CTable;
}

#[unsafe(no_mangle)]
pub extern "C" fn bioflux_plugin_v1() -> *const CTable {
    // SAFETY: the C function returns the address of a static table.
    unsafe { bioflux_c_monod_table() }
}
