use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

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
    Stylesheet { id: "stylesheet", severity: Error, summary: "an <?xml-stylesheet?> PI that is missing or does not name xep.xsl" }
}

impl Rule for Stylesheet {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let want = &cx.policy.files.stylesheet;
        match (&cx.xep.stylesheet, cx.xep.stylesheet_span) {
            (Some(href), _) if href == want => {}
            (Some(href), Some(span)) => out.push(
                cx.diag(
                    &Self::INFO,
                    span,
                    format!("the stylesheet is `{href}`, not `{want}`"),
                )
                .label("this processing instruction names another stylesheet")
                .help(format!(
                    "write <?xml-stylesheet type='text/xsl' href='{want}'?>"
                )),
            ),
            _ => {
                let span = cx
                    .tree
                    .doctype
                    .as_ref()
                    .map_or(cx.xep.root_span, |d| d.span);
                out.push(
                    cx.diag(
                        &Self::INFO,
                        span,
                        format!("no <?xml-stylesheet?> naming `{want}`"),
                    )
                    .label("add the processing instruction after this")
                    .help(format!(
                        "add <?xml-stylesheet type='text/xsl' href='{want}'?> after the DOCTYPE"
                    )),
                );
            }
        }
    }
}
