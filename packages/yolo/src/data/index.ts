/**
 * The data pipeline's public face: data.yaml checking, the YOLO dataset with its label cache, the augmentation
 * transforms (implement `Transform` to add your own) and the threaded loader producing `RawBatch`es.
 *
 * @example
 * import { checkDetDataset, buildYoloDataset, buildDataloader, dataArgs } from './data/index.js';
 * const data = checkDetDataset('coco8.yaml');
 * const ds = await buildYoloDataset(dataArgs({ imgsz: 640 }), data.train, 16, data, 'train');
 * const loader = buildDataloader(ds, 16, 2, true, -1);
 * for await (const batch of loader) console.log(batch.imgShape);
 * await loader.close();
 */
export { consoleLogger, DATA_DEFAULTS, type DataArgs, type DataLogger, dataArgs } from './args.js';
export { RandomFlip } from './augment/flip.js';
export { Format, type FormattedSample } from './augment/format.js';
export { RandomHSV } from './augment/hsv.js';
export { LetterBox, type LetterBoxOptions } from './augment/letterbox.js';
export { MixUp } from './augment/mixup.js';
export { Mosaic } from './augment/mosaic.js';
export { boxCandidates, type PerspectiveOptions, RandomPerspective } from './augment/perspective.js';
export { Compose, type ImageSource, type Sample, type Transform } from './augment/transform.js';
export { v8Transforms } from './augment/v8-transforms.js';
export { buildDataloader, buildYoloDataset } from './build.js';
export { collate, type RawBatch } from './collate.js';
export { type DatasetState, type TransformSpec, YOLODataset, type YOLODatasetOptions } from './dataset.js';
export { checkDetDataset, type DetDataset } from './dataset-yaml.js';
export { getImgFiles, img2labelPaths } from './files.js';
export { decodeImage, IMG_FORMATS, type RgbImage } from './images.js';
export { type BoxFormat, Instances } from './instances.js';
export { LABEL_CACHE_VERSION, type LabelCache, type ScanResults } from './label-cache.js';
export { DataLoader, type DataLoaderOptions } from './loader.js';
export { polygon2mask, polygons2masks, polygons2masksOverlap, resampleSegment, SEGMENT_POINTS } from './polygons.js';
export { Random } from './random.js';
export { EpochSampler, type SamplerOptions } from './sampler.js';
export { type ImageLabels, verifyImageLabel } from './verify.js';
