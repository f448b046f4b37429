#ifndef KEEL_BUILD_INFO_H
#define KEEL_BUILD_INFO_H

/// The commit this binary was built from (`git describe --always --dirty --abbrev=12`), stamped
/// by `scripts/stamp-build` before `make` builds; "unknown" when built without it (a plain
/// `swift build`, or a source tree that is not a git checkout).
const char *keel_build_commit(void);

#endif
