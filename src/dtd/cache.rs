//! The DTDs of a run, compiled once each and shared by every document and
//! thread: the one a document names (or `--dtd`), and the DTD bundled with
//! xeplint for documents whose own is missing. A compiled DTD goes when the
//! loader forgets its file.

use crate::diag::Diagnostic;
use crate::dtd::compile::CompiledDtd;
use crate::dtd::decl::{Decl, EntityValue, Subset, parse_decls};
use crate::load::{ExtFile, Loader};
use foldhash::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The DTD shipped with xeplint, used when a document's own is missing.
pub const BUNDLED_DTD: &str = include_str!("../../schemas/xep.dtd");

/// How the bundled DTD is shown in diagnostics.
pub const BUNDLED_DISPLAY: &str = "<bundled xep.dtd>";

type Cell = Arc<OnceLock<Arc<CompiledDtd>>>;

/// Compiled DTDs of a run, shared by every document.
#[derive(Debug, Default)]
pub struct DtdCache {
    /// Keyed by the address of the loaded file; the `Arc` kept beside the
    /// slot keeps that address from being reused.
    compiled: Mutex<HashMap<usize, (Arc<ExtFile>, Cell)>>,
    bundled: OnceLock<Arc<ExtFile>>,
    /// For files of declarations that internal subsets pull in (the same
    /// few for every document), whether they declare any element or
    /// attribute; keyed and kept like `compiled`.
    markup: Mutex<HashMap<usize, (Arc<ExtFile>, bool)>>,
}

impl DtdCache {
    pub(crate) fn bundled(&self, loader: &Loader) -> Arc<ExtFile> {
        self.bundled
            .get_or_init(|| loader.load_text(BUNDLED_DISPLAY, BUNDLED_DTD))
            .clone()
    }

    /// Forget the compiled form of a DTD the loader has forgotten.
    pub fn forget(&self, ext: &Arc<ExtFile>) {
        let mut map = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&(Arc::as_ptr(ext) as usize));
        drop(map);
        let mut map = self.markup.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&(Arc::as_ptr(ext) as usize));
    }

    /// Whether a file of declarations declares any element or attribute,
    /// found once per run (its declarations do not change once loaded).
    pub(crate) fn declares_markup(&self, ext: &Arc<ExtFile>) -> bool {
        let mut map = self.markup.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(Arc::as_ptr(ext) as usize)
            .or_insert_with(|| {
                let any = ext
                    .decls
                    .decls
                    .iter()
                    .any(|d| matches!(d, Decl::Element(_) | Decl::Attlist(_)));
                (ext.clone(), any)
            })
            .1
    }

    /// The compiled form of a loaded DTD, built once per run.
    pub(crate) fn compiled(&self, ext: &Arc<ExtFile>) -> Arc<CompiledDtd> {
        let cell = {
            let mut map = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(Arc::as_ptr(ext) as usize)
                .or_insert_with(|| (ext.clone(), Cell::default()))
                .1
                .clone()
        };
        cell.get_or_init(|| {
            let g = gather(ext);
            let mut dtd = CompiledDtd::build(g.decls.iter());
            dtd.errors.extend(g.errors);
            Arc::new(dtd)
        })
        .clone()
    }
}

/// A DTD's declarations with its internal parameter entities spliced in.
pub(crate) struct Gathered {
    pub(crate) decls: Vec<Decl>,
    pub(crate) errors: Vec<Diagnostic>,
}

pub(crate) fn gather(ext: &ExtFile) -> Gathered {
    let mut g = Gathered {
        decls: Vec::new(),
        errors: Vec::new(),
    };
    splice(ext, &ext.decls.decls, &mut g, 0);
    g
}

fn splice(ext: &ExtFile, decls: &[Decl], g: &mut Gathered, depth: usize) {
    for d in decls {
        match d {
            Decl::PeRef { name, .. } => {
                // Parameter entities holding declarations; external ones
                // (other files) are not followed from a DTD.
                if depth < 8
                    && let Some(pe) = ext.entity(name, true)
                    && let EntityValue::Internal { text, span, .. } = &pe.value
                {
                    let inner = parse_decls(text, span.file, span.start as usize, Subset::External);
                    g.errors.extend(inner.errors);
                    splice(ext, &inner.decls, g, depth + 1);
                }
            }
            Decl::Element(_) | Decl::Attlist(_) => g.decls.push(d.clone()),
            Decl::Entity(_) => {}
        }
    }
}
