// Strided views and the row walk every elementwise kernel uses.
#include "fathom.h"

void read_view(Params* p, View* v) {
  v->base = (u8*)(uintptr_t)next_address(p);
  v->ndim = next_int(p);
  for (int d = 0; d < v->ndim; d++) v->shape[d] = next_int(p);
  for (int d = 0; d < v->ndim; d++) v->strides[d] = next_int(p);
}

i64 walk_init(Walk* w, int ndim, const int* shape, int operands, const int* const* strides, const int* sizes) {
  w->operands = operands;
  w->ndim = 0;
  w->group = 0;
  for (int k = 0; k < operands; k++) w->sizes[k] = sizes[k];
  i64 total = 1;
  for (int d = 0; d < ndim; d++) total *= shape[d];
  for (int d = 0; d < ndim; d++) {
    if (shape[d] == 1) continue;
    int last = w->ndim - 1;
    int mergeable = last >= 0;
    for (int k = 0; k < operands && mergeable; k++) {
      mergeable = w->strides[k][last] == strides[k][d] * sizes[k] * shape[d];
    }
    if (mergeable) {
      w->shape[last] *= shape[d];
      for (int k = 0; k < operands; k++) w->strides[k][last] = strides[k][d] * sizes[k];
    } else {
      w->shape[w->ndim] = shape[d];
      for (int k = 0; k < operands; k++) w->strides[k][w->ndim] = strides[k][d] * sizes[k];
      w->ndim++;
    }
  }
  if (w->ndim == 0) {
    w->shape[0] = 1;
    for (int k = 0; k < operands; k++) w->strides[k][0] = 0;
    w->ndim = 1;
  }
  return total;
}

// Elements per row call of a grouped walk.
#define GROUP 512

// Elements column…column+n−1 of a grouped walk's row (see group_short_rows)
// at ptrs, in calls of up to GROUP elements: each operand marked in `gather`
// is gathered into a block first, so the row function sees every operand
// contiguous or repeated.
static void grouped_row(const Walk* w, u8* const* ptrs, const int* inner, int column, int n, RowFn row, void* ctx) {
  u8 blocks[MAX_OPERANDS][GROUP * 4];
  u8* at[MAX_OPERANDS];
  for (int start = column; start < column + n; start += GROUP) {
    int m = column + n - start < GROUP ? column + n - start : GROUP;
    for (int k = 0; k < w->operands; k++) {
      if (!w->gather[k]) {
        at[k] = ptrs[k] + (i64)start * inner[k];
        continue;
      }
      // Elements start…start+m−1 of the operand's [R, group] slab, row by row.
      int r = start / w->group, c = start % w->group;
      const u8* from = ptrs[k] + (i64)r * w->rowStride[k];
      int cs = w->columnStride[k];
      if (w->sizes[k] == 4 && cs == 0) {
        // One value per row (a per-channel operand over a plane): runs of splats.
        u32* to = (u32*)blocks[k];
        for (int i = 0; i < m;) {
          int run = w->group - c < m - i ? w->group - c : m - i;
          v128_t value = wasm_v128_load32_splat(from);
          int j = 0;
          for (; j + 4 <= run; j += 4) wasm_v128_store(to + i + j, value);
          for (; j < run; j++) to[i + j] = *(const u32*)from;
          i += run;
          c = 0;
          from += w->rowStride[k];
        }
      } else if (w->sizes[k] == 4) {
        u32* to = (u32*)blocks[k];
        for (int i = 0; i < m; i++) {
          to[i] = *(const u32*)(from + (i64)c * cs);
          if (++c == w->group) { c = 0; from += w->rowStride[k]; }
        }
      } else {
        u8* to = blocks[k];
        for (int i = 0; i < m; i++) {
          to[i] = from[(i64)c * cs];
          if (++c == w->group) { c = 0; from += w->rowStride[k]; }
        }
      }
      at[k] = blocks[k];
    }
    row(ctx, at, m, inner);
  }
}

// Calls row() over elements begin…end−1 of the walk (flat, row-major), the
// first and last rows cut where the range cuts them.
static void walk_range(const Walk* w, u8* const* bases, RowFn row, void* ctx, i64 begin, i64 end) {
  int ndim = w->ndim, ops = w->operands;
  int length = w->shape[ndim - 1];
  if (begin >= end || length == 0) return;
  int inner[MAX_OPERANDS];
  u8* ptrs[MAX_OPERANDS];
  u8* at[MAX_OPERANDS];
  int counter[MAX_DIMS];
  for (int k = 0; k < ops; k++) {
    inner[k] = w->strides[k][ndim - 1];
    ptrs[k] = bases[k];
  }
  i64 rowIndex = begin / length;
  int column = (int)(begin % length);
  for (int d = ndim - 2; d >= 0; d--) {
    counter[d] = (int)(rowIndex % w->shape[d]);
    rowIndex /= w->shape[d];
    for (int k = 0; k < ops; k++) ptrs[k] += (i64)counter[d] * w->strides[k][d];
  }
  for (i64 done = begin; done < end;) {
    int n = length - column;
    if (n > end - done) n = (int)(end - done);
    if (w->group) {
      grouped_row(w, ptrs, inner, column, n, row, ctx);
    } else {
      for (int k = 0; k < ops; k++) at[k] = ptrs[k] + (i64)column * inner[k];
      row(ctx, at, n, inner);
    }
    done += n;
    column = 0;
    for (int d = ndim - 2; d >= 0; d--) {
      counter[d]++;
      for (int k = 0; k < ops; k++) ptrs[k] += w->strides[k][d];
      if (counter[d] < w->shape[d]) break;
      for (int k = 0; k < ops; k++) ptrs[k] -= w->strides[k][d] * w->shape[d];
      counter[d] = 0;
    }
  }
}

// Makes a walk whose rows are short walk its last two dims [R, L] as one
// row of R·L elements, if its output (the last operand) is contiguous over
// them: the other operands that are neither contiguous nor one repeated value
// over [R, L] (walk_init merged the two dims where all were) are gathered.
// Each element is computed as before, so no result changes.
static int group_short_rows(Walk* w) {
  int last = w->ndim - 1, ops = w->operands, out = ops - 1;
  if (last < 1 || w->shape[last] >= SHORT_ROW) return 0;
  int length = w->shape[last];
  if (w->strides[out][last] != w->sizes[out] || w->strides[out][last - 1] != length * w->sizes[out]) return 0;
  Walk g = *w;
  g.ndim = last;
  g.shape[last - 1] = w->shape[last - 1] * length;
  g.group = length;
  for (int k = 0; k < ops; k++) {
    int rows = w->strides[k][last - 1], columns = w->strides[k][last];
    int contiguous = columns == w->sizes[k] && rows == length * w->sizes[k];
    int repeated = columns == 0 && rows == 0;
    g.gather[k] = !contiguous && !repeated;
    g.rowStride[k] = rows;
    g.columnStride[k] = columns;
    g.strides[k][last - 1] = repeated ? 0 : w->sizes[k];
  }
  *w = g;
  return 1;
}

static i64 walk_total(const Walk* w) {
  i64 total = 1;
  for (int d = 0; d < w->ndim; d++) total *= w->shape[d];
  return total;
}

void walk_rows(const Walk* w, u8* const* bases, RowFn row, void* ctx) {
  walk_range(w, bases, row, ctx, 0, walk_total(w));
}

// ---------------------------------------------------------------------------
// Elementwise walks on the thread pool, transposed operands in bands.

// Columns of a band (see walk_elementwise).
#define BAND 64

typedef struct {
  const Walk* w;
  u8* const* bases;
  RowFn row;
  void* ctx;
  i64 total, chunk;
} WalkJob;

static void walk_task(void* args, int task, int thread) {
  const WalkJob* j = (const WalkJob*)args;
  i64 begin = (i64)task * j->chunk, end = begin + j->chunk < j->total ? begin + j->chunk : j->total;
  walk_range(j->w, j->bases, j->row, j->ctx, begin, end);
}

static void walk_split(const Walk* w, u8* const* bases, RowFn row, void* ctx) {
  i64 total = walk_total(w);
  i64 tasks = task_count(total, PARALLEL_ELEMENTS);
  if (tasks == 1) {
    walk_range(w, bases, row, ctx, 0, total);
    return;
  }
  i64 chunk = (total + tasks - 1) / tasks;
  chunk = (chunk + 63) / 64 * 64;
  WalkJob j = {w, bases, row, ctx, total, chunk};
  parallel_for(walk_task, &j, (int)((total + chunk - 1) / chunk));
}

INLINE int magnitude(int x) { return x < 0 ? -x : x; }

// Whether an operand steps far along the rows but near across them (a
// transposed view): walking row by row would touch a new cache line per element.
static int walks_across(const Walk* w) {
  int last = w->ndim - 1;
  if (last < 1 || w->shape[last] <= BAND) return 0;
  for (int k = 0; k < w->operands; k++) {
    int along = magnitude(w->strides[k][last]);
    if (along > 64 && magnitude(w->strides[k][last - 1]) < along) return 1;
  }
  return 0;
}

void walk_elementwise(const Walk* w, u8* const* bases, RowFn row, void* ctx) {
  Walk grouped = *w;
  if (group_short_rows(&grouped)) {
    walk_split(&grouped, bases, row, ctx);
    return;
  }
  if (!walks_across(w) || w->ndim >= MAX_DIMS) {
    walk_split(w, bases, row, ctx);
    return;
  }
  // [..., R, C] as [..., C/BAND, R, BAND] and then the last C % BAND columns:
  // down a band of BAND columns a transposed operand reuses the BAND cache
  // lines it touched in the row before. Each element is visited once, so the
  // order changes no result.
  int last = w->ndim - 1, columns = w->shape[last], ops = w->operands;
  Walk banded = *w;
  banded.ndim = w->ndim + 1;
  banded.shape[last - 1] = columns / BAND;
  banded.shape[last] = w->shape[last - 1];
  banded.shape[last + 1] = BAND;
  for (int k = 0; k < ops; k++) {
    banded.strides[k][last - 1] = w->strides[k][last] * BAND;
    banded.strides[k][last] = w->strides[k][last - 1];
    banded.strides[k][last + 1] = w->strides[k][last];
  }
  walk_split(&banded, bases, row, ctx);
  int rest = columns % BAND;
  if (rest == 0) return;
  Walk tail = *w;
  tail.shape[last] = rest;
  u8* tailBases[MAX_OPERANDS];
  for (int k = 0; k < ops; k++) tailBases[k] = bases[k] + (i64)(columns - rest) * w->strides[k][last];
  walk_split(&tail, tailBases, row, ctx);
}
