/**
 * Renames every `id` in an SVG document to `<prefix><n>` (n from 1, in the
 * order they appear) and rewrites the `url(#…)` and `href="#…"` references to
 * them. Vega numbers its clip paths from a counter shared by the whole
 * process, so this makes a chart's SVG the same however many were drawn
 * before it; and SVGs inlined into one HTML page need distinct ids, or one
 * chart clips to another's rectangle.
 *
 * ```ts
 * namespaceSvgIds('<svg><clipPath id="clip7"/><g clip-path="url(#clip7)"/></svg>', 'loss-');
 * // '<svg><clipPath id="loss-1"/><g clip-path="url(#loss-1)"/></svg>'
 * ```
 */
export function namespaceSvgIds(svg: string, prefix: string): string {
  const renamed = new Map<string, string>();
  for (const match of svg.matchAll(/\sid="([^"]+)"/g)) {
    if (!renamed.has(match[1])) renamed.set(match[1], `${prefix}${renamed.size + 1}`);
  }
  if (renamed.size === 0) return svg;
  const rename = (id: string): string => renamed.get(id) ?? id;
  return svg
    .replace(/(\sid=")([^"]+)(")/g, (_all, open: string, id: string, close: string) => `${open}${rename(id)}${close}`)
    .replace(/url\(#([^)]+)\)/g, (_all, id: string) => `url(#${rename(id)})`)
    .replace(/(href=")#([^"]+)(")/g, (_all, open: string, id: string, close: string) => `${open}#${rename(id)}${close}`);
}
