//! `bioflux lsp`: a language server for `.bio` files over stdio (the
//! `lsp-server` and `lsp-types` crates; synchronous, no async runtime).
//!
//! Every change is analysed at once (`analysis`: the statements that parse,
//! the checker's diagnostics and expression types, the cells' plugins
//! through `bioflux_api::CellCatalog`, which keeps a model file's reactions
//! while the file is unchanged); requests are answered from that analysis:
//! `hover`, `navigation` (definition, references, rename), `completion`,
//! `outline` (document symbols), `semantic` (tokens by what a name is) and
//! formatting (`bioflux fmt`'s).
//! Positions are UTF-16 as the protocol counts them (`text`).

mod analysis;
pub mod client;
mod completion;
mod hover;
mod navigation;
mod outline;
mod semantic;
mod server;
mod symbols;
mod text;
mod transport;
mod words;

pub use server::{Options, capabilities, file_path, serve};
pub use text::LineIndex;

/// Serves the editor on standard input and output until it exits.
pub fn run_stdio(options: &Options) -> Result<(), String> {
    let (connection, threads) = transport::stdio();
    let outcome = serve(connection, options);
    threads.join();
    outcome
}
