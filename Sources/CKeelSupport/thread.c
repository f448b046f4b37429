#include "keel_thread.h"

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>

int keel_set_thread_name(const char *name) {
    char truncated[16];
    strncpy(truncated, name, sizeof truncated - 1);
    truncated[sizeof truncated - 1] = '\0';
    return prctl(PR_SET_NAME, (unsigned long)truncated, 0, 0, 0) == 0 ? 0 : errno;
}
