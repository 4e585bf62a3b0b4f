// Contrast from computed styles (WCAG 2.x, success criteria 1.4.3 and 1.4.11).
// `collect` runs in the page and returns the computed colour strings as Chromium
// serialises them; `audit` parses them in Node and measures. A colour that cannot be
// parsed throws: nothing is skipped silently.

/** Text needs 4.5:1, large text 3:1 (WCAG 2.x 1.4.3); a control's border 3:1 (1.4.11). */
export const MINIMUM = { text: 4.5, large: 3, border: 3 };

/**
 * Runs in the page: every visible element with direct text (and every visible form
 * control), with its colour, font, and the background colours from itself up to the
 * root; the canvas colour for a transparent root.
 */
export function collect() {
  const probe = document.createElement('div');
  probe.style.cssText = 'background-color: Canvas; position: absolute; width: 0; height: 0';
  document.documentElement.appendChild(probe);
  const canvas = getComputedStyle(probe).backgroundColor;
  probe.remove();
  const controls = new Set(['INPUT', 'TEXTAREA', 'SELECT', 'BUTTON']);
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += `#${el.id}`;
    for (const c of el.classList) name += `.${c}`;
    if (el.getAttribute('name')) name += `[name=${el.getAttribute('name')}]`;
    return name;
  };
  const path = (el) => {
    const parts = [];
    for (let e = el; e && e.nodeType === 1 && parts.length < 4; e = e.parentElement) parts.unshift(describe(e));
    return parts.join(' > ');
  };
  const found = [];
  for (const el of document.querySelectorAll('body, body *')) {
    const style = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    const visible = el.checkVisibility({ opacityProperty: true, visibilityProperty: true })
      && rect.width > 0 && rect.height > 0;
    if (!visible || (el.tagName === 'INPUT' && el.type === 'hidden')) continue;
    const text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim();
    const control = controls.has(el.tagName);
    if (!text && !control) continue;
    const backgrounds = [];
    for (let e = el; e; e = e.parentElement) backgrounds.push(getComputedStyle(e).backgroundColor);
    const borderWidth = parseFloat(style.borderTopWidth);
    found.push({
      selector: path(el),
      text: (text || el.value || el.placeholder || '').slice(0, 60),
      color: style.color,
      fontSize: parseFloat(style.fontSize),
      fontWeight: Number(style.fontWeight),
      backgrounds,
      border: control && borderWidth > 0 && style.borderTopStyle !== 'none' ? style.borderTopColor : null,
      hasText: Boolean(text) || control,
    });
  }
  return { canvas, elements: found };
}

/** Parses a computed colour into sRGB components in 0..1 and alpha; throws if unknown. */
export function parseColor(css) {
  const m = /^([a-z-]+)\((.*)\)$/.exec(css.trim());
  if (!m) throw new Error(`cannot parse the colour ${JSON.stringify(css)}`);
  const [fn, body] = [m[1], m[2]];
  const num = (s, percentScale = 1) => {
    if (s === 'none') return 0;
    if (s.endsWith('%')) return (parseFloat(s) / 100) * percentScale;
    const n = Number(s);
    if (!Number.isFinite(n)) throw new Error(`cannot parse the colour ${JSON.stringify(css)}`);
    return n;
  };
  const [main, alphaPart] = body.split('/').map((s) => s.trim());
  let parts = main.split(/[\s,]+/).filter(Boolean);
  let alpha = alphaPart === undefined ? 1 : num(alphaPart, 1);
  if (fn === 'rgb' || fn === 'rgba') {
    if (parts.length === 4) alpha = num(parts.pop(), 1);
    if (parts.length !== 3) throw new Error(`cannot parse the colour ${JSON.stringify(css)}`);
    const [r, g, b] = parts.map((p) => num(p, 255) / 255);
    return { r, g, b, a: alpha };
  }
  if (fn === 'color') {
    const space = parts.shift();
    const [r, g, b] = parts.map((p) => num(p, 1));
    if (parts.length !== 3) throw new Error(`cannot parse the colour ${JSON.stringify(css)}`);
    if (space === 'srgb') return { r, g, b, a: alpha };
    if (space === 'srgb-linear') return { r: gamma(r), g: gamma(g), b: gamma(b), a: alpha };
    throw new Error(`cannot parse the colour ${JSON.stringify(css)}: colour space ${space}`);
  }
  if (fn === 'oklab' || fn === 'oklch') {
    if (parts.length !== 3) throw new Error(`cannot parse the colour ${JSON.stringify(css)}`);
    const l = num(parts[0], 1);
    let a;
    let b;
    if (fn === 'oklab') {
      [a, b] = [num(parts[1], 0.4), num(parts[2], 0.4)];
    } else {
      const c = num(parts[1], 0.4);
      const h = (num(parts[2], 1) * Math.PI) / 180;
      [a, b] = [c * Math.cos(h), c * Math.sin(h)];
    }
    return { ...oklabToSrgb(l, a, b), a: alpha };
  }
  throw new Error(`cannot parse the colour ${JSON.stringify(css)}: ${fn}() is not handled`);
}

// sRGB transfer function (IEC 61966-2-1), from linear to encoded, clamped to the gamut.
function gamma(c) {
  const x = Math.min(1, Math.max(0, c));
  return x <= 0.0031308 ? 12.92 * x : 1.055 * x ** (1 / 2.4) - 0.055;
}

// OKLab to sRGB (Björn Ottosson's matrices, as in CSS Color 4 §9).
function oklabToSrgb(L, a, b) {
  const l = (L + 0.3963377774 * a + 0.2158037573 * b) ** 3;
  const m = (L - 0.1055613458 * a - 0.0638541728 * b) ** 3;
  const s = (L - 0.0894841775 * a - 1.291485548 * b) ** 3;
  return {
    r: gamma(4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s),
    g: gamma(-1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s),
    b: gamma(-0.0041960863 * l - 0.7034186147 * m + 1.707614701 * s),
  };
}

/** `top` drawn over the opaque `bottom` (source-over, in sRGB as browsers blend). */
export function over(top, bottom) {
  const mix = (t, b) => t * top.a + b * (1 - top.a);
  return { r: mix(top.r, bottom.r), g: mix(top.g, bottom.g), b: mix(top.b, bottom.b), a: 1 };
}

/** WCAG 2.x relative luminance of an opaque sRGB colour. */
export function luminance({ r, g, b }) {
  const lin = (c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** WCAG 2.x contrast ratio of two opaque colours. */
export function ratio(x, y) {
  const [l1, l2] = [luminance(x), luminance(y)].sort((p, q) => q - p);
  return (l1 + 0.05) / (l2 + 0.05);
}

/** An opaque colour as `#rrggbb`, for reports. */
export function hex({ r, g, b }) {
  return `#${[r, g, b].map((c) => Math.round(c * 255).toString(16).padStart(2, '0')).join('')}`;
}

// The colour behind everything in `backgrounds` (element first, root last): the
// canvas, then each background from the root down, composited.
function backdrop(backgrounds, canvas) {
  let colour = { ...parseColor(canvas), a: 1 };
  for (const css of [...backgrounds].reverse()) colour = over(parseColor(css), colour);
  return colour;
}

/** Measures what `collect` returned; returns the count checked and the failures. */
export function audit({ canvas, elements }, where) {
  const failures = [];
  let checked = 0;
  for (const el of elements) {
    const background = backdrop(el.backgrounds, canvas);
    if (el.hasText) {
      const large = el.fontSize >= 24 || (el.fontSize >= 18.66 && el.fontWeight >= 700);
      const color = over(parseColor(el.color), background);
      const measured = ratio(color, background);
      const needed = large ? MINIMUM.large : MINIMUM.text;
      checked += 1;
      if (measured < needed) failures.push(failure(where, el, 'text', color, background, measured, needed));
    }
    if (el.border) {
      const behind = backdrop(el.backgrounds.slice(1), canvas);
      const border = parseColor(el.border);
      if (border.a > 0) {
        const color = over(border, behind);
        const measured = ratio(color, behind);
        checked += 1;
        if (measured < MINIMUM.border) failures.push(failure(where, el, 'border', color, behind, measured, MINIMUM.border));
      }
    }
  }
  return { checked, failures };
}

function failure(where, el, kind, color, background, measured, needed) {
  return {
    ...where, kind, selector: el.selector, text: el.text,
    color: hex(color), background: hex(background), ratio: Number(measured.toFixed(2)), needed,
  };
}
