//! sRGB colours and the WCAG 2.x contrast ratio between them: pure arithmetic, so
//! that the page palette and a configured accent colour can be checked, not guessed.

use std::fmt;

/// An opaque sRGB colour, 8 bits per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// Black, a button label's darkest choice.
pub const BLACK: Rgb = Rgb(0, 0, 0);
/// White, a button label's lightest choice.
pub const WHITE: Rgb = Rgb(0xff, 0xff, 0xff);

impl Rgb {
    /// Parses `#rrggbb` or `#rgb` (CSS Color 4 §5.2, hex notation), any letter case.
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.strip_prefix('#')?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let digit = |i: usize| u8::from_str_radix(&hex[i..=i], 16).ok();
        let pair = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        match hex.len() {
            3 => Some(Self(digit(0)? * 17, digit(1)? * 17, digit(2)? * 17)),
            6 => Some(Self(pair(0)?, pair(2)?, pair(4)?)),
            _ => None,
        }
    }

    /// The relative luminance, 0 (black) to 1 (white): WCAG 2.2, definition of
    /// "relative luminance" (sRGB channels linearised, then weighted).
    pub fn luminance(self) -> f64 {
        let linear = |channel: u8| {
            let c = f64::from(channel) / 255.0;
            if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * linear(self.0) + 0.7152 * linear(self.1) + 0.0722 * linear(self.2)
    }

    /// The label colour, black or white, that contrasts more with this colour as a fill.
    pub fn label(self) -> Rgb {
        if contrast(self, BLACK) >= contrast(self, WHITE) { BLACK } else { WHITE }
    }
}

/// The contrast ratio between two colours, 1 to 21: WCAG 2.2, definition of
/// "contrast ratio", `(L1 + 0.05) / (L2 + 0.05)` with L1 the lighter.
pub fn contrast(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (a.luminance(), b.luminance());
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// As CSS writes it: `#rrggbb`, lowercase.
impl fmt::Display for Rgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rgb(text: &str) -> Rgb {
        Rgb::parse(text).unwrap()
    }

    fn close(actual: f64, expected: f64) -> bool {
        (actual - expected).abs() < 0.005
    }

    #[test]
    fn hex_notation() {
        assert_eq!(rgb("#2457d6"), Rgb(0x24, 0x57, 0xd6));
        assert_eq!(rgb("#2457D6"), Rgb(0x24, 0x57, 0xd6));
        assert_eq!(rgb("#fa0"), Rgb(0xff, 0xaa, 0x00));
        assert_eq!(rgb("#fa0").to_string(), "#ffaa00");
        for bad in ["", "#", "2457d6", "#2457d", "#2457d6f", "#ggg", "#+12", "red", "#ffééé", "#12345 "] {
            assert_eq!(Rgb::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn luminance_of_known_colours() {
        assert!(close(WHITE.luminance(), 1.0));
        assert!(close(BLACK.luminance(), 0.0));
        assert!(close(rgb("#ff0000").luminance(), 0.2126));
        assert!(close(rgb("#00ff00").luminance(), 0.7152));
        assert!(close(rgb("#808080").luminance(), 0.2159));
    }

    #[test]
    fn contrast_of_known_pairs() {
        assert!(close(contrast(WHITE, BLACK), 21.0));
        assert!(close(contrast(BLACK, WHITE), 21.0), "symmetric");
        assert!(close(contrast(rgb("#777"), WHITE), 4.48), "the classic just-failing grey");
        assert!(close(contrast(rgb("#767676"), WHITE), 4.54), "the lightest grey that passes on white");
        assert!(close(contrast(rgb("#2457d6"), WHITE), 6.16));
        assert!(close(contrast(rgb("#abcdef"), rgb("#abcdef")), 1.0));
    }

    #[test]
    fn labels_take_the_stronger_of_black_and_white() {
        assert_eq!(rgb("#2457d6").label(), WHITE);
        assert_eq!(rgb("#ffff00").label(), BLACK);
        assert_eq!(rgb("#777").label(), BLACK, "4.69 with black against 4.48 with white");
    }
}
