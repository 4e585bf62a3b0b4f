// Checks the contrast check against what this Chromium actually serialises: colours
// written in each syntax the pages use parse to the expected sRGB, and a page made to
// fail (and one made to pass) is measured as such. Throws on any mismatch.
import { audit, collect, hex, parseColor } from './contrast.mjs';

// CSS colour -> the opaque sRGB (and alpha) it must parse to, as Chromium computes it.
const COLOURS = [
  ['rgb(36, 87, 214)', '#2457d6', 1],
  ['rgba(180, 35, 24, 0.5)', '#b42318', 0.5],
  ['color-mix(in srgb, #b42318 10%, transparent)', '#b42318', 0.1],
  ['color-mix(in srgb, black 50%, white)', '#808080', 1],
  ['oklab(0.627955 0.224863 0.125846)', '#ff0000', 1],
  ['oklch(0.452014 0.313214 264.052)', '#0000ff', 1],
  ['color-mix(in oklab, white 50%, white)', '#ffffff', 1],
  ['color(srgb-linear 0.2140 0.2140 0.2140)', '#808080', 1],
];

// A page with known ratios: 2.85 text (#999 on white), 21 (black on white), 2.11
// border (30% black over white), a large 3.0 heading that passes, white text on
// #767676 (4.54) that passes.
const FIXTURE = `<!doctype html><style>body{margin:0;background:#fff;color:#000}</style>
<p id="faint" style="color:#999">faint</p><p id="plain">plain</p>
<input id="field" style="border:1px solid color-mix(in srgb, black 30%, transparent);background:#fff;color:#000" value="x">
<h1 id="large" style="font-size:24px;color:#949494">large</h1>
<p style="background:#767676;color:#fff">grey</p>`;

/** Runs the self-test in `page`; returns what it checked. */
export async function selfTest(page) {
  const html = COLOURS.map(([css], i) => `<p id="c${i}" style="color:${css}">c</p>`).join('');
  await page.setContent(html);
  const served = await page.evaluate((n) => [...Array(n).keys()].map((i) => getComputedStyle(document.getElementById(`c${i}`)).color), COLOURS.length);
  served.forEach((css, i) => {
    const [written, want, alpha] = COLOURS[i];
    const got = parseColor(css);
    const close = (x, y) => Math.abs(parseInt(x, 16) - parseInt(y, 16)) <= 1;
    const same = [1, 3, 5].every((k) => close(hex(got).slice(k, k + 2), want.slice(k, k + 2)));
    if (!same || Math.abs(got.a - alpha) > 0.01) {
      throw new Error(`self-test: ${written} is served as ${css}, parsed as ${hex(got)}/${got.a}, not ${want}/${alpha}`);
    }
  });
  await page.setContent(FIXTURE);
  const { checked, failures } = audit(await page.evaluate(collect), { page: 'fixture' });
  const failed = failures.map((f) => `${f.kind} ${f.selector.split(' > ').pop()} ${f.ratio}`).sort();
  const expected = ['border input#field 2.11', 'text p#faint 2.85'];
  if (JSON.stringify(failed) !== JSON.stringify(expected)) {
    throw new Error(`self-test: the fixture page measured ${JSON.stringify(failed)}, not ${JSON.stringify(expected)}`);
  }
  return { colours: COLOURS.length, served, checked, failures: failed };
}
