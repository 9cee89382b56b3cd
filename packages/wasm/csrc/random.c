// randomFill: Philox-4x32-10 following core's random/philox.ts exactly, so
// element i of a draw has the same bits as on the CPU backend. Each block serves
// four consecutive counters: counter c uses block b = c / 4, i.e. Philox of
// (b mod 2³², b / 2³², 0, 0), and lane c mod 4. Uniform takes the top 24 bits
// of word[lane]; normal is Box–Muller on words (0, 1) for lanes 0 and 1 and on
// words (2, 3) for lanes 2 and 3 (even lane r·cos θ, odd lane r·sin θ), with u1
// shifted into (0, 1]. Both are formed in doubles and rounded once to float32,
// as the CPU does.
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

// The four draws of one block (uniform numbers or standard normals) into values[0..3].
static void block_values(int normal, const u32* words, double* values) {
  const double twoPowMinus24 = 1.0 / 16777216.0;
  if (!normal) {
    for (int lane = 0; lane < 4; lane++) values[lane] = (words[lane] >> 8) * twoPowMinus24;
    return;
  }
  for (int pair = 0; pair < 4; pair += 2) {
    double u1 = ((words[pair] >> 8) + 1) * twoPowMinus24;
    double u2 = (words[pair + 1] >> 8) * twoPowMinus24;
    double r = __builtin_sqrt(-2 * log_d(u1));
    double theta = 2 * PI_D * u2;
    values[pair] = r * cos_d(theta);
    values[pair + 1] = r * sin_d(theta);
  }
}

static void random_task(void* args, int task, int thread) {
  (void)thread;
  const RandomJob* j = (const RandomJob*)args;
  int i = task * j->perTask;
  int last = i + j->perTask < j->length ? i + j->perTask : j->length;
  // uniform: a + (b − a)·u; normal: a + b·z (mean a, std b).
  double scale = j->normal ? j->b : j->b - j->a;
  u64 counter = j->offset + (u64)i;
  u32 words[4];
  double values[4];
  // A task may start and end inside a block (an offset or length not a multiple of 4).
  while (i < last) {
    u64 block = counter >> 2;
    int lane = (int)(counter & 3u);
    philox((u32)block, (u32)(block >> 32), j->k0, j->k1, words);
    block_values(j->normal, words, values);
    for (; lane < 4 && i < last; lane++, i++, counter++) j->out[i] = (float)(j->a + scale * values[lane]);
  }
}

EXPORT(fathom_random_fill) int fathom_random_fill(const i32* ints, const double* floats) {
  RandomFillArguments args;
  read_random_fill_arguments(ints, floats, &args);
  RandomJob j;
  j.out = (float*)args.out;
  j.length = args.length;
  j.normal = args.normal;
  j.k0 = (u32)args.seed0;
  j.k1 = (u32)args.seed1;
  j.offset = (u64)args.offset;
  j.a = args.a;
  j.b = args.b;
  if (j.length == 0) return OK;
  int threads = thread_count();
  int tasks = threads > 1 && j.length >= 65536 ? threads : 1;
  // Whole blocks per task where the offset allows, so no block is drawn twice.
  j.perTask = ((j.length + tasks - 1) / tasks + 3) & ~3;
  parallel_for(random_task, &j, tasks);
  return OK;
}
