export { type ByteSource, bytesSource } from './byte-source.js';
export { type StoredDType, STORED_DTYPE_BYTES, loadedDType } from './stored-dtype.js';
export { readSafetensorsHeader, MAX_HEADER_BYTES, type SafetensorsEntry, type SafetensorsHeader } from './safetensors/header.js';
export { readSafetensors, decodeSafetensors, type ReadSafetensorsOptions, type SafetensorsContents } from './safetensors/read.js';
export { encodeSafetensors, type WriteSafetensorsOptions } from './safetensors/write.js';
export { readPth, decodePth, type PthValue, type ReadPthOptions } from './pth/read-pth.js';
export {
  loadWeightsFrom, encodeWeights, weightsFormatOf, type StateDictModule, type WeightsFormat, type LoadWeightsOptions, type LoadWeightsResult,
} from './weights.js';
