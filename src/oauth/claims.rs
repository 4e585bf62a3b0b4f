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

/// The claims of `user` released for `scope` plus those `requested` by name
/// (§5.4, §5.5), leaving out any the user does not have. `sub` is not included.
pub fn release(
    user_claims: &Map<String, Value>,
    updated_at: i64,
    scope: &super::scope::Scope,
    requested: &[String],
) -> Map<String, Value> {
    let by_scope = [("profile", PROFILE), ("email", EMAIL), ("address", ADDRESS), ("phone", PHONE)];
    let wanted = |name: &str| {
        requested.iter().any(|r| r == name) || by_scope.iter().any(|(s, names)| scope.has(s) && names.contains(&name))
    };
    let mut released: Map<String, Value> =
        user_claims.iter().filter(|(name, _)| wanted(name)).map(|(k, v)| (k.clone(), v.clone())).collect();
    // `updated_at` is a profile claim kept by gatehouse itself (§5.1: a number).
    if scope.has("profile") || requested.iter().any(|r| r == "updated_at") {
        released.insert("updated_at".into(), Value::from(updated_at));
    }
    released
}

#[cfg(test)]
mod release_tests {
    use super::*;
    use crate::oauth::scope::Scope;
    use serde_json::json;

    #[test]
    fn releases_by_scope_and_by_request() {
        let user = json!({"name": "Ada", "email": "a@x", "email_verified": true, "phone_number": "+1"});
        let user = user.as_object().unwrap();
        let email_only = release(user, 7, &Scope::from_stored("openid email"), &[]);
        assert_eq!(Value::Object(email_only), json!({"email": "a@x", "email_verified": true}));
        let asked = release(user, 7, &Scope::from_stored("openid"), &["name".into(), "website".into()]);
        assert_eq!(Value::Object(asked), json!({"name": "Ada"}));
        let profile = release(user, 7, &Scope::from_stored("openid profile"), &[]);
        assert_eq!(Value::Object(profile), json!({"name": "Ada", "updated_at": 7}));
        assert!(release(user, 7, &Scope::from_stored("openid"), &[]).is_empty());
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
