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

/// Claims that JWTs, OAuth and OpenID Connect give a meaning, or that gatehouse sets
/// itself: no user may hold one, and no scope may release one.
pub const REGISTERED: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "at_hash",
    "c_hash",
    "s_hash",
    "sid",
    "updated_at",
    "scope",
    "client_id",
    "grant_id",
    "cnf",
    "act",
    "may_act",
    "typ",
    "events",
    "sub_jwk",
    "_claim_names",
    "_claim_sources",
];

/// Turns a typed value into a claim value of the type the spec gives it:
/// booleans for `*_verified`, an object for `address` (JSON, or text taken as
/// `formatted`), strings otherwise.
pub fn parse_value(name: &str, text: &str) -> Result<Value, String> {
    if !is_standard(name) {
        return Err(format!("`{name}` is not a standard claim; known: {}", known().join(", ")));
    }
    let value = match name {
        "email_verified" | "phone_number_verified" => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(format!("`{name}` must be true or false")),
        },
        "address" if text.trim_start().starts_with('{') => {
            serde_json::from_str(text).map_err(|e| format!("`address` is not a JSON object: {e}"))?
        }
        "address" => serde_json::json!({ "formatted": text }),
        _ => Value::String(text.to_owned()),
    };
    check_claim(name, &value)?;
    Ok(value)
}

/// Checks a claim a user may hold: not a [`REGISTERED`] name, at most
/// [`MAX_CLAIM_NAME_LEN`] bytes, no control characters; a standard claim (§5.1) must
/// have the type the spec gives it; any other (`groups`, `roles`, …) may be any JSON value.
pub fn check_claim(name: &str, value: &Value) -> Result<(), String> {
    check_claim_name(name)?;
    match (name, value) {
        (_, _) if !is_standard(name) => Ok(()),
        ("email_verified" | "phone_number_verified", Value::Bool(_)) => Ok(()),
        ("email_verified" | "phone_number_verified", _) => Err(format!("`{name}` must be true or false")),
        ("address", Value::Object(map)) => {
            match map.iter().find(|(k, v)| !ADDRESS_MEMBERS.contains(&k.as_str()) || !v.is_string()) {
                Some((k, _)) => Err(format!(
                    "`address` member `{k}` must be one of {} with a string value",
                    ADDRESS_MEMBERS.join(", ")
                )),
                None => Ok(()),
            }
        }
        ("address", _) => Err("`address` must be a JSON object".into()),
        ("email", Value::String(text)) if !text.contains('@') => Err(format!("`{text}` is not an email address")),
        (_, Value::String(text)) if text.is_empty() => Err(format!("`{name}` must not be empty")),
        (_, Value::String(_)) => Ok(()),
        (_, _) => Err(format!("`{name}` must be a string")),
    }
}

/// Checks the name of a claim a user may hold or a scope may release (see [`check_claim`]).
pub fn check_claim_name(name: &str) -> Result<(), String> {
    if REGISTERED.contains(&name) {
        return Err(format!("`{name}` is a registered claim that gatehouse sets itself; choose another name"));
    }
    if name.is_empty() || name.len() > MAX_CLAIM_NAME_LEN || name.chars().any(char::is_control) {
        return Err(format!("claim name `{name}` must be 1 to {MAX_CLAIM_NAME_LEN} bytes without control characters"));
    }
    Ok(())
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

/// The `claims` request parameter (OpenID Connect Core §5.5), reduced to what
/// gatehouse acts on: the names of the claims asked for in userinfo and the ID token.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RequestedClaims {
    /// Claims asked for at the userinfo endpoint.
    #[serde(default)]
    pub userinfo: Vec<String>,
    /// Claims asked for in the ID token.
    #[serde(default)]
    pub id_token: Vec<String>,
}

/// The most claim names a `claims` member may ask for, and the longest name: the
/// names are kept with the request, so they are bounded.
pub const MAX_REQUESTED_CLAIMS: usize = 64;
/// See [`MAX_REQUESTED_CLAIMS`].
pub const MAX_CLAIM_NAME_LEN: usize = 64;

impl RequestedClaims {
    /// Parses the `claims` parameter: a JSON object whose `userinfo` and `id_token`
    /// members are objects keyed by claim name (values `null` or an object), at most
    /// [`MAX_REQUESTED_CLAIMS`] names of at most [`MAX_CLAIM_NAME_LEN`] bytes each.
    pub fn parse(text: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text).map_err(|_| "claims is not valid JSON".to_owned())?;
        let Value::Object(top) = value else {
            return Err("claims must be a JSON object".into());
        };
        let names = |member: &str| -> Result<Vec<String>, String> {
            match top.get(member) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Object(requests)) => {
                    if requests.values().any(|v| !(v.is_null() || v.is_object())) {
                        return Err(format!("each claim in claims.{member} must be null or an object"));
                    }
                    if requests.len() > MAX_REQUESTED_CLAIMS {
                        return Err(format!("claims.{member} asks for more than {MAX_REQUESTED_CLAIMS} claims"));
                    }
                    if requests.keys().any(|name| name.len() > MAX_CLAIM_NAME_LEN) {
                        return Err(format!(
                            "a claim name in claims.{member} is longer than {MAX_CLAIM_NAME_LEN} bytes"
                        ));
                    }
                    Ok(requests.keys().cloned().collect())
                }
                Some(_) => Err(format!("claims.{member} must be a JSON object")),
            }
        };
        Ok(Self { userinfo: names("userinfo")?, id_token: names("id_token")? })
    }
}

/// The claims of `user` that are `wanted` (by scope, §5.4, or by name, §5.5),
/// leaving out any the user does not have; `updated_at` is gatehouse's own (§5.1: a
/// number). `sub` is not included.
pub fn release(user: &crate::store::User, wanted: impl Fn(&str) -> bool) -> Map<String, Value> {
    // Registered names are refused where claims are set; kept out here as well, so
    // that a row written some other way cannot stand in for the token's own claims.
    let released = user.claims.iter().filter(|(name, _)| !REGISTERED.contains(&name.as_str()) && wanted(name));
    let mut released: Map<String, Value> = released.map(|(k, v)| (k.clone(), v.clone())).collect();
    if wanted("updated_at") {
        released.insert("updated_at".into(), Value::from(user.updated_at));
    }
    released
}

#[cfg(test)]
mod release_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn releases_what_is_wanted_and_held() {
        let claims = json!({"name": "Ada", "email": "a@x", "groups": ["admins"]});
        let user = crate::store::User {
            id: "u".into(),
            username: "ada".into(),
            password_hash: String::new(),
            disabled: false,
            claims: claims.as_object().unwrap().clone(),
            created_at: 1,
            updated_at: 7,
        };
        let some = release(&user, |n| ["email", "groups", "website"].contains(&n));
        assert_eq!(Value::Object(some), json!({"email": "a@x", "groups": ["admins"]}));
        let with_time = release(&user, |n| n == "updated_at");
        assert_eq!(Value::Object(with_time), json!({"updated_at": 7}));
        assert!(release(&user, |_| false).is_empty());
    }

    #[test]
    fn parses_the_claims_parameter() {
        let c = RequestedClaims::parse(
            r#"{"userinfo":{"name":{"essential":true},"email":null},"id_token":{"auth_time":null}}"#,
        )
        .unwrap();
        let mut userinfo = c.userinfo.clone();
        userinfo.sort();
        assert_eq!(userinfo, ["email", "name"]);
        assert_eq!(c.id_token, ["auth_time"]);
        assert!(RequestedClaims::parse("nope").is_err());
        assert!(RequestedClaims::parse("[]").is_err());
        assert!(RequestedClaims::parse(r#"{"userinfo":[]}"#).is_err());
        assert!(RequestedClaims::parse(r#"{"userinfo":{"name":true}}"#).is_err());
        let long_name = format!(r#"{{"userinfo":{{"{}":null}}}}"#, "n".repeat(65));
        assert!(RequestedClaims::parse(&long_name).unwrap_err().contains("longer than 64"));
        let names: Vec<String> = (0..65).map(|i| format!(r#""c{i}":null"#)).collect();
        let many = format!(r#"{{"id_token":{{{}}}}}"#, names.join(","));
        assert!(RequestedClaims::parse(&many).unwrap_err().contains("more than 64"));
        let names: Vec<String> = (0..64).map(|i| format!(r#""c{i}":null"#)).collect();
        assert!(RequestedClaims::parse(&format!(r#"{{"id_token":{{{}}}}}"#, names.join(","))).is_ok());
    }
}
