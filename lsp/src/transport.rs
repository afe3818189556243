//! The connection over standard input and output. Unlike lsp-server's own,
//! a message that is not valid JSON-RPC is logged and skipped instead of
//! ending the session: the server never dies of its client's bytes.

use crossbeam_channel::{Receiver, Sender, unbounded};
use lsp_server::{Connection, Message};
use std::io::{BufReader, ErrorKind, Write};
use std::thread::JoinHandle;

/// The reader and writer threads; join them after the main loop ends.
pub struct IoThreads {
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

impl IoThreads {
    /// Waits for the writer to flush the last replies. The reader ends
    /// with standard input (or the `exit` notification).
    pub fn join(self) {
        let _ = self.writer.join();
        drop(self.reader);
    }
}

/// A connection on stdin/stdout.
pub fn stdio() -> (Connection, IoThreads) {
    let (to_server, receiver): (Sender<Message>, Receiver<Message>) = unbounded();
    let (sender, from_server): (Sender<Message>, Receiver<Message>) = unbounded();
    let reader = std::thread::spawn(move || {
        let mut stdin = BufReader::new(std::io::stdin().lock());
        loop {
            match Message::read(&mut stdin) {
                Ok(Some(message)) => {
                    let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
                    if to_server.send(message).is_err() || exit {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) if e.kind() == ErrorKind::InvalidData => {
                    eprintln!("bioflux lsp: skipped a malformed message: {e}");
                }
                Err(e) => {
                    eprintln!("bioflux lsp: cannot read from the client: {e}");
                    break;
                }
            }
        }
    });
    let writer = std::thread::spawn(move || {
        let mut stdout = std::io::stdout().lock();
        for message in from_server {
            if message.write(&mut stdout).and_then(|()| stdout.flush()).is_err() {
                break;
            }
        }
    });
    (Connection { sender, receiver }, IoThreads { reader, writer })
}
