/**
 * Polygon labels of a scene for the segmentation variant of the built-in dataset: each object's outline is the
 * outer contour of its visible pixels (what remains after the objects drawn over it), so masks made from the labels
 * match the picture.
 */
import { findExternalContours } from '../../utils/contours.js';
import { forEachPixel } from './raster.js';
import type { Scene } from './scene.js';

/**
 * The scene's label file in YOLO-seg format: one `class x1 y1 x2 y2 …` line per object (its largest visible piece
 * when objects over it cut it in parts), pixel coordinates normalised to the image size with 6 decimals.
 * @example yoloSegmentLabels(scene) // '2 0.410156 0.546875 0.410156 0.769531 …\n'
 */
export function yoloSegmentLabels(scene: Scene): string {
  const { width, height } = scene.image;
  const owner = new Int16Array(width * height).fill(-1);
  scene.objects.forEach((o, i) => {
    forEachPixel(o.spans, width, (p) => {
      owner[p] = i;
    });
  });
  return scene.objects
    .map(({ classIndex }, i) => {
      const visible = owner.map((o) => (o === i ? 1 : 0));
      const contours = findExternalContours(visible, height, width);
      let outline = contours[0] ?? new Int32Array(0);
      for (const c of contours) if (c.length > outline.length) outline = c;
      // Degenerate outlines (a line of pixels) are widened to three points so the label stays a polygon.
      const points = Array.from(outline);
      while (points.length < 6) points.push(...points.slice(0, 2));
      const values = points.map((v, k) => (v / (k % 2 === 0 ? width : height)).toFixed(6));
      return `${classIndex} ${values.join(' ')}\n`;
    })
    .join('');
}
