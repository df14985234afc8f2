// Which model family (YOLOv8, YOLO11, …) a model YAML describes: what the engine's family-specific defaults
// (optimizer=auto's rule, the loss names) are chosen by. Ultralytics has no such notion: each of its releases simply
// applies its own rules to every model, so yolots, which reproduces several releases, picks per family.

/** A family is the model name's prefix as Ultralytics writes it: 'yolov8', 'yolo11', 'yolo26', 'yolov5', … */
export type ModelFamily = string;

/** The family of models whose YAML names none (a custom YAML): the YOLOv8 rules, as yolots has always applied. */
export const DEFAULT_FAMILY: ModelFamily = 'yolov8';

/** YAML modules that only a family's YAMLs use, for custom YAMLs named after none (later entries win). */
const FAMILY_MODULES: [module: string, family: ModelFamily][] = [
  ['C3k2', 'yolo11'],
  ['C2PSA', 'yolo11'],
];

/**
 * The family of a model YAML dict: its `family` key when set (yolots checkpoints record it), else the file name
 * ('yolo11n.yaml' → 'yolo11', 'yolov8s-seg.yaml' → 'yolov8'), else 'yolo26' for an end-to-end head (`end2end`),
 * else the modules it uses (C3k2 → 'yolo11'), else 'yolov8'.
 *
 * @example modelFamily(yamlModelLoad('yolo11n.yaml')) // 'yolo11'
 */
export function modelFamily(yaml: Record<string, unknown>): ModelFamily {
  if (typeof yaml.family === 'string' && yaml.family) return yaml.family;
  const file = typeof yaml.yaml_file === 'string' ? yaml.yaml_file : '';
  const named = /(?:^|[\\/])(yolov?\d+)[a-z]*[-.]/i.exec(file)?.[1];
  if (named) return named.toLowerCase();
  // An end-to-end head (`end2end: True`, Ultralytics 8.4) marks a YOLO26-derived YAML.
  if (yaml.end2end === true) return 'yolo26';
  const modules = new Set(
    [yaml.backbone, yaml.head].flatMap((rows) => (Array.isArray(rows) ? rows.map((row) => (Array.isArray(row) ? row[2] : null)) : [])),
  );
  let family = DEFAULT_FAMILY;
  for (const [module, owner] of FAMILY_MODULES) if (modules.has(module)) family = owner;
  return family;
}
