//! Usernames: one account per name as people read it. Before uniqueness and lookup a
//! name is mapped as PRECIS `UsernameCaseMapped` does (RFC 8265 §3.3): width and
//! compatibility forms unified (NFKC), lower-cased, normalised again, so that
//! `Alice`, `ａｌｉｃｅ` (fullwidth) and `alice` are one account, and so are a
//! precomposed `é` and `e` with a combining accent. New names are also refused when a
//! person could not tell them apart from others: invisible characters, mixed scripts
//! (a Cyrillic `а` inside a Latin name), or a name that looks like an existing one
//! (UTS #39 confusable skeletons).

use unicode_normalization::UnicodeNormalization;
use unicode_security::MixedScript;

/// The longest username, in characters.
pub const MAX_LEN: usize = 64;

/// The key under which usernames are unique and looked up.
pub fn key(username: &str) -> String {
    let mapped: String = username.nfkc().collect::<String>().to_lowercase();
    mapped.nfkc().collect()
}

/// What a username must be to be registered: 1 to [`MAX_LEN`] characters, no control
/// or invisible characters, no surrounding or non-ASCII white space, and letters of
/// one script (Japanese and Korean script combinations count as one).
pub fn check(username: &str) -> Result<(), String> {
    let refuse = |why: &str| Err(format!("invalid username `{}`: {why}", username.escape_debug()));
    let len = username.chars().count();
    if len == 0 || len > MAX_LEN {
        return refuse(&format!("use 1 to {MAX_LEN} characters"));
    }
    if username.trim() != username {
        return refuse("it must not begin or end with white space");
    }
    if let Some(c) = username.chars().find(|c| c.is_control() || is_invisible(*c)) {
        return refuse(&format!("it contains the invisible or control character U+{:04X}", u32::from(c)));
    }
    if let Some(c) = username.chars().find(|c| c.is_whitespace() && *c != ' ') {
        return refuse(&format!("it contains the white-space character U+{:04X}; use a plain space", u32::from(c)));
    }
    if !username.is_single_script() {
        return refuse("it mixes scripts (for example Latin and Cyrillic letters), so it could pass for another name");
    }
    Ok(())
}

/// Whether two usernames look alike to a person (UTS #39 §4: equal confusable
/// skeletons), so that the second must not be registered beside the first.
pub fn looks_like(a: &str, b: &str) -> bool {
    let skeleton = |name: &str| unicode_security::skeleton(&key(name)).collect::<String>();
    skeleton(a) == skeleton(b)
}

/// Unicode's Default_Ignorable_Code_Point: characters that render as nothing
/// (zero-width spaces and joiners, bidirectional controls, variation selectors, …).
fn is_invisible(c: char) -> bool {
    matches!(u32::from(c),
        0x00AD | 0x034F | 0x061C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F | 0x200B..=0x200F
        | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0000..=0xE0FFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_unify_case_width_and_composition() {
        assert_eq!(key("Alice"), "alice");
        assert_eq!(key("ａｌｉｃｅ"), "alice", "fullwidth");
        assert_eq!(key("ＡＬＩＣＥ"), "alice");
        assert_eq!(key("Zo\u{e9}"), key("Zoe\u{301}"), "precomposed and combining accents");
        assert_eq!(key("ﬁona"), "fiona", "compatibility ligature");
        assert_ne!(key("alice"), key("alicé"));
    }

    #[test]
    fn invisible_mixed_and_odd_names_are_refused() {
        for good in
            ["alice", "Alice Liddell", "alice@example.com", "zoé", "Дмитрий", "山田太郎", "やまだ太郎", "김민수"]
        {
            assert!(check(good).is_ok(), "{good}: {:?}", check(good));
        }
        let cases = [
            ("", "1 to 64"),
            (" alice", "white space"),
            ("al\u{200b}ice", "U+200B"),
            ("alice\u{feff}", "U+FEFF"),
            ("al\u{202e}ecila", "U+202E"),
            ("ali\tce", "U+0009"),
            ("ali\u{3000}ce", "U+3000"),
            ("\u{430}lice", "mixes scripts"),
        ];
        for (bad, why) in cases {
            let err = check(bad).unwrap_err();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
        assert!(check(&"a".repeat(65)).is_err());
        assert!(check(&"é".repeat(64)).is_ok(), "characters, not bytes");
    }

    #[test]
    fn look_alikes_are_found() {
        assert!(looks_like("alice", "ALICE"));
        assert!(looks_like("alice", "\u{430}\u{4cf}\u{456}\u{441}\u{435}"), "all-Cyrillic look-alike");
        assert!(looks_like("paypal", "pay\u{440}al"));
        assert!(looks_like("rn", "m"));
        assert!(!looks_like("alice", "bob"));
    }
}
