#include "keel_build_info.h"

// The stamp is a header beside this file, written by scripts/stamp-build and kept out of git.
// Only this file includes it, so a new commit recompiles this one file and relinks, nothing else.
#if __has_include("keel_build_stamp.h")
#include "keel_build_stamp.h"
#endif

#ifndef KEEL_BUILD_COMMIT
#define KEEL_BUILD_COMMIT "unknown"
#endif

const char *keel_build_commit(void) { return KEEL_BUILD_COMMIT; }
