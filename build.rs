//! The build script. The migrations are embedded by `sqlx::migrate!`: rebuild when
//! they change.
//!
//! The integration tests' PostgreSQL variants are built to run (`cfg(postgres_tests)`)
//! when `DATABASE_URL` names a PostgreSQL server, or under CI (`CI` set), where a
//! missing PostgreSQL must fail them; otherwise they are marked ignored.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=DATABASE_URL");
    println!("cargo::rerun-if-env-changed=CI");
    let postgres = std::env::var("DATABASE_URL").is_ok_and(|url| url.starts_with("postgres"));
    if postgres || std::env::var_os("CI").is_some() {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
