#ifndef KEEL_CJEMALLOC_SHIM_H
#define KEEL_CJEMALLOC_SHIM_H

// jemalloc (libjemalloc-dev) replaces glibc's malloc in every process that links it: linked
// ahead of libc, its malloc and free serve the whole process, RocksDB and Swift included. Only
// mallctl is declared here; jemalloc.h would redeclare malloc and free beside Glibc's.
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdio.h>

int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);

/// Refreshes jemalloc's statistics (they are cached until the epoch moves).
static inline int keel_je_refresh(void) {
    uint64_t epoch = 1;
    size_t length = sizeof(epoch);
    return mallctl("epoch", &epoch, &length, &epoch, length);
}

/// A size_t statistic or setting by name ("stats.allocated", "opt.narenas", ...); 0 if unknown.
static inline size_t keel_je_size(const char *name) {
    size_t value = 0;
    size_t length = sizeof(value);
    return mallctl(name, &value, &length, NULL, 0) == 0 ? value : 0;
}

/// An unsigned setting by name ("opt.narenas"); 0 if unknown.
static inline unsigned keel_je_unsigned(const char *name) {
    unsigned value = 0;
    size_t length = sizeof(value);
    return mallctl(name, &value, &length, NULL, 0) == 0 ? value : 0;
}

/// A signed setting by name ("opt.dirty_decay_ms"); -2 if unknown.
static inline ssize_t keel_je_signed(const char *name) {
    ssize_t value = -2;
    size_t length = sizeof(value);
    return mallctl(name, &value, &length, NULL, 0) == 0 ? value : -2;
}

/// Sets the dirty and muzzy decay times of every arena jemalloc has (milliseconds; 0 purges
/// freed pages at once); returns how many settings failed.
static inline int keel_je_set_decay(ssize_t dirty, ssize_t muzzy) {
    unsigned arenas = keel_je_unsigned("arenas.narenas");
    int failed = 0;
    char name[48];
    for (unsigned i = 0; i < arenas; i++) {
        snprintf(name, sizeof name, "arena.%u.dirty_decay_ms", i);
        if (mallctl(name, NULL, NULL, &dirty, sizeof dirty) != 0) failed++;
        snprintf(name, sizeof name, "arena.%u.muzzy_decay_ms", i);
        if (mallctl(name, NULL, NULL, &muzzy, sizeof muzzy) != 0) failed++;
    }
    return failed;
}

/// A signed setting of arena `arena` by suffix ("dirty_decay_ms"); -2 if unknown.
static inline ssize_t keel_je_arena_signed(unsigned arena, const char *suffix) {
    char name[64];
    snprintf(name, sizeof name, "arena.%u.%s", arena, suffix);
    return keel_je_signed(name);
}

/// jemalloc's version string, or NULL.
static inline const char *keel_je_version(void) {
    const char *value = NULL;
    size_t length = sizeof(value);
    return mallctl("version", &value, &length, NULL, 0) == 0 ? value : NULL;
}

#endif
