//! Signing, the hot path of every token response: gatehouse's signer (key parsed once
//! into an aws-lc-rs key pair) for each algorithm, against jsonwebtoken's `encode`
//! (which parses the key on every call). Run with `cargo bench --bench sign`.
#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use gatehouse::keys::{Alg, KeySet, generate};
use serde_json::json;

fn signing(c: &mut Criterion) {
    let claims = json!({
        "iss": "https://login.example.com", "sub": "0b0f3f0e-6a4e-4c55-9d0e-9e2f6f1d8a11", "aud": "rp",
        "exp": 1_900_000_600, "iat": 1_900_000_000, "auth_time": 1_900_000_000, "nonce": "n-0S6_WzA2Mj",
        "at_hash": "77QmUPtjPfzWtF2AnpK9RQ", "sid": "4c1e3f0e-1a2b-4c5d-8e9f-0a1b2c3d4e5f",
    });
    let mut group = c.benchmark_group("sign ID token");
    let mut rsa_der = Vec::new();
    for alg in Alg::ALL {
        let mut row = generate(alg, 0, None).unwrap();
        row.activates_at = Some(0);
        if alg == Alg::Rs256 {
            rsa_der = row.private_der.clone();
        }
        let keys = KeySet::from_rows(&[row], None).unwrap();
        group.bench_function(format!("gatehouse {alg}"), |b| {
            b.iter(|| keys.active(alg, 0).unwrap().sign("JWT", &claims).unwrap())
        });
    }
    let encoding = jsonwebtoken::EncodingKey::from_rsa_der(&rsa_der);
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    group.bench_function("jsonwebtoken::encode RS256", |b| {
        b.iter(|| jsonwebtoken::encode(&header, &claims, &encoding).unwrap())
    });
    group.finish();
}

criterion_group!(benches, signing);
criterion_main!(benches);
