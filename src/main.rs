use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use xeplint::baseline::{Baseline, Tally};
use xeplint::batch::BATCH;
use xeplint::check::{Input, Options, Session};
use xeplint::config::Config;
use xeplint::diag::FileReport;
use xeplint::diag::{FixAvailability, Severity};
use xeplint::fix::Mode;
use xeplint::gate::Gate;
use xeplint::limits::MAX_JOBS;
use xeplint::load::Chosen;
use xeplint::report::{self, Summary};
use xeplint::source::Sources;
use xeplint::walk::{Found, Walk};

/// Lint XMPP Extension Protocol (XEP) sources: well-formedness, DTD validity,
/// XEP-0001 metadata and XEP-0143 structure, with exact positions.
#[derive(Parser, Debug)]
#[command(name = "xeplint", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check files and folders (folders are searched for *.xml)
    Check(CheckArgs),
    /// Print a document's metadata and section tree as JSON
    Meta(MetaArgs),
    /// Print the XEP list of a XEP repository as JSON (the headers of its xep-NNNN.xml)
    List(ListArgs),
    /// List every rule with its default severity (`fix`: --fix can fix some of its findings)
    Rules,
    /// Explain a rule: what it checks, why, and an example
    Explain {
        /// A rule id, as shown in brackets in the output (e.g. `revision-order`)
        rule: String,
    },
    /// Run the language server (LSP over standard input and output), for editors
    Server,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// Source snippets with labels and help (default)
    Human,
    /// `path:line:column: severity[rule]: message`, one line each
    Short,
    /// One JSON document for the run (schema: docs/json-schema.json)
    Json,
    /// SARIF 2.1.0, for code scanning
    Sarif,
    /// GitHub Actions annotations (`::error file=…::message`)
    Github,
}

/// The lowest severity that makes the exit status 1.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ErrorOn {
    Info,
    Warning,
    Error,
}

impl ErrorOn {
    fn severity(self) -> Severity {
        match self {
            ErrorOn::Info => Severity::Info,
            ErrorOn::Warning => Severity::Warning,
            ErrorOn::Error => Severity::Error,
        }
    }
}

#[derive(clap::Args, Debug, Clone)]
struct LoadArgs {
    /// Entity file to use for the DOCTYPE's external parameter entities (`%ents;`)
    #[arg(long, value_name = "PATH")]
    entities: Option<PathBuf>,
    /// DTD to validate against, instead of the one the DOCTYPE names
    #[arg(long, value_name = "PATH")]
    dtd: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct CheckArgs {
    /// Files or folders to check (`-` reads standard input; see --stdin-filename)
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    #[command(flatten)]
    load: LoadArgs,
    /// Worker threads (default: all cores; at most 256)
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    jobs: Option<u32>,
    /// Configuration file (default: xeplint.toml in this folder or the nearest ancestor)
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Set a rule's level, over the configuration: off, info, warning or error (repeatable)
    #[arg(long = "rule", value_name = "ID=LEVEL")]
    rules: Vec<String>,
    /// Exit with status 1 when a finding is at or above this level
    #[arg(long, value_enum, value_name = "LEVEL", default_value_t = ErrorOn::Error)]
    error_on: ErrorOn,
    /// Path standard input (`-`) stands for: names it in output, locates its entity file and DTD
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,
    /// Report only findings not recorded in this baseline file
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record every current finding in this baseline file (and report none)
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    write_baseline: Option<PathBuf>,
    /// Apply the safe fixes in place, then report what is left (with `-`: print the fixed document)
    #[arg(long, conflicts_with = "write_baseline")]
    fix: bool,
    /// Apply the unsafe fixes too (with --fix or --diff)
    #[arg(long)]
    unsafe_fixes: bool,
    /// Print a unified diff of what --fix would change, write nothing; exit 1 when there is something to fix
    #[arg(long, conflicts_with_all = ["fix", "write_baseline"])]
    diff: bool,
    /// Also compare each changed XEP with its version at the merge base of REF and HEAD
    /// (change rules; needs the history: `fetch-depth: 0` in GitHub Actions)
    #[arg(long, value_name = "REF")]
    base: Option<String>,
    /// The date the rules take as today, YYYY-MM-DD (default: the system's date, UTC)
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    today: Option<xeplint::values::Date>,
    /// Initials for the revision block a fix inserts (default: `initials` in xeplint.toml,
    /// else those of git's user.name)
    #[arg(long, value_name = "INITIALS")]
    initials: Option<String>,
    /// Do not read the XEP repository around the documents (no repository rules)
    #[arg(long)]
    no_repository: bool,
}

fn parse_date(s: &str) -> Result<xeplint::values::Date, String> {
    xeplint::values::Date::parse(s).map_err(|_| format!("`{s}` is not a date YYYY-MM-DD"))
}

#[derive(clap::Args, Debug)]
struct ListArgs {
    /// The repository's folder (holding xep.ent and the xep-NNNN.xml files)
    #[arg(value_name = "FOLDER", default_value = ".")]
    folder: PathBuf,
}

#[derive(clap::Args, Debug)]
struct MetaArgs {
    /// The XEP source
    file: PathBuf,
    #[command(flatten)]
    load: LoadArgs,
}

fn main() -> ExitCode {
    tune_allocator();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e),
    };
    match cli.command {
        Command::Check(args) => check(args),
        Command::Meta(args) => meta(args),
        Command::List(args) => list(args),
        Command::Rules => rules(),
        Command::Explain { rule } => explain(&rule),
        Command::Server => match xeplint::server::run_stdio() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                say(report::escape::text(&e));
                ExitCode::FAILURE
            }
        },
    }
}

/// What clap has to say instead of a command: help and the version go to
/// standard output, where a failed write (a full disk) exits with status 2
/// as any other output does (`clap::Error::exit` would ignore it and exit
/// 0); a closed pipe is quiet. Usage errors go to standard error, status 2.
fn clap_exit(e: &clap::Error) -> ExitCode {
    let printed = e.print().and_then(|()| {
        if e.use_stderr() {
            std::io::stderr().flush()
        } else {
            std::io::stdout().flush()
        }
    });
    match printed {
        Err(err) if !e.use_stderr() && err.kind() != std::io::ErrorKind::BrokenPipe => {
            say(format!("cannot write the output: {err}"));
            ExitCode::from(2)
        }
        _ => ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2)),
    }
}

/// glibc serves blocks above a threshold with their own mappings, but raises
/// that threshold each time it frees one: document texts then come from its
/// heaps, which fragment, and peak memory grows with the number of documents
/// checked (1.4 times for ten copies of the corpus instead of one). A fixed
/// threshold keeps it flat (1.15 times); the large arenas the parser reuses per
/// thread are unaffected, and time does not change measurably.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: mallopt only sets a parameter of the allocator; it runs before
    // any other thread exists, and a refusal (return 0) leaves the default.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

fn rules() -> ExitCode {
    let all = xeplint::rules::registry();
    let width = all.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for r in all {
        // `fix`: `check --fix` can fix some of its findings.
        let fix = if r.fix == FixAvailability::None {
            ""
        } else {
            "fix"
        };
        out.push_str(&format!(
            "{:<width$}  {:<7}  {:<3}  {}\n",
            r.id,
            r.severity.as_str(),
            fix,
            r.summary
        ));
    }
    print(out.as_bytes())
}

fn explain(id: &str) -> ExitCode {
    match xeplint::rules::lookup(id) {
        Some(r) => {
            let text = format!(
                "# {} ({})\n\n{}\n\n{}{}\n",
                r.id,
                r.severity,
                r.summary,
                r.fix_line().map(|l| format!("{l}\n\n")).unwrap_or_default(),
                r.doc_text()
            );
            print(text.as_bytes())
        }
        None => {
            let shown = report::escape::text(id);
            let ids = xeplint::rules::registry().into_iter().map(|r| r.id);
            match xeplint::suggest::closest(id, ids) {
                Some(s) => usage(format!(
                    "no rule `{shown}`; did you mean `{s}`? (`xeplint rules` lists them all)"
                )),
                None => usage(format!(
                    "no rule `{shown}` (`xeplint rules` lists them all)"
                )),
            }
        }
    }
}

fn options(load: &LoadArgs) -> Options {
    let mut o = Options::default();
    o.parse.entities = load.entities.as_ref().map(|p| Chosen::new(p, "--entities"));
    o.dtd = load.dtd.as_ref().map(|p| Chosen::new(p, "--dtd"));
    o
}

/// A line on standard error. A failure to write it cannot be reported
/// anywhere: it is ignored (the exit status still says what happened).
fn say(message: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr().lock(), "xeplint: {message}");
}

/// A usage error: message on standard error, exit status 2.
fn usage(message: impl std::fmt::Display) -> ExitCode {
    say(message);
    ExitCode::from(2)
}

/// Write the whole output of a command that prints once (`rules`,
/// `explain`, `meta`).
fn print(bytes: &[u8]) -> ExitCode {
    let mut out = Stdout::default();
    out.write(bytes);
    out.flush();
    out.status().unwrap_or(ExitCode::SUCCESS)
}

/// Standard output, as a run writes it. A closed pipe (`| head`) ends the
/// run quietly, as `grep` does; any other failure (a full disk) is
/// reported and the run exits with status 2.
#[derive(Default)]
struct Stdout {
    /// The reader went away: nothing more is written, nothing is said.
    closed: bool,
    failed: bool,
    /// Write to standard error instead (the report of `--fix -`, whose
    /// standard output is the fixed document).
    to_stderr: bool,
}

impl Stdout {
    fn write(&mut self, bytes: &[u8]) {
        if self.closed || self.failed {
            return;
        }
        let r = if self.to_stderr {
            std::io::stderr().lock().write_all(bytes)
        } else {
            std::io::stdout().lock().write_all(bytes)
        };
        self.take(r);
    }

    fn flush(&mut self) {
        if !self.closed && !self.failed {
            let r = if self.to_stderr {
                std::io::stderr().lock().flush()
            } else {
                std::io::stdout().lock().flush()
            };
            self.take(r);
        }
    }

    fn take(&mut self, r: std::io::Result<()>) {
        match r {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => self.closed = true,
            Err(e) => {
                self.failed = true;
                say(format!("cannot write the output: {e}"));
            }
        }
    }

    /// Whether writing should stop.
    fn done(&self) -> bool {
        self.closed || self.failed
    }

    /// The exit status the output imposes, if any: 2 after a failed write.
    fn status(&self) -> Option<ExitCode> {
        self.failed.then(|| ExitCode::from(2))
    }
}

fn check(args: CheckArgs) -> ExitCode {
    let gate = Arc::new(Gate::new());
    // Configuration: the file, then the command line over it.
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let config_path = args.config.clone().or_else(|| Config::discover(&cwd));
    let mut config = match &config_path {
        Some(p) => match Config::load(p, &gate) {
            Ok(c) => c,
            Err(e) => return usage(report::escape::text(&e.to_string())),
        },
        None => Config::empty(&cwd),
    };
    for r in &args.rules {
        if let Err(e) = config.set_rule_arg(r) {
            return usage(report::escape::text(&e.to_string()));
        }
    }
    let mut opts = options(&args.load);
    if opts.parse.entities.is_none() {
        opts.parse.entities = config.entities.clone();
    }
    if opts.dtd.is_none() {
        opts.dtd = config.dtd.clone();
    }
    if let Some(path) = &args.baseline {
        match Baseline::load(path, &gate) {
            Ok(b) => opts.baseline = Some(Arc::new(b)),
            Err(e) => {
                return usage(format!(
                    "cannot use baseline {}: {}",
                    report::escape::path(path),
                    report::escape::text(&e)
                ));
            }
        }
    }
    opts.no_repository = args.no_repository;
    opts.today = args.today;
    if let Some(base) = &args.base {
        let first = args.paths.iter().find(|p| p.as_os_str() != "-");
        let dir = match first {
            Some(p) if p.is_dir() => p.clone(),
            Some(p) => match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            },
            None => cwd.clone(),
        };
        // git's user.name (for the initials of a fix) is asked beside the
        // change set, when neither --initials nor the configuration gives them.
        let given = args.initials.clone().or_else(|| config.initials.clone());
        let (set, initials) = std::thread::scope(|s| {
            let initials = given
                .is_none()
                .then(|| s.spawn(|| xeplint::repo::git::user_initials(&dir)));
            // Named files only: only they are compared in the work tree.
            let files = args
                .paths
                .iter()
                .all(|p| p.as_os_str() != "-" && p.is_file());
            let checked = (files && !args.paths.is_empty()).then_some(args.paths.as_slice());
            let set = xeplint::repo::git::ChangeSet::open(&dir, base, checked);
            (set, initials.and_then(|h| h.join().ok().flatten()))
        });
        match set {
            Ok(set) => opts.change = Some(Arc::new(set)),
            Err(e) => return usage(format!("--base: {}", report::escape::text(&e))),
        }
        opts.initials = given.or(initials);
    }
    let config = Arc::new(config);
    opts.config = config.clone();
    if let Some(n) = args.jobs {
        let n = n as usize;
        if n > MAX_JOBS {
            say(format!(
                "--jobs {n} is more than {MAX_JOBS}: using {MAX_JOBS} threads"
            ));
        }
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.min(MAX_JOBS))
            .build_global();
    }

    // Inputs: files and folders, `-` for standard input; `ignore` applied.
    let stdin_count = args.paths.iter().filter(|p| p.as_os_str() == "-").count();
    if stdin_count > 1 {
        return usage("`-` (standard input) may be given only once");
    }
    if args.stdin_filename.is_some() && stdin_count == 0 {
        return usage("--stdin-filename needs `-` among the paths");
    }
    let fixing = match (args.fix || args.diff, args.unsafe_fixes) {
        (true, false) => Some(Mode::Safe),
        (true, true) => Some(Mode::Unsafe),
        (false, true) => return usage("--unsafe-fixes needs --fix or --diff"),
        (false, false) => None,
    };
    if args.fix && stdin_count == 1 && args.paths.len() > 1 {
        return usage(
            "with --fix, `-` (standard input) must be the only path: the fixed document is printed on standard output",
        );
    }
    // Standard input is read first; folders are walked as the run goes.
    let mut stdin = None;
    if stdin_count == 1 {
        let name = args.stdin_filename.clone();
        stdin = Some(match gate.read_stdin() {
            Ok(bytes) => Input::stdin(bytes, name),
            Err(e) => Input::failed(
                name.map_or_else(
                    || "<stdin>".to_string(),
                    |n| xeplint::walk::display_path(&n),
                ),
                format!("standard input: {}", e.reason()),
            ),
        });
    }
    let progress = Progress::new();
    // `--fix -` prints the fixed document on standard output; the report
    // goes to standard error.
    let stdin_fix = args.fix && stdin_count == 1;
    let mut out = Stdout {
        to_stderr: stdin_fix,
        ..Stdout::default()
    };
    let mut document = Stdout::default();
    let stop = std::cell::Cell::new(false);
    // What each folder named gave, to warn about those with no XEP source.
    let found_in: std::cell::RefCell<Vec<usize>> =
        std::cell::RefCell::new(vec![0; args.paths.len()]);
    let found_in = &found_in;
    let inputs = args
        .paths
        .iter()
        .enumerate()
        .flat_map(|(k, p)| -> Box<dyn Iterator<Item = Found> + '_> {
            let count = move |f: Found| {
                if let Some(n) = found_in.borrow_mut().get_mut(k) {
                    *n += 1;
                }
                f
            };
            if p.as_os_str() == "-" {
                Box::new(stdin.take().map(Ok).into_iter().map(count))
            } else {
                Box::new(Walk::new(p, &gate).map(count))
            }
        })
        .map(|found| found.unwrap_or_else(|(path, why)| Input::failed(path, why)))
        .filter(|i| i.error.is_some() || !config.is_ignored(&i.path))
        .take_while(|_| !stop.get());

    // Each document is rendered (or its positions resolved, for JSON and
    // SARIF, which are one document each) right after it is checked, and its
    // text released: memory stays flat however many documents there are.
    // Output is printed in input order as it comes.
    let session = Session::with_gate(opts, gate.clone());
    let resolver = match (&args.write_baseline, args.format) {
        (Some(_), _) => Resolver::Nothing,
        (None, Format::Human) => {
            let color = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            Resolver::Human(Box::new(report::human::handler(color)))
        }
        (None, Format::Short) => Resolver::Short,
        (None, Format::Github) => Resolver::Github,
        (None, Format::Json) => Resolver::Json,
        (None, Format::Sarif) => Resolver::Sarif,
    };
    let mut sink = match (&args.write_baseline, args.format) {
        (Some(_), _) => Sink::Baseline(Tally::default()),
        (None, Format::Json) => Sink::Json(report::json::Builder::new()),
        (None, Format::Sarif) => Sink::Sarif(Box::new(report::sarif::Builder::new())),
        (None, _) => Sink::Print,
    };
    let threshold = args.error_on.severity();
    let mut summary = Summary::default();
    let mut failing = false;
    let mut pending = String::new();
    let flush = |pending: &mut String, out: &mut Stdout| {
        if !pending.is_empty() {
            progress.clear();
            out.write(pending.as_bytes());
            pending.clear();
            if out.done() {
                stop.set(true);
            }
        }
    };
    let mut fixes = FixTally::default();
    let work = |input: &Input| match fixing {
        None => {
            let (report, file) = session.check_document(input);
            (report, file, None)
        }
        Some(mode) => {
            let outcome = xeplint::fix::fix_document(&session, input, mode);
            let done = fixed(&outcome, input, &gate, args.diff);
            (outcome.report, outcome.file, Some(done))
        }
    };
    session.check_each_by(
        inputs,
        BATCH,
        work,
        |r, sources, done| {
            // `--diff` prints the diff alone; `--fix -` the document, and
            // its findings on standard error.
            let made = if args.diff {
                Resolved::Nothing
            } else {
                resolver.resolve(r, sources)
            };
            (made, done)
        },
        |r, (made, done)| {
            if let Some(done) = done {
                fixes.add(&done, &mut pending, &mut document);
            }
            if args.diff {
                summary.add(&r);
                return;
            }
            summary.add(&r);
            failing |= r.diagnostics.iter().any(|d| d.severity >= threshold);
            sink.add(&r, made, &mut pending);
            if pending.len() >= FLUSH {
                flush(&mut pending, &mut out);
            }
            if summary.files.is_multiple_of(16) {
                progress.show(summary.files);
            }
        },
    );
    flush(&mut pending, &mut out);
    progress.clear();
    let unreadable = summary.unreadable > 0;
    for (p, n) in args.paths.iter().zip(found_in.borrow().iter()) {
        if *n == 0 && p.is_dir() {
            say(format!(
                "warning: no XEP source (`*.xml`) found in `{}`",
                report::escape::path(p)
            ));
        }
    }

    if fixing.is_some() {
        document.flush();
        let line = fixes.line(args.diff);
        if args.diff {
            out.flush();
            say(line);
            return if let Some(status) = out.status().or(document.status()) {
                status
            } else if unreadable || fixes.problems {
                ExitCode::from(2)
            } else if fixes.findings > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
        if args.format != Format::Human || stdin_fix {
            say(&line);
        } else {
            fixes.summary = Some(line);
        }
        if let Some(status) = document.status() {
            return status;
        }
    }
    match sink {
        Sink::Baseline(tally) => {
            let baseline = tally.finish();
            let Some(path) = args.write_baseline.as_deref() else {
                return ExitCode::from(2);
            };
            if let Err(e) = gate.write_atomic(path, baseline.to_json().as_bytes()) {
                return usage(format!(
                    "cannot write baseline {}: {}",
                    report::escape::path(path),
                    e.reason()
                ));
            }
            say(format!(
                "wrote {} finding(s) in {} entries to {}",
                baseline.findings(),
                baseline.entries.len(),
                report::escape::path(path)
            ));
            return if unreadable {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
        Sink::Print if args.format == Format::Human => {
            out.write(format!("{}\n", summary.line()).as_bytes());
            if let Some(line) = &fixes.summary {
                out.write(format!("{line}\n").as_bytes());
            }
        }
        Sink::Print => {}
        Sink::Json(b) => {
            let mut text = Vec::new();
            let _ = report::json::write(&b.finish(), &mut text);
            out.write(&text);
        }
        Sink::Sarif(b) => {
            let mut text = Vec::new();
            let _ = report::sarif::write(&b.finish(), &mut text);
            out.write(&text);
        }
    }
    out.flush();
    if args.format == Format::Github {
        let _ = writeln!(std::io::stderr().lock(), "{}", summary.line());
    }
    if let Some(status) = out.status() {
        status
    } else if (unreadable || fixes.problems) && !out.closed {
        ExitCode::from(2)
    } else if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// What fixing one document did, for the run's output.
struct Fixed {
    applied: usize,
    unsafe_left: usize,
    /// `--diff`: the diff, safe to print.
    diff: Option<String>,
    /// `--fix -`: the fixed document.
    document: Option<Vec<u8>>,
    /// Lines for standard error: a file not written, a fix refused.
    problems: Vec<String>,
}

/// Write or show what fixing `input` gave.
fn fixed(o: &xeplint::fix::Outcome, input: &Input, gate: &Gate, diff: bool) -> Fixed {
    let shown = report::escape::text(&input.display).into_owned();
    let mut done = Fixed {
        applied: o.applied,
        unsafe_left: o.unsafe_left(),
        diff: None,
        document: None,
        problems: Vec::new(),
    };
    if let Some(why) = &o.unfixable {
        done.problems.push(format!("{shown}: {why}"));
    }
    for (rule, title) in &o.refused {
        done.problems.push(format!(
            "{shown}: a fix of `{rule}` made the document worse and was left out ({}); this is a bug, please report it",
            report::escape::text(title)
        ));
    }
    if diff {
        if o.changed() {
            done.diff = Some(diff_text(&o.original, &o.fixed, &shown));
        }
    } else if let Some(bytes) = &input.bytes {
        // Standard input: the document, fixed when it could be.
        done.document = Some(if o.unfixable.is_some() || o.report.read_error.is_some() {
            bytes.clone()
        } else {
            o.fixed.as_bytes().to_vec()
        });
    } else if o.changed()
        && let Err(e) = gate.write_atomic(&input.path, o.fixed.as_bytes())
    {
        done.problems
            .push(format!("cannot write {shown}: {}", e.reason()));
        done.applied = 0;
    }
    done
}

/// A unified diff, safe for a terminal and a CI log: control characters
/// escaped (a CR ending a line kept), and, under GitHub Actions, workflow
/// commands stopped around it (a context line starts with a blank, which
/// GitHub trims: a document line `::error::…` would be read as a command).
fn diff_text(original: &str, fixed: &str, shown: &str) -> String {
    let mut out = safe_lines(&xeplint::fix::unified_diff(original, fixed, shown));
    if std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
        use std::hash::BuildHasher;
        let token = std::collections::hash_map::RandomState::new().hash_one(std::process::id());
        out = format!("::stop-commands::xeplint-{token:x}\n{out}::xeplint-{token:x}::\n");
    }
    out
}

/// Text whose lines are kept (LF, CRLF, tabs) and whose other control
/// characters are escaped.
fn safe_lines(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' if chars.peek() == Some(&'\n') => out.push(c),
            c => report::escape::push_char(&mut out, c),
        }
    }
    out
}

/// What the fixes of a run did.
#[derive(Default)]
struct FixTally {
    findings: usize,
    files: usize,
    unsafe_left: usize,
    /// A file could not be written, a fix was refused: exit status 2.
    problems: bool,
    /// The summary line, for the human format's end.
    summary: Option<String>,
}

impl FixTally {
    fn add(&mut self, done: &Fixed, pending: &mut String, document: &mut Stdout) {
        if done.applied > 0 {
            self.findings += done.applied;
            self.files += 1;
        }
        self.unsafe_left += done.unsafe_left;
        for p in &done.problems {
            say(p);
            self.problems = true;
        }
        if let Some(d) = &done.diff {
            pending.push_str(d);
        }
        if let Some(text) = &done.document {
            // The document itself, for a pipe or a file; on a terminal its
            // control characters are escaped (ESC, BEL, a bare CR…).
            if std::io::stdout().is_terminal() {
                document.write(safe_lines(&String::from_utf8_lossy(text)).as_bytes());
            } else {
                document.write(text);
            }
        }
    }

    /// "fixed 14 findings in 3 files; 2 more with --unsafe-fixes"
    fn line(&self, diff: bool) -> String {
        fn plural(n: usize, one: &str) -> String {
            format!("{n} {one}{}", if n == 1 { "" } else { "s" })
        }
        let mut line = format!(
            "{} {} in {}",
            if diff { "would fix" } else { "fixed" },
            plural(self.findings, "finding"),
            plural(self.files, "file")
        );
        if self.unsafe_left > 0 {
            line.push_str(&format!("; {} more with --unsafe-fixes", self.unsafe_left));
        }
        line
    }
}

/// Printed output is written once this much is pending.
const FLUSH: usize = 32 * 1024;

/// How a report is resolved, on the thread that checked its document.
enum Resolver {
    /// `--write-baseline`: nothing printed.
    Nothing,
    Human(Box<miette::GraphicalReportHandler>),
    Short,
    Github,
    Json,
    Sarif,
}

/// What a report was resolved to: text to print, or records whose
/// positions no longer need the document.
enum Resolved {
    Nothing,
    Text(String),
    Json(report::json::Resolved),
    Sarif(Box<report::sarif::Resolved>),
}

impl Resolver {
    fn resolve(&self, r: &FileReport, sources: &Sources) -> Resolved {
        let mut text = String::new();
        match self {
            Resolver::Nothing => return Resolved::Nothing,
            Resolver::Human(handler) => {
                report::human::render_report(r, sources, handler, &mut text)
            }
            Resolver::Short => report::short::render_report(r, sources, &mut text),
            Resolver::Github => report::github::render_report(r, sources, &mut text),
            Resolver::Json => return Resolved::Json(report::json::resolve(r, sources)),
            Resolver::Sarif => {
                return Resolved::Sarif(Box::new(report::sarif::resolve(r, sources)));
            }
        }
        Resolved::Text(text)
    }
}

/// Where resolved reports go, in input order.
enum Sink {
    /// `--write-baseline`: findings counted.
    Baseline(Tally),
    /// human, short, github: printed as they come.
    Print,
    Json(report::json::Builder),
    Sarif(Box<report::sarif::Builder>),
}

impl Sink {
    /// Take in one report: text to print goes to `out`.
    fn add(&mut self, r: &FileReport, made: Resolved, out: &mut String) {
        match (self, made) {
            (Sink::Baseline(tally), _) => tally.add(r),
            (Sink::Json(b), Resolved::Json(j)) => b.push(r, j),
            (Sink::Sarif(b), Resolved::Sarif(s)) => b.push(r, *s),
            (_, Resolved::Text(t)) => out.push_str(&t),
            _ => {}
        }
    }
}

/// A counter of checked documents on standard error, for long runs in a
/// terminal; cleared before anything else is printed.
struct Progress {
    on: bool,
    shown: std::cell::Cell<bool>,
}

impl Progress {
    /// Shown from this many documents on.
    const FROM: usize = 200;

    fn new() -> Progress {
        Progress {
            on: std::io::stderr().is_terminal(),
            shown: std::cell::Cell::new(false),
        }
    }

    fn show(&self, done: usize) {
        if self.on && done > Self::FROM {
            let _ = write!(std::io::stderr().lock(), "\rchecking: {done} files");
            self.shown.set(true);
        }
    }

    fn clear(&self) {
        if self.shown.replace(false) {
            let _ = write!(std::io::stderr().lock(), "\r{:width$}\r", "", width = 30);
        }
    }
}

fn meta(args: MetaArgs) -> ExitCode {
    let session = Session::new(options(&args.load));
    let input = Input::file(args.file.clone());
    let shown = report::escape::path(&args.file);
    match session.parse(&input) {
        Ok(parsed) => {
            let xep = session.model(&input, &parsed);
            let problems = parsed
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            if problems > 0 {
                say(format!(
                    "{shown} has {problems} well-formedness error(s); the metadata may be incomplete (run `xeplint check`)"
                ));
            }
            match serde_json::to_string_pretty(&xep) {
                Ok(json) => print(format!("{json}\n").as_bytes()),
                Err(e) => usage(format!("cannot print the metadata: {e}")),
            }
        }
        Err(e) => usage(format!("cannot read {shown}: {}", report::escape::text(&e))),
    }
}

fn list(args: ListArgs) -> ExitCode {
    let gate = Arc::new(Gate::new());
    let shown = report::escape::path(&args.folder);
    let (root, dir) = match (
        gate.root_of(&args.folder, true),
        std::fs::canonicalize(&args.folder),
    ) {
        (Ok(r), Ok(d)) => (r, d),
        (Err(e), _) => return usage(format!("cannot read {shown}: {}", e.reason())),
        (_, Err(e)) => return usage(format!("cannot read {shown}: {e}")),
    };
    let sources = xeplint::source::SourceMap::new();
    let written = xeplint::walk::display_path(&args.folder);
    let Some(repo) = xeplint::repo::Repository::open(&gate, &sources, &dir, &root, written) else {
        return usage(format!(
            "{shown} is not a XEP repository: it holds no xep.ent beside xep-NNNN.xml files"
        ));
    };
    match serde_json::to_string_pretty(&repo.list()) {
        Ok(json) => print(format!("{json}\n").as_bytes()),
        Err(e) => usage(format!("cannot print the list: {e}")),
    }
}
