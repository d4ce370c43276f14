//! The operator's tooling: the subcommands that fill or drive an exchange rather than
//! serve one.
//!
//! | module | subcommand | what it does |
//! | --- | --- | --- |
//! | [`seed`] | `seed-demo` | the demo exchange from `seed/demo.json`, mostly through the slices' own operations |
//! | [`gen_data`] | `gen-data` | synthetic orgs, listings and contracts for benchmarks, in bulk |
//! | [`loadgen`] | `loadgen` | an HTTP load generator with latency percentiles per scenario |
//!
//! Apart from the domain because nothing in the server calls them: the tools use the
//! library as any other client of it would, through its public operations, models and
//! schema (the load generator talks to the server only over HTTP), so they could move to
//! a binary of their own without the domain noticing. What two tools share lives here
//! too: the demo data set and the find-or-create of orgs and users.

mod accounts;
pub mod gen_data;
pub mod loadgen;
pub mod seed;

/// The demo exchange, compiled into the binary: `seed-demo` loads it, `gen-data` writes
/// its listings in the same words.
const DEMO_JSON: &str = include_str!("../../seed/demo.json");
