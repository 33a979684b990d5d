//! A real terminal for the interactive shell: a private tmux server runs `lakeshore` in a
//! pseudo-terminal; tests type into it and read its screen.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long a test waits for the screen to show what it expects.
const PATIENCE: Duration = Duration::from_secs(60);

pub struct Terminal {
    /// Holds the tmux socket; removed with the terminal.
    dir: TempDir,
}

impl Terminal {
    /// Starts `lakeshore args` in a terminal 120 columns wide, with its history in `history`
    /// and nothing from the test's environment that would change what it does.
    pub fn start(args: &[&str], history: &Path) -> Self {
        Self::start_with_env(args, history, &[])
    }

    pub fn start_with_env(args: &[&str], history: &Path, env: &[(&str, &str)]) -> Self {
        let terminal = Terminal {
            dir: tempfile::tempdir().expect("a folder for the tmux socket"),
        };
        let mut program = vec![
            "env".to_string(),
            "-u".to_string(),
            "LAKESHORE_LAKE".to_string(),
            "-u".to_string(),
            "RUST_LOG".to_string(),
            format!("LAKESHORE_HISTORY={}", history.display()),
        ];
        program.extend(env.iter().map(|(name, value)| format!("{name}={value}")));
        program.push(env!("CARGO_BIN_EXE_lakeshore").to_string());
        program.extend(args.iter().map(|arg| arg.to_string()));
        let mut tmux_args = vec![
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "50",
            "-s",
            "shell",
            "--",
        ];
        tmux_args.extend(program.iter().map(String::as_str));
        terminal.tmux(&tmux_args);
        // Keep the pane after lakeshore exits, so its last words can still be read.
        terminal.tmux(&["set-option", "-t", "shell", "remain-on-exit", "on"]);
        terminal
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("tmux.sock")
    }

    fn tmux(&self, args: &[&str]) -> Output {
        let output = Command::new("tmux")
            .arg("-S")
            .arg(self.socket())
            .args(args)
            .output()
            .expect("run tmux");
        assert!(
            output.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Types `text` as it is (each byte sent as a key press).
    pub fn type_text(&self, text: &str) {
        let bytes: Vec<String> = text.bytes().map(|byte| format!("{byte:02x}")).collect();
        let mut args = vec!["send-keys", "-t", "shell", "-H"];
        args.extend(bytes.iter().map(String::as_str));
        self.tmux(&args);
    }

    /// Presses keys by their tmux names: `Enter`, `Tab`, `C-c`, `C-d`, `Up`.
    pub fn press(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "shell"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Types `line` and presses Enter.
    pub fn enter(&self, line: &str) {
        self.type_text(line);
        self.press(&["Enter"]);
    }

    /// Everything the terminal shows, scrolled-off lines included, without trailing blanks.
    pub fn screen(&self) -> String {
        let output = self.tmux(&["capture-pane", "-p", "-J", "-t", "shell", "-S", "-"]);
        let text = String::from_utf8_lossy(&output.stdout);
        let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        lines.join("\n").trim_end().to_string()
    }

    /// Waits until the screen satisfies `ready`, and returns it; fails the test with the
    /// screen after a minute.
    #[track_caller]
    pub fn wait_until(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {what}; the screen shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the screen shows `text` at least `count` times in all.
    #[track_caller]
    pub fn wait_for_count(&self, text: &str, count: usize) -> String {
        self.wait_until(&format!("{count} × {text:?}"), |screen| {
            screen.matches(text).count() >= count
        })
    }

    /// Waits until the screen shows `text`.
    #[track_caller]
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_for_count(text, 1)
    }

    /// Waits for a fresh prompt: the `n`-th `lakeshore> ` on the screen.
    #[track_caller]
    pub fn wait_for_prompt(&self, n: usize) -> String {
        self.wait_for_count("lakeshore> ", n)
    }

    /// Whether lakeshore has exited (its pane is dead).
    pub fn exited(&self) -> bool {
        let output = self.tmux(&["display-message", "-p", "-t", "shell", "#{pane_dead}"]);
        String::from_utf8_lossy(&output.stdout).trim() == "1"
    }

    /// Waits until lakeshore has exited.
    #[track_caller]
    pub fn wait_for_exit(&self) {
        let deadline = Instant::now() + PATIENCE;
        while !self.exited() {
            assert!(
                Instant::now() < deadline,
                "lakeshore did not exit; the screen shows:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        // Ends lakeshore too; the socket goes with the folder.
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(self.socket())
            .arg("kill-server")
            .output();
    }
}
