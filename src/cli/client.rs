//! `gatehouse client add|list|show|remove`.

use clap::Subcommand;

use super::CliError;
use crate::config::Config;
use crate::oauth::client::{check_registration, parse_grant_types};
use crate::store::{Client, ClientKind, Store, StoreError};

/// Client administration.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client. A confidential client's secret is generated and printed once.
    Add {
        /// The client_id (letters, digits, `.`, `_`, `~`, `-`).
        id: String,
        /// A redirect URI, matched exactly; repeat for several.
        #[arg(long = "redirect-uri", value_name = "URI")]
        redirect_uris: Vec<String>,
        /// A public client (a browser or native app): no secret, PKCE only.
        #[arg(long)]
        public: bool,
        /// A grant type the client may use; repeat for several
        /// [default: authorization_code and refresh_token].
        #[arg(long = "grant-type", value_name = "GRANT")]
        grant_types: Vec<String>,
        /// A human-readable name, shown on the login page.
        #[arg(long)]
        name: Option<String>,
        /// Where RP-initiated logout may return to; repeat for several.
        #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
        post_logout_redirect_uris: Vec<String>,
        /// An extra audience for access tokens (one of the client's APIs); repeat for several.
        #[arg(long = "audience", value_name = "AUD")]
        audiences: Vec<String>,
        /// Sign this client's ID tokens with RS256, ES256 or EdDSA
        /// (`id_token_signed_response_alg`) [default: RS256].
        #[arg(long = "id-token-alg", value_name = "ALG")]
        id_token_alg: Option<String>,
        /// Let this confidential client send authorization requests without PKCE
        /// (for relying parties that cannot send it; public clients always need it).
        #[arg(long)]
        no_pkce: bool,
        /// Let a redirect URI on http://127.0.0.1 or http://[::1] match any port, for a
        /// native app that listens on a port it picks at run time (RFC 8252 §7.3).
        #[arg(long)]
        loopback_any_port: bool,
        /// Put the claims the granted scope releases in the ID token too, not only at
        /// userinfo (for relying-party libraries that read only the ID token).
        #[arg(long)]
        id_token_claims: bool,
        /// A third-party client: each user is asked, on a consent page, before it gets
        /// their data (first-party clients are not asked).
        #[arg(long)]
        third_party: bool,
    },
    /// List clients.
    List,
    /// Show one client (never its secret, which is not stored).
    Show {
        /// The client_id.
        id: String,
    },
    /// Remove a client and every grant and token issued to it.
    Remove {
        /// The client_id.
        id: String,
    },
}

pub(super) async fn run(cmd: ClientCommand, config: &Config, store: &dyn Store) -> Result<(), CliError> {
    let now = crate::clock::Clock::now(&crate::clock::SystemClock);
    match cmd {
        ClientCommand::Add {
            id,
            redirect_uris,
            public,
            grant_types,
            name,
            post_logout_redirect_uris,
            audiences,
            id_token_alg,
            no_pkce,
            loopback_any_port,
            id_token_claims,
            third_party,
        } => {
            if let Some(alg) = &id_token_alg {
                match crate::keys::Alg::parse(alg) {
                    Some(parsed) if config.algorithms.contains(&parsed) => {}
                    Some(_) => return Err(CliError::usage(format!("{alg} is not in keys.algorithms"))),
                    None => {
                        return Err(CliError::usage(format!("unknown algorithm `{alg}`: use RS256, ES256 or EdDSA")));
                    }
                }
            }
            let kind = if public { ClientKind::Public } else { ClientKind::Confidential };
            let grant_types = parse_grant_types(&grant_types).map_err(CliError::Usage)?;
            let secret = (kind == ClientKind::Confidential).then(crate::secret::random_token);
            let client = Client {
                id: id.clone(),
                name: name.unwrap_or_default(),
                kind,
                secret_hash: secret.as_deref().map(crate::secret::hash),
                redirect_uris,
                grant_types,
                post_logout_redirect_uris,
                audiences,
                id_token_signed_response_alg: id_token_alg,
                require_pkce: !no_pkce,
                loopback_any_port,
                id_token_claims,
                third_party,
                created_at: now,
            };
            check_registration(&client).map_err(CliError::Usage)?;
            store.insert_client(&client).await.map_err(|e| match e {
                StoreError::Conflict => CliError::usage(format!("client id `{id}` already exists")),
                other => other.into(),
            })?;
            print_client(&client);
            if let Some(secret) = secret {
                println!("client_secret: {secret}");
                eprintln!("The secret is shown only now and stored only as a hash: keep it somewhere safe.");
            }
            Ok(())
        }
        ClientCommand::List => {
            let clients = store.list_clients().await?;
            if clients.is_empty() {
                eprintln!("no clients; add one with `gatehouse client add ID --redirect-uri URI`");
            }
            for c in clients {
                println!("{}\t{}\t{}", c.id, c.kind.as_str(), c.redirect_uris.join(" "));
            }
            Ok(())
        }
        ClientCommand::Show { id } => {
            let client = store.find_client(&id).await?.ok_or_else(|| unknown(&id))?;
            print_client(&client);
            Ok(())
        }
        ClientCommand::Remove { id } => {
            if !store.delete_client(&id).await? {
                return Err(unknown(&id));
            }
            println!("removed client {id}");
            Ok(())
        }
    }
}

fn unknown(id: &str) -> CliError {
    CliError::usage(format!("unknown client `{id}`"))
}

fn print_client(c: &Client) {
    println!("client_id:     {}", c.id);
    if !c.name.is_empty() {
        println!("name:          {}", c.name);
    }
    println!("type:          {}", c.kind.as_str());
    println!(
        "auth method:   {}",
        match c.kind {
            ClientKind::Confidential => "client_secret_basic or client_secret_post",
            ClientKind::Public => "none (PKCE required)",
        }
    );
    let grant_types: Vec<_> = c.grant_types.iter().map(|g| g.as_str()).collect();
    println!("grant types:   {}", grant_types.join(" "));
    println!("pkce:          {}", if c.require_pkce { "required (S256)" } else { "optional (S256)" });
    for uri in &c.redirect_uris {
        println!("redirect_uri:  {uri}");
    }
    if c.loopback_any_port {
        println!("loopback:      any port (RFC 8252 §7.3)");
    }
    if c.id_token_claims {
        println!("id_token:      carries the claims of the granted scope");
    }
    println!("consent:       {}", if c.third_party { "asked (third party)" } else { "not asked (first party)" });
    for uri in &c.post_logout_redirect_uris {
        println!("post_logout_redirect_uri: {uri}");
    }
    if let Some(alg) = &c.id_token_signed_response_alg {
        println!("id_token alg:  {alg}");
    }
    for aud in &c.audiences {
        println!("audience:      {aud}");
    }
}
