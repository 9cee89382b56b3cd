export { openFileSource, withFileSource, type FileSource } from './file-source.js';
export { writeFileAtomic, copyFileAtomic, removeStaleTempFiles, type FileContents } from './atomic-write.js';
export { loadSafetensors, saveSafetensors } from './safetensors-file.js';
export { loadPth } from './pth-file.js';
export { loadWeights, saveWeights } from './weights-file.js';
