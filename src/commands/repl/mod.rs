//! `bioflux repl`: load a model, change parameters, run, look, query cells.
//! On a terminal: line editing, history across sessions, tab completion.
//! Otherwise (`bioflux repl FILE < commands.txt`): each command is echoed
//! with its results, and the exit status says whether any failed.

mod complete;
mod help;
mod session;

use complete::Completion;
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{Config, Editor};
use session::Session;
use std::cell::RefCell;
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::Ordering;

/// `bioflux repl`: true when every command succeeded.
pub fn repl(file: Option<PathBuf>, plugin_path: Vec<PathBuf>) -> bool {
    let mut session = Session::new(plugin_path);
    // Ctrl-C during a run ends the run (its rows are kept); elsewhere
    // (no terminal, so no line editor to catch it) it ends the REPL.
    let (cancel, running) = (session.cancel.clone(), session.running.clone());
    let _ = ctrlc::set_handler(move || {
        if running.load(Ordering::SeqCst) {
            cancel.store(true, Ordering::SeqCst);
        } else {
            std::process::exit(130);
        }
    });
    let mut ok = true;
    if let Some(file) = &file {
        ok &= session.load(file).is_ok();
    }
    if std::io::stdin().is_terminal() {
        interactive(&mut session);
        ok
    } else {
        scripted(&mut session) && ok
    }
}

fn scripted(session: &mut Session) -> bool {
    let mut ok = true;
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        outln!("> {line}");
        let result = session.execute(&line);
        let _ = std::io::Write::flush(&mut std::io::stdout());
        match result {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => ok = false,
        }
    }
    ok
}

fn history_file() -> Option<PathBuf> {
    std::env::var_os("BIOFLUX_HISTORY")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".bioflux_history")))
}

fn interactive(session: &mut Session) {
    let names = Rc::new(RefCell::new(session.names()));
    let config = Config::builder().auto_add_history(true).max_history_size(10_000).map(|b| b.build());
    let editor: rustyline::Result<Editor<Completion, FileHistory>> = match config {
        Ok(config) => Editor::with_config(config),
        Err(e) => Err(e),
    };
    let mut editor = match editor {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot start the line editor ({e}); reading commands without it");
            scripted(session);
            return;
        }
    };
    editor.set_helper(Some(Completion { names: names.clone() }));
    let history = history_file();
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    outln!("bioflux {} — :help lists the commands, Ctrl-D leaves", env!("CARGO_PKG_VERSION"));
    loop {
        match editor.readline("bioflux> ") {
            Ok(line) => {
                if let Ok(false) = session.execute(&line) {
                    break;
                }
                *names.borrow_mut() = session.names();
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: {e}");
                break;
            }
        }
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
}
