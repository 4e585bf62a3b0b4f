//! The README's example of `gatehouse::testing`, verbatim (checked by
//! `testing::the_readme_example_is_this_file`).
#![allow(clippy::unwrap_used)]

use gatehouse::testing::{Client, Defect, Provider, Token, User};
use std::time::Duration;

#[tokio::test]
async fn my_relying_party_handles_the_provider() {
    let op = Provider::start().await.unwrap();
    op.add_user(User::new("ada").claim("email", "ada@example.com")).await.unwrap();
    let client = op.add_client(Client::confidential("my-app", "http://127.0.0.1:3000/callback")).await.unwrap();
    // Configure the relying party with op.issuer(), "my-app" and client.client_secret.
    assert!(client.client_secret.is_some());

    // The tokens a browser login would give (scope openid profile email offline_access).
    let tokens = op.login("ada", "my-app").await.unwrap();
    assert!(tokens.id_token.is_some() && tokens.refresh_token.is_some());

    // An hour later, as far as the provider is concerned: the access token has expired.
    op.advance(Duration::from_secs(3600)).await;

    // A token the relying party must reject, and a key it has never seen.
    let expired = op.mint(Token::id("ada", "my-app").defect(Defect::Expired)).await.unwrap();
    let kids = op.rotate_keys(true).await.unwrap();
    assert!(!expired.token.is_empty() && !kids.is_empty());

    // What the relying party sent to the provider, secrets redacted (none here: the
    // typed API is no HTTP client).
    assert!(op.requests().is_empty());
}
