//! Documentation of the ids the post-check step reports about inline
//! suppressions themselves (`crate::suppress`).

use crate::diag::RuleInfo;
use crate::diag::Severity::Warning;

/// Every id of this table, in the order `xeplint rules` lists them.
pub static RULES: &[&RuleInfo] = &[&UNUSED_SUPPRESSION, &UNKNOWN_SUPPRESSION];

pub static UNUSED_SUPPRESSION: RuleInfo = RuleInfo::new(
    "unused-suppression",
    Warning,
    "an inline suppression that silences nothing",
    r#"
## What it checks

A `<!-- xeplint-disable… -->` comment naming a rule that reports nothing where
the comment applies: in the next element for `xeplint-disable-next-element`, in
the file for `xeplint-disable`.

## Why it matters

Suppressions outlive the problems they hid. A stale one hides the next real
finding of that rule in the same place, and tells readers a problem exists
where none does.

## Example

Bad (the section has no undefined entity any more):

```xml
<!-- xeplint-disable-next-element xml-undefined-entity: waiting for xep.ent -->
<section1 topic="Introduction" anchor="intro">…</section1>
```

Good: remove the comment.
"#,
);

pub static UNKNOWN_SUPPRESSION: RuleInfo = RuleInfo::new(
    "unknown-suppression",
    Warning,
    "an inline suppression naming an unknown rule or directive",
    r#"
## What it checks

A comment starting with `xeplint-` whose directive is not
`xeplint-disable-next-element` or `xeplint-disable`, that names no rule, or
that names a rule id xeplint does not have.

## Why it matters

A misspelt rule id silences nothing, so the finding it was meant to hide is
still reported, and the comment misleads readers.

## Example

Bad:

```xml
<!-- xeplint-disable-next-element xml-undefined-entities: legacy -->
```

Good (`xeplint rules` lists every id):

```xml
<!-- xeplint-disable-next-element xml-undefined-entity: legacy -->
```
"#,
);
