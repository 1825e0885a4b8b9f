//! Optimal bounds: what the best schedule or dispatching could achieve, to
//! measure policies against.
//!
//! - [`makespan`]: the optimal makespan on uniform or unrelated nodes by a
//!   MILP (good_lp), its LP relaxation, and list heuristics run through the
//!   engine.
//! - [`completion`]: minimum total completion time on parallel nodes as an
//!   assignment LP.
//! - [`sequencing`]: one machine with release dates, exact by a DP over
//!   subsets.
//! - [`split`]: the optimal static split of Poisson arrivals over
//!   heterogeneous servers (square-root rule) and the class-flow LP.
//! - [`mdp`]: the optimal dynamic dispatching policy by relative value
//!   iteration.

pub mod completion;
pub mod input;
pub mod makespan;
pub mod mdp;
pub mod sequencing;
pub mod split;

pub use input::{JobList, OptJob, parse_job_list, read_job_list};
