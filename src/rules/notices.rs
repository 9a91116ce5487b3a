//! Documentation of what the session says about a document itself, rather
//! than about its content.

use crate::diag::RuleInfo;
use crate::diag::Severity::Info;

/// Every id of this table, in the order `xeplint rules` lists them.
pub static RULES: &[&RuleInfo] = &[&UNNAMED_INPUT];

pub static UNNAMED_INPUT: RuleInfo = RuleInfo::new(
    "unnamed-input",
    Info,
    "a document read from standard input without a file name, judged without the rules that read one",
    r#"
## What it checks

Standard input (`-`) checked without `--stdin-filename`: the document has no file name,
and the rules that read one (`number-filename`, `proto-status`, `proto-number`,
`proto-filename`, `legacy-type`, `type-value`) cannot tell whether it is a numbered XEP or
a proto-XEP. They are not applied, and this says so once.

## Why it matters

XEP-0001 ("Submission Process") tells a proto-XEP from a numbered XEP by where it stands
in the repository: `xep-NNNN.xml` at the root, anything else in `inbox/`. Judged by a name
it does not have, `xep-0060.xml` read from a pipe would get proto-XEP findings that are
wrong.

## Example

```sh
# bad: no file name, the numbering rules are skipped
cat xep-0060.xml | xeplint check -

# good
cat xep-0060.xml | xeplint check --stdin-filename xep-0060.xml -
```
"#,
);
