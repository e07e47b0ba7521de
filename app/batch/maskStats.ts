// What a predicted class map contains: pixels and 8-connected components per class. Pure and
// allocation-light (one visited bitmap and one stack) so that it runs on 20-megapixel maps.

export interface ClassStats {
  index: number;
  pixels: number;
  /** 8-connected regions of this class (two diagonal pixels touch). */
  components: number;
}

/** Stats for every class 1..numClasses-1 (background excluded), in index order. */
export function maskClassStats(map: Uint8Array, width: number, height: number, numClasses: number): ClassStats[] {
  if (map.length !== width * height) throw new Error(`maskClassStats: ${map.length} values for a ${width}×${height} map`);
  const pixels = new Float64Array(256);
  const components = new Float64Array(256);
  const visited = new Uint8Array(map.length);
  const stack = new Int32Array(map.length);
  for (let start = 0; start < map.length; start++) {
    const c = map[start]!;
    pixels[c]!++;
    if (c === 0 || visited[start]) continue;
    components[c]!++;
    // Flood fill of this component (iterative: a large defect would overflow a recursion).
    let top = 0;
    stack[top++] = start;
    visited[start] = 1;
    while (top > 0) {
      const p = stack[--top]!;
      const y = (p / width) | 0;
      const x = p - y * width;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if ((dx === 0 && dy === 0) || nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (!visited[q] && map[q] === c) {
            visited[q] = 1;
            stack[top++] = q;
          }
        }
      }
    }
  }
  const out: ClassStats[] = [];
  for (let k = 1; k < Math.max(numClasses, 1); k++) out.push({ index: k, pixels: pixels[k]!, components: components[k]! });
  // Values beyond the class table (a model/project mismatch) are still reported, never dropped.
  for (let k = Math.max(numClasses, 1); k < 256; k++) if (pixels[k]! > 0) out.push({ index: k, pixels: pixels[k]!, components: components[k]! });
  return out;
}
