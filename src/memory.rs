//! Memory of the build process, phase by phase, for the benchmarks: the peak resident size
//! reached during each phase, read from Linux's `/proc/self/status` (`VmHWM`, reset after each
//! reading through `/proc/self/clear_refs`). Asked for with `CLASSMATES_PHASES=1`; elsewhere
//! than on Linux, nothing is measured. Also how the process gives memory back: large values
//! freed on a thread of their own ([`drop_aside`]).

/// The variable that asks a build to report its phases (time and memory) on standard error.
pub const PHASES_VAR: &str = "CLASSMATES_PHASES";

/// Whether phases are to be reported (`CLASSMATES_PHASES` set to anything but `0`).
pub fn phases_asked() -> bool {
    std::env::var_os(PHASES_VAR).is_some_and(|v| v != "0")
}

/// Turns transparent huge pages off for this process (and the programs it starts), on Linux.
/// Where the system backs memory with huge pages whenever it can (`always` in
/// `/sys/kernel/mm/transparent_hugepage/enabled`, as on the machines of BENCHMARKS.md), the
/// allocator's memory is taken 2 MiB at a time however little of it is used: the 10,000-page
/// build's peak was 15–20 % higher, its time the same within the noise (BENCHMARKS.md §8).
/// Elsewhere, nothing is done.
pub fn small_pages_only() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE takes plain integers and touches no memory of
    // ours; a kernel that does not know it refuses it, which changes nothing.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Resident memory of the process, in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Highest resident size since the previous sample (or since the start).
    pub peak_kib: u64,
    /// Resident size now.
    pub rss_kib: u64,
}

/// The process's memory now, with the peak since the previous call; the peak is then reset to
/// the current size, so that the next call gives the peak of the next phase. `None` when
/// `/proc` cannot tell (not Linux).
pub fn sample() -> Option<Sample> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status.lines().find_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix(':')?;
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
    };
    let sample = Sample {
        peak_kib: field("VmHWM")?,
        rss_kib: field("VmRSS")?,
    };
    // "5" resets the peak resident size to the current one (Linux 4.0 and later).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    Some(sample)
}

/// Frees `value` on a thread of its own. A resolved site or a plan replaced by a structural
/// edit holds tens of thousands of strings and vectors, a few milliseconds to free, which the
/// rebuild in `serve` need not wait for. Without a thread, it is freed here.
pub fn drop_aside<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("libération".into())
        .spawn(move || drop(value));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_of_a_phase_sees_memory_freed_before_its_end() {
        let Some(_) = sample() else { return };
        // 64 MiB touched, then freed: the peak of this phase holds it, the size after does not.
        let block = vec![1u8; 64 << 20];
        std::hint::black_box(&block);
        drop(block);
        let phase = sample().expect("read above");
        assert!(phase.peak_kib >= phase.rss_kib + (60 << 10), "{phase:?}");
        // The peak was reset: the next phase peaks near the size now.
        let next = sample().expect("read above");
        assert!(next.peak_kib < phase.peak_kib, "{phase:?} then {next:?}");
    }
}
