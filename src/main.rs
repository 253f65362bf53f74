// mimalloc: the build allocates many small strings from several threads at once, where it is
// markedly faster than the system allocator (measured in BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    classmates::memory::small_pages_only();
    classmates::cli::run()
}
