//! The `statusctl` binary: the CLI of the library, run with this process's arguments.

fn main() -> std::process::ExitCode {
    statusctl::main_with(std::env::args_os())
}
