// The process's allocator policy. See include/qb_cpu.h.
#include "qb_cpu.h"
#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif

int qb_keep_freed_memory(void) {
#if defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
    int mapped = mallopt(M_MMAP_THRESHOLD, 256 << 20);
    int trimmed = mallopt(M_TRIM_THRESHOLD, 1 << 30);
    return mapped == 1 && trimmed == 1 ? 1 : -1;
#else
    return 0;
#endif
}
