//! End-to-end tests of the emulator over real TLS on loopback.
#![allow(dead_code, unreachable_pub, missing_docs)]

mod common;

mod assertion;
mod discovery;
mod faults;
mod fuzz_hook;
mod hostile_answers;
mod imds;
mod pop;
mod resource;
mod secret;
