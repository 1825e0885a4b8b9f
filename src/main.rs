fn main() -> std::process::ExitCode {
    schedlab::app::main()
}
