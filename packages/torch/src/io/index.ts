// io: safetensors (tensors and raw bytes) and a reader for PyTorch's .pt zip/pickle files that never executes code.

export { describePickled, PickleGlobal, PickleObject, type PickleReducer, PickleSlice, type UnpickleOptions, unpickle } from './pickle.js';
export {
  type LoadedSafetensors,
  loadSafetensors,
  parseSafetensorsTensors,
  saveSafetensors,
  serializeSafetensorsTensors,
} from './safetensors.js';
export {
  parseSafetensors,
  type RawTensor,
  readSafetensorsFile,
  readSafetensorsMetadata,
  type SafetensorsContents,
  serializeSafetensors,
  writeSafetensorsFile,
} from './safetensors-format.js';
export { loadPt, loadPtBytes, PtTensor } from './torch-pt.js';
export { ZipArchive, type ZipEntry } from './zip.js';
