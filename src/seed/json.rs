//! A seed sent as JSON (dev's `POST /_dev/seed`): the same format, written out as TOML
//! with one entry per line, and applied as a file is. JSON has no places in a file,
//! so an error names the entry (`clients[1]`, `scopes.groups`) instead of a line.

use serde_json::Value;

use super::{Applied, Place, Rules, SeedError, apply_at};
use crate::clock::UnixTime;
use crate::store::Store;

/// Applies a seed sent as a JSON object: checks all of it, then writes it in one
/// transaction, as [`super::apply`] does a file.
pub async fn apply_json(store: &dyn Store, seed: &Value, rules: Rules, now: UnixTime) -> Result<Applied, SeedError> {
    let (text, entries) = to_toml(seed)?;
    apply_at(store, &Place { file: "body", text: &text, entries: Some(&entries) }, rules, now).await
}

/// The seed as TOML text, and where each entry starts in it.
fn to_toml(seed: &Value) -> Result<(String, Vec<(usize, String)>), SeedError> {
    let invalid = |entry: &str, message: &str| SeedError::InvalidEntry { entry: entry.into(), message: message.into() };
    let Value::Object(seed) = seed else { return Err(invalid("body", "a seed is a JSON object")) };
    let (mut text, mut entries) = (String::new(), Vec::new());
    for (key, value) in seed {
        let name = toml::Value::String(key.clone()).to_string();
        match value {
            Value::Array(items) => {
                text.push_str(&format!("{name} = [\n"));
                for (i, item) in items.iter().enumerate() {
                    let entry = format!("{key}[{i}]");
                    entries.push((text.len(), entry.clone()));
                    text.push_str(&format!("{},\n", toml_value(item).map_err(|why| invalid(&entry, &why))?));
                }
                text.push_str("]\n");
            }
            Value::Object(items) => {
                for (item_name, item) in items {
                    let entry = format!("{key}.{item_name}");
                    entries.push((text.len(), entry.clone()));
                    let item_key = toml::Value::String(item_name.clone()).to_string();
                    let item = toml_value(item).map_err(|why| invalid(&entry, &why))?;
                    text.push_str(&format!("{name}.{item_key} = {item}\n"));
                }
            }
            other => {
                entries.push((text.len(), key.clone()));
                text.push_str(&format!("{name} = {}\n", toml_value(other).map_err(|why| invalid(key, &why))?));
            }
        }
    }
    Ok((text, entries))
}

/// A JSON value as TOML; TOML has no null, and integers are 64-bit signed.
fn toml_value(value: &Value) -> Result<toml::Value, String> {
    Ok(match value {
        Value::Null => return Err("null is no value in a seed; leave the field out".into()),
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => toml::Value::Integer(i),
            (None, Some(f)) if !n.is_u64() => toml::Value::Float(f),
            _ => return Err(format!("the number {n} is too large")),
        },
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Array(items) => toml::Value::Array(items.iter().map(toml_value).collect::<Result<_, _>>()?),
        Value::Object(map) => {
            toml::Value::Table(map.iter().map(|(k, v)| Ok((k.clone(), toml_value(v)?))).collect::<Result<_, String>>()?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_entry_per_line() {
        let seed = json!({"clients": [{"id": "a", "redirect_uris": ["https://a.example/cb"]}, {"id": "b"}],
            "scopes": {"groups": {"claims": ["groups"]}}, "presets": {"x y": {"note": "two\\nlines"}}});
        let (text, entries) = to_toml(&seed).unwrap();
        let names: Vec<&str> = entries.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, ["clients[0]", "clients[1]", "presets.x y", "scopes.groups"]);
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(parsed["clients"][1]["id"].as_str(), Some("b"));
        assert_eq!(parsed["presets"]["x y"]["note"].as_str(), Some("two\\nlines"));
        assert!(to_toml(&json!({"users": [{"username": null}]})).is_err());
    }
}
