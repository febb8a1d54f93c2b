// jemalloc's settings for the programs linked with it (CMakeLists.txt,
// isnad_use_allocator adds this file to each): jemalloc reads `malloc_conf` at
// its first allocation. MALLOC_CONF in the environment still overrides it.
//
// Freed pages stay with the process for reuse instead of being handed back to
// the kernel ten seconds after they were freed (jemalloc's default decay): a
// reindex frees and allocates its batches' memory over and over, and spent a
// tenth of its samples in madvise and in the page faults that brought the same
// pages back (docs/benchmarks.md, "Stop 31"). What the process holds is then
// its peak, not less: every isnad command ends once its job is done.

extern "C" {
// Read by jemalloc by this name; a weak symbol in libjemalloc, which this one replaces.
extern const char* malloc_conf;
const char* malloc_conf = "dirty_decay_ms:-1,muzzy_decay_ms:-1";
}
