// Hardware CRC-32C for stored-value checksums: every RocksDB value Keel reads is checked, so the
// checksum sits on the hot path of balance scans. Falls back to a table when SSE4.2 is absent.
#include "keel_crc32c.h"
#include <string.h>

static uint32_t table[256];
static int have_sse42;

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>

__attribute__((target("sse4.2")))
static uint32_t crc_hw(uint32_t c, const uint8_t *p, size_t n) {
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = (uint32_t)_mm_crc32_u64(c, v);
        p += 8;
        n -= 8;
    }
    while (n--) c = _mm_crc32_u8(c, *p++);
    return c;
}
#endif

// Runs at load time, before any Swift code, so the table and the flag are written once and
// only read afterwards.
__attribute__((constructor))
static void keel_crc32c_init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        table[n] = c;
    }
#if defined(__x86_64__)
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d)) have_sse42 = (c & bit_SSE4_2) != 0;
#endif
}

uint32_t keel_crc32c_extend(uint32_t crc, const void *data, size_t length) {
    uint32_t c = ~crc;
    const uint8_t *p = (const uint8_t *)data;
#if defined(__x86_64__)
    if (have_sse42) return ~crc_hw(c, p, length);
#endif
    while (length--) c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}
