//! The `simulate` binary: all work happens in [`simulate::cli`].

fn main() -> std::process::ExitCode {
    simulate::cli::main()
}
