#ifndef KEEL_SPAWN_H
#define KEEL_SPAWN_H
#include <sys/types.h>

/// Starts `path` with `argv` and `envp` (both NULL-terminated) as a child in a new process group
/// of its own, with stdin from /dev/null and stdout/stderr on `out_fd`/`err_fd`. The child gets
/// SIGKILL when the calling *thread* exits (PR_SET_PDEATHSIG), so call it from a thread that
/// lives as long as the process and a child never outlives its parent. It uses vfork: the
/// calling thread waits until the child has exec'd, and between vfork and exec the child makes
/// only async-signal-safe calls with every signal blocked, touching none of the parent's memory.
/// Returns the child's pid, or -1 with errno set; if exec fails, the child exits with 127 and
/// writes errno to `status_fd` (pass -1 to skip).
pid_t keel_spawn(const char *path, char *const argv[], char *const envp[], int out_fd, int err_fd, int status_fd);

/// A pipe whose two ends are close-on-exec (pipe2 with O_CLOEXEC). Returns 0 or -1 with errno.
int keel_pipe_cloexec(int fds[2]);

/// Makes the calling process a child subreaper: orphaned descendants are re-parented to it
/// (so it can reap them) instead of to init. Returns 0 or -1 with errno.
int keel_set_child_subreaper(void);

#endif
