//! Documentation of the well-formedness diagnostics (`xml-…`): one entry per
//! id the XML parser (`parser.rs`) and the loader (`load.rs`) emit, with the
//! severity they use. Section numbers refer to Extensible Markup Language
//! (XML) 1.0, Fifth Edition (<https://www.w3.org/TR/xml/>).

use crate::diag::Severity;
use crate::diag::{FixAvailability, RuleInfo};

use Severity::{Error, Warning};

/// Every id of this table, in the order `xeplint rules` lists them.
pub static RULES: &[&RuleInfo] = &[
    &XML_ENCODING,
    &XML_INVALID_CHAR,
    &XML_BAD_NAME,
    &XML_BAD_ATTRIBUTE,
    &XML_DUPLICATE_ATTRIBUTE,
    &XML_UNESCAPED_LT,
    &XML_BARE_AMPERSAND,
    &XML_BAD_CHAR_REF,
    &XML_UNDEFINED_ENTITY,
    &XML_RECURSIVE_ENTITY,
    &XML_ENTITY_LIMIT,
    &XML_EXTERNAL_REFUSED,
    &XML_ENTITY_FILE_MISSING,
    &XML_EXTERNAL_ENTITY,
    &XML_UNPARSED_ENTITY,
    &XML_ENTITY_IN_ATTRIBUTE,
    &XML_MISMATCHED_TAG,
    &XML_UNEXPECTED_END_TAG,
    &XML_UNCLOSED_TAG,
    &XML_NO_ROOT,
    &XML_CONTENT_AFTER_ROOT,
    &XML_TEXT_OUTSIDE_ROOT,
    &XML_MISPLACED_DECLARATION,
    &XML_BAD_DOCTYPE,
    &XML_BAD_COMMENT,
    &XML_UNTERMINATED,
    &XML_SYNTAX,
    &XML_DEPTH_LIMIT,
    &XML_TOO_MANY_ERRORS,
];

pub static XML_ENCODING: RuleInfo = RuleInfo::new(
    "xml-encoding",
    Error,
    "a file that is not UTF-8, or that declares another encoding",
    r#"
## What it checks

That the bytes of the document are UTF-8 (with or without a byte order mark) and that
the XML declaration, if it names an encoding, names UTF-8. UTF-16 files (with a byte
order mark, or recognisable by NUL bytes among the first characters), invalid UTF-8
sequences and declarations such as `encoding='ISO-8859-1'` are reported. When the bytes
cannot be decoded nothing else in the file is checked.

## Why it matters

XML 1.0 §4.3.3 (Character Encoding in Entities) requires the declared encoding to match
the bytes, and makes it a fatal error when a processor meets bytes it cannot decode. The
XSF tool chain and every XEP are UTF-8; a file saved in another encoding by an editor
renders as mojibake on xmpp.org, or does not build at all.

## Example

```xml
<!-- bad: the file is UTF-8 but claims Latin-1 -->
<?xml version='1.0' encoding='ISO-8859-1'?>

<!-- good -->
<?xml version='1.0' encoding='UTF-8'?>
```
"#,
);

pub static XML_INVALID_CHAR: RuleInfo = RuleInfo::new(
    "xml-invalid-char",
    Error,
    "a character XML 1.0 does not allow (control characters, U+FFFE, U+FFFF)",
    r#"
## What it checks

Every character of text, attribute values, comments and CDATA sections against the
`Char` production: control characters other than tab, line feed and carriage return
(U+0000–U+001F), and U+FFFE and U+FFFF are reported at the first one found in each
piece of text.

## Why it matters

XML 1.0 §2.2 (Characters) defines the characters a document may contain; any other is a
fatal error, and no escape makes it legal (`&#1;` is rejected as well). Such characters
usually come from copying text out of a word processor or a terminal, and are invisible
in most editors.

## Example

```xml
<!-- bad: a raw U+0001 between "a" and "b" -->
<p>a␁b</p>

<!-- good -->
<p>ab</p>
```
"#,
);

pub static XML_BAD_NAME: RuleInfo = RuleInfo::new(
    "xml-bad-name",
    Error,
    "an element, end tag or processing instruction without a valid XML name",
    r#"
## What it checks

That start tags, end tags and processing instructions begin with an XML `Name`: a
letter, `_` or `:` first, then letters, digits, `-`, `.`, `_`, `:` and the other name
characters XML allows.

## Why it matters

XML 1.0 §2.3 (Common Syntactic Constructs) defines `Name`; §3.1 (Start-Tags, End-Tags,
and Empty-Element Tags) and §2.6 (Processing Instructions) require one after `<`, `</`
and `<?`. A name starting with a digit is most often a typo or text that was meant to be
escaped.

## Example

```xml
<!-- bad -->
<1section topic='Introduction'>

<!-- good -->
<section1 topic='Introduction'>
```
"#,
);

pub static XML_BAD_ATTRIBUTE: RuleInfo = RuleInfo::new(
    "xml-bad-attribute",
    Error,
    "an attribute that is not written name='value'",
    r#"
## What it checks

The attributes of a start tag: each must be a name, `=`, and a value in single or double
quotes, separated from the previous one by white space. A missing value, a missing `=`,
an unquoted or unclosed value and a stray character in the tag are reported.

## Why it matters

XML 1.0 §3.1 (Start-Tags, End-Tags, and Empty-Element Tags) defines `Attribute ::= Name
Eq AttValue`, and `AttValue` is always quoted. HTML habits (`<td colspan=2>`, `<input
checked>`) are the usual cause.

## Example

```xml
<!-- bad -->
<section1 topic=Introduction anchor='intro'>

<!-- good -->
<section1 topic='Introduction' anchor='intro'>
```
"#,
);

pub static XML_DUPLICATE_ATTRIBUTE: RuleInfo = RuleInfo::new(
    "xml-duplicate-attribute",
    Error,
    "an attribute given twice on one element",
    r#"
## What it checks

That no attribute name appears more than once in the same start tag.

## Why it matters

XML 1.0 §3.1 (Start-Tags, End-Tags, and Empty-Element Tags), well-formedness constraint
*Unique Att Spec*: an attribute name must not appear more than once in the same tag.
Which of the two values a tool would keep is undefined; usually one of them is a
copy-and-paste leftover.

## Example

```xml
<!-- bad -->
<section1 topic='Introduction' anchor='intro' topic='Overview'>

<!-- good -->
<section1 topic='Introduction' anchor='intro'>
```
"#,
);

pub static XML_UNESCAPED_LT: RuleInfo = RuleInfo::new(
    "xml-unescaped-lt",
    Error,
    "a `<` that does not start a tag, or a `<` inside an attribute value",
    r#"
## What it checks

A `<` in text that is not followed by a name, `/`, `!` or `?`, and any `<` inside an
attribute value.

## Why it matters

XML 1.0 §2.4 (Character Data and Markup): the left angle bracket may appear in its
literal form only as a markup delimiter, and §3.1, well-formedness constraint *No < in
Attribute Values*. XEPs talk about XML all the time; protocol examples belong in
`<example><![CDATA[…]]></example>`, and a lone comparison in prose must be written
`&lt;`.

## Example

```xml
<!-- bad -->
<p>Retry when attempts < 3.</p>

<!-- good -->
<p>Retry when attempts &lt; 3.</p>
```
"#,
)
.fixable(FixAvailability::Sometimes);

pub static XML_BARE_AMPERSAND: RuleInfo = RuleInfo::new(
    "xml-bare-ampersand",
    Error,
    "an `&` that does not start an entity or character reference",
    r#"
## What it checks

Every `&` in text and attribute values must start a reference: `&name;`, `&#NNN;` or
`&#xHHHH;`. An `&` followed by a space, a non-name or no `;` is reported.

## Why it matters

XML 1.0 §2.4 (Character Data and Markup): the ampersand may appear in its literal form
only as a markup delimiter; elsewhere it must be escaped as `&amp;`. URLs with query
strings (`?a=1&b=2`) in `<link url='…'>` are the classic case in XEPs.

## Example

```xml
<!-- bad -->
<link url='https://example.org/?a=1&b=2'>query</link>

<!-- good -->
<link url='https://example.org/?a=1&amp;b=2'>query</link>
```
"#,
)
.fixable(FixAvailability::Sometimes);

pub static XML_BAD_CHAR_REF: RuleInfo = RuleInfo::new(
    "xml-bad-char-ref",
    Error,
    "a character reference that is malformed or names a character XML forbids",
    r#"
## What it checks

Character references `&#NNN;` and `&#xHHHH;`: the digits must be decimal (or hexadecimal
after `x`), and the character they name must be allowed by the `Char` production (so
`&#0;`, `&#x1B;` and surrogates are errors).

## Why it matters

XML 1.0 §4.1 (Character and Entity References), well-formedness constraint *Legal
Character*: characters referred to using character references must match the production
for `Char`. A reference to a forbidden character makes the whole document unreadable to
conforming processors.

## Example

```xml
<!-- bad -->
<p>An em dash: &#xZZ; and a NUL: &#0;</p>

<!-- good -->
<p>An em dash: &#x2014;</p>
```
"#,
);

pub static XML_UNDEFINED_ENTITY: RuleInfo = RuleInfo::new(
    "xml-undefined-entity",
    Error,
    "a reference to an entity (or parameter entity) nobody declared",
    r#"
## What it checks

That each `&name;` in the document (and each `%name;` in the DOCTYPE) refers to an entity
declared in the internal subset, in the entity file it pulls in (`%ents;` → `xep.ent`),
or in the DTD; or is one of the five predefined entities. When an entity file could not
be loaded (see `xml-entity-file-missing`), undefined general entities are not reported.

## Why it matters

XML 1.0 §4.1 (Character and Entity References), well-formedness constraint *Entity
Declared*. XEPs lean on `xep.ent` for the legal notice, authors and references
(`&LEGALNOTICE;`, `&xep0001;`, `&rfc6120;`): a misspelt name, an entity that only exists
in a newer `xep.ent`, or a DOCTYPE that declares `%ents;` but never references it breaks
the build of the specification. Reporting it in CI, with the closest known name, catches
it before a reviewer has to.

## Example

```xml
<!-- bad: no such entity -->
<p>See &xep001;.</p>

<!-- good -->
<p>See &xep0001;.</p>
```
"#,
);

pub static XML_RECURSIVE_ENTITY: RuleInfo = RuleInfo::new(
    "xml-recursive-entity",
    Error,
    "an entity whose replacement text refers to itself, directly or not",
    r#"
## What it checks

While expanding an entity, a reference to an entity that is already being expanded
(`a` uses `b`, `b` uses `a`).

## Why it matters

XML 1.0 §4.1 (Character and Entity References), well-formedness constraint *No
Recursion*: a parsed entity must not contain a recursive reference to itself. Expansion
would never end. In an XEP this is almost always an edit to `xep.ent` or to the internal
subset gone wrong, and it affects every document that uses the entity.

## Example

```xml
<!-- bad -->
<!ENTITY org "&org; Foundation">

<!-- good -->
<!ENTITY org "XMPP Standards Foundation">
```
"#,
);

pub static XML_ENTITY_LIMIT: RuleInfo = RuleInfo::new(
    "xml-entity-limit",
    Error,
    "an entity expansion stopped at a limit: too large, or nested too deeply",
    r#"
## What it checks

The total size of entity replacement text expanded for one document (at most a
multiple of the document's size, and never more than 32 MiB), the nesting of general
entities (16 levels) and of parameter entities (8 levels). When a limit is hit, the rest
of the document is not checked.

## Why it matters

XML 1.0 §4.4 (XML Processor Treatment of Entities and References) and §4.5 (Construction
of Entity Replacement Text) set no limit, which is what "billion laughs" and quadratic
blow-up documents exploit: a few kilobytes that expand to gigabytes. A linter that runs in
CI on pull requests from anyone must stay bounded in time and memory; real XEPs expand
to a few times their size, far below the limit.

## Example

```xml
<!-- bad: each level multiplies the text by ten -->
<!ENTITY lol1 "&lol0;&lol0;&lol0;&lol0;&lol0;&lol0;&lol0;&lol0;&lol0;&lol0;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">

<!-- good: entities hold what they stand for -->
<!ENTITY LEGALNOTICE "<legal>…</legal>">
```
"#,
);

pub static XML_EXTERNAL_REFUSED: RuleInfo = RuleInfo::new(
    "xml-external-refused",
    Error,
    "a SYSTEM id that is a URI, an absolute path, or leaves the project",
    r#"
## What it checks

The SYSTEM identifiers of the DOCTYPE and of external parameter entities. A URI with a
scheme (`http://`, `file://`, …), an absolute path (`/etc/passwd`) or a relative path that
leads out of the project root (`../../x.ent`; also through a symbolic link) is not
followed. The project root is the nearest folder holding `.git` or `xeplint.toml`, else
the folder given on the command line.

## Why it matters

XML 1.0 §4.2.2 (External Entities) lets a system identifier be any URI, and processors
that fetch them are open to XML external entity (XXE) attacks and to builds that depend
on the network. XEP sources name their DTD and entity file relative to themselves
(`xep.dtd`, `xep.ent`); a CI job checking contributions must neither read files outside
the checkout nor reach a network, and must give the same answer every time.

## Example

```xml
<!-- bad -->
<!DOCTYPE xep SYSTEM 'https://xmpp.org/extensions/xep.dtd' [
  <!ENTITY % ents SYSTEM '/usr/share/xmpp/xep.ent'> %ents; ]>

<!-- good -->
<!DOCTYPE xep SYSTEM 'xep.dtd' [ <!ENTITY % ents SYSTEM 'xep.ent'> %ents; ]>
```
"#,
);

pub static XML_ENTITY_FILE_MISSING: RuleInfo = RuleInfo::new(
    "xml-entity-file-missing",
    Warning,
    "an entity file, pulled in by a parameter entity, that could not be read",
    r#"
## What it checks

An external parameter entity of the internal subset (normally `%ents;` → `xep.ent`) that
names a file which does not exist, is not a regular file, is too large or cannot be
decoded. References to the entities it would define are then not reported as undefined.

## Why it matters

XML 1.0 §4.2.2 (External Entities) and §4.4.3 (Included If Validating): a non-validating
processor may skip external entities, so the document is not ill-formed by itself, but
nothing that depends on `xep.ent` can be checked. For XEP authors this usually means the
checkout is incomplete or the tool runs from the wrong folder; in CI it means a whole
class of errors goes unseen, hence a warning. Pass `--entities PATH` to name the file.

## Example

```xml
<!-- bad: inbox/proto.xml, but there is no inbox/xep.ent -->
<!DOCTYPE xep SYSTEM 'xep.dtd' [ <!ENTITY % ents SYSTEM 'xep.ent'> %ents; ]>

<!-- good: name the file where it is (or pass entities PATH on the command line) -->
<!DOCTYPE xep SYSTEM '../xep.dtd' [ <!ENTITY % ents SYSTEM '../xep.ent'> %ents; ]>
```
"#,
);

pub static XML_EXTERNAL_ENTITY: RuleInfo = RuleInfo::new(
    "xml-external-entity",
    Warning,
    "a reference to an external general entity, which xeplint does not load",
    r#"
## What it checks

A reference in content to a general entity declared with `SYSTEM` or `PUBLIC`: xeplint
does not read external general entities, so their content is not checked.

## Why it matters

XML 1.0 §4.2.2 (External Entities) and §4.4.3 (Included If Validating) leave including
them to the processor; reading them is what XML external entity (XXE) attacks abuse.
XEPs do not use them: the XSF tool chain expects the text to be in the document or in an
internal entity from `xep.ent`, so one in a contribution deserves a look.

## Example

```xml
<!-- bad -->
<!ENTITY changelog SYSTEM 'changelog.xml'>
<section1 topic='Changes'>&changelog;</section1>

<!-- good -->
<section1 topic='Changes'><p>…</p></section1>
```
"#,
);

pub static XML_UNPARSED_ENTITY: RuleInfo = RuleInfo::new(
    "xml-unparsed-entity",
    Error,
    "a reference in content to an unparsed (NDATA) entity",
    r#"
## What it checks

A reference such as `&logo;` in text, where `logo` is declared as an unparsed entity
(`<!ENTITY logo SYSTEM 'logo.png' NDATA png>`): data in some notation, not XML.

## Why it matters

XML 1.0 §4.1 (WFC: Parsed Entity) says an entity reference in content must not name an
unparsed entity: such an entity may only be named by value in an attribute of type
ENTITY or ENTITIES. xmllint rejects the document.

## Example

```xml
<!-- bad -->
<!ENTITY logo SYSTEM 'logo.png' NDATA png>
<p>&logo;</p>

<!-- good: an image by reference -->
<p><img src='logo.png'/></p>
```
"#,
);

pub static XML_ENTITY_IN_ATTRIBUTE: RuleInfo = RuleInfo::new(
    "xml-entity-in-attribute",
    Error,
    "an entity with markup, or an external entity, used in an attribute value",
    r#"
## What it checks

References in attribute values to external entities, or to internal entities whose
replacement text contains `<`.

## Why it matters

XML 1.0 §3.1, well-formedness constraints *No External Entity References* and *No < in
Attribute Values*, and §3.3.3 (Attribute-Value Normalization): attribute values are
plain text. An XEP entity such as `&LEGALNOTICE;` or an author block holds elements, so
it cannot stand in `topic='…'` or `url='…'`.

## Example

```xml
<!-- bad: &xep0001; expands to a <span> with a link -->
<section1 topic='Following &xep0001;' anchor='intro'>

<!-- good -->
<section1 topic='Following XEP-0001' anchor='intro'>
```
"#,
);

pub static XML_MISMATCHED_TAG: RuleInfo = RuleInfo::new(
    "xml-mismatched-tag",
    Error,
    "an end tag that does not match the innermost open element",
    r#"
## What it checks

That each end tag closes the element opened last. When it closes an element further
out, the elements in between are reported as unclosed at this end tag.

## Why it matters

XML 1.0 §3 (Logical Structures), well-formedness constraint *Element Type Match*: the
name in an element's end tag must match the element type in the start tag. Most often a
`</p>` or `</li>` is missing before `</section1>`; renderers then nest the rest of the
section wrongly.

## Example

```xml
<!-- bad -->
<section1 topic='Introduction' anchor='intro'>
  <p>An unfinished paragraph.
</section1>

<!-- good -->
<section1 topic='Introduction' anchor='intro'>
  <p>A finished paragraph.</p>
</section1>
```
"#,
);

pub static XML_UNEXPECTED_END_TAG: RuleInfo = RuleInfo::new(
    "xml-unexpected-end-tag",
    Error,
    "an end tag for an element that is not open",
    r#"
## What it checks

An end tag whose name matches no open element (or, inside an entity's text, no element
the entity opened itself).

## Why it matters

XML 1.0 §3 (Logical Structures): every end tag belongs to a start tag of the same
element (*Element Type Match*), and §4.3.2 (Well-Formed Parsed Entities) requires an
entity's text to be balanced. A stray end tag is usually left over from deleting an
element, or a typo in the name.

## Example

```xml
<!-- bad -->
<p>Some <em>emphasis</em></em> here.</p>

<!-- good -->
<p>Some <em>emphasis</em> here.</p>
```
"#,
);

pub static XML_UNCLOSED_TAG: RuleInfo = RuleInfo::new(
    "xml-unclosed-tag",
    Error,
    "an element that is never closed (in the document, or in the entity that opens it)",
    r#"
## What it checks

Elements still open at the end of the document, and elements an entity's replacement
text opens without closing.

## Why it matters

XML 1.0 §3 (Logical Structures): an element is a start tag, content and an end tag (or
an empty-element tag). §4.3.2 (Well-Formed Parsed Entities) requires the replacement
text of an entity used in content to match `content`, so an entity cannot open an element
that the document closes. Truncated files and entities in `xep.ent` split in the wrong
place are the usual causes.

## Example

```xml
<!-- bad -->
<!ENTITY note "<em>Note:">
<p>&note;</em> read this.</p>

<!-- good -->
<!ENTITY note "<em>Note:</em>">
<p>&note; read this.</p>
```
"#,
);

pub static XML_NO_ROOT: RuleInfo = RuleInfo::new(
    "xml-no-root",
    Error,
    "a document without a root element",
    r#"
## What it checks

That the document contains an element at all: an empty file, or one holding only a
prolog and comments, is reported at its end.

## Why it matters

XML 1.0 §2.1 (Well-Formed XML Documents): a document is a prolog, exactly one root
element and miscellaneous comments and processing instructions. An XEP is one `<xep>`
element holding a `<header>` and sections.

## Example

```xml
<!-- bad -->
<?xml version='1.0' encoding='UTF-8'?>
<!-- TODO: write the XEP -->

<!-- good -->
<?xml version='1.0' encoding='UTF-8'?>
<xep>…</xep>
```
"#,
);

pub static XML_CONTENT_AFTER_ROOT: RuleInfo = RuleInfo::new(
    "xml-content-after-root",
    Error,
    "an element after the root element has ended",
    r#"
## What it checks

A start tag after the end of the root element (reported once per document).

## Why it matters

XML 1.0 §2.1 (Well-Formed XML Documents): there is exactly one root element. After
`</xep>` only comments, processing instructions and white space may follow. A section
pasted after the closing tag, or a `</xep>` in the middle of the file, causes this.

## Example

```xml
<!-- bad -->
<xep>…</xep>
<section1 topic='Appendix' anchor='appendix'>…</section1>

<!-- good -->
<xep>…
<section1 topic='Appendix' anchor='appendix'>…</section1>
</xep>
```
"#,
);

pub static XML_TEXT_OUTSIDE_ROOT: RuleInfo = RuleInfo::new(
    "xml-text-outside-root",
    Error,
    "a run of text, a CDATA section or an entity reference outside the root element",
    r#"
## What it checks

Character data other than white space, CDATA sections and entity references before the
root element or after it.

## Why it matters

XML 1.0 §2.1 (Well-Formed XML Documents) and §2.8 (Prolog and Document Type
Declaration): outside the root element only `Misc` (comments, processing instructions,
white space) may stand. Stray text there is often a fragment left by a merge.

## Example

```xml
<!-- bad -->
<xep>…</xep>
end of file

<!-- good -->
<xep>…</xep>
<!-- end of file -->
```
"#,
);

pub static XML_MISPLACED_DECLARATION: RuleInfo = RuleInfo::new(
    "xml-misplaced-declaration",
    Error,
    "an XML declaration, `<?xml …?>` or DOCTYPE where it may not stand",
    r#"
## What it checks

That the XML declaration stands at the very start of the file (only a byte order mark may
precede it), that no processing instruction uses the reserved target `xml`, and that
there is at most one DOCTYPE, before the root element and outside entities.

## Why it matters

XML 1.0 §2.8 (Prolog and Document Type Declaration) places the XML declaration first and
the document type declaration before the first element; §2.6 (Processing Instructions)
reserves targets matching `[Xx][Mm][Ll]`. A blank line or a comment above
`<?xml version='1.0'?>`, often introduced by a licence header or a merge, makes the whole
file ill-formed.

## Example

```xml
<!-- bad: a comment before the declaration -->
<!-- Copyright … -->
<?xml version='1.0' encoding='UTF-8'?>

<!-- good -->
<?xml version='1.0' encoding='UTF-8'?>
<!-- Copyright … -->
```
"#,
);

pub static XML_BAD_DOCTYPE: RuleInfo = RuleInfo::new(
    "xml-bad-doctype",
    Error,
    "a DOCTYPE without a valid name, or with a malformed identifier",
    r#"
## What it checks

The document type declaration: a valid name after `<!DOCTYPE`, and quoted public and
system identifiers after `PUBLIC` and `SYSTEM`.

## Why it matters

XML 1.0 §2.8 (Prolog and Document Type Declaration) defines `doctypedecl ::= '<!DOCTYPE'
S Name (S ExternalID)? S? ('[' intSubset ']' S?)? '>'` and §4.2.2 (External Entities)
`ExternalID`. Without a valid SYSTEM literal neither the DTD nor `xep.ent` can be found.

## Example

```xml
<!-- bad -->
<!DOCTYPE xep SYSTEM xep.dtd>

<!-- good -->
<!DOCTYPE xep SYSTEM 'xep.dtd'>
```
"#,
);

pub static XML_BAD_COMMENT: RuleInfo = RuleInfo::new(
    "xml-bad-comment",
    Error,
    "a comment holding `--`, or ending in `--->`",
    r#"
## What it checks

That a comment contains no `--` and does not end with `-` before `-->`.

## Why it matters

XML 1.0 §2.5 (Comments): for compatibility, the string `--` must not occur within
comments, and `--->` is not a legal end. Commenting out a block that already holds a
comment, or a row of dashes used as a separator, triggers it.

## Example

```xml
<!-- bad -->
<!-- ---------- Examples ---------- -->

<!-- good -->
<!-- ========== Examples ========== -->
```
"#,
);

pub static XML_UNTERMINATED: RuleInfo = RuleInfo::new(
    "xml-unterminated",
    Error,
    "a comment, CDATA section, processing instruction, DOCTYPE or tag that is never closed",
    r#"
## What it checks

Constructs that reach the end of the file (or of an entity's text) without their closing
delimiter: `-->`, `]]>`, `?>`, `>` of a DOCTYPE or tag, the closing quote of an attribute
value; and `<!` that starts none of comment, CDATA section or DOCTYPE. What follows such
a construct cannot be read, so it is not checked.

## Why it matters

XML 1.0 §2.5 (Comments), §2.6 (Processing Instructions), §2.7 (CDATA Sections), §2.8
(Prolog and Document Type Declaration) and §3.1 (Start-Tags, End-Tags, and Empty-Element
Tags) each require their end delimiter. An unclosed comment silently swallows the rest
of an XEP: its sections then disappear from the rendered document.

## Example

```xml
<!-- bad -->
<!-- TODO: reword this paragraph
<p>Text.</p>

<!-- good -->
<!-- TODO: reword this paragraph -->
<p>Text.</p>
```
"#,
);

pub static XML_SYNTAX: RuleInfo = RuleInfo::new(
    "xml-syntax",
    Error,
    "an XML syntax error no other rule names, such as `]]>` in text",
    r#"
## What it checks

Syntax errors no more specific rule covers, for example the sequence `]]>` in ordinary
text, or a construct the tokenizer cannot read.

## Why it matters

XML 1.0 §2.4 (Character Data and Markup): the right angle bracket must be escaped as
`&gt;` when it appears in the string `]]>` in content, because that string ends a CDATA
section. Any other syntax error is a fatal error by §1.2 (Terminology) as well.

## Example

```xml
<!-- bad -->
<p>Arrays are closed with ]]> in this language.</p>

<!-- good -->
<p>Arrays are closed with ]]&gt; in this language.</p>
```
"#,
);

pub static XML_DEPTH_LIMIT: RuleInfo = RuleInfo::new(
    "xml-depth-limit",
    Error,
    "an element nested more deeply than xeplint follows (1024 levels)",
    r#"
## What it checks

The nesting depth of elements; past 1024 levels the document is reported here and the
rest is not checked.

## Why it matters

XML 1.0 §3 (Logical Structures) sets no limit on nesting, but a linter run by CI on
untrusted contributions must stay bounded in time and memory. Real XEPs nest a dozen
levels; thousands of levels are a mistake (such as an unclosed element repeated by a
generator) or an attack.

## Example

```xml
<!-- bad: generated markup that never closes -->
<div><div><div><div>… (thousands more)

<!-- good -->
<div><p>…</p></div>
```
"#,
);

pub static XML_TOO_MANY_ERRORS: RuleInfo = RuleInfo::new(
    "xml-too-many-errors",
    Error,
    "a document whose well-formedness checking stopped after 50 errors",
    r#"
## What it checks

Nothing by itself: after 50 well-formedness errors in one document xeplint stops
checking it and says so here.

## Why it matters

XML 1.0 §1.2 (Terminology): after a fatal error a processor may go on looking for errors
to report, but must not continue normal processing. After many errors the later ones are
mostly consequences of the first (a file that is not XML at all, or one unclosed quote);
stopping keeps the output readable and the run bounded.

## Example

```xml
<!-- bad: an HTML file given to xeplint -->
<html><body><br><p>Hello & welcome<br></body></html>

<!-- good: fix the first errors, then check again -->
<xep>…</xep>
```
"#,
);
