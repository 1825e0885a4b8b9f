//! Scripts that run a sweep's shards on an engine that already exists: a
//! Slurm job array (then the merge as a job that waits for the array), or
//! GNU parallel on one machine. schedlab only writes the script; the
//! engine places, retries and accounts for the work.
//!
//! Paths in a script are absolute (a job may start in another directory)
//! and every word from the user is single-quoted for the shell.

use std::fmt::Write as _;
use std::path::PathBuf;

/// Which engine the script is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Slurm,
    Parallel,
}

impl Engine {
    pub const NAMES: &'static str = "slurm, parallel";

    pub fn parse(text: &str) -> Option<Engine> {
        match text {
            "slurm" => Some(Engine::Slurm),
            "parallel" => Some(Engine::Parallel),
            _ => None,
        }
    }
}

/// Everything a script needs.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The schedlab binary and the scenario, absolute.
    pub exe: PathBuf,
    pub scenario: PathBuf,
    /// The results directory, absolute: shards go to `out/shard-K`.
    pub out: PathBuf,
    pub shards: usize,
    /// The sweep's flags (`--seed 3`, `--param load`, ...), word by word.
    pub sweep_args: Vec<String>,
    /// Slurm options; `max_running` is also parallel's `-j`.
    pub partition: Option<String>,
    pub time: Option<String>,
    pub cpus_per_task: Option<u32>,
    pub max_running: Option<u32>,
    /// Said in the script's header comment.
    pub summary: String,
}

/// `word` quoted for bash: inside single quotes, with `'` as `'\''`.
pub fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,%+@".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Text for the body of an unquoted here-document (`<<EOF`), where the
/// shell would otherwise expand `$`, `\` and backquotes at submission.
fn in_heredoc(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('$', "\\$")
        .replace('`', "\\`")
}

fn path(p: &std::path::Path) -> String {
    quote(&p.display().to_string())
}

impl Plan {
    /// The script for `engine`.
    pub fn script(&self, engine: Engine) -> String {
        match engine {
            Engine::Slurm => self.slurm(),
            Engine::Parallel => self.parallel(),
        }
    }

    fn sweep_words(&self) -> String {
        self.sweep_args
            .iter()
            .map(|a| quote(a))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn header(&self, out: &mut String, how: &str) {
        let _ = writeln!(out, "#!/usr/bin/env bash");
        let _ = writeln!(
            out,
            "# Written by schedlab {} (schedlab sweep --emit): {}",
            env!("CARGO_PKG_VERSION"),
            self.summary
        );
        let _ = writeln!(out, "# {how}");
        let _ = writeln!(out, "set -euo pipefail");
        let _ = writeln!(out, "SCHEDLAB={}", path(&self.exe));
        let _ = writeln!(out, "SCENARIO={}", path(&self.scenario));
        let _ = writeln!(out, "OUT={}", path(&self.out));
        let _ = writeln!(out, "mkdir -p \"$OUT/logs\"");
    }

    /// A job array of N tasks (task K runs shard K into `OUT/shard-K`),
    /// then the merge, held until every task has succeeded; prints the
    /// merge job's id.
    fn slurm(&self) -> String {
        let mut out = String::new();
        self.header(
            &mut out,
            "Run on a Slurm login node: bash THIS. It submits the shards as a job array and the merge \
             as a job that waits for them, and prints the merge job's id (logs in $OUT/logs).",
        );
        let n = self.shards;
        let mut opts = String::new();
        if let Some(p) = &self.partition {
            let _ = write!(opts, " --partition={}", quote(p));
        }
        if let Some(t) = &self.time {
            let _ = write!(opts, " --time={}", quote(t));
        }
        if let Some(c) = self.cpus_per_task {
            let _ = write!(opts, " --cpus-per-task={c}");
        }
        let limit = self.max_running.map_or(String::new(), |m| format!("%{m}"));
        let _ = writeln!(
            out,
            "# sbatch reads each job's script from standard input; --parsable prints \
             \"id\" or \"id;cluster\"."
        );
        let _ = writeln!(
            out,
            "array=$(sbatch --parsable --job-name=schedlab-shards --array=0-{}{limit}{opts} \
             --output=\"$OUT/logs/shard-%a.out\" <<EOF",
            n - 1
        );
        let _ = writeln!(out, "#!/usr/bin/env bash");
        let _ = writeln!(out, "set -euo pipefail");
        let _ = writeln!(
            out,
            "{} sweep {} {} --threads \"\\${{SLURM_CPUS_PER_TASK:-1}}\" \
             --shard \"\\$SLURM_ARRAY_TASK_ID/{n}\" --out {}/shard-\"\\$SLURM_ARRAY_TASK_ID\"",
            in_heredoc(&path(&self.exe)),
            in_heredoc(&path(&self.scenario)),
            in_heredoc(&self.sweep_words()),
            in_heredoc(&path(&self.out)),
        );
        let _ = writeln!(out, "EOF");
        let _ = writeln!(out, ")");
        let _ = writeln!(out, "array=${{array%%;*}}");
        let _ = writeln!(
            out,
            "merge=$(sbatch --parsable --job-name=schedlab-merge --dependency=afterok:\"$array\"{opts} \
             --output=\"$OUT/logs/merge.out\" <<EOF"
        );
        let _ = writeln!(out, "#!/usr/bin/env bash");
        let _ = writeln!(out, "set -euo pipefail");
        let _ = writeln!(
            out,
            "{exe} merge {dir}/shard-* --out {dir} --threads \"\\${{SLURM_CPUS_PER_TASK:-1}}\"",
            exe = in_heredoc(&path(&self.exe)),
            dir = in_heredoc(&path(&self.out)),
        );
        let _ = writeln!(out, "EOF");
        let _ = writeln!(out, ")");
        let _ = writeln!(out, "merge=${{merge%%;*}}");
        let _ = writeln!(
            out,
            "echo \"submitted shards as job array $array ({n} tasks), merge as job $merge\" >&2"
        );
        let _ = writeln!(out, "echo \"$merge\"");
        out
    }

    /// GNU parallel over K = 0..N-1 with a job log, so that running the
    /// script again runs only the shards that did not succeed; then the merge.
    fn parallel(&self) -> String {
        let mut out = String::new();
        self.header(
            &mut out,
            "Run: bash THIS. GNU parallel runs the shards (again only those not yet done, from \
             its --joblog), then schedlab merges them into $OUT.",
        );
        let n = self.shards;
        let jobs = self
            .max_running
            .map_or(String::new(), |m| format!(" --jobs {m}"));
        let _ = writeln!(
            out,
            "parallel --joblog \"$OUT/logs/parallel.joblog\" --resume-failed --halt now,fail=1{jobs} \
             -q \"$SCHEDLAB\" sweep \"$SCENARIO\" {} --threads 1 --shard '{{}}/{n}' \
             --out \"$OUT/shard-{{}}\" ::: $(seq 0 {})",
            self.sweep_words(),
            n - 1
        );
        let _ = writeln!(out, "\"$SCHEDLAB\" merge \"$OUT\"/shard-* --out \"$OUT\"");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_for_the_shell() {
        assert_eq!(quote("load"), "load");
        assert_eq!(quote("/a/b-c.toml"), "/a/b-c.toml");
        assert_eq!(quote("rr(q=0.5)"), "'rr(q=0.5)'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("$HOME"), "'$HOME'");
    }
}
