/** One field of a kernel's parameter block: a scalar, or a fixed-length array of `length` scalars. */
export interface ParamField {
  readonly name: string;
  readonly type: 'u32' | 'i32' | 'f32';
  readonly length?: number;
}

/** Values for each field of a {@link ParamLayout}, by name. */
export type ParamValues = Readonly<Record<string, number | readonly number[]>>;

/**
 * The parameter block of a kernel: declared once, it writes both the WGSL
 * `struct Params` (bound as a read-only storage buffer, where arrays of 4-byte
 * scalars are tightly packed) and the matching bytes for one dispatch.
 */
export class ParamLayout {
  readonly fields: readonly ParamField[];
  /** Size in 4-byte words. */
  readonly words: number;
  private readonly starts = new Map<string, number>();

  constructor(fields: readonly ParamField[]) {
    this.fields = fields;
    let at = 0;
    for (const field of fields) {
      this.starts.set(field.name, at);
      at += field.length ?? 1;
    }
    // A struct with no member is not valid WGSL; keep one word either way.
    this.words = Math.max(at, 1);
  }

  /** `struct Params { … }` for the shader. */
  wgsl(): string {
    if (this.fields.length === 0) return 'struct Params { unused: u32 }';
    const members = this.fields.map((f) => `  ${f.name}: ${f.length === undefined ? f.type : `array<${f.type}, ${f.length}>`},`);
    return `struct Params {\n${members.join('\n')}\n}`;
  }

  /** The bytes of one parameter block; throws on a missing or mis-sized field (a bug in a kernel launcher). */
  pack(values: ParamValues): Uint32Array {
    const words = new Uint32Array(this.words);
    const asInt = new Int32Array(words.buffer);
    const asFloat = new Float32Array(words.buffer);
    for (const field of this.fields) {
      const value = values[field.name];
      const start = this.starts.get(field.name) as number;
      const list = typeof value === 'number' ? [value] : value;
      if (list === undefined || list.length !== (field.length ?? 1)) {
        throw new Error(`ParamLayout: field '${field.name}' needs ${field.length ?? 1} value(s), got ${list === undefined ? 'none' : list.length}`);
      }
      for (let k = 0; k < list.length; k++) {
        if (field.type === 'f32') asFloat[start + k] = list[k];
        else if (field.type === 'i32') asInt[start + k] = list[k];
        else words[start + k] = list[k];
      }
    }
    return words;
  }
}
