//! The `asyncpay` command: everything lives in [`asyncpay::cli`].

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(asyncpay::cli::main())
}
