//! Command-line definitions (clap); the work is done in `app`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "schedlab",
    version,
    about = "Scheduling simulator and queueing-theory analysis tool",
    long_about = "schedlab simulates how jobs are scheduled onto servers (arrivals, service times, \
                  policies) and reports waiting and response times with confidence intervals.",
    after_help = "Examples:\n  schedlab run scenarios/mm2.toml\n  schedlab run scenarios/mm2.toml --json\n  \
                  schedlab run scenarios/two-classes.toml --replications 20 --jobs 200000 --out results/two\n\n\
                  Exit codes (every subcommand): 0 success; 2 bad input or an input beyond a size limit \
                  (--no-limits lifts the limits); 1 a failed run (an unstable run stopped, a file not \
                  written); 130 on SIGINT and 143 on SIGTERM, with nothing written."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Run inputs beyond the size limits (servers, nodes, replications, jobs,
    /// estimated events and memory, LP and DP sizes) instead of refusing them.
    #[arg(long, global = true)]
    pub no_limits: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and print its figures with 95% confidence intervals.
    #[command(after_help = "Examples:\n  \
        schedlab run scenarios/mm2.toml\n  \
        schedlab run scenarios/mm1.toml --seed 7 --replications 30 --jobs 100000\n  \
        schedlab run scenarios/mh2-1.toml --json > out.json\n  \
        schedlab run scenarios/two-classes.toml --out results/two-classes\n  \
        schedlab run scenarios/mh2-1.toml --compare 'fcfs,srpt,ps,fb,rr(q=0.1)'\n\n\
        Definitions: response = completion - arrival; wait = response - time in service.\n\
        Exit codes: 0 success, 2 bad input (the message names the file, field and value), 1 other errors.")]
    Run(RunArgs),
    /// Find the fewest servers (or the least speed) of a node that meets a target: theory, then simulation.
    #[command(
        allow_negative_numbers = true,
        after_help = "Targets (--target \"METRIC OP VALUE\"), measured on all jobs or on --class NAME:\n  \
        mean_wait, mean_response, p50_response, p90_response, p95_response, p99_response   <= or <\n  \
        p_wait (share of jobs that wait), p_block (share turned away)                      <= or <\n  \
        utilization (or utilisation)                                   <= or <, >= or > (a lower bound)\n\n\
        A value meets the target when the 95% upper confidence bound of its estimate does (the lower\n\
        bound for >=). The answer is the smallest value that meets an upper target, its neighbour below\n\
        failing (or unstable); for a lower bound on utilization, the largest value that meets it.\n\
        Where a formula applies (Erlang C for M/M/c, and every formula of `theory SCENARIO`) theory's\n\
        answer is the simulation's starting point; otherwise the smallest stable value is. Every\n\
        candidate runs on the same seed. --param speed searches on multiples of --tol.\n\n\
        Examples:\n  \
        schedlab size scenarios/mm2.toml --node pool --target \"mean_wait <= 0.5\" --jobs 100000\n  \
        schedlab size scenarios/mm2.toml --node pool --target \"p95_response <= 3.5\" --json\n  \
        schedlab size scenarios/two-classes.toml --class interactive --target \"mean_response < 2\" \\\n      \
        --param speed --tol 0.01\n\n\
        Exit codes: 0 success, 2 bad input (the message names the flag or field and the value), 1 a\n\
        target no value within the limits meets, or another failure."
    )]
    Size(SizeArgs),
    /// Run a scenario on a real thread pool and compare it with the simulator and theory.
    #[command(
        after_help = "The scenario's jobs are drawn once (seeded) and executed twice: by real worker\n\
        threads (one per server, one pool per node, a dispatcher thread releasing tasks at their arrival\n\
        instants times --time-scale), and by the simulator on the same sequence. Theory is added where a\n\
        closed form exists. Means carry 95% confidence intervals (batch means for the real run).\n\n\
        Preemptive disciplines preempt only at slice boundaries (--slice, or the quantum); fb is\n\
        served a slice at a time, least attained service first (the simulator runs it exactly).\n\
        ps is refused: use rr with a short quantum.\n\
        --timeout cuts off an attempt whose service exceeds it; --retries and --fail-prob exercise the\n\
        task lifecycle (completed + failed + timed out = released).\n\n\
        Examples:\n  \
        schedlab validate scenarios/validate-mm2.toml --jobs 5000 --time-scale 1ms --work sleep\n  \
        schedlab validate scenarios/validate-priority.toml --jobs 2000 --json\n  \
        schedlab validate scenarios/validate-fb.toml --jobs 2000 --slice 0.1\n  \
        schedlab validate scenarios/validate-mm2.toml --jobs 500 --compare 'fcfs,rr(q=0.5)' --fail-prob 0.05 --retries 2\n\n\
        Exit codes: 0 success, 2 bad input (the message names the flag or field and the value), 1 other errors."
    )]
    Validate(ValidateArgs),
    /// Evaluate a closed form of queueing theory, or apply the right ones to a scenario.
    #[command(
        after_help = "Models and their parameters:\n  \
        mm1            --lambda --mu                      [--percentiles: response time]\n  \
        mmc            --lambda --mu --servers            [--percentiles: waiting time]\n  \
        mmck           --lambda --mu --servers --capacity\n  \
        erlang-b       --lambda --mu --servers\n  \
        md1            --lambda --es (the constant service time)\n  \
        mg1            --lambda --es (--es2 | --scv)\n  \
        priority       --class LAMBDA:ES:ES2 ... (most urgent first) [--preemptive]\n  \
        ps             --lambda --es\n  \
        srpt, fb       --lambda --service DIST (e.g. exponential:mean=1, hyperexponential:mean=1,scv=4)\n  \
        kingman        --lambda --es --ca2 --cs2           (approximation)\n  \
        allen-cunneen  --lambda --es --servers --ca2 --cs2 (approximation)\n  \
        repairman      --population --think --mu --servers (M/M/c//N, closed: N sources)\n\n\
        Examples:\n  \
        schedlab theory mmc --lambda 1.8 --mu 1 --servers 2 --json\n  \
        schedlab theory mmc --lambda 1.8 --mu 1 --servers 2 --percentiles 50,95,99\n  \
        schedlab theory priority --class 0.3:1:1.5 --class 0.25:2:16 --preemptive\n  \
        schedlab theory srpt --lambda 0.7 --service hyperexponential:mean=1,scv=4\n  \
        schedlab theory repairman --population 20 --think 10 --mu 1 --servers 3\n  \
        schedlab theory scenarios/two-classes.toml\n\n\
        A load of 1 or more prints \"unstable\" (and \"stable\": false in JSON), never a number.",
        allow_negative_numbers = true
    )]
    Theory(TheoryArgs),
    /// Optimal bounds by LP, MILP, dynamic programming and MDPs, and each policy's gap to them.
    #[command(subcommand)]
    Optimize(OptimizeCommand),
    /// Schedule a small job list exactly, as in an exercise: Gantt chart, job table, reasoning.
    #[command(
        after_help = "The job list is a CSV file with a header id,arrival,burst and optional priority,deadline.\n\n\
        Policies: fcfs, sjf, srtf, priority, priority-pr, rr (--quantum), hrrn, edf, mlq (--levels rr:4,fcfs:\n\
        one discipline per priority level), mlfq (--levels 8,16,fcfs), and every simulator discipline.\n\n\
        Conventions: ties go to the earlier arrival, then to the earlier line of the file. A lower priority\n\
        number is more urgent (--high-first flips it). In round robin a job arriving at the instant a\n\
        quantum expires queues ahead of the preempted job (--preempted-first flips it). Policies are\n\
        non-preemptive unless the name says otherwise (srtf, priority-pr, lcfs-pr, psjf), except edf, mlq and\n\
        mlfq, which preempt for a more urgent job. A CPU's first job costs no switch; every later change of\n\
        job costs --switch-cost.\n\n\
        Examples:\n  \
        schedlab gantt jobs.csv --policy rr --quantum 4 --explain\n  \
        schedlab gantt jobs.csv --policy srtf --json\n  \
        schedlab gantt jobs.csv --policy mlfq --levels 8,16,fcfs --cpus 2\n  \
        schedlab gantt jobs.csv --compare all --quantum 4\n  \
        schedlab gantt jobs.csv --policy srtf --svg gantt.svg --png gantt.png",
        allow_negative_numbers = true
    )]
    Gantt(GanttArgs),
    /// Vary one parameter (load, a rate, servers, quantum...) and run every policy at each value.
    #[command(
        after_help = "Parameters (--param), or [sweep] param = ... in the scenario:\n  \
        load                        offered load: every arrival rate scaled by one factor\n  \
        arrival.rate                total arrival rate (every class scaled by one factor)\n  \
        classes.NAME.arrival.rate   one class's arrival rate\n  \
        service.mean                mean service requirement (every class scaled by one factor)\n  \
        classes.NAME.service.mean   one class's mean service requirement\n  \
        servers, nodes.NAME.servers number of servers (of the only node, or of one node)\n  \
        nodes.NAME.speed            speed of one node\n  \
        quantum                     the quantum of every compared policy that takes one\n  \
        dispatch.cutoffs[I]         cutoff I of size-interval (sita) dispatching\n\n\
        Values (--values): start:stop:step (stop included), or a list such as 1,2,4.\n\
        Point i runs with a seed derived from the scenario's seed and i: the output is the same on any\n\
        number of threads.\n\n\
        Examples:\n  \
        schedlab sweep scenarios/mh2-1.toml --param load --values 0.1:0.9:0.1 --compare fcfs,srpt,ps\n  \
        schedlab sweep scenarios/mm2.toml --param servers --values 2,3,4 --out results/mm2-servers\n  \
        schedlab sweep scenarios/sweep-load.toml --out results/sweep-load\n\n\
        On a cluster: the sweep's units (point x policy x replication) cut into N shards:\n  \
        schedlab sweep S.toml --shard K/N --out DIR/shard-K     run shard K (from 0) of N\n  \
        schedlab merge DIR/shard-* --out DIR                   the results tree of the whole sweep\n  \
        schedlab sweep S.toml --out DIR --emit slurm --shards N [--partition P --time T\n      \
        --cpus-per-task C --max-running M] > sweep.sh          a Slurm job array and its merge\n  \
        schedlab sweep S.toml --out DIR --emit parallel --shards N > sweep.sh   the same with GNU parallel",
        allow_negative_numbers = true
    )]
    Sweep(SweepArgs),
    /// Merge the shards of a sweep into the results tree the unsharded sweep writes.
    #[command(
        after_help = "Checks that the shards belong to one sweep (fingerprint), that none is\n\
        missing or given twice, then writes DIR/sweep.csv, sweep.json and plots/ exactly as\n\
        `schedlab sweep --out DIR` would, and a manifest listing the shards.\n\n\
        Example:\n  schedlab merge results/big/shard-* --out results/big\n\n\
        Exit codes: 0 success, 2 bad input (the message names the file, field and value), 1 other errors."
    )]
    Merge(MergeArgs),
    /// Plan a workflow (a DAG of tasks) on nodes: HEFT, CPOP and list heuristics, bounds, optimum.
    #[command(
        after_help = "The workflow is a WfFormat JSON file (WfCommons, schema 1.4 to 1.6) or an STG file\n\
        (.stg). Nodes: --nodes N (speed 1), --speeds 1,1,2,2 (nodes n0, n1, ...), --nodes-file S.toml\n\
        (its [[nodes]] name/speed/servers and [network] bandwidth/latency), or --costs C.csv\n\
        (task,NODE1,NODE2,...: each task's time on each node); without any, the machines of the\n\
        WfFormat file. A transfer between nodes takes latency + bytes / bandwidth (none by default),\n\
        nothing on one node; transfers do not contend.\n\n\
        Policies: heft, cpop, cp (critical path first), fcfs (ready tasks in release order),\n\
        min-min, max-min, random (--seed). Ties: tasks of equal priority in file order, nodes of\n\
        equal finish time in the order listed.\n\n\
        Examples:\n  \
        schedlab workflow scenarios/workflows/montage-58.json --nodes 4 --bandwidth 1.25e8\n  \
        schedlab workflow scenarios/workflows/heft-paper.json --costs scenarios/workflows/heft-paper-costs.csv \\\n      \
        --bandwidth 1 --compare heft,cpop,cp,fcfs --optimal --gantt heft.svg\n  \
        schedlab workflow scenarios/workflows/epigenomics-45.json --speeds 1,1,2,2 --compare all \\\n      \
        --replications 30 --task-scv 0.25 --json\n\n\
        Exit codes: 0 success, 2 bad input (the message names the file, task, field and value), 1 other errors.",
        allow_negative_numbers = true
    )]
    Workflow(WorkflowArgs),
    /// Redraw the plots of a results tree from its CSV files, without simulating again.
    #[command(
        after_help = "Reads results.csv (with response-cdf.csv, response-histogram.csv and\n\
        sample-path.csv when present) or sweep.csv from DIR, and writes DIR/plots/*.svg and *.png.\n\n\
        Example:\n  schedlab plot results/sweep-load"
    )]
    Plot(PlotArgs),
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// The parameter to vary (see below), instead of the scenario's [sweep].
    #[arg(long)]
    pub param: Option<String>,
    /// Its values: start:stop:step or a list, e.g. 0.1:0.9:0.1 or 1,2,4.
    #[arg(long)]
    pub values: Option<String>,
    /// Run only shard K of N (K from 0) and write its shard file into --out.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Print a script that runs the sweep in --shards shards: slurm or parallel.
    #[arg(long, value_name = "ENGINE")]
    pub emit: Option<String>,
    /// Number of shards of the emitted script.
    #[arg(long, value_name = "N")]
    pub shards: Option<u64>,
    /// Slurm partition of the emitted jobs.
    #[arg(long)]
    pub partition: Option<String>,
    /// Slurm time limit of each emitted job, e.g. 1:00:00.
    #[arg(long)]
    pub time: Option<String>,
    /// CPUs of each emitted Slurm task (the shard's threads).
    #[arg(long, value_name = "C")]
    pub cpus_per_task: Option<u32>,
    /// Most shards running at once (Slurm's %M, parallel's --jobs).
    #[arg(long, value_name = "M")]
    pub max_running: Option<u32>,
}

impl SweepArgs {
    /// A plain sweep of `param` over `values` (neither sharded nor emitted).
    pub fn new(run: RunArgs, param: Option<String>, values: Option<String>) -> SweepArgs {
        SweepArgs {
            run,
            param,
            values,
            shard: None,
            emit: None,
            shards: None,
            partition: None,
            time: None,
            cpus_per_task: None,
            max_running: None,
        }
    }
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Shard directories (or their shard.json files), e.g. DIR/shard-*.
    #[arg(required = true, value_name = "SHARD")]
    pub shards: Vec<PathBuf>,
    /// Write the results tree of the whole sweep into DIR.
    #[arg(long, value_name = "DIR", required = true)]
    pub out: PathBuf,
    /// Replace DIR whole even when it holds files of something else.
    #[arg(long)]
    pub force: bool,
    /// Print one JSON document on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Debug, Args)]
pub struct WorkflowArgs {
    /// Workflow file: WfFormat JSON, or STG (.stg).
    pub file: PathBuf,
    /// Number of identical nodes of speed 1.
    #[arg(long)]
    pub nodes: Option<u32>,
    /// Speed of each node (nodes n0, n1, ...), e.g. 1,1,2,2.
    #[arg(long, value_delimiter = ',')]
    pub speeds: Vec<f64>,
    /// Nodes from a scenario file: its [[nodes]] and [network] tables.
    #[arg(long, value_name = "FILE")]
    pub nodes_file: Option<PathBuf>,
    /// Unrelated nodes: CSV task,NODE1,NODE2,... with each task's time on each node.
    #[arg(long, value_name = "FILE")]
    pub costs: Option<PathBuf>,
    /// Bytes per time unit between two nodes (default: transfers cost only the latency).
    #[arg(long)]
    pub bandwidth: Option<f64>,
    /// Time added to every transfer between two nodes (default 0).
    #[arg(long)]
    pub latency: Option<f64>,
    /// Scheduling policy.
    #[arg(long, default_value = "heft")]
    pub policy: String,
    /// Policies to compare, e.g. heft,cpop,cp,fcfs,random, or `all`.
    #[arg(long, value_name = "LIST")]
    pub compare: Option<String>,
    /// Also the optimal makespan by MILP (small graphs), warm-started from the best policy.
    #[arg(long)]
    pub optimal: bool,
    /// Time limit of the MILP, e.g. 10, 10s, 500ms, 2m.
    #[arg(long, default_value = "10s")]
    pub time_limit: String,
    /// Replay each plan this many times with task times drawn (see --task-scv).
    #[arg(long, default_value_t = 0)]
    pub replications: u64,
    /// Squared coefficient of variation of the drawn task times (gamma around the work; 0: as given).
    #[arg(long, value_name = "S")]
    pub task_scv: Option<f64>,
    /// Seed of the random policy and of the drawn task times.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Draw the first policy's plan as a Gantt chart into FILE (.svg or .png).
    #[arg(long, value_name = "FILE")]
    pub gantt: Option<PathBuf>,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PlotArgs {
    /// A results tree written by `schedlab run --out` or `schedlab sweep --out`.
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct GanttArgs {
    /// Job list (CSV: id,arrival,burst[,priority][,deadline]).
    pub jobs: PathBuf,
    /// Scheduling policy.
    #[arg(long, default_value = "fcfs")]
    pub policy: String,
    /// Round-robin quantum (time units).
    #[arg(long)]
    pub quantum: Option<f64>,
    /// Number of CPUs.
    #[arg(long, default_value_t = 1)]
    pub cpus: u32,
    /// Time a CPU spends switching to another job.
    #[arg(long)]
    pub switch_cost: Option<f64>,
    /// mlfq: quanta per level, e.g. 8,16,fcfs; mlq: a discipline per priority level, e.g. rr:4,fcfs.
    #[arg(long)]
    pub levels: Option<String>,
    /// A higher priority number is more urgent.
    #[arg(long)]
    pub high_first: bool,
    /// At equal times a preempted job queues before an arriving one.
    #[arg(long)]
    pub preempted_first: bool,
    /// Print one line per scheduling decision.
    #[arg(long)]
    pub explain: bool,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
    /// Compare policies: `all` or a comma-separated list; one line each, the best marked.
    #[arg(long, value_name = "LIST")]
    pub compare: Option<String>,
    /// Also draw the Gantt chart as SVG into FILE.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Also draw the Gantt chart as PNG into FILE.
    #[arg(long, value_name = "FILE")]
    pub png: Option<PathBuf>,
}

/// `schedlab optimize ...`: one sub-subcommand per kind of optimum.
#[derive(Debug, Subcommand)]
pub enum OptimizeCommand {
    /// Optimal makespan of a batch of jobs on parallel nodes (MILP), its LP bound, and list heuristics.
    #[command(
        after_help = "The job list is a CSV file id,size[,release] (uniform nodes: --nodes and/or --speeds)\n\
        or id,t_A,t_B,...[,release] with one processing time per node (unrelated nodes).\n\n\
        Examples:\n  \
        schedlab optimize makespan jobs.csv --nodes 4\n  \
        schedlab optimize makespan jobs.csv --speeds 1,1,2,2 --time-limit 10s --json\n\n\
        Exit codes: 0 success, 2 bad input (the message names the file, line, field and value).",
        allow_negative_numbers = true
    )]
    Makespan(MakespanArgs),
    /// Minimum total completion time on parallel nodes (assignment LP), against SPT and SRPT.
    #[command(
        after_help = "The job list is a CSV file id,size (uniform nodes: --nodes and/or --speeds) or\n\
        id,t_A,t_B,... with one processing time per node (unrelated nodes: the optimum only), every job\n\
        released at 0.\n\n\
        Example:\n  schedlab optimize completion jobs.csv --speeds 1,2",
        allow_negative_numbers = true
    )]
    Completion(BatchArgs),
    /// One machine with release dates: minimum total (weighted) completion time by DP over subsets.
    #[command(
        after_help = "The job list is a CSV file id,size[,release][,weight] of at most 20 jobs.\n\n\
        Examples:\n  \
        schedlab optimize sequence jobs.csv\n  \
        schedlab optimize sequence jobs.csv --weighted --svg optimal.svg"
    )]
    Sequence(SequenceArgs),
    /// Optimal static split of Poisson arrivals over heterogeneous servers (square-root rule).
    #[command(
        after_help = "Examples:\n  \
        schedlab optimize split --lambda 1.5 --mu 1,2\n  \
        schedlab optimize split --lambda 2.4 --mu 2,1,0.5 --simulate --replications 10 --jobs 200000",
        allow_negative_numbers = true
    )]
    Split(SplitArgs),
    /// Class flows to nodes by LP: least cost with every node's load within its cap.
    #[command(
        after_help = "--mu gives each class's service rate at each node, classes separated by ';'.\n\
        The default cost of a unit of class-k flow at node i is 1/μ_ki (total utilisation).\n\n\
        Example:\n  \
        schedlab optimize flow --rates 1,0.5 --mu '2,1;1,3' --cap 0.9",
        allow_negative_numbers = true
    )]
    Flow(FlowArgs),
    /// Optimal dynamic dispatching by an MDP (relative value iteration), against jsq, lwl and static splits.
    #[command(
        after_help = "Examples:\n  \
        schedlab optimize mdp --lambda 2 --mu 2,1\n  \
        schedlab optimize mdp --lambda 2 --mu 2,1 --truncate 60 --simulate --json",
        allow_negative_numbers = true
    )]
    Mdp(MdpArgs),
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Also simulate each policy with the engine.
    #[arg(long)]
    pub simulate: bool,
    /// Replications per simulated policy.
    #[arg(long, default_value_t = 10)]
    pub replications: u32,
    /// Measured jobs per replication (a tenth more are warm-up).
    #[arg(long, default_value_t = 200_000)]
    pub jobs: u64,
    /// Base seed of the simulations.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct SplitArgs {
    /// Poisson arrival rate λ.
    #[arg(long)]
    pub lambda: f64,
    /// Service rate of each server, e.g. 1,2.
    #[arg(long, value_delimiter = ',', required = true)]
    pub mu: Vec<f64>,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FlowArgs {
    /// Arrival rate of each class, e.g. 1,0.5.
    #[arg(long, value_delimiter = ',', required = true)]
    pub rates: Vec<f64>,
    /// Service rates: one row per class, one value per node, e.g. '2,1;1,3'.
    #[arg(long)]
    pub mu: String,
    /// Cost per unit of flow, same shape as --mu (default 1/μ).
    #[arg(long)]
    pub cost: Option<String>,
    /// Load cap of each node (one value for all), a utilisation in (0, 1].
    #[arg(long, value_delimiter = ',', default_values_t = vec![0.95])]
    pub cap: Vec<f64>,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct MdpArgs {
    /// Poisson arrival rate λ.
    #[arg(long)]
    pub lambda: f64,
    /// Service rate of each server, e.g. 2,1.
    #[arg(long, value_delimiter = ',', required = true)]
    pub mu: Vec<f64>,
    /// Most jobs per queue in the truncated state space.
    #[arg(long, default_value_t = 60)]
    pub truncate: usize,
    /// Stop when the span of T h − h (per unit time) is below this.
    #[arg(long, default_value_t = 1e-9)]
    pub tol: f64,
    /// Most value-iteration sweeps.
    #[arg(long, default_value_t = 1_000_000)]
    pub max_iterations: usize,
    /// Rows and columns of the policy table to print (two servers; the policy of
    /// three or more servers is in --json).
    #[arg(long, default_value_t = 12)]
    pub show: usize,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Job list (CSV: id,size[,release] or id,t_NODE,...[,release]).
    pub jobs: PathBuf,
    /// Number of identical nodes (speed 1 unless --speeds).
    #[arg(long)]
    pub nodes: Option<u32>,
    /// Speed of each node, e.g. 1,1,2,2.
    #[arg(long, value_delimiter = ',')]
    pub speeds: Vec<f64>,
    /// Seed of the engine's random choices: the random heuristic (makespan), ties
    /// between idle nodes (makespan and completion).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct MakespanArgs {
    #[command(flatten)]
    pub batch: BatchArgs,
    /// Time limit of the MILP (not of the LP bound), e.g. 10, 10s, 500ms, 2m.
    #[arg(long, default_value = "10s")]
    pub time_limit: String,
}

#[derive(Debug, Args)]
pub struct SequenceArgs {
    /// Job list (CSV: id,size[,release][,weight]).
    pub jobs: PathBuf,
    /// Minimise Σ w_j C_j with the weight column (else Σ C_j).
    #[arg(long)]
    pub weighted: bool,
    /// Also draw the optimal schedule as SVG into FILE.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Also draw the optimal schedule as PNG into FILE.
    #[arg(long, value_name = "FILE")]
    pub png: Option<PathBuf>,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TheoryArgs {
    /// A model name (see below) or a scenario file (.toml).
    pub model: String,
    /// Arrival rate λ.
    #[arg(long)]
    pub lambda: Option<f64>,
    /// Service rate μ of one server.
    #[arg(long)]
    pub mu: Option<f64>,
    /// Number of servers c.
    #[arg(long)]
    pub servers: Option<u32>,
    /// System capacity K (jobs in system, mmck).
    #[arg(long)]
    pub capacity: Option<u32>,
    /// Mean service time E[S].
    #[arg(long)]
    pub es: Option<f64>,
    /// Second moment of service E[S²].
    #[arg(long)]
    pub es2: Option<f64>,
    /// Squared coefficient of variation of service (instead of --es2).
    #[arg(long)]
    pub scv: Option<f64>,
    /// Squared coefficient of variation of inter-arrival times.
    #[arg(long)]
    pub ca2: Option<f64>,
    /// Squared coefficient of variation of service times.
    #[arg(long)]
    pub cs2: Option<f64>,
    /// A priority class as LAMBDA:ES:ES2, most urgent first; repeat per class.
    #[arg(long = "class", value_name = "LAMBDA:ES:ES2")]
    pub classes: Vec<String>,
    /// Preemptive-resume priority instead of non-preemptive.
    #[arg(long)]
    pub preemptive: bool,
    /// Service distribution for srpt and fb, as NAME:key=value,...
    #[arg(long, value_name = "DIST")]
    pub service: Option<String>,
    /// Percentiles to report (mm1: response time; mmc: waiting time), e.g. 50,95,99.
    #[arg(long, value_delimiter = ',')]
    pub percentiles: Vec<f64>,
    /// Response-time percentiles of M/M/c FCFS (mmc) as fractions, e.g. 0.5,0.9,0.99,
    /// to compare with the p50, p90 and p99 of `schedlab run`.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub response_percentiles: Vec<f64>,
    /// Jobs of a closed model (repairman: the machines).
    #[arg(long)]
    pub population: Option<u32>,
    /// Mean think time of a closed model (repairman: mean time up).
    #[arg(long)]
    pub think: Option<f64>,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Default, Args)]
pub struct RunArgs {
    /// Scenario file (TOML); see scenarios/ for examples.
    pub scenario: PathBuf,
    /// Base seed, instead of the scenario's.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Number of independent replications, instead of the scenario's.
    #[arg(long)]
    pub replications: Option<u32>,
    /// Measured jobs per replication (replaces the scenario's horizon).
    #[arg(long)]
    pub jobs: Option<u64>,
    /// Warm-up: `auto` (MSER-5 per replication) or a number of jobs (replaces the scenario's).
    #[arg(long, value_name = "auto|JOBS")]
    pub warmup: Option<String>,
    /// Print one JSON document on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Also write the results tree into DIR: CSV, JSON, manifest.json and plots/*.png|svg.
    /// DIR must be new, empty or an earlier tree of the same command (replaced whole).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// With --out: replace DIR whole even when it holds files of something else.
    #[arg(long, requires = "out")]
    pub force: bool,
    /// Every column of the table (p95, the percentiles' CIs, L, Lq, throughput, the
    /// formula's name), however wide; by default the table fits in 120 columns.
    #[arg(long)]
    pub wide: bool,
    /// A row for every member of a node group (`count`) too, in the table, JSON and CSV;
    /// by default a group has one row, and nodes outside groups always have theirs.
    #[arg(long)]
    pub per_node: bool,
    /// Policies to compare on the same jobs, replacing the scenario's, the
    /// first being the baseline: e.g. `fcfs,srpt,ps,rr(q=0.1)`.
    #[arg(long, value_name = "LIST")]
    pub compare: Option<String>,
    /// Worker threads for replications (default: all cores); results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Jobs present at once after which a replication stops as unstable (exit 1); default 1000000.
    #[arg(long, value_name = "N")]
    pub max_present: Option<u64>,
    /// Edges of the job-size bins of the fairness rows (run only), e.g.
    /// `0.5,1,2,5`; default the deciles of the size distribution.
    #[arg(long, value_name = "LIST")]
    pub size_bins: Option<String>,
    /// Also report a timeline in bins of BIN time units from time 0 (warm-up
    /// included): arrivals, number in system, utilisation, servers, abandonments
    /// per node and overall (replaces `[output] timeline`).
    #[arg(long, value_name = "BIN")]
    pub timeline: Option<f64>,
    /// Add replications until the 95% half-width of the metric (default mean
    /// response) is at most this share of its estimate, e.g. 0.01 (replaces
    /// the scenario's `precision`); `--replications` is then the first batch.
    #[arg(long, value_name = "SHARE")]
    pub precision: Option<f64>,
    /// The figure `--precision` looks at, on the all/all row: mean_response,
    /// mean_wait, p50_response, p90_response, p95_response, p99_response,
    /// p_wait, p_block or utilization.
    #[arg(long, value_name = "METRIC")]
    pub precision_metric: Option<String>,
    /// Most replications `--precision` may run (default 1000).
    #[arg(long, value_name = "N")]
    pub max_replications: Option<u32>,
    /// Estimate by batch means: one long replication whose horizon is cut
    /// into B batches, the ± then over the batches (replaces the
    /// scenario's `batches`); the report gives the lag-1 autocorrelation of
    /// the batch means as a check of their independence.
    #[arg(long, value_name = "B")]
    pub batches: Option<u32>,
}

#[derive(Debug, Args)]
pub struct SizeArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// The node to size (may be left out when the scenario has one node).
    #[arg(long)]
    pub node: Option<String>,
    /// What the node must achieve, e.g. "p95_response <= 2.0" (see below).
    #[arg(long)]
    pub target: String,
    /// Measure the target on one class's jobs (default: all jobs).
    #[arg(long)]
    pub class: Option<String>,
    /// What varies: `servers` (whole numbers) or `speed`.
    #[arg(long, default_value = "servers")]
    pub param: String,
    /// Resolution of a speed search (default: 1% of the node's speed).
    #[arg(long)]
    pub tol: Option<f64>,
    /// The policy to size for, instead of the scenario's first.
    #[arg(long)]
    pub policy: Option<String>,
    /// Base seed, instead of the scenario's (every candidate runs on it).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Independent replications per candidate (at least 2), instead of the scenario's.
    #[arg(long)]
    pub replications: Option<u32>,
    /// Measured jobs per replication (replaces the scenario's horizon).
    #[arg(long)]
    pub jobs: Option<u64>,
    /// Worker threads for replications (default: all cores); results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Jobs present at once after which a replication stops as unstable; default 1000000.
    #[arg(long, value_name = "N")]
    pub max_present: Option<u64>,
    /// Print one JSON document on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Real time per model time unit, e.g. 1ms, 250us, 0.5ms.
    #[arg(long, default_value = "1ms", value_name = "DURATION")]
    pub time_scale: String,
    /// How a task spends its service time: sleep (I/O-like) or spin (CPU-bound).
    #[arg(long, default_value = "sleep", value_name = "MODE")]
    pub work: String,
    /// Measured tasks (after the scenario's warm-up), instead of the scenario's horizon.
    #[arg(long)]
    pub jobs: Option<u64>,
    /// Slice length (time units) after which a preemptive discipline may switch tasks.
    #[arg(long, default_value_t = 0.5)]
    pub slice: f64,
    /// Real service time after which an attempt is cut off, e.g. 50ms (for scenarios
    /// without [classes.attempts]: becomes every class's attempts.timeout).
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Attempts allowed after a failure or a timeout, retried at once (for scenarios
    /// without [classes.attempts]: retry.max_attempts = N + 1, initial = 0).
    #[arg(long)]
    pub retries: Option<u32>,
    /// Probability that an attempt fails when its work is done (for scenarios without
    /// [classes.attempts]: failure = { p = P, at = "end" }).
    #[arg(long)]
    pub fail_prob: Option<f64>,
    /// Base seed, instead of the scenario's.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Policies to run, replacing the scenario's: e.g. `fcfs,srpt,rr(q=0.5)`.
    #[arg(long, value_name = "LIST")]
    pub compare: Option<String>,
    /// Print one JSON document on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}
