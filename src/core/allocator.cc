#include "core/allocator.h"

#include <malloc.h>

namespace isnad::core {

void KeepFreedMemoryForReuse() {
  // The same two settings as GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:
  // glibc.malloc.trim_threshold=67108864. A failure leaves glibc's defaults: only slower.
  (void)mallopt(M_MMAP_THRESHOLD, 32 << 20);
  (void)mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

}  // namespace isnad::core
