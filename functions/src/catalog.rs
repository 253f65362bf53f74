//! Keeps the events manifest (and the site's links next to it) at hand: fetched from the
//! published site and cached for a minute, or read from disk again whenever the file changes (so
//! `classmates serve` rebuilds are seen).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use thiserror::Error;
use tokio::sync::Mutex;

use crate::config::ManifestSource;
use serde::de::DeserializeOwned;

use crate::manifest::{LINKS_FILE, LINKS_PATH, MANIFEST_PATH, Manifest, SiteLinks};

/// A JSON file the site publishes for the function.
pub trait Published: DeserializeOwned + Send + Sync + 'static {
    /// Its path in a built site.
    const PATH: &'static str;
    /// Its name next to the manifest (for a manifest given as a file or a URL).
    const FILE: &'static str;
    /// How many entries it has, for the logs.
    fn entries(&self) -> usize;
}

impl Published for Manifest {
    const PATH: &'static str = MANIFEST_PATH;
    const FILE: &'static str = "index.json";
    fn entries(&self) -> usize {
        self.events.len()
    }
}

impl Published for SiteLinks {
    const PATH: &'static str = LINKS_PATH;
    const FILE: &'static str = LINKS_FILE;
    fn entries(&self) -> usize {
        self.resources.len()
    }
}

/// Longest wait for the manifest over HTTP.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest manifest accepted over HTTP.
const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// The manifest could not be had and no earlier copy is available.
#[derive(Debug, Error)]
pub enum CatalogError {
    #[error("cannot read the events manifest {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot fetch the events manifest {url}: {reason}")]
    Fetch { url: String, reason: String },
    #[error("the events manifest {origin} is not valid: {source}")]
    Parse {
        origin: String,
        source: serde_json::Error,
    },
}

/// Source of the current manifest (or another file `T` of the site), shared by all requests.
pub struct Catalog<T: Published = Manifest> {
    source: ManifestSource,
    ttl: Duration,
    http: reqwest::Client,
    state: Mutex<State<T>>,
}

struct State<T> {
    manifest: Option<Arc<T>>,
    /// When the URL was last fetched (successfully or not).
    fetched_at: Option<Instant>,
    /// Modification time and size of the file when it was last read.
    file_stamp: Option<(SystemTime, u64)>,
}

impl<T> Default for State<T> {
    fn default() -> State<T> {
        State {
            manifest: None,
            fetched_at: None,
            file_stamp: None,
        }
    }
}

/// Where `T` is, given where the events manifest is: the site folder's `T::PATH`, or the file
/// `T::FILE` next to the manifest file or URL.
fn beside_manifest<T: Published>(manifest: &ManifestSource) -> ManifestSource {
    match manifest {
        ManifestSource::Path(path) if path.is_dir() => ManifestSource::Path(path.clone()),
        ManifestSource::Path(path) => ManifestSource::Path(path.with_file_name(T::FILE)),
        ManifestSource::Url(url) => ManifestSource::Url(
            reqwest::Url::parse(url)
                .and_then(|u| u.join(T::FILE))
                .map_or_else(|_| url.clone(), String::from),
        ),
    }
}

impl<T: Published> Catalog<T> {
    /// `T` as found beside the events manifest `manifest` (see [`Catalog::new`]).
    pub fn beside(manifest: &ManifestSource, ttl: Duration) -> Catalog<T> {
        Catalog::new(beside_manifest::<T>(manifest), ttl)
    }

    pub fn new(source: ManifestSource, ttl: Duration) -> Catalog<T> {
        let http = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .user_agent(concat!("classmates-api/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Catalog {
            source,
            ttl,
            http,
            state: Mutex::new(State::default()),
        }
    }

    /// The current manifest. When a refresh fails but an earlier copy exists, the earlier copy is
    /// used (and the failure logged), so a flaky site or a half-written file does not stop
    /// registrations.
    pub async fn manifest(&self) -> Result<Arc<T>, CatalogError> {
        let mut state = self.state.lock().await;
        match &self.source {
            ManifestSource::Path(path) => self.read_file(&mut state, path).await,
            ManifestSource::Url(url) => self.fetch_cached(&mut state, url).await,
        }
    }

    async fn read_file(&self, state: &mut State<T>, path: &Path) -> Result<Arc<T>, CatalogError> {
        let path = if path.is_dir() {
            path.join(T::PATH)
        } else {
            path.to_owned()
        };
        // One stat per request: cheap, and it notices every rebuild.
        let stamp = std::fs::metadata(&path)
            .and_then(|meta| Ok((meta.modified()?, meta.len())))
            .map_err(|source| CatalogError::Read {
                path: path.clone(),
                source,
            });
        let stamp = match (stamp, &state.manifest) {
            (Ok(stamp), _) => stamp,
            (Err(err), Some(previous)) => {
                tracing::warn!(error = %err, "events manifest unreadable, keeping the previous one");
                return Ok(previous.clone());
            }
            (Err(err), None) => return Err(err),
        };
        if let (Some(manifest), Some(known)) = (&state.manifest, state.file_stamp) {
            if known == stamp {
                return Ok(manifest.clone());
            }
        }
        let read_path = path.clone();
        let bytes = tokio::task::spawn_blocking(move || std::fs::read(read_path))
            .await
            .unwrap_or_else(|join| Err(std::io::Error::other(join)));
        let parsed = bytes
            .map_err(|source| CatalogError::Read {
                path: path.clone(),
                source,
            })
            .and_then(|bytes| {
                serde_json::from_slice::<T>(&bytes).map_err(|source| CatalogError::Parse {
                    origin: path.display().to_string(),
                    source,
                })
            });
        match parsed {
            Ok(manifest) => {
                tracing::info!(
                    entries = manifest.entries(),
                    file = T::FILE,
                    "site file loaded"
                );
                let manifest = Arc::new(manifest);
                state.manifest = Some(manifest.clone());
                state.file_stamp = Some(stamp);
                Ok(manifest)
            }
            // Probably caught in the middle of a rebuild: keep the old copy, retry next time.
            Err(err) => match &state.manifest {
                Some(previous) => {
                    tracing::warn!(error = %err, "events manifest invalid, keeping the previous one");
                    Ok(previous.clone())
                }
                None => Err(err),
            },
        }
    }

    async fn fetch_cached(&self, state: &mut State<T>, url: &str) -> Result<Arc<T>, CatalogError> {
        if let (Some(manifest), Some(at)) = (&state.manifest, state.fetched_at) {
            if at.elapsed() < self.ttl {
                return Ok(manifest.clone());
            }
        }
        state.fetched_at = Some(Instant::now());
        match self.fetch(url).await {
            Ok(manifest) => {
                tracing::info!(
                    entries = manifest.entries(),
                    file = T::FILE,
                    "site file fetched"
                );
                let manifest = Arc::new(manifest);
                state.manifest = Some(manifest.clone());
                Ok(manifest)
            }
            Err(err) => match &state.manifest {
                Some(previous) => {
                    tracing::warn!(error = %err, "events manifest fetch failed, keeping the previous one");
                    Ok(previous.clone())
                }
                None => {
                    // Let the next request try again rather than waiting for the TTL.
                    state.fetched_at = None;
                    Err(err)
                }
            },
        }
    }

    async fn fetch(&self, url: &str) -> Result<T, CatalogError> {
        let failed = |reason: String| CatalogError::Fetch {
            url: url.to_owned(),
            reason,
        };
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| failed(e.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(failed(format!("HTTP {status}")));
        }
        let body = response.bytes().await.map_err(|e| failed(e.to_string()))?;
        if body.len() > MAX_MANIFEST_BYTES {
            return Err(failed(format!("larger than {MAX_MANIFEST_BYTES} bytes")));
        }
        serde_json::from_slice(&body).map_err(|source| CatalogError::Parse {
            origin: url.to_owned(),
            source,
        })
    }
}
