#define _GNU_SOURCE
#include "keel_spawn.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/close_range.h>

/// The child's half, in a frame of its own below the parent's: a vfork child runs on the
/// parent's stack, and writing its locals into keel_spawn's frame could overwrite what the
/// parent reads after it resumes.
static __attribute__((noinline, noreturn)) void child_exec(
    pid_t parent, const char *path, char *const argv[], char *const envp[], int out_fd, int err_fd, int status_fd) {
    // Child: only async-signal-safe calls that touch no memory of the parent's, up to exec.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127); // the parent died before prctl took effect

    // Signals the parent handled, blocked or ignored must not leak into the child.
    for (int s = 1; s < 65; s++) {
        if (s != SIGKILL && s != SIGSTOP) {
            struct sigaction dfl;
            memset(&dfl, 0, sizeof dfl);
            dfl.sa_handler = SIG_DFL;
            syscall(SYS_rt_sigaction, s, &dfl, NULL, 8);
        }
    }
    sigset_t none;
    sigemptyset(&none);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8);

    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    if (out_fd >= 0) dup2(out_fd, 1);
    if (err_fd >= 0) dup2(err_fd, 2);
    // Nothing else crosses exec (pipes of other children, the parent's sockets); status_fd is
    // close-on-exec already, so a successful exec closes it too.
    if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        for (int fd = 3; fd < 65536; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    execve(path, argv, envp);
    int error = errno;
    if (status_fd >= 0) { ssize_t ignored = write(status_fd, &error, sizeof error); (void)ignored; }
    _exit(127);
}

pid_t keel_spawn(const char *path, char *const argv[], char *const envp[], int out_fd, int err_fd, int status_fd) {
    pid_t parent = getpid();
    // vfork, not fork: the child borrows this process's memory until it execs, so a large
    // parent (a test runner holding in-process nodes) neither copies its page tables nor pays
    // copy-on-write faults, and the child's copies of our descriptors (sockets, lock files) live
    // only until exec, while this thread waits. Every signal is blocked across it, so no handler
    // can run in the child on the parent's memory; the child resets dispositions to default
    // before it unblocks them.
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    pid_t pid = vfork();
    if (pid != 0) {
        int error = errno;
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
        errno = error;
        return pid;
    }

    child_exec(parent, path, argv, envp, out_fd, err_fd, status_fd);
}

int keel_set_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1); }

int keel_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
