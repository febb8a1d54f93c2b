// Process-wide allocator settings, for programs' main() only (never called by library
// code: they change every allocation in the process).
#pragma once

namespace isnad::core {

// Keeps freed memory for reuse instead of handing it back to the kernel at once: blocks
// under 32 MiB come from the heap (not a fresh mmap each), and up to 64 MiB free at its top
// stays mapped. Decoding one picture after another (libjpeg's coefficient buffers are
// ~10 MB for a progressive 1.6 MP JPEG) otherwise faults the same pages in again for
// every picture: 1.3x the PDQ rate over the conformance JPEGs (docs/benchmarks.md,
// "PDQ"). Peak RSS of a 4 GB `isnad add` stays under 100 MB (89 MB). These are glibc's
// settings: where a program is linked with jemalloc (`isnad`, by default), they tune
// an allocator that is then unused, and jemalloc keeps freed memory for reuse itself.
void KeepFreedMemoryForReuse();

}  // namespace isnad::core
