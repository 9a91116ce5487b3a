//! xeplint's XML layer alone: read every `*.xml` below the given paths and
//! parse it as `xeplint check` does (through the gate; tree, entities from
//! `xep.ent`, the DOCTYPE's DTD loaded once), in parallel, in one process;
//! no validation and no XEP rules. Between the quick-xml floor and the whole
//! check.

use rayon::prelude::*;
use xeplint::check::{Options, Session};
use xeplint::walk::collect_inputs;

fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    let (inputs, errors) = collect_inputs(&paths);
    let session = Session::new(Options::default());
    let counts: Vec<(usize, usize)> = inputs
        .par_iter()
        .map(|i| match session.parse(i) {
            Ok(p) => (p.tree.nodes.len(), p.diagnostics.len()),
            Err(_) => (0, 0),
        })
        .collect();
    let nodes: usize = counts.iter().map(|c| c.0).sum();
    let diags: usize = counts.iter().map(|c| c.1).sum();
    println!(
        "{} files ({} unreadable), {nodes} nodes, {diags} diagnostics",
        inputs.len(),
        errors.len()
    );
}
