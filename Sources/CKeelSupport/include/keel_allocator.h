#ifndef KEEL_ALLOCATOR_H
#define KEEL_ALLOCATOR_H

/// The jemalloc settings every Keel process runs with (the `malloc_conf` jemalloc reads at
/// start): two arenas, and freed pages handed back to the kernel at once, so RSS follows live
/// memory instead of the allocator's high-water mark. MALLOC_CONF in the environment overrides.
const char *keel_allocator_settings(void);

#endif
