//! A binary's man page, shell completions and the exit-status table of its `--help`, all
//! rendered from its clap definition and the one [`Exit`] enum so they never drift from the
//! code. `make deb` runs each binary with the hidden `--generate-docs DIR` and ships what it
//! writes.

use std::io::Write as _;
use std::path::Path;

use clap_complete::Shell;

use crate::exit::Exit;

/// Every exit status a job can return, with what it means: the table of every job's `--help`.
pub fn job_exits() -> Vec<(Exit, &'static str)> {
    Exit::ALL.iter().map(|&e| (e, e.meaning())).collect()
}

/// The "Exit status:" block of `--help`.
fn exit_table(exits: &[(Exit, &str)]) -> String {
    let mut out = String::from("Exit status:");
    for (exit, meaning) in exits {
        out.push_str(&format!("\n  {:<4} {meaning}", exit.code()));
    }
    out
}

/// `cmd` with the exit table after its own closing text (examples and notes).
pub fn with_exit_table(cmd: clap::Command, exits: &[(Exit, &str)]) -> clap::Command {
    let table = exit_table(exits);
    let after = match cmd.get_after_help() {
        Some(text) => format!("{text}\n\n{table}"),
        None => table,
    };
    cmd.after_help(after)
}

/// Writes `man1/<bin>.1` (with an EXIT STATUS section from `exits`), `bash/<bin>`,
/// `zsh/_<bin>` and `fish/<bin>.fish` under `out`. `cmd` is the definition without the
/// exit table, which the page carries as a section of its own.
pub fn generate(mut cmd: clap::Command, exits: &[(Exit, &str)], out: &Path) -> std::io::Result<()> {
    for dir in ["man1", "bash", "zsh", "fish"] {
        std::fs::create_dir_all(out.join(dir))?;
    }
    let name = cmd.get_name().to_string();
    // A page per subcommand, since the SUBCOMMANDS section names them; `help` has none (it
    // is `--help`), so the pages' copy goes without it.
    let mut pages = cmd.clone().disable_help_subcommand(true);
    pages.build();
    write_pages(&pages, exits, &out.join("man1"))?;
    for (shell, file) in [
        (Shell::Bash, name.clone()),
        (Shell::Zsh, format!("_{name}")),
        (Shell::Fish, format!("{name}.fish")),
    ] {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut cmd, &name, &mut script);
        std::fs::write(out.join(shell.to_string()).join(file), script)?;
    }
    Ok(())
}

/// [`generate`] for `--generate-docs DIR` (`make deb`): 0, or the error on stderr and 73.
pub fn install(cmd: clap::Command, exits: &[(Exit, &str)], dir: &Path) -> std::process::ExitCode {
    let name = cmd.get_name().to_string();
    match generate(cmd, exits, dir) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "{name}: error: cannot write the docs under {}: {e}; give --generate-docs a writable directory",
                dir.display()
            );
            Exit::CantCreate.into()
        }
    }
}

/// `cmd`'s page as `<name>.1` in `dir` (its display name: `upstox-alert-scan-rules` for a
/// subcommand), and one for each of its subcommands.
fn write_pages(cmd: &clap::Command, exits: &[(Exit, &str)], dir: &Path) -> std::io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, exits, dir)?;
    }
    let name = cmd.get_display_name().unwrap_or(cmd.get_name()).to_string();
    let mut page = Vec::new();
    let usage = synopsis(cmd, cmd.get_bin_name().unwrap_or(&name));
    render_page(&cmd.clone().override_usage(usage), exits, &mut page)?;
    std::fs::write(dir.join(format!("{name}.1")), page)
}

/// The SYNOPSIS line, as typed (`upstox-alert-scan rules add`), with each option's argument
/// (`[--config PATH]`), which clap_mangen's own leaves out (`[--config]`).
fn synopsis(cmd: &clap::Command, name: &str) -> String {
    let value = |arg: &clap::Arg| {
        arg.get_value_names()
            .and_then(|names| names.first())
            .map_or_else(|| arg.get_id().as_str().to_uppercase(), |v| v.to_string())
    };
    let mut parts = vec![name.to_string()];
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        let repeats = matches!(
            arg.get_action(),
            clap::ArgAction::Count | clap::ArgAction::Append
        );
        let text = if arg.is_positional() {
            value(arg)
        } else {
            let flag = match (arg.get_short(), arg.get_long()) {
                (Some(short), Some(long)) => format!("-{short}|--{long}"),
                (None, Some(long)) => format!("--{long}"),
                (Some(short), None) => format!("-{short}"),
                (None, None) => continue,
            };
            if arg.get_action().takes_values() {
                format!("{flag} {}", value(arg))
            } else {
                flag
            }
        };
        let text = match (arg.is_required_set(), arg.is_positional()) {
            (true, true) => format!("<{text}>"),
            (true, false) => text,
            (false, _) => format!("[{text}]"),
        };
        parts.push(if repeats { format!("{text}...") } else { text });
    }
    if cmd.has_subcommands() {
        parts.push(if cmd.is_subcommand_required_set() {
            "<COMMAND>".to_string()
        } else {
            "[COMMAND]".to_string()
        });
    }
    parts.join(" ")
}

/// clap_mangen's sections in its order, with EXIT STATUS (man-pages(7)) after the notes.
fn render_page(
    cmd: &clap::Command,
    exits: &[(Exit, &str)],
    page: &mut Vec<u8>,
) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(page)?;
    man.render_name_section(page)?;
    man.render_synopsis_section(page)?;
    man.render_description_section(page)?;
    man.render_options_section(page)?;
    if cmd.has_subcommands() {
        man.render_subcommands_section(page)?;
    }
    if cmd.get_after_help().is_some() {
        man.render_extra_section(page)?;
    }
    writeln!(page, ".SH \"EXIT STATUS\"")?;
    for (exit, meaning) in exits {
        writeln!(page, ".TP\n\\fB{}\\fR\n{}", exit.code(), roff_text(meaning))?;
    }
    if cmd.get_version().is_some() {
        man.render_version_section(page)?;
    }
    Ok(())
}

/// Text as a roff line: a leading dot or quote would be read as a request.
fn roff_text(text: &str) -> String {
    let text = text.replace('\\', "\\\\").replace('-', "\\-");
    if text.starts_with(['.', '\'']) {
        format!("\\&{text}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exit_table_lists_every_code_once_in_order() {
        let table = exit_table(&job_exits());
        let codes: Vec<u8> = table
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(codes, Exit::ALL.map(Exit::code).to_vec());
        assert!(table.contains("\n  75   temporary (lock held"), "{table}");
        assert!(table.lines().all(|l| l.len() <= 90), "{table}");
    }

    #[test]
    fn the_page_has_an_exit_status_section_and_completions_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let cmd = clap::Command::new("upstox-demo")
            .about("A demo")
            .after_help("Examples:\n  upstox-demo")
            .arg(
                clap::Arg::new("flag")
                    .long("flag")
                    .action(clap::ArgAction::SetTrue),
            );
        generate(cmd, &job_exits(), dir.path()).unwrap();
        let page = std::fs::read_to_string(dir.path().join("man1/upstox-demo.1")).unwrap();
        assert!(page.contains(".SH NAME"), "{page}");
        assert!(page.contains(".SH EXTRA"), "{page}");
        let section = page
            .split(".SH \"EXIT STATUS\"")
            .nth(1)
            .expect("the section");
        for exit in Exit::ALL {
            assert!(
                section.contains(&format!(".TP\n\\fB{}\\fR\n", exit.code())),
                "{section}"
            );
        }
        assert!(
            section.contains("SIGTERM (systemd stopping the unit)"),
            "{section}"
        );
        assert!(
            page.contains("\\fBupstox\\-demo\\fR [\\-\\-flag]"),
            "{page}"
        );
        let bash = std::fs::read_to_string(dir.path().join("bash/upstox-demo")).unwrap();
        assert!(bash.contains("complete -F _upstox__demo"), "{bash:.200}");
        assert!(dir.path().join("zsh/_upstox-demo").exists());
        assert!(dir.path().join("fish/upstox-demo.fish").exists());
    }

    #[test]
    fn every_subcommand_the_page_names_has_a_page_and_options_show_their_argument() {
        let dir = tempfile::tempdir().unwrap();
        let cmd =
            clap::Command::new("upstox-demo")
                .about("A demo")
                .arg(
                    clap::Arg::new("config")
                        .long("config")
                        .value_name("PATH")
                        .global(true),
                )
                .subcommand(clap::Command::new("rules").about("The rules").subcommand(
                    clap::Command::new("add").arg(clap::Arg::new("rule").required(true)),
                ));
        generate(cmd, &job_exits(), dir.path()).unwrap();
        let mut pages: Vec<String> = std::fs::read_dir(dir.path().join("man1"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        pages.sort();
        assert_eq!(
            pages,
            [
                "upstox-demo-rules-add.1",
                "upstox-demo-rules.1",
                "upstox-demo.1"
            ]
        );
        let top = std::fs::read_to_string(dir.path().join("man1/upstox-demo.1")).unwrap();
        assert!(top.contains("[\\-\\-config PATH]"), "{top}");
        assert!(top.contains("upstox\\-demo\\-rules(1)"), "{top}");
        assert!(!top.contains("help(1)"), "{top}");
        let add = std::fs::read_to_string(dir.path().join("man1/upstox-demo-rules-add.1")).unwrap();
        assert!(add.contains("upstox\\-demo rules add\\fR <RULE>"), "{add}");
    }
}
