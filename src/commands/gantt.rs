//! `schedlab gantt`: a job list scheduled as in an exercise.

use crate::cli::GanttArgs;
use crate::error::InputError;
use crate::report::plot;
use crate::teaching::{self, Options, TEACHING_POLICIES};

pub fn run(args: &GanttArgs) -> anyhow::Result<()> {
    let tasks = teaching::read_jobs(&args.jobs)?;
    let options = Options {
        policy: args.policy.clone(),
        quantum: args.quantum,
        cpus: args.cpus,
        switch_cost: args.switch_cost,
        levels: args.levels.clone(),
        high_first: args.high_first,
        preempted_first: args.preempted_first,
    };
    if args.compare.is_some() && (args.svg.is_some() || args.png.is_some()) {
        return Err(crate::app::flag(
            "--compare",
            "(given)",
            "draws no chart; leave out --svg and --png",
        ));
    }
    if let Some(list) = &args.compare {
        let all = list.trim() == "all";
        let names: Vec<String> = if all {
            TEACHING_POLICIES.iter().map(|s| s.to_string()).collect()
        } else {
            list.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let schedules =
            teaching::compare(&tasks, &options, &names, all).map_err(InputError::Flag)?;
        if args.json {
            let docs: Vec<_> = schedules.iter().map(teaching::json).collect();
            println!("{}", serde_json::to_string_pretty(&docs)?);
        } else {
            print!("{}", teaching::comparison_table(&schedules));
        }
        return Ok(());
    }
    let schedule = teaching::schedule(&tasks, &options).map_err(InputError::Flag)?;
    for (flag, path) in [("--svg", &args.svg), ("--png", &args.png)] {
        if let Some(path) = path {
            let wanted = &flag[2..];
            if path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .as_deref()
                != Some(wanted)
            {
                return Err(crate::app::flag(
                    flag,
                    path.display(),
                    &format!("the file name must end in .{wanted}"),
                ));
            }
            plot::write_gantt(&schedule, path)?;
        }
    }
    if args.json {
        let mut doc = teaching::json(&schedule);
        if args.explain {
            doc["explain"] = serde_json::json!(schedule.explain);
        }
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    let cpus = if schedule.cpus == 1 {
        "1 CPU".to_string()
    } else {
        format!("{} CPUs", schedule.cpus)
    };
    println!("{}, {cpus}\n", schedule.policy);
    print!("{}", teaching::ascii_gantt(&schedule));
    println!();
    print!("{}", teaching::job_table(&schedule));
    if args.explain {
        println!();
        for line in &schedule.explain {
            println!("{line}");
        }
    }
    Ok(())
}
