import sharp from 'sharp';

/**
 * The one font every plot uses. Debian's `fonts-dejavu-core` (installed by scripts/setup.sh) provides it to
 * fontconfig, so librsvg and pango find it offline; nothing is ever downloaded.
 */
export const FONT_FAMILY = 'DejaVu Sans';

/** DejaVu Sans' ascender and descender (hhea table, 1901 and 483 of 2048 units), in em. */
export const FONT_ASCENT_EM = 1901 / 2048;
export const FONT_DESCENT_EM = 483 / 2048;

/** Height in pixels of one line of text at `fontSize` px: ascender to descender. */
export function lineHeight(fontSize: number): number {
  return Math.ceil(fontSize * (FONT_ASCENT_EM + FONT_DESCENT_EM));
}

const widthCache = new Map<string, number>();

/** Pango markup is parsed by libvips' text input, so literal `<`, `>` and `&` in labels must be escaped. */
function escapeMarkup(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/**
 * Width in pixels of `text` set in {@link FONT_FAMILY} at `fontSize` px, measured by pango (the same shaper librsvg
 * uses to draw SVG text, so glyph fallback for non-Latin labels is measured too). Results are cached.
 *
 * @example
 * const w = await measureTextWidth('person 0.87', 20); // ≈ 117
 */
export async function measureTextWidth(text: string, fontSize: number): Promise<number> {
  if (text.trim() === '') return 0;
  const key = `${fontSize}\u0000${text}`;
  const cached = widthCache.get(key);
  if (cached !== undefined) return cached;
  const { width } = await sharp({
    text: { text: escapeMarkup(text), font: `${FONT_FAMILY} ${fontSize}`, dpi: 72 },
  }).metadata();
  // libvips reports the ink extent; the side bearings PIL includes in its text box are ~0.1 em.
  const measured = Math.ceil((width ?? 0) + fontSize * 0.1);
  widthCache.set(key, measured);
  return measured;
}
