//! Test harness: copies a fixture site (plus the real default theme) into a temporary folder,
//! runs the real `classmates` binary on it and gives helpers to read what it built: HTML
//! (scraper), Atom (feed-rs), iCalendar (ical), JSON (serde_json), and a link checker.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use scraper::{ElementRef, Html, Selector};
use tempfile::TempDir;

/// The `--now` every test builds with unless it says otherwise: a Sunday, in winter time.
pub const NOW: &str = "2026-11-01T12:00:00+01:00";

/// `classmates --root <root> serve --port <port>`, apart from the caller's environment: its
/// registrations in `<store>/registrations.sqlite3`, a known admin token, no rate limit, and
/// none of the production settings (manifest, origins, Discord, Lambda, logs) a developer may
/// have exported. Output and errors are the caller's to redirect.
pub fn serve_command(root: &Path, port: u16, store: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_classmates"));
    command
        .arg("--root")
        .arg(root)
        .args(["serve", "--port", &port.to_string()])
        .env(
            "STORE",
            format!("sqlite:{}", store.join("registrations.sqlite3").display()),
        )
        .env("ADMIN_TOKEN", "serve-tests-admin-token")
        .env("RATE_LIMIT", "0");
    for name in [
        "EVENTS_MANIFEST",
        "ALLOWED_ORIGIN",
        "PUBLIC_API_URL",
        "DISCORD_WEBHOOK_URL",
        "DISCORD_PUBLIC_KEY",
        "DISCORD_APPLICATION_ID",
        "DISCORD_BOT_TOKEN",
        "DISCORD_GUILD_ID",
        "DISCORD_CHANNEL_ID",
        "DISCORD_API_BASE",
        "AWS_LAMBDA_FUNCTION_NAME",
        "RUST_LOG",
    ] {
        command.env_remove(name);
    }
    command
}

/// The repository root (holds the real theme and the starter content).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture site copied into a temporary folder, with the real theme next to it.
pub struct Site {
    dir: TempDir,
}

impl Site {
    /// Copies `tests/fixtures/<name>` and `themes/default` into a fresh temporary folder. The
    /// fixture's own `templates/` (overrides), if any, come along with it.
    pub fn fixture(name: &str) -> Site {
        let source = repo_root().join("tests/fixtures").join(name);
        assert!(source.is_dir(), "fixture {} not found", source.display());
        let dir = tempfile::Builder::new()
            .prefix("classmates-test-")
            .tempdir()
            .expect("temporary folder");
        copy_dir(&source, dir.path());
        if !dir.path().join("themes").exists() {
            copy_dir(
                &repo_root().join("themes/default"),
                &dir.path().join("themes/default"),
            );
        }
        Site { dir }
    }

    /// Root of the copied site (holds `site.yaml`).
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Default output folder: `<root>/public`.
    pub fn output(&self) -> PathBuf {
        self.root().join("public")
    }

    /// Writes (or replaces) a file of the copied site.
    pub fn write(&self, rel: &str, text: &str) {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// `classmates --root <root> build --now NOW --output <root>/public`.
    pub fn build(&self) -> Build {
        self.build_with(&self.output(), &["--now", NOW])
    }

    /// Builds into `output` with `args` after `build` (give `--now` yourself).
    pub fn build_with(&self, output: &Path, args: &[&str]) -> Build {
        run_build(self.root(), output, args)
    }
}

/// `classmates --root <site> check <args…>`, apart from the caller's `RUST_LOG`.
pub fn run_check(site: &Site, args: &[&str]) -> Build {
    let result = Command::new(env!("CARGO_BIN_EXE_classmates"))
        .arg("--root")
        .arg(site.root())
        .arg("check")
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run the classmates binary");
    Build {
        status: result.status,
        stdout: String::from_utf8_lossy(&result.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&result.stderr).into_owned(),
        out: site.output(),
    }
}

/// Runs the real binary: `classmates --root <root> build --output <output> <args…>`.
pub fn run_build(root: &Path, output: &Path, args: &[&str]) -> Build {
    run_build_env(root, output, args, &[])
}

/// Same as [`run_build`], with extra environment variables.
pub fn run_build_env(root: &Path, output: &Path, args: &[&str], env: &[(&str, &str)]) -> Build {
    let result = Command::new(env!("CARGO_BIN_EXE_classmates"))
        .arg("--root")
        .arg(root)
        .arg("build")
        .arg("--output")
        .arg(output)
        .args(args)
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .output()
        .expect("run the classmates binary");
    Build {
        status: result.status,
        stdout: String::from_utf8_lossy(&result.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&result.stderr).into_owned(),
        out: output.to_path_buf(),
    }
}

/// What one run of `classmates build` did.
pub struct Build {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    /// The output folder given with `--output`.
    pub out: PathBuf,
}

impl Build {
    /// Panics with the build's messages unless it succeeded.
    #[track_caller]
    pub fn ok(self) -> Build {
        assert!(
            self.status.success(),
            "the build failed ({}):\n{}",
            self.status,
            self.stderr
        );
        self
    }

    /// Panics unless the build failed.
    #[track_caller]
    pub fn failed(self) -> Build {
        assert!(
            !self.status.success(),
            "the build should have failed, it printed:\n{}",
            self.stderr
        );
        assert_ne!(self.status.code(), Some(0));
        self
    }

    /// Asserts that stderr reports a problem at `location` (`path:line:col`, as in the
    /// `--> path:line:col` line of the plain renderer) whose block mentions `fragment`.
    #[track_caller]
    pub fn assert_problem(&self, location: &str, fragment: &str) {
        let arrow = format!("--> {location}\n");
        let blocks: Vec<&str> = self
            .stderr
            .split("\n\n")
            .filter(|b| b.contains(&arrow))
            .collect();
        assert!(
            !blocks.is_empty(),
            "no problem reported at `{location}` in:\n{}",
            self.stderr
        );
        assert!(
            blocks.iter().any(|b| b.contains(fragment)),
            "the problem at `{location}` does not mention `{fragment}`:\n{}",
            self.stderr
        );
    }

    /// Number of errors announced by the summary line ("N erreur(s), …").
    #[track_caller]
    pub fn error_count(&self) -> usize {
        let line = self
            .stderr
            .lines()
            .find(|l| l.contains(" erreur(s), "))
            .unwrap_or_else(|| panic!("no summary line in:\n{}", self.stderr));
        line.split(' ').next().unwrap().parse().unwrap()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.out.join(rel)
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).is_file()
    }

    #[track_caller]
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    #[track_caller]
    pub fn html(&self, rel: &str) -> Html {
        Html::parse_document(&self.read(rel))
    }

    /// Every file of the output, as `/`-separated paths relative to it.
    pub fn files(&self) -> BTreeSet<String> {
        tree(&self.out).into_keys().collect()
    }

    #[track_caller]
    pub fn atom(&self, rel: &str) -> feed_rs::model::Feed {
        feed_rs::parser::parse(self.read(rel).as_bytes())
            .unwrap_or_else(|e| panic!("{rel} is not a valid feed: {e}"))
    }

    /// Parses an iCalendar file that must hold exactly one calendar.
    #[track_caller]
    pub fn ics(&self, rel: &str) -> ical::parser::ical::component::IcalCalendar {
        let text = self.read(rel);
        let mut calendars = ical::IcalParser::new(text.as_bytes());
        let calendar = calendars
            .next()
            .unwrap_or_else(|| panic!("{rel}: no calendar"))
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert!(calendars.next().is_none(), "{rel}: more than one calendar");
        calendar
    }

    #[track_caller]
    pub fn json(&self, rel: &str) -> serde_json::Value {
        serde_json::from_str(&self.read(rel))
            .unwrap_or_else(|e| panic!("{rel} is not valid JSON: {e}"))
    }
}

/// The value of the property `name` of an iCalendar component's properties.
pub fn ics_prop(properties: &[ical::property::Property], name: &str) -> Option<String> {
    properties
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.value.clone())
}

pub fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("bad selector {css}: {e:?}"))
}

/// The elements matching `css`.
pub fn select<'a>(html: &'a Html, css: &str) -> Vec<ElementRef<'a>> {
    let sel = selector(css);
    html.select(&sel).collect()
}

/// Text of an element, whitespace collapsed.
pub fn text(element: &ElementRef) -> String {
    element
        .text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Texts of the elements matching `css`, whitespace collapsed.
pub fn texts(html: &Html, css: &str) -> Vec<String> {
    select(html, css).iter().map(text).collect()
}

/// Values of `attr` on the elements matching `css`.
pub fn attrs(html: &Html, css: &str, attr: &str) -> Vec<String> {
    select(html, css)
        .iter()
        .filter_map(|e| e.attr(attr).map(str::to_owned))
        .collect()
}

/// Every file under `dir` with its bytes, keyed by `/`-separated relative path.
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in walkdir(dir) {
        let rel = entry
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        files.insert(rel, std::fs::read(&entry).unwrap());
    }
    files
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("read {}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Checks every internal link of every HTML page of `out`: each `href` of `<a>` and `<link>`,
/// and each `src` of `<img>`, `<script>`, `<source>`, `<iframe>`, `<video>` and `<audio>`, must
/// point to a file of the output, and a `#fragment` on an HTML page must name an `id` of that
/// page. External links (with a scheme) are skipped. Returns one line per broken link.
pub fn broken_links(out: &Path) -> Vec<String> {
    let files = tree(out);
    let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut pages = Vec::new();
    for (path, bytes) in &files {
        if path.ends_with(".html") {
            let html = Html::parse_document(&String::from_utf8_lossy(bytes));
            let page_ids = select(&html, "[id]")
                .iter()
                .filter_map(|e| e.attr("id").map(str::to_owned))
                .collect();
            ids.insert(path.clone(), page_ids);
            pages.push((path.clone(), html));
        }
    }
    let mut broken = Vec::new();
    let refs = [
        ("a", "href"),
        ("link", "href"),
        ("img", "src"),
        ("script", "src"),
        ("source", "src"),
        ("iframe", "src"),
        ("video", "src"),
        ("audio", "src"),
    ];
    for (page, html) in &pages {
        for (tag, attr) in refs {
            for value in attrs(html, &format!("{tag}[{attr}]"), attr) {
                if let Err(why) = check_link(page, &value, &files, &ids) {
                    broken.push(format!("{page}: <{tag} {attr}=\"{value}\"> {why}"));
                }
            }
        }
    }
    broken
}

fn check_link(
    page: &str,
    link: &str,
    files: &BTreeMap<String, Vec<u8>>,
    ids: &BTreeMap<String, BTreeSet<String>>,
) -> Result<(), String> {
    if link.trim().is_empty() {
        return Err("is empty".into());
    }
    let scheme = link.split(['/', '?', '#']).next().unwrap_or("");
    if link.starts_with("//") || scheme.contains(':') {
        return Ok(());
    }
    let (rest, fragment) = match link.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (link, None),
    };
    let path = rest.split('?').next().unwrap_or("");
    let target = if path.is_empty() {
        page.to_string()
    } else {
        let mut parts: Vec<&str> = if path.starts_with('/') {
            Vec::new()
        } else {
            let mut p: Vec<&str> = page.split('/').collect();
            p.pop();
            p
        };
        for segment in path.split('/') {
            match segment {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        return Err("goes above the site root".into());
                    }
                }
                s => parts.push(s),
            }
        }
        let joined = parts.join("/");
        if path.ends_with('/') || joined.is_empty() {
            if joined.is_empty() {
                "index.html".to_string()
            } else {
                format!("{joined}/index.html")
            }
        } else if files.contains_key(&joined) {
            joined
        } else if files.contains_key(&format!("{joined}/index.html")) {
            return Err(format!(
                "points to the folder {joined} without its trailing slash"
            ));
        } else {
            joined
        }
    };
    if !files.contains_key(&target) {
        return Err(format!("{target} does not exist"));
    }
    if let Some(fragment) = fragment.filter(|f| !f.is_empty())
        && let Some(page_ids) = ids.get(&target)
        && !page_ids.contains(fragment)
    {
        return Err(format!("{target} has no element with id=\"{fragment}\""));
    }
    Ok(())
}
