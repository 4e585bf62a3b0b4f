//! Behaviour for `gatehouse dev` only. Protocol code knows dev mode only through
//! [`Context::dev`](super::Context::dev), which only `gatehouse dev` sets (through
//! [`AppState::in_dev_mode`](crate::AppState::in_dev_mode)); nothing in the
//! configuration or the store can turn it on under `serve`.

use serde_json::{Map, Value};

use super::claims::check_claim;
use super::params::Params;
use super::request::AuthorizationRequest;
use super::{Context, is_active};
use crate::store::{PresetRow, StoreError, User};

/// The ids of `gatehouse dev`'s demo clients, confidential and public: `dev` keeps
/// them as it made them, so a seed file under `dev` may not declare them.
pub const DEMO_CLIENTS: [&str; 2] = ["demo", "demo-spa"];
/// The username of `gatehouse dev`'s demo user (see [`DEMO_CLIENTS`]).
pub const DEMO_USER: &str = "demo";

/// What `gatehouse dev` changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DevMode {
    /// Log this user in without a page for every authorization request (`--auto-login`).
    pub auto_login: Option<String>,
}

/// Under dev mode, the user to log in without a page for `request`: the
/// `--auto-login` user, or the one `login_hint` names, if they exist and are enabled,
/// unless the request asks to log in again (`prompt=login`, `max_age=0`), asks for
/// consent (`prompt=consent`), or names another user with `id_token_hint`. With the
/// user comes what named them, for the log.
pub async fn headless_user(
    ctx: &Context<'_>,
    request: &AuthorizationRequest,
) -> Result<Option<(User, &'static str)>, StoreError> {
    let Some(dev) = ctx.dev else { return Ok(None) };
    if request.prompt_login || request.prompt_consent || request.max_age == Some(0) {
        return Ok(None);
    }
    let (username, source) = match (&dev.auto_login, &request.login_hint) {
        (Some(user), _) => (user, "--auto-login"),
        (None, Some(hint)) => (hint, "login_hint"),
        (None, None) => return Ok(None),
    };
    let user = ctx.store.find_user_by_username(username).await?.filter(is_active);
    Ok(user.filter(|u| request.hinted_sub.as_ref().is_none_or(|sub| *sub == u.id)).map(|u| (u, source)))
}

/// What dev's login page adds to the form: the claims for this login, and the
/// seed file's presets that fill them in with one click.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DevForm {
    /// The claims field: JSON, prefilled with the user's stored claims.
    pub claims: String,
    /// Whose stored claims the field was prefilled with (empty: nobody's), so that
    /// they are not saved as another user's by mistake.
    pub claims_for: String,
    /// The presets' names, in order.
    pub presets: Vec<String>,
}

impl DevForm {
    /// Under dev mode, the form shown again after a failed attempt: as it was sent.
    pub async fn as_typed(ctx: &Context<'_>, params: &Params) -> Result<Option<Self>, StoreError> {
        if ctx.dev.is_none() {
            return Ok(None);
        }
        let presets = ctx.store.list_presets().await?;
        let (claims, claims_for) = (params.get("claims").unwrap_or(""), params.get("claims_for").unwrap_or(""));
        Ok(Some(Self::new(claims.to_owned(), claims_for.to_owned(), &presets)))
    }

    /// The form for `username`: their stored claims, or none for a new user.
    pub async fn for_user(ctx: &Context<'_>, username: &str) -> Result<Self, StoreError> {
        let user = match username {
            "" => None,
            name => ctx.store.find_user_by_username(name).await?,
        };
        let (claims, claims_for) = user.map(|u| (pretty(&u.claims), u.username)).unwrap_or_default();
        let presets = ctx.store.list_presets().await?;
        Ok(Self::new(claims, claims_for, &presets))
    }

    /// The form with the preset `name`'s claims in the field (empty if there is none).
    pub async fn with_preset(ctx: &Context<'_>, name: &str) -> Result<Self, StoreError> {
        let presets = ctx.store.list_presets().await?;
        let claims = presets.iter().find(|p| p.name == name).map(|p| pretty(&p.claims)).unwrap_or_default();
        Ok(Self::new(claims, String::new(), &presets))
    }

    fn new(claims: String, claims_for: String, presets: &[PresetRow]) -> Self {
        Self { claims, claims_for, presets: presets.iter().map(|p| p.name.clone()).collect() }
    }
}

fn pretty(claims: &Map<String, Value>) -> String {
    if claims.is_empty() {
        return String::new();
    }
    serde_json::to_string_pretty(claims).unwrap_or_default()
}

/// What dev's login page does with a submitted form, before the password is checked.
#[derive(Debug)]
pub enum AtLogin {
    /// Check the password as always; then save these claims as the user's, if any.
    Check(Option<Map<String, Value>>),
    /// Show the form again with this dev part and, if any, what to check.
    Form(DevForm, Option<String>),
    /// Refused: what the page says, and the reason the log gives.
    Refused(String, &'static str),
    /// The username was nobody's: this new user has it now, and is logged in.
    SignedUp(User),
}

/// Under dev mode, the submitted login form's dev part: a preset button fills the
/// claims field; claims prefilled for one user are never saved as another's; typed
/// claims must be valid; a username nobody has becomes a user.
pub async fn at_login(
    ctx: &Context<'_>,
    params: &Params,
    username: &str,
    password: &str,
) -> Result<AtLogin, StoreError> {
    if let Some(preset) = params.get("preset") {
        return Ok(AtLogin::Form(DevForm::with_preset(ctx, preset).await?, None));
    }
    let claims_for = params.get("claims_for").unwrap_or("");
    if !claims_for.is_empty() && crate::username::key(claims_for) != crate::username::key(username) {
        let why =
            format!("The claims shown were {claims_for}'s; these are {username}'s. Check them and sign in again.");
        return Ok(AtLogin::Form(DevForm::for_user(ctx, username).await?, Some(why)));
    }
    let claims = match parse_claims(params.get("claims").unwrap_or("")) {
        Ok(claims) => claims,
        Err(why) => return Ok(AtLogin::Refused(why, "dev: the claims typed are not valid")),
    };
    if password.is_empty() || ctx.store.find_user_by_username(username).await?.is_some() {
        return Ok(AtLogin::Check(claims));
    }
    Ok(match sign_up(ctx, username, password, claims).await? {
        Ok(user) => {
            tracing::info!(user = %user.id, "dev: created a user at the login page");
            AtLogin::SignedUp(user)
        }
        Err(why) => AtLogin::Refused(why, "dev: the new username was refused"),
    })
}

/// The claims typed into dev's login form: empty, or a JSON object of claims a user
/// may hold (no `sub`, standard claims with their types).
pub fn parse_claims(text: &str) -> Result<Option<Map<String, Value>>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let claims: Map<String, Value> =
        serde_json::from_str(text).map_err(|e| format!("The claims are not a JSON object: {e}"))?;
    for (name, value) in &claims {
        check_claim(name, value).map_err(|why| format!("Claims: {why}"))?;
    }
    Ok(Some(claims))
}

/// Under dev mode, a username nobody has yet becomes a user with the password typed
/// and `claims`. `Err` says what is wrong with the username or password.
pub async fn sign_up(
    ctx: &Context<'_>,
    username: &str,
    password: &str,
    claims: Option<Map<String, Value>>,
) -> Result<Result<User, String>, StoreError> {
    if let Err(why) = crate::username::check(username) {
        return Ok(Err(why));
    }
    if let Some(existing) = super::look_alike(ctx.store, username).await? {
        let existing = existing.username;
        return Ok(Err(format!("The username {username} looks like the existing user {existing}; choose another.")));
    }
    let password_hash = match crate::password::hash(password.to_owned()).await {
        Ok(hash) => hash,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let user = User {
        id: uuid::Uuid::new_v4().to_string(),
        username: username.to_owned(),
        password_hash,
        disabled: false,
        claims: claims.unwrap_or_default(),
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    match ctx.store.insert_user(&user).await {
        Ok(()) => Ok(Ok(user)),
        // Someone took the name meanwhile: the form asks again.
        Err(StoreError::Conflict) => Ok(Err(format!("The username {username} was just taken; sign in as that user."))),
        Err(e) => Err(e),
    }
}
