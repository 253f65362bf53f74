fn main() -> std::process::ExitCode {
    classmates::cli::run()
}
