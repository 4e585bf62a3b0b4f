//! Branding: the organisation's name, logo and accent colour on every page. The
//! accent colour must pass the contrast rule at start, so that no configuration can
//! make the pages inaccessible.

use std::fmt::Write as _;

use super::colour::{Rgb, contrast};
use super::is_loopback;
use super::palette::{ACCENT_BACKGROUNDS, NON_TEXT_CONTRAST, SCHEMES, TEXT_CONTRAST};

/// The accent colour when none is configured (passes the rule below with margin:
/// 3.2:1 on the dark card, 4.7:1 on the light page, white label 5.3:1).
pub const DEFAULT_ACCENT: Rgb = Rgb(0x2f, 0x62, 0xe0);
/// The name when none is configured.
pub const DEFAULT_NAME: &str = "gatehouse";
/// The longest name accepted, in characters (it is a heading, not a paragraph).
const NAME_MAX: usize = 64;

/// How pages are branded (`branding.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branding {
    /// The organisation's name: "Sign in to {name}".
    pub name: String,
    /// The logo, if any.
    pub logo: Option<Logo>,
    /// Fills the primary button and draws the focus ring.
    pub accent: Rgb,
}

impl Default for Branding {
    fn default() -> Self {
        Self { name: DEFAULT_NAME.to_owned(), logo: None, accent: DEFAULT_ACCENT }
    }
}

impl Branding {
    /// The label colour on the primary button: black or white, whichever contrasts more.
    pub fn accent_label(&self) -> Rgb {
        self.accent.label()
    }
}

/// A logo image, served from elsewhere (gatehouse serves no static files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    /// The image's URL.
    pub url: String,
    /// Its origin, which the pages' `Content-Security-Policy` allows in `img-src`.
    pub origin: String,
}

/// `branding.name`: a short name without control characters.
pub(super) fn name(text: &str) -> Result<String, String> {
    let name = text.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
        return Err(format!("a name of 1 to {NAME_MAX} characters without control characters"));
    }
    Ok(name.to_owned())
}

/// `branding.logo_url`: an absolute `https` URL, or `http` on a loopback host.
pub(super) fn logo_url(text: &str) -> Result<Logo, String> {
    const EXPECTED: &str = "an absolute https URL of an image (http only on a loopback host), e.g. \
                            `https://cdn.example.com/logo.svg`; gatehouse serves no files of its own";
    let url = url::Url::parse(text).map_err(|_| format!("{EXPECTED}; got `{text}`"))?;
    let allowed = match url.scheme() {
        "https" => true,
        "http" => is_loopback(&url),
        _ => false,
    };
    if !allowed || url.host().is_none() || !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{EXPECTED}; got `{text}`"));
    }
    Ok(Logo { url: url.to_string(), origin: url.origin().ascii_serialization() })
}

/// `branding.accent`: `#rrggbb` or `#rgb` that passes [`accent_rule`].
pub(super) fn accent(text: &str) -> Result<Rgb, String> {
    let colour = Rgb::parse(text.trim()).ok_or_else(|| format!("a colour `#rrggbb` or `#rgb`; got `{text}`"))?;
    accent_rule(colour)?;
    Ok(colour)
}

/// The contrast rule for the accent colour. As a component's fill and the focus ring
/// it must reach 3:1 against every background it sits on in both schemes
/// (WCAG 2.2 SC 1.4.11, SC 2.4.7), and the button's label (black or white,
/// whichever contrasts more) must reach 4.5:1 on it (SC 1.4.3; the better of black
/// and white always reaches √21 ≈ 4.58:1, so in practice only the backgrounds refuse).
/// A refusal lists the ratios that fail.
pub fn accent_rule(colour: Rgb) -> Result<(), String> {
    let mut failures = Vec::new();
    for (scheme_name, scheme) in SCHEMES {
        for &background in ACCENT_BACKGROUNDS {
            let Some(bg) = scheme.get(background) else { continue };
            let ratio = contrast(colour, bg);
            if ratio < NON_TEXT_CONTRAST {
                failures.push(format!("{ratio:.2}:1 against the {scheme_name} {background} background {bg}"));
            }
        }
    }
    let label = colour.label();
    let ratio = contrast(colour, label);
    if ratio < TEXT_CONTRAST {
        failures.push(format!("{ratio:.2}:1 with its button label {label}"));
    }
    if failures.is_empty() {
        return Ok(());
    }
    let mut message = format!(
        "a colour with at least {NON_TEXT_CONTRAST}:1 against the backgrounds of both colour schemes and \
         {TEXT_CONTRAST}:1 with black or white text (WCAG 2.2 AA); {colour} measures"
    );
    for (i, failure) in failures.iter().enumerate() {
        let _ = write!(message, "{}{failure}", if i == 0 { " " } else { ", " });
    }
    Err(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_accent_passes() {
        assert_eq!(accent_rule(DEFAULT_ACCENT), Ok(()));
        assert_eq!(accent("#2f62e0"), Ok(DEFAULT_ACCENT));
    }

    #[test]
    fn a_passing_accent_is_taken_in_either_notation() {
        assert_eq!(accent("#3b6fe0"), Ok(Rgb(0x3b, 0x6f, 0xe0)));
        assert_eq!(accent("#36d").map(|c| c.to_string()), Ok("#3366dd".to_owned()));
    }

    #[test]
    fn a_too_light_accent_is_refused_with_the_ratios() {
        let err = accent("#ffff00").unwrap_err();
        assert!(err.contains("#ffff00 measures 1.06:1 against the light page background #eef0f3"), "{err}");
        assert!(err.contains("1.07:1 against the light card background #ffffff"), "{err}");
        assert!(err.contains("at least 3:1") && err.contains("4.5:1"), "{err}");
        assert!(!err.contains("against the dark"), "yellow passes on dark: {err}");
    }

    #[test]
    fn a_too_dark_accent_is_refused_with_the_ratios() {
        let err = accent("#1a237e").unwrap_err();
        assert!(err.contains("against the dark card background #181b22"), "{err}");
        assert!(!err.contains("against the light"), "navy passes on light: {err}");
        assert!(!err.contains("label"), "white on navy passes: {err}");
    }

    #[test]
    fn the_chosen_label_is_always_readable() {
        // The better of black and white reaches √21:1 on any fill, even the mid grey
        // where both are weakest.
        for v in 0..=255u8 {
            let grey = Rgb(v, v, v);
            assert!(contrast(grey, grey.label()) >= TEXT_CONTRAST, "{grey}");
        }
        assert!(accent_rule(Rgb(0x77, 0x77, 0x77)).is_ok(), "#777 with a black label passes");
    }

    #[test]
    fn malformed_accents_are_refused() {
        for bad in ["blue", "2457d6", "#12345", ""] {
            assert!(accent(bad).unwrap_err().contains("`#rrggbb` or `#rgb`"), "{bad}");
        }
    }

    #[test]
    fn logos_are_absolute_https_urls() {
        let logo = logo_url("https://cdn.example.com:8443/a/logo.svg?v=2").unwrap();
        assert_eq!(logo.origin, "https://cdn.example.com:8443");
        assert_eq!(logo.url, "https://cdn.example.com:8443/a/logo.svg?v=2");
        assert_eq!(logo_url("http://127.0.0.1:9000/logo.png").unwrap().origin, "http://127.0.0.1:9000");
        for bad in [
            "/static/logo.svg",
            "logo.svg",
            "http://cdn.example.com/logo.svg",
            "data:image/svg+xml,<svg/>",
            "javascript:alert(1)",
            "https://user:pw@cdn.example.com/logo.svg",
            "file:///etc/logo.png",
        ] {
            let err = logo_url(bad).unwrap_err();
            assert!(err.contains("absolute https URL") && err.contains("serves no files"), "{bad}: {err}");
        }
    }

    #[test]
    fn names_are_short_and_printable() {
        assert_eq!(name("  Acme Corp "), Ok("Acme Corp".to_owned()));
        assert_eq!(name("<b>Acme</b>"), Ok("<b>Acme</b>".to_owned()), "escaped when rendered, not refused");
        for bad in ["", "   ", "Acme\nCorp", &"x".repeat(65)] {
            assert!(name(bad).is_err(), "{bad:?}");
        }
    }
}

#[cfg(test)]
mod load_tests {
    use crate::config::colour::Rgb;
    use crate::config::tests::load;

    #[test]
    fn branding_keys_load_from_the_file_and_the_environment() {
        let toml = "[branding]\nname = \"Acme\"\nlogo_url = \"https://cdn.acme.test/logo.svg\"\naccent = \"#36d\"";
        let branding = load(toml, &[]).unwrap().branding;
        assert_eq!(branding.name, "Acme");
        assert_eq!(branding.logo.unwrap().origin, "https://cdn.acme.test");
        assert_eq!(branding.accent, Rgb(0x33, 0x66, 0xdd));

        let env = [("GATEHOUSE_BRANDING_NAME", "Globex"), ("GATEHOUSE_BRANDING_ACCENT", "#3b6fe0")];
        let branding = load(toml, &env).unwrap().branding;
        assert_eq!((branding.name.as_str(), branding.accent), ("Globex", Rgb(0x3b, 0x6f, 0xe0)));
        assert_eq!(load("", &[]).unwrap().branding, super::Branding::default());
    }

    #[test]
    fn refusals_name_the_key_the_origin_and_the_ratios() {
        let err = load("[branding]\naccent = \"#ffff00\"", &[]).unwrap_err().to_string();
        assert!(err.contains("`branding.accent` (in test.toml)"), "{err}");
        assert!(err.contains("#ffff00 measures 1.06:1 against the light page background"), "{err}");
        assert!(err.contains("at least 3:1"), "{err}");
        let err = load("", &[("GATEHOUSE_BRANDING_ACCENT", "#ff0")]).unwrap_err().to_string();
        assert!(err.contains("environment variable GATEHOUSE_BRANDING_ACCENT") && err.contains("1.06:1"), "{err}");
        let err = load("", &[("GATEHOUSE_BRANDING_LOGO_URL", "/static/logo.svg")]).unwrap_err().to_string();
        assert!(err.contains("`branding.logo_url`") && err.contains("gatehouse serves no files"), "{err}");
        let err = load("[branding]\nname = \"\"", &[]).unwrap_err().to_string();
        assert!(err.contains("`branding.name`"), "{err}");
    }
}
