use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use xeplint::check::{Input, Options, Session, collect_inputs};
use xeplint::diag::Severity;
use xeplint::report::{self, Summary};

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
    /// List every rule with its default severity
    Rules,
    /// Explain a rule: what it checks, why, and an example
    Explain {
        /// A rule id, as shown in brackets in the output (e.g. `revision-order`)
        rule: String,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// Source snippets with labels and help (default)
    Human,
    /// `path:line:column: severity[rule]: message`, one line each
    Short,
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
    /// Worker threads (default: all cores)
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
}

#[derive(clap::Args, Debug)]
struct MetaArgs {
    /// The XEP source
    file: PathBuf,
    #[command(flatten)]
    load: LoadArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => check(args),
        Command::Meta(args) => meta(args),
        Command::Rules => rules(),
        Command::Explain { rule } => explain(&rule),
    }
}

fn rules() -> ExitCode {
    let all = xeplint::rules::registry();
    let width = all.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for r in all {
        out.push_str(&format!(
            "{:<width$}  {:<7}  {}\n",
            r.id,
            r.severity.as_str(),
            r.summary
        ));
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    ExitCode::SUCCESS
}

fn explain(id: &str) -> ExitCode {
    match xeplint::rules::lookup(id) {
        Some(r) => {
            let text = format!(
                "# {} ({})\n\n{}\n\n{}\n",
                r.id,
                r.severity,
                r.summary,
                r.doc.trim()
            );
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
        None => {
            let ids = xeplint::rules::registry().into_iter().map(|r| r.id);
            match xeplint::suggest::closest(id, ids) {
                Some(s) => eprintln!(
                    "xeplint: no rule `{id}`; did you mean `{s}`? (`xeplint rules` lists them all)"
                ),
                None => eprintln!("xeplint: no rule `{id}` (`xeplint rules` lists them all)"),
            }
            ExitCode::from(2)
        }
    }
}

fn options(load: &LoadArgs) -> Options {
    let mut o = Options::default();
    o.parse.entities = load.entities.clone();
    o.dtd = load.dtd.clone();
    o
}

fn check(args: CheckArgs) -> ExitCode {
    if let Some(n) = args.jobs {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    let session = Session::new(options(&args.load));
    let (inputs, walk_errors) = collect_inputs(&args.paths);
    let reports = session.check_all(&inputs);
    let sources = session.snapshot();
    let mut out = std::io::stdout().lock();
    let text = match args.format {
        Format::Short | Format::Human => report::short::render(&reports, &sources),
    };
    let _ = out.write_all(text.as_bytes());
    for (path, e) in &walk_errors {
        eprintln!("xeplint: cannot read {path}: {e}");
    }
    let summary = Summary::of(&reports);
    if args.format == Format::Human {
        eprintln!("{}", summary.line());
    }
    if !walk_errors.is_empty() || summary.unreadable > 0 {
        ExitCode::from(2)
    } else if reports.iter().any(|r| r.count(Severity::Error) > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn meta(args: MetaArgs) -> ExitCode {
    let session = Session::new(options(&args.load));
    match session.parse(&Input::file(args.file.clone())) {
        Ok(parsed) => {
            let _ = parsed;
            eprintln!("xeplint: meta is not available yet");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("xeplint: cannot read {}: {e}", args.file.display());
            ExitCode::from(2)
        }
    }
}
