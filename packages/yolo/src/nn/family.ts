// Which Ultralytics model family a model YAML belongs to. Some training defaults follow the Ultralytics release a
// family came with (the `optimizer=auto` rule: YOLOv8 → 8.2, YOLO11 → 8.3, YOLO26 → 8.4.104).
import { basename } from 'node:path';

export type ModelFamily = 'yolov8' | 'yolo11' | 'yolo26';

/**
 * The family of a model YAML dict: its `family:` key when it sets one (for custom YAMLs), else from the file name
 * (`yolo26n.yaml`, `yolo11s-seg.yaml`), else 'yolo26' for an end-to-end head (`end2end: True`), else 'yolov8'.
 *
 * @example modelFamily({ yaml_file: 'yolo26n.yaml', nc: 80, backbone: [], head: [] }) // 'yolo26'
 */
export function modelFamily(yaml: Record<string, unknown>): ModelFamily {
  const declared = yaml.family;
  if (declared !== undefined) {
    if (declared === 'yolov8' || declared === 'yolo11' || declared === 'yolo26') return declared;
    throw new Error(`model YAML: 'family' must be one of yolov8, yolo11, yolo26, got ${JSON.stringify(declared)}`);
  }
  const file = typeof yaml.yaml_file === 'string' ? basename(yaml.yaml_file).toLowerCase() : '';
  if (file.startsWith('yolo26')) return 'yolo26';
  if (file.startsWith('yolo11')) return 'yolo11';
  if (yaml.end2end === true) return 'yolo26';
  return 'yolov8';
}
