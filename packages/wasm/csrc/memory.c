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
