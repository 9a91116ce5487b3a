//! End to end in a real editor: Neovim, headless, configured as
//! docs/integrations.md says, drives `xeplint server` with
//! `editors/nvim/e2e.lua` on a copy of a corpus XEP whose stylesheet
//! was damaged: diagnostics arrive, hover on an entity, jump to its
//! definition in xep.ent, apply a quick fix.

use crate::common;

use std::path::PathBuf;

#[test]
fn neovim_shows_hovers_jumps_and_fixes() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("../shared/corpus");
    if !corpus.join("xep-0001.xml").is_file() {
        return common::missing("../shared/corpus");
    }
    let nvim_found = std::process::Command::new("nvim")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !nvim_found {
        return common::missing("nvim (the Debian package neovim)");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join(".git")).expect("mkdir");
    for f in ["xep.dtd", "xep.ent"] {
        std::fs::copy(corpus.join(f), dir.path().join(f)).expect("copy");
    }
    let text = std::fs::read_to_string(corpus.join("xep-0001.xml")).expect("read");
    let damaged = text.replacen("href='xep.xsl'", "href='xep.xls'", 1);
    assert_ne!(damaged, text, "the stylesheet PI is where it was");
    let doc = dir.path().join("xep-0001.xml");
    std::fs::write(&doc, damaged).expect("write");
    // The configuration of docs/integrations.md, as written.
    let docs = std::fs::read_to_string(root.join("docs/integrations.md")).expect("docs");
    let init = docs
        .split("```lua\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/integrations.md has a ```lua block");
    let init_path = dir.path().join("init.lua");
    std::fs::write(&init_path, init).expect("write");
    let bin = assert_cmd::cargo::cargo_bin("xeplint");
    let path = std::env::join_paths(
        std::iter::once(bin.parent().expect("folder").to_path_buf()).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .expect("PATH");
    let result = dir.path().join("result.txt");
    let out = std::process::Command::new("nvim")
        .args(["--headless", "-i", "NONE", "-u"])
        .arg(&init_path)
        .arg("-c")
        .arg(format!(
            "luafile {}",
            root.join("editors/nvim/e2e.lua").display()
        ))
        .current_dir(dir.path())
        .env("PATH", path)
        .env("XDG_CONFIG_HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .env("XEP", &doc)
        .env("RESULT", &result)
        .env("XDG_STATE_HOME", dir.path())
        .env("XDG_CACHE_HOME", dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("nvim runs");
    let said = std::fs::read_to_string(&result).unwrap_or_else(|_| {
        format!(
            "no result: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    eprintln!("{said}");
    assert!(said.starts_with("ok\n"), "{said}");
}
