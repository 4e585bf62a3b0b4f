//! The standard claims a user can have (OpenID Connect Core §5.1) and the scopes
//! that release them (§5.4).

use serde_json::{Map, Value};

/// Claims released by the `profile` scope.
pub const PROFILE: &[&str] = &[
    "name",
    "family_name",
    "given_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
];
/// Claims released by the `email` scope.
pub const EMAIL: &[&str] = &["email", "email_verified"];
/// Claims released by the `address` scope.
pub const ADDRESS: &[&str] = &["address"];
/// Claims released by the `phone` scope.
pub const PHONE: &[&str] = &["phone_number", "phone_number_verified"];

/// Members of the `address` claim (§5.1.1).
const ADDRESS_MEMBERS: &[&str] = &["formatted", "street_address", "locality", "region", "postal_code", "country"];

/// Whether `name` is a standard claim a user may hold (`sub` and `updated_at` are
/// gatehouse's own and cannot be set).
pub fn is_standard(name: &str) -> bool {
    [PROFILE, EMAIL, ADDRESS, PHONE].iter().any(|set| set.contains(&name))
}

/// Turns a typed value into a claim value of the type the spec gives it:
/// booleans for `*_verified`, an object for `address` (JSON, or text taken as
/// `formatted`), strings otherwise.
pub fn parse_value(name: &str, text: &str) -> Result<Value, String> {
    if !is_standard(name) {
        return Err(format!("`{name}` is not a standard claim; known: {}", known().join(", ")));
    }
    match name {
        "email_verified" | "phone_number_verified" => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("`{name}` must be true or false")),
        },
        "address" if text.trim_start().starts_with('{') => {
            let map: Map<String, Value> =
                serde_json::from_str(text).map_err(|e| format!("`address` is not a JSON object: {e}"))?;
            match map.iter().find(|(k, v)| !ADDRESS_MEMBERS.contains(&k.as_str()) || !v.is_string()) {
                Some((k, _)) => Err(format!(
                    "`address` member `{k}` must be one of {} with a string value",
                    ADDRESS_MEMBERS.join(", ")
                )),
                None => Ok(Value::Object(map)),
            }
        }
        "address" => Ok(serde_json::json!({ "formatted": text })),
        "email" if !text.contains('@') => Err(format!("`{text}` is not an email address")),
        _ if text.is_empty() => Err(format!("`{name}` must not be empty")),
        _ => Ok(Value::String(text.to_owned())),
    }
}

fn known() -> Vec<&'static str> {
    [PROFILE, EMAIL, ADDRESS, PHONE].concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_get_their_spec_types() {
        assert_eq!(parse_value("email_verified", "true"), Ok(json!(true)));
        assert_eq!(parse_value("name", "Ada"), Ok(json!("Ada")));
        assert_eq!(parse_value("address", "1 Main St"), Ok(json!({"formatted": "1 Main St"})));
        assert_eq!(parse_value("address", r#"{"locality":"Paris"}"#), Ok(json!({"locality": "Paris"})));
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(parse_value("sub", "x").is_err());
        assert!(parse_value("updated_at", "1").is_err());
        assert!(parse_value("favourite_colour", "x").is_err());
        assert!(parse_value("email_verified", "yes").is_err());
        assert!(parse_value("email", "nope").is_err());
        assert!(parse_value("address", r#"{"planet":"Mars"}"#).is_err());
        assert!(parse_value("address", r#"{"locality":5}"#).is_err());
        assert!(parse_value("name", "").is_err());
    }
}
