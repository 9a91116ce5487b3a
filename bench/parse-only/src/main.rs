//! xeplint's XML layer alone: read every `*.xml` below the given paths and
//! parse it as `xeplint check` does (tree, entities from `xep.ent`, the
//! DOCTYPE's DTD loaded once), in parallel, in one process; no validation
//! and no XEP rules. Between the quick-xml floor and the whole check.

use rayon::prelude::*;
use std::sync::Arc;
use xeplint::check::collect_inputs;
use xeplint::load::{Loader, read_regular};
use xeplint::source::SourceMap;
use xeplint::xml::{ParseOptions, parse_document};

fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    let (inputs, errors) = collect_inputs(&paths);
    let loader = Loader::new(Arc::new(SourceMap::new()));
    let opts = ParseOptions::default();
    let counts: Vec<(usize, usize)> = inputs
        .par_iter()
        .map(|i| {
            let Ok(bytes) = read_regular(&i.path, 1 << 28) else {
                return (0, 0);
            };
            let p = parse_document(
                &loader,
                &i.path,
                i.display.clone(),
                bytes,
                i.search_root.as_deref(),
                &opts,
            );
            (p.tree.nodes.len(), p.diagnostics.len())
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
