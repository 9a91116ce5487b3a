use super::{Context, Rule, RuleInfo};
use crate::diag::{Diagnostic, Edit, Fix};
use crate::source::Span;

declare_rule! {
    /// ## What it checks
    /// The document has an `<?xml-stylesheet?>` processing instruction whose `href` is `xep.xsl`.
    ///
    /// ## Why it matters
    /// The XSF renders XEPs with `xep.xsl`; the processing instruction ties the source to it
    /// (XEP-0143, "XEP XML Format"), and the XSF's conformance checks require it.
    ///
    /// ## Example
    /// Bad: no processing instruction, or `href='style.xsl'`;
    /// good: `<?xml-stylesheet type='text/xsl' href='xep.xsl'?>` after the DOCTYPE.
    Stylesheet { id: "stylesheet", severity: Error, summary: "an <?xml-stylesheet?> PI that is missing or does not name xep.xsl", fix: Always }
}

impl Rule for Stylesheet {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let want = &cx.policy.files.stylesheet;
        let pi = format!("<?xml-stylesheet type='text/xsl' href='{want}'?>");
        match (&cx.xep.stylesheet, cx.xep.stylesheet_span) {
            (Some(href), _) if href == want => {}
            (Some(href), Some(span)) => out.push(
                cx.diag(
                    &Self::INFO,
                    span,
                    format!("the stylesheet is `{href}`, not `{want}`"),
                )
                .label("this processing instruction names another stylesheet")
                .help(format!("write {pi}"))
                .with_fix(Fix::safe(
                    format!("name `{want}`"),
                    vec![Edit::replace(span, pi.clone())],
                )),
            ),
            _ => {
                let doctype = cx.tree.doctype.as_ref().map(|d| d.span);
                let span = doctype.unwrap_or(cx.xep.root_span);
                let fix = doctype.map(|d| {
                    Fix::safe(
                        "add the processing instruction after the DOCTYPE",
                        vec![Edit::insert(
                            Span::point(d.file, d.end as usize),
                            format!("\n{pi}"),
                        )],
                    )
                });
                out.push(
                    cx.diag(
                        &Self::INFO,
                        span,
                        format!("no <?xml-stylesheet?> naming `{want}`"),
                    )
                    .label("add the processing instruction after this")
                    .help(format!("add {pi} after the DOCTYPE"))
                    .with_fix_opt(fix),
                );
            }
        }
    }
}
