#define _GNU_SOURCE
#include "keel_spawn.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <linux/close_range.h>

pid_t keel_spawn(const char *path, char *const argv[], char *const envp[], int out_fd, int err_fd, int status_fd) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0) return pid;

    // Child: only async-signal-safe calls from here to exec.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127); // the parent died before prctl took effect

    // Signals the supervisor blocked or ignored must not leak into the node.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < 32; s++) {
        if (s != SIGKILL && s != SIGSTOP) signal(s, SIG_DFL);
    }

    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    if (out_fd >= 0) dup2(out_fd, 1);
    if (err_fd >= 0) dup2(err_fd, 2);
    // Nothing else crosses exec (pipes of other children, the supervisor's sockets);
    // status_fd is close-on-exec already, so a successful exec closes it too.
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        for (int fd = 3; fd < 65536; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    execve(path, argv, envp);
    int error = errno;
    if (status_fd >= 0) { ssize_t ignored = write(status_fd, &error, sizeof error); (void)ignored; }
    _exit(127);
}

int keel_set_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1); }

int keel_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
