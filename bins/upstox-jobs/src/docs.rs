//! Man pages and shell completions for every binary, rendered from the clap definitions so
//! they never drift from the code. `make deb` ships what this writes.

use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;

/// The command-line definitions of every binary the package ships.
pub fn commands() -> Vec<clap::Command> {
    vec![
        crate::cli::Cli::command(),
        nse_index_update::Cli::command(),
        market_sync::Cli::command(),
        alert_scan::Cli::command(),
    ]
}

/// Writes `man1/<bin>.1`, `bash/<bin>`, `zsh/_<bin>` and `fish/<bin>.fish` under `out`.
pub fn generate(out: &Path) -> std::io::Result<()> {
    for dir in ["man1", "bash", "zsh", "fish"] {
        std::fs::create_dir_all(out.join(dir))?;
    }
    for mut cmd in commands() {
        let name = cmd.get_name().to_string();
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
        std::fs::write(out.join("man1").join(format!("{name}.1")), page)?;
        for (shell, file) in [
            (Shell::Bash, name.clone()),
            (Shell::Zsh, format!("_{name}")),
            (Shell::Fish, format!("{name}.fish")),
        ] {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, &name, &mut script);
            std::fs::write(out.join(shell.to_string()).join(file), script)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_binary_gets_a_page_and_three_completions() {
        let dir = tempfile::tempdir().unwrap();
        generate(dir.path()).unwrap();
        for name in [
            "upstox-jobs",
            "upstox-nse-index-update",
            "upstox-market-sync",
            "upstox-alert-scan",
        ] {
            let page = std::fs::read_to_string(dir.path().join(format!("man1/{name}.1"))).unwrap();
            assert!(page.starts_with(".ie \\n(.g .ds Aq"), "{name}: a roff page");
            assert!(page.contains(".SH NAME"), "{name}");
            let bash = std::fs::read_to_string(dir.path().join(format!("bash/{name}"))).unwrap();
            assert!(
                bash.contains(&format!("complete -F _{}", name.replace('-', "__"))),
                "{name}: {bash:.200}"
            );
            assert!(dir.path().join(format!("zsh/_{name}")).exists());
            assert!(dir.path().join(format!("fish/{name}.fish")).exists());
        }
        let nse =
            std::fs::read_to_string(dir.path().join("man1/upstox-nse-index-update.1")).unwrap();
        assert!(
            nse.contains("Exit status"),
            "the exit codes are in the page"
        );
    }
}
