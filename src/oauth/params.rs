//! Request parameters (RFC 6749 §3.1, Appendix B): `application/x-www-form-urlencoded`,
//! strictly. Invalid UTF-8 and repeated parameters are errors, and parameters sent
//! without a value are treated as omitted. Unknown parameters are kept and ignored.

use std::collections::HashMap;

/// Parsed, de-duplicated parameters of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(HashMap<String, String>);

impl Params {
    /// Parses a query string or form body.
    pub fn parse(input: &[u8]) -> Result<Self, String> {
        let mut map = HashMap::new();
        for pair in input.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            let name = decode(name)?;
            let value = decode(value)?;
            // RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if they
            // were omitted from the request."
            if value.is_empty() {
                continue;
            }
            if map.contains_key(&name) {
                return Err(format!("parameter {name} is given more than once"));
            }
            map.insert(name, value);
        }
        Ok(Self(map))
    }

    /// A parameter's value, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Whether a parameter is present.
    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// The parameters as a query string (in a stable order).
    pub fn to_query(&self) -> String {
        let mut pairs: Vec<_> = self.0.iter().collect();
        pairs.sort();
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
    }

    /// Builds parameters from pairs (for tests and internal callers).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(pairs.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
    }
}

/// Decodes one name or value. A NUL character is refused: no OAuth value has one, and
/// PostgreSQL cannot store or compare text that does.
fn decode(raw: &[u8]) -> Result<String, String> {
    let spaced: Vec<u8> = raw.iter().map(|b| if *b == b'+' { b' ' } else { *b }).collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
    let text = String::from_utf8(bytes).map_err(|_| "the request is not valid UTF-8".to_owned())?;
    if text.contains('\0') {
        return Err("the request contains a NUL character".to_owned());
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_form_encoding() {
        let p = Params::parse(b"a=1&b=x+y%20z&c=%E2%9C%93&empty=&flag").unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), Some("x y z"));
        assert_eq!(p.get("c"), Some("\u{2713}"));
        assert!(!p.has("empty"));
        assert!(!p.has("flag"));
        assert_eq!(Params::parse(p.to_query().as_bytes()).unwrap(), p);
    }

    #[test]
    fn refuses_duplicates_and_invalid_utf8() {
        assert!(Params::parse(b"a=1&a=2").unwrap_err().contains("more than once"));
        assert!(Params::parse(b"a=%FF").unwrap_err().contains("UTF-8"));
        assert!(Params::parse(b"%C3=1").is_err());
        assert!(Params::parse(b"client_id=a%00b").unwrap_err().contains("NUL"));
        assert!(Params::parse(b"a%00=1").unwrap_err().contains("NUL"));
        // An empty repeat counts as omitted.
        assert_eq!(Params::parse(b"a=1&a=").unwrap().get("a"), Some("1"));
    }
}
