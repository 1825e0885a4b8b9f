//! schedlab: a scheduling simulator and queueing-theory analysis tool.
//!
//! The modules follow the flow of an experiment: a [`model::Scenario`] is
//! read and checked; a [`workload`] turns it into jobs; the [`engine`]
//! runs them through nodes whose [`policy`] picks what runs next; [`stats`]
//! observes and summarises; [`theory`] gives the closed forms to compare
//! against; [`report`] prints and writes the results.

pub mod api;
pub mod app;
pub mod backend;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod dispatch;
pub mod engine;
pub mod error;
pub mod experiment;
#[doc(hidden)]
pub mod fuzz;
pub mod job;
pub mod lifecycle;
pub mod limits;
pub mod model;
pub mod optimize;
pub mod order;
pub mod pages;
pub mod policy;
pub mod prefetch;
pub mod report;
pub mod shard;
pub mod size;
pub mod stats;
pub mod sweep;
pub mod teaching;
pub mod theory;
pub mod workflow;
pub mod workload;
