//! How the process's memory allocator treats freed memory.
//!
//! A query allocates and frees large buffers over and over: decompressed Parquet pages,
//! decoded batches, hash tables. glibc's `malloc` gives a block from 128 KiB up its own
//! `mmap` (the threshold then grows with what is freed, up to 32 MiB) and hands the top of a
//! heap back to the system once 128 KiB of it is free. Either way the next buffer of that size
//! comes back as fresh pages, which the kernel faults in and zeroes one by one: page faults and
//! `clear_page` were 10 to 12% of a point lookup's and of TPC-H Q18's samples
//! (`benches/README.md`). With higher thresholds freed memory stays in the process for the
//! next buffer, at the cost of a larger resident size between queries.

/// Blocks smaller than this come from the heap, where freed memory is reused.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: i32 = 32 << 20;

/// Free memory at the top of a heap is handed back to the system only past this.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: i32 = 64 << 20;

/// Has glibc's `malloc` keep freed memory for reuse (see the module's doc), unless the user
/// tuned it through glibc's own environment variables, which then win. Call it first thing in
/// `main`, before threads start; other C libraries' allocators are left as they are.
pub fn reuse_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let tuned_by_user = [
            "GLIBC_TUNABLES",
            "MALLOC_MMAP_THRESHOLD_",
            "MALLOC_TRIM_THRESHOLD_",
        ]
        .iter()
        .any(|name| std::env::var_os(name).is_some());
        if tuned_by_user {
            return;
        }
        // SAFETY: mallopt only sets malloc's parameters; it is called before the process
        // starts other threads, and a value it refuses leaves the default in place.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
            libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
        }
    }
}
