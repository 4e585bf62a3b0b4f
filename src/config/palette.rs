//! The colours the pages are drawn with, one explicit palette per colour scheme,
//! declared once here: `base.html` renders them as CSS custom properties, and the
//! tests below prove every pair the CSS uses meets WCAG 2.2 AA in both schemes.

use super::colour::{Rgb, contrast};

/// Normal text against its background: WCAG 2.2 SC 1.4.3 (AA).
pub const TEXT_CONTRAST: f64 = 4.5;
/// A component's boundary, or a focus indicator, against what is next to it:
/// WCAG 2.2 SC 1.4.11 (AA).
pub const NON_TEXT_CONTRAST: f64 = 3.0;

/// One colour scheme. The field names, with `_` as `-`, are the CSS custom
/// properties (`--page`, `--bad-bg`, …) the style sheet uses.
#[derive(Debug, Clone, Copy)]
pub struct Scheme {
    /// Behind the card (wide screens).
    pub page: Rgb,
    /// The card every page sits on.
    pub card: Rgb,
    /// Inside text fields.
    pub field: Rgb,
    /// Body text, headings, labels, field text and secondary button labels.
    pub text: Rgb,
    /// Subtitles, hints, the footer, placeholders.
    pub muted: Rgb,
    /// The boundary of fields and secondary buttons.
    pub border: Rgb,
    /// Error text and the error box's edge.
    pub bad: Rgb,
    /// The error box's tint.
    pub bad_bg: Rgb,
    /// The dev banner's text.
    pub warn: Rgb,
    /// The dev banner's tint.
    pub warn_bg: Rgb,
    /// The dev banner's edge.
    pub warn_line: Rgb,
}

/// The light scheme.
pub const LIGHT: Scheme = Scheme {
    page: Rgb(0xee, 0xf0, 0xf3),
    card: Rgb(0xff, 0xff, 0xff),
    field: Rgb(0xff, 0xff, 0xff),
    text: Rgb(0x1a, 0x1d, 0x23),
    muted: Rgb(0x4b, 0x55, 0x63),
    border: Rgb(0x6b, 0x72, 0x80),
    bad: Rgb(0xb4, 0x23, 0x18),
    bad_bg: Rgb(0xfe, 0xf3, 0xf2),
    warn: Rgb(0x5c, 0x44, 0x00),
    warn_bg: Rgb(0xff, 0xf4, 0xce),
    warn_line: Rgb(0x8a, 0x6d, 0x00),
};

/// The dark scheme (`prefers-color-scheme: dark`).
pub const DARK: Scheme = Scheme {
    page: Rgb(0x0e, 0x11, 0x16),
    card: Rgb(0x18, 0x1b, 0x22),
    field: Rgb(0x0e, 0x11, 0x16),
    text: Rgb(0xe8, 0xea, 0xed),
    muted: Rgb(0xa9, 0xb1, 0xbd),
    border: Rgb(0x7d, 0x85, 0x93),
    bad: Rgb(0xff, 0xb4, 0xa8),
    bad_bg: Rgb(0x3a, 0x1d, 0x1b),
    warn: Rgb(0xff, 0xe0, 0x8a),
    warn_bg: Rgb(0x3a, 0x2f, 0x0b),
    warn_line: Rgb(0xb3, 0x8f, 0x1a),
};

/// Both schemes, named.
pub const SCHEMES: [(&str, Scheme); 2] = [("light", LIGHT), ("dark", DARK)];

/// A colour pair the style sheet draws: (foreground, background) property names.
type Pair = (&'static str, &'static str);

/// Every (text, background) pair in `base.html`; each must reach [`TEXT_CONTRAST`].
pub const TEXT_PAIRS: &[Pair] = &[
    ("text", "card"),
    ("text", "field"),
    ("muted", "card"),
    ("muted", "field"),
    ("bad", "bad-bg"),
    ("warn", "warn-bg"),
];

/// Every (boundary, background) pair in `base.html`; each must reach [`NON_TEXT_CONTRAST`].
pub const BOUNDARY_PAIRS: &[Pair] = &[("border", "card"), ("border", "field"), ("bad", "card"), ("warn-line", "card")];

/// The backgrounds the accent colour (button fill, focus ring) sits on.
pub const ACCENT_BACKGROUNDS: &[&str] = &["page", "card", "field"];

impl Scheme {
    /// The custom properties, by name without `--`, as `base.html` declares them.
    pub fn vars(&self) -> [(&'static str, Rgb); 11] {
        [
            ("page", self.page),
            ("card", self.card),
            ("field", self.field),
            ("text", self.text),
            ("muted", self.muted),
            ("border", self.border),
            ("bad", self.bad),
            ("bad-bg", self.bad_bg),
            ("warn", self.warn),
            ("warn-bg", self.warn_bg),
            ("warn-line", self.warn_line),
        ]
    }

    /// The colour of the custom property `name`.
    pub fn get(&self, name: &str) -> Option<Rgb> {
        self.vars().into_iter().find(|(n, _)| *n == name).map(|(_, c)| c)
    }

    /// The contrast between the properties `fg` and `bg`.
    pub fn contrast(&self, (fg, bg): Pair) -> Option<f64> {
        Some(contrast(self.get(fg)?, self.get(bg)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_declared_pair_passes_in_both_schemes() {
        for (name, scheme) in SCHEMES {
            for (pairs, needed) in [(TEXT_PAIRS, TEXT_CONTRAST), (BOUNDARY_PAIRS, NON_TEXT_CONTRAST)] {
                for &pair in pairs {
                    let ratio = scheme.contrast(pair).unwrap();
                    assert!(ratio >= needed, "{name}: {pair:?} is {ratio:.2}:1, needs {needed}:1");
                }
            }
        }
    }

    #[test]
    fn the_style_sheet_uses_only_the_declared_palette() {
        // Colours come only from the properties above (plus the accent, checked at
        // start), so the pairs checked here are what browsers draw.
        let css = include_str!("../../templates/base.html");
        for banned in ["Canvas", "Field", "color-mix", "rgb(", "hsl(", "#"] {
            assert!(!css.contains(banned), "base.html draws with `{banned}`: declare the colour in palette.rs");
        }
        for (name, _) in LIGHT.vars() {
            assert!(css.contains(&format!("var(--{name})")), "--{name} is declared but never used");
        }
    }
}
