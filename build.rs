//! The build script. The migrations are embedded by `sqlx::migrate!`: rebuild when
//! they change.
//!
//! The integration tests' PostgreSQL variants are built to run (`cfg(postgres_tests)`)
//! when `DATABASE_URL` names a PostgreSQL server, or under CI (`CI` set), where a
//! missing PostgreSQL must fail them; otherwise they are marked ignored.
//!
//! Likewise the relying-party library tests (`cfg(rp_tests)`): built to run when their
//! Node packages and Python venv are installed in `tests/rp/`, or under CI.
//!
//! And the browser test (`cfg(browser_tests)`): built to run when playwright-core is
//! installed in `tests/browser/` and Debian's Chromium is at `/usr/bin/chromium`, or
//! under CI.

use std::path::Path;

/// What `npm ci --prefix tests/rp` and the venv leave behind: each directory, and a
/// file in it that its installer rewrites.
const RP_DEPENDENCIES: [(&str, &str); 2] =
    [("tests/rp/node_modules", ".package-lock.json"), ("tests/rp/.venv", "pyvenv.cfg")];

/// What `npm ci --prefix tests/browser` leaves behind, and the browser it drives.
const BROWSER_DEPENDENCIES: [(&str, &str); 1] = [("tests/browser/node_modules", ".package-lock.json")];
const CHROMIUM: &str = "/usr/bin/chromium";

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rustc-check-cfg=cfg(rp_tests)");
    println!("cargo::rustc-check-cfg=cfg(browser_tests)");
    println!("cargo::rerun-if-env-changed=DATABASE_URL");
    println!("cargo::rerun-if-env-changed=CI");
    let ci = std::env::var_os("CI").is_some();
    let postgres = std::env::var("DATABASE_URL").is_ok_and(|url| url.starts_with("postgres"));
    if postgres || ci {
        println!("cargo::rustc-cfg=postgres_tests");
    }
    if installed(&RP_DEPENDENCIES, "tests/rp") || ci {
        println!("cargo::rustc-cfg=rp_tests");
    }
    let chromium = Path::new(CHROMIUM).exists();
    if chromium {
        println!("cargo::rerun-if-changed={CHROMIUM}");
    }
    if (installed(&BROWSER_DEPENDENCIES, "tests/browser") && chromium) || ci {
        println!("cargo::rustc-cfg=browser_tests");
    }
}

/// Whether every directory of `dependencies` exists; watches them (or `parent`, until
/// they do) so that the build script reruns when that changes.
fn installed(dependencies: &[(&str, &str)], parent: &str) -> bool {
    let installed = dependencies.iter().all(|(dir, _)| Path::new(dir).is_dir());
    if installed {
        // Rerun when one is removed. (A path that does not exist would rerun this
        // script, and rebuild the crate, on every build: watch files that exist.)
        for (dir, file) in dependencies {
            println!("cargo::rerun-if-changed={dir}/{file}");
        }
    } else {
        // Rerun when they appear: the folder's listing changes.
        println!("cargo::rerun-if-changed={parent}");
    }
    installed
}
