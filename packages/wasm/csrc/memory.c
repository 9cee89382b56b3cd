// The C library's memory functions (there is no libc): clang emits calls to
// them for struct copies and loop idioms. With bulk memory enabled the
// builtins below become single memory.copy / memory.fill instructions.
#include "fathom.h"

void* memcpy(void* dst, const void* src, size_t n) {
  __builtin_memcpy(dst, src, n);
  return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
  __builtin_memmove(dst, src, n);
  return dst;
}

void* memset(void* dst, int c, size_t n) {
  __builtin_memset(dst, c, n);
  return dst;
}

typedef struct { u8* dst; u32 bytes, chunk; } ZeroJob;

static void zero_task(void* args, int task, int thread) {
  const ZeroJob* j = (const ZeroJob*)args;
  u32 at = (u32)task * j->chunk;
  memset(j->dst + at, 0, j->bytes - at < j->chunk ? j->bytes - at : j->chunk);
}

// Clears a reused block before its first read (see zeroPending in
// src/kernel-runner.ts); a large one in a slice per thread.
EXPORT(fathom_zero) void fathom_zero(u8* dst, u32 bytes) {
  u32 tasks = (u32)task_count(bytes, PARALLEL_ELEMENTS * 16);
  if (tasks == 1) {
    memset(dst, 0, bytes);
    return;
  }
  u32 chunk = (bytes / tasks + 63) / 64 * 64;
  ZeroJob j = {dst, bytes, chunk};
  parallel_for(zero_task, &j, (int)((bytes + chunk - 1) / chunk));
}
