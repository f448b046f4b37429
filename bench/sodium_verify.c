/* Reference for `make bench`: libsodium's crypto_sign_verify_detached on one core, over the same
 * shape of work as keel-bench (64 key/message/signature sets, cycled). Prints verifications/s. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    if (sodium_init() < 0) return 1;
    enum { K = 64 };
    static unsigned char pk[K][32], sk[K][64], msg[K][32], sig[K][64];
    for (int i = 0; i < K; i++) {
        crypto_sign_keypair(pk[i], sk[i]);
        randombytes_buf(msg[i], sizeof msg[i]);
        crypto_sign_detached(sig[i], NULL, msg[i], sizeof msg[i], sk[i]);
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int ok = 0;
    for (int j = 0; j < n; j++) ok += crypto_sign_verify_detached(sig[j % K], msg[j % K], 32, pk[j % K]) == 0;
    clock_gettime(CLOCK_MONOTONIC, &b);
    double seconds = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    printf("%.0f\n", n / seconds);
    return ok == n ? 0 : 2;
}
