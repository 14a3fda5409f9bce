//! The command-line interface: parse → resolve a context once → one handler per command →
//! render through [`output`]. Handlers return data; only [`output`] prints.

pub mod args;
pub mod docs;
pub mod error;
pub mod output;
pub mod repl;
pub mod types;
