//! End-to-end tests of `statusctl validate`, `render` and `schema`: they run the real binary
//! (assert_cmd) with a cleared environment and snapshot what a user sees (insta).

mod escaping;
mod kubectl;
mod output_file;
#[path = "../common/process.rs"]
mod process;
mod render;
mod roundtrip;
mod schema;
mod support;
mod validate;
