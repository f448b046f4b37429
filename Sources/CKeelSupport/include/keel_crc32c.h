#ifndef KEEL_CRC32C_H
#define KEEL_CRC32C_H
#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli) of `length` bytes at `data`, continuing from `crc` (0 to start), so that
/// extend(extend(0, a), b) == crc32c(a || b). Uses SSE4.2's crc32 instruction when the CPU has it.
uint32_t keel_crc32c_extend(uint32_t crc, const void *data, size_t length);

#endif
