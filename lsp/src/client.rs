//! A minimal client that drives a language server process over stdio: what
//! the integration tests and the latency benchmark talk to `bioflux lsp`
//! with, as an editor would.

use crossbeam_channel::{Receiver, RecvTimeoutError, unbounded};
use lsp_server::{Message, Notification, Request, RequestId, ResponseError};
use serde_json::{Value, json};
use std::io::{BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long a reply may take before the client gives up.
const TIMEOUT: Duration = Duration::from_secs(120);

/// A server process and what it sent that nobody has read yet.
pub struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    messages: Receiver<Message>,
    next_id: i32,
    /// Notifications received while waiting for something else.
    pub notifications: Vec<Notification>,
}

/// Why a request had no result.
#[derive(Debug)]
pub enum ClientError {
    /// The server answered with an error.
    Response(ResponseError),
    /// No answer in time, or the server is gone.
    NoAnswer(String),
}

impl Client {
    /// Starts `command` as a server on pipes.
    pub fn spawn(mut command: Command) -> std::io::Result<Client> {
        let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
        let stdout = child.stdout.take().expect("piped");
        let (send, messages) = unbounded();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Ok(Some(m)) = Message::read(&mut reader) {
                if send.send(m).is_err() {
                    break;
                }
            }
        });
        Ok(Client { stdin: child.stdin.take(), child, messages, next_id: 0, notifications: Vec::new() })
    }

    /// Sends bytes as they are (for malformed input).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        if let Some(stdin) = &mut self.stdin {
            let _ = stdin.write_all(bytes).and_then(|()| stdin.flush());
        }
    }

    fn send(&mut self, message: Message) {
        if let Some(stdin) = &mut self.stdin {
            let _ = message.write(stdin).and_then(|()| stdin.flush());
        }
    }

    /// `initialize` and `initialized`; the server's capabilities.
    pub fn initialize(&mut self, initialization_options: Value) -> Result<Value, ClientError> {
        let caps = json!({ "processId": null, "rootUri": null, "capabilities": {},
                           "initializationOptions": initialization_options });
        let reply = self.request("initialize", caps)?;
        self.notify("initialized", json!({}));
        Ok(reply)
    }

    /// A request and its result.
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, ClientError> {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.send(Request::new(id.clone(), method.into(), params).into());
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.next_message(deadline)? {
                Message::Response(r) if r.id == id => {
                    return r.response_result.map_err(ClientError::Response);
                }
                Message::Notification(n) => self.notifications.push(n),
                _ => {}
            }
        }
    }

    /// A notification.
    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(Notification::new(method.into(), params).into());
    }

    /// The diagnostics published for `uri` at `version`, waiting for them.
    pub fn diagnostics(&mut self, uri: &str, version: i32) -> Result<Vec<Value>, ClientError> {
        let deadline = Instant::now() + TIMEOUT;
        let is_it = |n: &Notification| {
            n.method == "textDocument/publishDiagnostics"
                && n.params["uri"] == uri
                && n.params["version"].as_i64() == Some(version as i64)
        };
        if let Some(i) = self.notifications.iter().position(is_it) {
            let n = self.notifications.remove(i);
            return Ok(n.params["diagnostics"].as_array().cloned().unwrap_or_default());
        }
        loop {
            if let Message::Notification(n) = self.next_message(deadline)? {
                if is_it(&n) {
                    return Ok(n.params["diagnostics"].as_array().cloned().unwrap_or_default());
                }
                self.notifications.push(n);
            }
        }
    }

    fn next_message(&mut self, deadline: Instant) -> Result<Message, ClientError> {
        let left = deadline.saturating_duration_since(Instant::now());
        self.messages.recv_timeout(left).map_err(|e| match e {
            RecvTimeoutError::Timeout => ClientError::NoAnswer("no answer in time".into()),
            RecvTimeoutError::Disconnected => ClientError::NoAnswer("the server has gone".into()),
        })
    }

    /// Whether the server process still runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `shutdown` and `exit`; the server's exit status.
    pub fn shutdown(mut self) -> Result<ExitStatus, ClientError> {
        self.request("shutdown", Value::Null)?;
        self.notify("exit", Value::Null);
        self.stdin.take();
        self.child.wait().map_err(|e| ClientError::NoAnswer(e.to_string()))
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if self.is_running() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
