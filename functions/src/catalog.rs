//! Keeps the events manifest at hand: fetched from the published site and cached for a minute,
//! or read from disk again whenever the file changes (so `classmates serve` rebuilds are seen).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use thiserror::Error;
use tokio::sync::Mutex;

use crate::config::ManifestSource;
use crate::manifest::{MANIFEST_PATH, Manifest};

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

/// Source of the current manifest, shared by all requests.
pub struct Catalog {
    source: ManifestSource,
    ttl: Duration,
    http: reqwest::Client,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    manifest: Option<Arc<Manifest>>,
    /// When the URL was last fetched (successfully or not).
    fetched_at: Option<Instant>,
    /// Modification time and size of the file when it was last read.
    file_stamp: Option<(SystemTime, u64)>,
}

impl Catalog {
    pub fn new(source: ManifestSource, ttl: Duration) -> Catalog {
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
    pub async fn manifest(&self) -> Result<Arc<Manifest>, CatalogError> {
        let mut state = self.state.lock().await;
        match &self.source {
            ManifestSource::Path(path) => self.read_file(&mut state, path).await,
            ManifestSource::Url(url) => self.fetch_cached(&mut state, url).await,
        }
    }

    async fn read_file(
        &self,
        state: &mut State,
        path: &Path,
    ) -> Result<Arc<Manifest>, CatalogError> {
        let path = if path.is_dir() {
            path.join(MANIFEST_PATH)
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
                serde_json::from_slice::<Manifest>(&bytes).map_err(|source| CatalogError::Parse {
                    origin: path.display().to_string(),
                    source,
                })
            });
        match parsed {
            Ok(manifest) => {
                tracing::info!(
                    events = manifest.events.len(),
                    "events manifest loaded from file"
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

    async fn fetch_cached(
        &self,
        state: &mut State,
        url: &str,
    ) -> Result<Arc<Manifest>, CatalogError> {
        if let (Some(manifest), Some(at)) = (&state.manifest, state.fetched_at) {
            if at.elapsed() < self.ttl {
                return Ok(manifest.clone());
            }
        }
        state.fetched_at = Some(Instant::now());
        match self.fetch(url).await {
            Ok(manifest) => {
                tracing::info!(events = manifest.events.len(), "events manifest fetched");
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

    async fn fetch(&self, url: &str) -> Result<Manifest, CatalogError> {
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
