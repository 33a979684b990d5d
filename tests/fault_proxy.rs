//! A proxy in front of an [`Emulator`](crate::Emulator) that answers `503 Slow Down` when told
//! to (`tests/emulators/fault_proxy.py`): a throttled bucket or an overloaded storage account,
//! for tests of retries and of how a storm of them ends.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::emulators::free_port;
use crate::{python, workspace_root};

/// A running proxy; dropping it stops it.
pub struct FaultProxy {
    port: u16,
    child: Child,
}

impl FaultProxy {
    /// Starts a proxy to `target` (an emulator's `endpoint()`), forwarding everything.
    pub fn start(target: &str) -> FaultProxy {
        let port = free_port();
        let child = python()
            .arg(workspace_root().join("tests/emulators/fault_proxy.py"))
            .arg(port.to_string())
            .arg(target)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("start the fault proxy");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the fault proxy did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        FaultProxy { port, child }
    }

    /// The proxy's base URL, to put where the emulator's endpoint was.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Fails the next `count` requests with 503; returns how many it failed so far.
    pub fn fail_next(&self, count: u32) -> u64 {
        self.control(&format!("fail?count={count}"))
    }

    /// Fails every request from now on, until [`Self::heal`].
    pub fn fail_always(&self) -> u64 {
        self.control("fail?count=-1")
    }

    /// Forwards every request again; returns how many it failed.
    pub fn heal(&self) -> u64 {
        self.control("heal")
    }

    fn control(&self, what: &str) -> u64 {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("reach the proxy");
        write!(
            stream,
            "POST /_faults/{what} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .expect("ask the proxy");
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .expect("the proxy's answer");
        answer
            .rsplit("\r\n\r\n")
            .next()
            .and_then(|body| body.trim().parse().ok())
            .unwrap_or_else(|| panic!("the proxy answered {answer:?}"))
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
