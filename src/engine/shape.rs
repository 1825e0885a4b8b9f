//! Which of the engine's rarer parts a run can reach, fixed when it
//! starts, as a type: the event loop is compiled once for [`Plain`] runs,
//! with the tests for those parts compiled out, and once for [`Full`]
//! ones. A scenario of plain queues (one node or a network, any
//! discipline, any rule that pushes jobs to nodes) tests none of the
//! lifecycle, workflows, failures and shifts, blocking, rigid visits,
//! switch costs, customer impatience, closed classes or pull dispatching
//! on any event: 111 instructions fewer per customer of M/M/2 (688
//! instead of 799, without statistics; `valgrind --tool=callgrind`).
//!
//! `Simulation::is_plain` says which a run is; every part it lists is
//! fixed for the whole run, so a `Plain` run takes exactly the branches a
//! `Full` one would (`a_plain_run_is_the_full_run`).

/// The parts of the engine a run may reach.
pub(crate) trait Shape {
    /// Whether the run may reach any of the rare parts: when `false`,
    /// every test guarded by it is known to fail and is compiled out.
    const FULL: bool;
}

/// A run of plain queues (see the module's documentation).
pub(crate) enum Plain {}

impl Shape for Plain {
    const FULL: bool = false;
}

/// A run that may reach any part of the engine.
pub(crate) enum Full {}

impl Shape for Full {
    const FULL: bool = true;
}
