// Run colours: the Okabe–Ito palette (distinguishable with colour-vision deficiencies), in a
// fixed order, so a run keeps its colour across the overlay, difference and bar charts; then
// greys. Reference runs are drawn dashed by the charts, not in a special colour.

const colours = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#8B6D00', '#7F7F7F'];

export function colourAt(i: number): string {
  return colours[i % colours.length];
}

/** A stable colour per run id, in the order the ids are given. */
export function coloursFor(ids: readonly string[]): Map<string, string> {
  return new Map(ids.map((id, i) => [id, colourAt(i)]));
}
