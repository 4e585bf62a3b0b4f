//! The migrations, embedded in the binary: one list for both engines' folders.
//!
//! sqlx's `migrate!` macro would embed them too, but it needs sqlx's `macros` feature,
//! which builds sqlx's database drivers (SQLite's C library included) a second time,
//! for the compiler, to check queries this crate does not check at compile time. A
//! test reads the folders as sqlx does and checks that this list is the same:
//! versions, descriptions and checksums.

use sqlx::SqlStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use super::Backend;

/// One migration, in both engines' flavours.
struct File {
    version: i64,
    /// The file name without `.sql`, e.g. `0005_custom_scopes`.
    stem: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

/// Embeds `migrations/{sqlite,postgres}/<stem>.sql`.
macro_rules! file {
    ($version:literal, $stem:literal) => {
        File {
            version: $version,
            stem: $stem,
            sqlite: include_str!(concat!("../../migrations/sqlite/", $stem, ".sql")),
            postgres: include_str!(concat!("../../migrations/postgres/", $stem, ".sql")),
        }
    };
}

/// Every migration, in order. A new migration is a file in each folder and a line here.
const FILES: &[File] = &[
    file!(1, "0001_init"),
    file!(2, "0002_throttle_hashed_keys"),
    file!(3, "0003_throttle_in_flight"),
    file!(4, "0004_loopback_any_port"),
    file!(5, "0005_custom_scopes"),
    file!(6, "0006_sessions_consent"),
];

/// The migrator of an engine, as `sqlx::migrate!` would build it from its folder.
pub(super) fn migrator(backend: Backend) -> Migrator {
    let migrations = FILES.iter().map(|file| {
        let sql = match backend {
            Backend::Sqlite => file.sqlite,
            Backend::Postgres => file.postgres,
        };
        // sqlx's description of a file: its name after the version, with spaces for
        // underscores.
        let name = file.stem.split_once('_').map_or(file.stem, |(_, name)| name);
        let description = name.replace('_', " ").into();
        Migration::new(file.version, description, MigrationType::Simple, SqlStr::from_static(sql), false)
    });
    Migrator::with_migrations(migrations.collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What sqlx records of a migration, and checks when it runs migrations again.
    fn recorded(migrator: &Migrator) -> Vec<(i64, String, Vec<u8>, bool)> {
        migrator.iter().map(|m| (m.version, m.description.to_string(), m.checksum.to_vec(), m.no_tx)).collect()
    }

    #[tokio::test]
    async fn the_list_is_the_folders_as_sqlx_reads_them() {
        for (backend, folder) in [(Backend::Sqlite, "migrations/sqlite"), (Backend::Postgres, "migrations/postgres")] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
            let from_folder = Migrator::new(path).await.unwrap();
            assert_eq!(recorded(&migrator(backend)), recorded(&from_folder), "{folder}");
        }
    }
}
