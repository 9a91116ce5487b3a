//! Running the `xeplint` binary from the tests that drive it as users do.

use assert_cmd::Command;
use std::path::Path;

/// The binary, with `NO_COLOR` unset: colour is decided by the test (it is
/// off anyway, output not being a terminal).
pub fn xeplint() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xeplint"));
    c.env_remove("NO_COLOR");
    c
}

/// A finished run; its output is UTF-8.
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// `xeplint ARGS` from `dir`, with `stdin` (else nothing) as its input.
pub fn run(dir: &Path, args: &[&str], stdin: Option<Vec<u8>>) -> Run {
    let mut c = xeplint();
    c.current_dir(dir).args(args);
    if let Some(input) = stdin {
        c.write_stdin(input);
    }
    let out = c.output().expect("run xeplint");
    Run {
        stdout: String::from_utf8(out.stdout).expect("UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8"),
        code: out.status.code().unwrap_or(-1),
    }
}
