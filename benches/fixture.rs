//! `gatehouse::testing`, as a relying party's test suite uses it: how long a provider
//! takes to be ready once the process has its keys (the goal is 5 ms), and a headless
//! login with tokens (the goal is 2 ms). Run with `cargo bench --bench fixture`.
#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use gatehouse::testing::{Client, Provider, User};

fn fixture(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    // The first provider generates the process's RSA keys; it is not what is measured.
    let first = runtime.block_on(Provider::start()).unwrap();
    let mut group = c.benchmark_group("testing");
    group.bench_function("provider ready (after the first)", |b| {
        b.iter(|| runtime.block_on(async { Provider::start().await.unwrap().stop().await }))
    });
    runtime.block_on(async {
        first.add_user(User::new("ada").claim("email", "ada@example.com")).await.unwrap();
        first.add_client(Client::confidential("rp", "http://127.0.0.1:3000/callback")).await.unwrap();
    });
    group.bench_function("headless login with tokens", |b| {
        b.iter(|| runtime.block_on(first.login("ada", "rp")).unwrap())
    });
    group.finish();
}

criterion_group!(benches, fixture);
criterion_main!(benches);
