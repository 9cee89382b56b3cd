// The numeric values of GPUBufferUsage, GPUMapMode and GPUShaderStage, fixed by the WebGPU
// specification. Spelled out here because Dawn's Node bindings only define the
// globals when a program copies them onto globalThis, which a library must not do.

/** GPUBufferUsage flags. */
export const BufferUsage = {
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  STORAGE: 0x0080,
  QUERY_RESOLVE: 0x0200,
} as const;

/** GPUMapMode flags. */
export const MapMode = {
  READ: 0x0001,
} as const;

/** GPUShaderStage flags. */
export const ShaderStage = {
  COMPUTE: 0x4,
} as const;
