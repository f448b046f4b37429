#ifndef KEEL_THREAD_H
#define KEEL_THREAD_H

/// Names the calling thread (Linux keeps the first 15 bytes), so it shows in
/// /proc/<pid>/task/*/comm, `top -H` and debuggers. Swift's Glibc module does not export
/// pthread_setname_np, and prctl is variadic, hence this wrapper. Returns 0 or an errno value.
int keel_set_thread_name(const char *name);

#endif
