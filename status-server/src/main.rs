//! The status-server binary: the library's process entry, run with this process's arguments.

fn main() -> std::process::ExitCode {
    status_server::main_with(std::env::args_os())
}
