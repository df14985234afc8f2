// io: safetensors (tensors and raw bytes) and a reader for PyTorch's .pt zip/pickle files that never executes code.
export { loadSafetensors, saveSafetensors, parseSafetensorsTensors, serializeSafetensorsTensors, type LoadedSafetensors } from './safetensors.js';
export { parseSafetensors, serializeSafetensors, readSafetensorsFile, readSafetensorsMetadata, writeSafetensorsFile, type RawTensor, type SafetensorsContents } from './safetensors-format.js';
export { loadPt, loadPtBytes, PtTensor } from './torch-pt.js';
export { PickleObject, PickleGlobal, PickleSlice, unpickle, describePickled, type UnpickleOptions, type PickleReducer } from './pickle.js';
