//! Documentation of the validity diagnostics (`dtd-…`): one entry per id the
//! DTD declaration parser (`decl.rs`), the compiler (`compile.rs`) and the
//! validator (`validate.rs`) emit, with the severity they use. Section
//! numbers refer to Extensible Markup Language (XML) 1.0, Fifth Edition
//! (<https://www.w3.org/TR/xml/>); "VC" is one of its validity constraints.

use crate::diag::Severity;
use crate::diag::{FixAvailability, RuleInfo};

use Severity::{Error, Info};

/// Every id of this table, in the order `xeplint rules` lists them.
pub static RULES: &[&RuleInfo] = &[
    &DTD_SYNTAX,
    &DTD_DECLARATION,
    &DTD_LIMIT,
    &DTD_BUNDLED,
    &DTD_UNREADABLE,
    &DTD_ROOT_MISMATCH,
    &DTD_UNDECLARED_ELEMENT,
    &DTD_CONTENT,
    &DTD_CHILD_NOT_ALLOWED,
    &DTD_TEXT_NOT_ALLOWED,
    &DTD_NOT_EMPTY,
    &DTD_UNDECLARED_ATTRIBUTE,
    &DTD_MISSING_ATTRIBUTE,
    &DTD_ATTRIBUTE_VALUE,
    &DTD_FIXED_ATTRIBUTE,
    &DTD_DUPLICATE_ID,
    &DTD_UNKNOWN_IDREF,
    &DTD_TOO_MANY_ERRORS,
];

pub static DTD_SYNTAX: RuleInfo = RuleInfo::new(
    "dtd-syntax",
    Error,
    "a malformed declaration in the DTD, an entity file or the internal subset",
    r#"
## What it checks

The markup declarations xeplint reads: the internal subset of the DOCTYPE, the entity
file it pulls in (`xep.ent`), and the DTD (`xep.dtd`, or the file given with `--dtd`).
`<!ELEMENT>`, `<!ATTLIST>` and `<!ENTITY>` declarations, comments, processing
instructions and conditional sections are parsed; a declaration that does not follow the
grammar is reported where it goes wrong, and reading resumes after its closing `>`.

## Why it matters

XML 1.0 §2.8 (Prolog and Document Type Declaration) and §3.2–§4.2 give the grammar of
declarations; a processor must reject a DTD that breaks it. A broken declaration in
`xep.ent` silently loses an entity (every XEP that uses it then fails), and one in the
DTD loses the content model of an element.

## Example

```xml
<!-- bad: the content model mixes `,` and `|` in one group -->
<!ELEMENT di (dt, dd | p)>

<!-- good -->
<!ELEMENT di (dt, (dd | p))>
```
"#,
);

pub static DTD_DECLARATION: RuleInfo = RuleInfo::new(
    "dtd-declaration",
    Error,
    "a declaration that breaks a validity constraint on the DTD's own declarations",
    r#"
## What it checks

Validity constraints on the declarations themselves: an element declared twice, a name
listed twice in one mixed-content model, more than one ID attribute on an element type,
an ID attribute with a default value, a default value that does not fit its attribute
type, and a content model that is not
deterministic (one child could match two places of the model). The last is reported at
the first element of the document that uses the model, as xmllint does.

## Why it matters

XML 1.0 §3.2 (VC: Unique Element Type Declaration), §3.2.2 (VC: No Duplicate Types),
§3.3.1 (VC: One ID per Element Type, VC: ID Attribute Default), §3.3.2 (VC: Attribute
Default Value Syntactically Correct) and Appendix E (Deterministic Content Models). A
DTD that breaks them makes every document that uses it invalid for xmllint, whatever the
document says.

## Example

```xml
<!-- bad: after <a>, a <b> could be the first or the second branch -->
<!ELEMENT entry ((a, b) | (a, c))>

<!-- good: factor the common start out -->
<!ELEMENT entry (a, (b | c))>
```
"#,
);

pub static DTD_LIMIT: RuleInfo = RuleInfo::new(
    "dtd-limit",
    Error,
    "a DTD, an entity file or an internal subset that goes past one of xeplint's limits",
    r#"
## What it checks

The limits that keep the cost of a DTD bounded, whoever wrote it: at most 100 000
declarations in one file (or internal subset), and content models that compile to at most
10 000 element names each and 4 194 304 transitions for the whole DTD (a model such as
`(a?, a?, a?, …)` needs as many transitions as the square of its names). Past a limit,
the rest of the file is ignored, or the model is not compiled and the content of its
element is not checked, and this says so. `docs/security.md` lists every limit.

## Why it matters

XML 1.0 §3.2.1 (Element Content) lets a content model be as long as its author likes, and
§2.8 places no bound on the number of declarations; a validator that compiles them as
written can be made to spend minutes and gigabytes on a 30 KB DTD. xeplint runs in CI on
files strangers wrote, so it stops there instead, and says where.

## Example

```xml
<!-- bad: 10 000 optional particles in one model -->
<!ELEMENT x (a?, a?, a?, a?, …)>

<!-- good -->
<!ELEMENT x (a*)>
```
"#,
);

pub static DTD_BUNDLED: RuleInfo = RuleInfo::new(
    "dtd-bundled",
    Info,
    "a document whose DTD was not available, validated against the bundled XEP DTD",
    r#"
## What it checks

Which DTD a document was validated against. xeplint uses the DTD given with `--dtd`,
else the one the DOCTYPE names (`<!DOCTYPE xep SYSTEM 'xep.dtd' …>`). When that file is
missing, cannot be read, is refused (a URL, an absolute path, a path that leaves the
project), or the document has no DOCTYPE or a DOCTYPE that names no DTD, xeplint
validates against the XEP DTD bundled with it and says so once, at the SYSTEM literal
(or the DOCTYPE, or the root element).

## Why it matters

XML 1.0 §2.8 (Prolog and Document Type Declaration) ties validity to the DTD a document
names; XEP-0001 has every XEP written against the XSF's `xep.dtd`. Without it xmllint
reports "no DTD found" and stops; xeplint goes on with the same content models, so the
findings stay useful, but the result is only as good as the bundled copy.

## Example

```xml
<!-- bad: a URL, which xeplint never fetches -->
<!DOCTYPE xep SYSTEM 'https://xmpp.org/extensions/xep.dtd'>

<!-- good: the xep.dtd beside the document, as in the XSF repository -->
<!DOCTYPE xep SYSTEM 'xep.dtd' [ <!ENTITY % ents SYSTEM 'xep.ent'> %ents; ]>
```
"#,
);

pub static DTD_UNREADABLE: RuleInfo = RuleInfo::new(
    "dtd-unreadable",
    Error,
    "a DTD chosen with --dtd or in xeplint.toml that could not be read",
    r#"
## What it checks

That the file passed with `--dtd PATH` exists, is a regular file of reasonable size and
is UTF-8. When it is not, the document is not validated at all (xeplint does not fall
back to another DTD when you chose one).

## Why it matters

XML 1.0 §2.8 (Prolog and Document Type Declaration): validity is always relative to a
DTD. A typo in `--dtd` would otherwise pass every document unchecked in CI.

## Example

```xml
<!-- bad: xeplint check --dtd shemas/xep.dtd xep-0001.xml (misspelt folder) -->
<!DOCTYPE xep SYSTEM 'xep.dtd'>

<!-- good: xeplint check --dtd schemas/xep.dtd xep-0001.xml -->
<!DOCTYPE xep SYSTEM 'xep.dtd'>
```
"#,
);

pub static DTD_ROOT_MISMATCH: RuleInfo = RuleInfo::new(
    "dtd-root-mismatch",
    Error,
    "a root element other than the one the DOCTYPE names",
    r#"
## What it checks

That the name in `<!DOCTYPE name …>` is the name of the document element. A document
without a DOCTYPE, validated against the bundled DTD, must have `<xep>` as its root.

## Why it matters

XML 1.0 §2.8, VC: Root Element Type. Every XEP is a `<xep>` document; the XSL
stylesheets that render xmpp.org start from that element.

## Example

```xml
<!-- bad -->
<!DOCTYPE xep SYSTEM 'xep.dtd'>
<spec>…</spec>

<!-- good -->
<!DOCTYPE xep SYSTEM 'xep.dtd'>
<xep>…</xep>
```
"#,
);

pub static DTD_UNDECLARED_ELEMENT: RuleInfo = RuleInfo::new(
    "dtd-undeclared-element",
    Error,
    "an element the DTD does not declare",
    r#"
## What it checks

That every element of the document (including those that entities expand to) is declared
with `<!ELEMENT>`. A close match among the declared names is suggested. The content and
attributes of an undeclared element are not checked, and its parent's content model is
checked as if it were the suggested element.

## Why it matters

XML 1.0 §3, VC: Element Valid. An undeclared element is usually a typo (`<secton1>`) or
HTML that the XEP format does not have (`<b>`, `<h2>`); the XSL stylesheets drop it or
render it as raw text.

## Example

```xml
<!-- bad -->
<p>This is <b>important</b>.</p>

<!-- good -->
<p>This is <strong>important</strong>.</p>
```
"#,
);

pub static DTD_CONTENT: RuleInfo = RuleInfo::new(
    "dtd-content",
    Error,
    "an element whose children are not in the order or number its content model requires",
    r#"
## What it checks

The children of an element with element content (a model such as `(version, date,
initials, remark)`) against its content model, child by child. The message says what
was expected at that point and what was found, e.g. `<header>: expected <type> after
<status>, found <sig>`; when something is missing at the end, the label is on the end
tag (`<author> must come before </header>`). The help shows the whole model. After a
misfit the check resynchronises (as if the missing elements were there, or skipping the
misfit), so one mistake gives one error. Content checks (this one, and those of
`dtd-child-not-allowed`, `dtd-text-not-allowed` and `dtd-not-empty`) are skipped when an
entity file could not be read, and for elements that end after the first
well-formedness error, since the tree may then lack children or misplace them.

Fix (safe, `--fix`): when every child is there and only the order is wrong, the
children are put in the model's order, each moved whole with the white space and
comments before it; a missing `<dependencies/>`, `<supersedes/>` or `<supersededby/>`
(empty: "none") and a missing `<legal>` (as `&LEGALNOTICE;`) are inserted at their
place. Only when the result matches the model. A missing `<shortname>` is inserted
with the template's placeholder `NOT_YET_ASSIGNED`, which makes the fix unsafe.

## Why it matters

XML 1.0 §3, VC: Element Valid, and §3.2.1 (Element Content). The header's fixed order is
what the XSF tools and the xmpp.org pages read: a `<revision>` without `<remark>`, or an
`<author>` before `<shortname>`, breaks the rendering or the metadata extraction, and
the XSF editors' CI rejects the document.

## Example

```xml
<!-- bad: <type> is missing between <status> and <sig> -->
<status>Experimental</status>
<sig>Standards</sig>

<!-- good -->
<status>Experimental</status>
<type>Standards Track</type>
<sig>Standards</sig>
```
"#,
)
.fixable(FixAvailability::Sometimes);

pub static DTD_CHILD_NOT_ALLOWED: RuleInfo = RuleInfo::new(
    "dtd-child-not-allowed",
    Error,
    "a child element not listed in its parent's text-only or mixed content model",
    r#"
## What it checks

Children of elements with mixed content, `(#PCDATA | a | b)*`, or text-only content,
`(#PCDATA)`: each child element must be one of those listed. When the children come from
an entity (such as `&xep0060;`, which expands to a `<span>` and a `<note>`), the error
is reported once, at the `&entity;` reference, with a note saying where the entity is
defined.

## Why it matters

XML 1.0 §3, VC: Element Valid, and §3.2.2 (Mixed Content). The reference entities of
`xep.ent` expand to a link and a footnote, which cannot sit inside another `<link>` or
inside `<title>` and `<abstract>`, whose text ends up in page titles, feeds and the XEP
list.

## Example

```xml
<!-- bad: &xep0060; expands to <span> and <note> -->
<link url='https://xmpp.org/extensions/xep-0060.html'>&xep0060;</link>

<!-- good: the entity alone already links to the specification -->
<p>See &xep0060;.</p>
```
"#,
);

pub static DTD_TEXT_NOT_ALLOWED: RuleInfo = RuleInfo::new(
    "dtd-text-not-allowed",
    Error,
    "a run of text or a CDATA section where only elements are allowed",
    r#"
## What it checks

Elements with element content (a model without `#PCDATA`, such as `<header>`, `<ul>` or
`<revision>`) may hold white space between their children, comments and processing
instructions, but no other text and no CDATA section (even one holding only spaces). The
first such text of each element is reported.

## Why it matters

XML 1.0 §3.2.1 (Element Content) and VC: Element Valid. Text dropped between list items
or header fields is not rendered, so the reader never sees it; often it is a paragraph
that lost its `<p>`.

## Example

```xml
<!-- bad -->
<ul>
  Some options:
  <li>one</li>
</ul>

<!-- good -->
<p>Some options:</p>
<ul>
  <li>one</li>
</ul>
```
"#,
);

pub static DTD_NOT_EMPTY: RuleInfo = RuleInfo::new(
    "dtd-not-empty",
    Error,
    "an element declared EMPTY that has content",
    r#"
## What it checks

Elements declared `EMPTY` (in XEPs: `<br>`, `<img>`, `<interim>`, `<registry>`,
`<authornote>`) must have no content at all: no child element, no text, not even white
space, a comment or a processing instruction. `<br/>` and `<br></br>` are both fine.

## Why it matters

XML 1.0 §3, VC: Element Valid ("the declaration matches EMPTY and the element has no
content"). Content inside an EMPTY element is dropped by the stylesheets.

## Example

```xml
<!-- bad -->
<img src='flow.png'>The message flow</img>

<!-- good -->
<img src='flow.png' alt='The message flow'/>
```
"#,
);

pub static DTD_UNDECLARED_ATTRIBUTE: RuleInfo = RuleInfo::new(
    "dtd-undeclared-attribute",
    Error,
    "an attribute the DTD does not declare for this element",
    r#"
## What it checks

That every attribute of an element is declared for it in an `<!ATTLIST>` (namespace
declarations such as `xmlns` included, as xmllint does). A close match among the
element's attributes is suggested, or the list of its attributes given.

## Why it matters

XML 1.0 §3.1, VC: Attribute Value Type ("the attribute must have been declared"). A
misspelt attribute (`ancor='intro'`) is silently ignored by the stylesheets: the anchor
or link it was meant to create does not exist.

## Example

```xml
<!-- bad -->
<section1 topic='Introduction' ancor='intro'>

<!-- good -->
<section1 topic='Introduction' anchor='intro'>
```
"#,
);

pub static DTD_MISSING_ATTRIBUTE: RuleInfo = RuleInfo::new(
    "dtd-missing-attribute",
    Error,
    "an element without an attribute the DTD declares #REQUIRED",
    r#"
## What it checks

That every attribute declared `#REQUIRED` for an element is present on it. The XEP DTD
declares none, so this applies to documents validated with their own DTD or internal
subset.

## Why it matters

XML 1.0 §3.3.2, VC: Required Attribute. Processing that relies on the attribute (an
identifier, a link target) has nothing to work with.

## Example

```xml
<!-- bad, with <!ATTLIST ref target IDREF #REQUIRED> -->
<ref/>

<!-- good -->
<ref target='intro'/>
```
"#,
);

pub static DTD_ATTRIBUTE_VALUE: RuleInfo = RuleInfo::new(
    "dtd-attribute-value",
    Error,
    "an attribute value that does not fit its declared type",
    r#"
## What it checks

Attribute values against their declared type, after the normalisation XML applies to
tokenized types (leading and trailing spaces dropped, runs of spaces collapsed): an
enumeration (`(yes | no)`) or NOTATION must name one of its values, ID, IDREF and
ENTITY must be a name, IDREFS and ENTITIES a list of names, NMTOKEN a name token and
NMTOKENS a list of them. For an enumeration, the closest allowed value is suggested.

## Why it matters

XML 1.0 §3.3.1 (VC: Enumeration, VC: ID, VC: IDREF, VC: Name Token, VC: Entity Name).
Values outside the enumeration are not understood by the tools that read them.

## Example

```xml
<!-- bad, with <!ATTLIST item required (yes | no) #IMPLIED> -->
<item required='true'/>

<!-- good -->
<item required='yes'/>
```
"#,
);

pub static DTD_FIXED_ATTRIBUTE: RuleInfo = RuleInfo::new(
    "dtd-fixed-attribute",
    Error,
    "an attribute declared #FIXED that has another value",
    r#"
## What it checks

That an attribute declared `#FIXED 'value'` either is absent (it then takes the value)
or has exactly that value (compared after normalisation for tokenized types).

## Why it matters

XML 1.0 §3.3.2, VC: Fixed Attribute Default. A fixed attribute is usually a version or
namespace marker that tools compare literally.

## Example

```xml
<!-- bad, with <!ATTLIST schema version CDATA #FIXED '1.0'> -->
<schema version='2.0'/>

<!-- good -->
<schema/>
```
"#,
);

pub static DTD_DUPLICATE_ID: RuleInfo = RuleInfo::new(
    "dtd-duplicate-id",
    Error,
    "an ID already given to another element",
    r#"
## What it checks

Values of attributes declared of type ID: no two may be equal anywhere in the document.
The second one is reported, with a label on the first. The XEP DTD declares no ID
attribute (anchors are CDATA), so this applies to documents with their own DTD.

## Why it matters

XML 1.0 §3.3.1, VC: ID ("values of type ID must uniquely identify the elements which
bear them"). A link to a duplicated ID lands on whichever comes first.

## Example

```xml
<!-- bad, with <!ATTLIST part id ID #IMPLIED> -->
<part id='intro'/> <part id='intro'/>

<!-- good -->
<part id='intro'/> <part id='usage'/>
```
"#,
);

pub static DTD_UNKNOWN_IDREF: RuleInfo = RuleInfo::new(
    "dtd-unknown-idref",
    Error,
    "an IDREF or IDREFS value that names no ID of the document",
    r#"
## What it checks

Every name in an attribute of type IDREF or IDREFS must be the value of some ID
attribute in the same document (before or after the reference). A close match among the
document's IDs is suggested.

## Why it matters

XML 1.0 §3.3.1, VC: IDREF. A dangling reference is a broken internal link.

## Example

```xml
<!-- bad, with ID and IDREF attributes declared -->
<part id='intro'/> <ref target='intor'/>

<!-- good -->
<part id='intro'/> <ref target='intro'/>
```
"#,
);

pub static DTD_TOO_MANY_ERRORS: RuleInfo = RuleInfo::new(
    "dtd-too-many-errors",
    Error,
    "a document whose validation stopped after 100 errors",
    r#"
## What it checks

Nothing by itself: after 100 validity errors in one document xeplint stops validating
it and reports this once, where it stopped.

## Why it matters

XML 1.0 §5.1 (Validating and Non-Validating Processors) asks a validating processor to
report violations; it does not ask for all of them. Past a hundred, the errors nearly
always share a few causes, and a longer list only hides them.

## Example

```xml
<!-- bad: a file of another format, with hundreds of undeclared elements -->
<html><body>…</body></html>

<!-- good: fix the first errors, then check again -->
<xep>…</xep>
```
"#,
);
