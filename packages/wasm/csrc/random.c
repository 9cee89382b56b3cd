// randomFill: Philox-4x32-10 following core's random/philox.ts exactly, so
// element i of a draw has the same bits as on the CPU backend: counter →
// (counter mod 2³², ⌊counter / 2³²⌋, 0, 0); uniform takes the top 24 bits of
// word 0; normal is Box–Muller on words 0 and 1 with u1 shifted into (0, 1].
// Both are formed in doubles and rounded once to float32, as the CPU does.
#include "fathom.h"
#include "math.h"

static void philox(u32 c0, u32 c1, u32 k0, u32 k1, u32* out) {
  u32 x0 = c0, x1 = c1, x2 = 0, x3 = 0;
  for (int round = 0; round < 10; round++) {
    u64 p0 = (u64)0xd2511f53u * x0;
    u64 p1 = (u64)0xcd9e8d57u * x2;
    u32 hi0 = (u32)(p0 >> 32), lo0 = (u32)p0;
    u32 hi1 = (u32)(p1 >> 32), lo1 = (u32)p1;
    x0 = hi1 ^ x1 ^ k0;
    x1 = lo1;
    x2 = hi0 ^ x3 ^ k1;
    x3 = lo0;
    k0 += 0x9e3779b9u;
    k1 += 0xbb67ae85u;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}

typedef struct {
  float* out;
  u32 k0, k1;
  u64 offset;
  double a, b;
  int normal, length, perTask;
} RandomJob;

static void random_task(void* args, int task, int thread) {
  (void)thread;
  const RandomJob* j = (const RandomJob*)args;
  int first = task * j->perTask;
  int last = first + j->perTask < j->length ? first + j->perTask : j->length;
  const double twoPowMinus24 = 1.0 / 16777216.0;
  u32 words[4];
  for (int i = first; i < last; i++) {
    u64 counter = j->offset + (u64)i;
    philox((u32)counter, (u32)(counter >> 32), j->k0, j->k1, words);
    if (!j->normal) {
      j->out[i] = (float)(j->a + (j->b - j->a) * ((words[0] >> 8) * twoPowMinus24));
    } else {
      double u1 = ((words[0] >> 8) + 1) * twoPowMinus24;
      double u2 = (words[1] >> 8) * twoPowMinus24;
      double z = __builtin_sqrt(-2 * log_d(u1)) * cos_d(2 * PI_D * u2);
      j->out[i] = (float)(j->a + j->b * z);
    }
  }
}

// [out address, length, normal?, k0, k1] [offset, a, b]
EXPORT(fathom_random_fill) int fathom_random_fill(const i32* ints, const double* floats) {
  Params p = {ints, floats};
  RandomJob j;
  j.out = (float*)(uintptr_t)next_address(&p);
  j.length = next_int(&p);
  j.normal = next_int(&p);
  j.k0 = (u32)next_int(&p);
  j.k1 = (u32)next_int(&p);
  j.offset = (u64)next_float(&p);
  j.a = next_float(&p);
  j.b = next_float(&p);
  if (j.length == 0) return OK;
  int threads = thread_count();
  int tasks = threads > 1 && j.length >= 65536 ? threads : 1;
  j.perTask = (j.length + tasks - 1) / tasks;
  parallel_for(random_task, &j, tasks);
  return OK;
}
