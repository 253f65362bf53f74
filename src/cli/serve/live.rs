//! What `serve` adds to the built site while it runs: the reload events after each rebuild,
//! the reload script and the site's problems over every page, the files left for later by a
//! rebuild (a request waits for them), and a site served under its path.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::Result;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::response::sse::{Event, KeepAlive, Sse};
use http::{HeaderValue, StatusCode, header};
use http_body_util::BodyExt;
use tokio::sync::{broadcast, watch};

use crate::build::BuildError;
use crate::incremental::{Rebuild, Session};

/// Path of the server-sent events that reload the pages after a rebuild.
pub const RELOAD_PATH: &str = "/__classmates/reload";

/// What the server shares with the rebuilds.
pub(super) struct Live {
    /// The problems of the last build, as the terminal shows them (plain text), while the site
    /// has errors.
    pub(super) errors: RwLock<Option<String>>,
    /// One message per rebuild that changed something: the pages reload.
    pub(super) reload: broadcast::Sender<()>,
    /// Set when the server stops, to end the event streams.
    pub(super) stopping: watch::Receiver<bool>,
    /// The files the last rebuild left for later, not yet written: a request for one waits
    /// until it is, and has it written first.
    pub(super) deferred: Mutex<Deferred>,
    /// Told each time some of them are written.
    pub(super) deferred_written: watch::Sender<()>,
}

/// The files a rebuild left for later (`Session::defer_deep_pages`), by path relative to the
/// output folder, and those asked for meanwhile.
#[derive(Default)]
pub(super) struct Deferred {
    pub(super) paths: HashSet<String>,
    pub(super) wanted: Vec<String>,
}

/// Files of those left for later written at a time, between two looks at what is asked for.
pub(super) const DEFERRED_CHUNK: usize = 64;

/// How long a request waits for a file left for later, at most (it is then served as it is).
pub(super) const DEFERRED_WAIT: Duration = Duration::from_secs(10);

/// Writes the files the last rebuild left for later, those asked for first.
pub(super) fn write_deferred(session: &mut Session, live: &Live) {
    let started = std::time::Instant::now();
    let mut count = 0;
    loop {
        let wanted = std::mem::take(&mut live.deferred.lock().expect("not poisoned").wanted);
        match session.render_deferred(&wanted, DEFERRED_CHUNK) {
            Ok(done) if done.is_empty() => break,
            Ok(done) => {
                count += done.len();
                let mut deferred = live.deferred.lock().expect("not poisoned");
                for path in &done {
                    deferred.paths.remove(path);
                }
                drop(deferred);
                live.deferred_written.send_replace(());
            }
            Err(error) => {
                eprintln!("erreur en écrivant les pages restantes : {error:#}");
                break;
            }
        }
    }
    let mut deferred = live.deferred.lock().expect("not poisoned");
    deferred.paths.clear();
    deferred.wanted.clear();
    drop(deferred);
    live.deferred_written.send_replace(());
    if count > 0 {
        eprintln!(
            "  puis {count} pages plus loin dans les listes en {} ms",
            started.elapsed().as_millis()
        );
    }
}

/// Waits, when the file at `path` (a site path, as asked for) is one the last rebuild left
/// for later, until it is written (it is written first).
pub(super) async fn wait_if_deferred(live: &Live, path: &str) {
    let path = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let file = crate::urls::file_for_url(&path);
    let mut written = live.deferred_written.subscribe();
    let waited = tokio::time::timeout(DEFERRED_WAIT, async {
        loop {
            {
                let mut deferred = live.deferred.lock().expect("not poisoned");
                // A folder's address is its `index.html`.
                let at = [file.clone(), format!("{file}/index.html")]
                    .into_iter()
                    .find(|f| deferred.paths.contains(f));
                let Some(at) = at else {
                    return;
                };
                if !deferred.wanted.contains(&at) {
                    deferred.wanted.push(at);
                }
            }
            if written.changed().await.is_err() {
                return;
            }
        }
    });
    let _ = waited.await;
}

/// Shows the outcome of a build: prints its problems (warnings only when they changed since
/// `printed`, the warnings printed last), and keeps them for the pages while the site has
/// errors.
pub(super) fn publish(
    live: &Live,
    result: Result<Rebuild, BuildError>,
    what: &str,
    printed: &mut String,
) {
    let plain = annotate_snippets::Renderer::plain();
    let errors = match result {
        Ok(report) => {
            let text = crate::cli::report::report_text(report.warnings.clone(), &plain);
            if text != *printed {
                crate::cli::report::report(report.warnings);
                *printed = text;
            }
            None
        }
        Err(BuildError::Invalid(diagnostics)) => {
            printed.clear();
            let text = crate::cli::report::report_text(diagnostics.clone(), &plain);
            let count = diagnostics.error_count();
            crate::cli::report::report(diagnostics);
            eprintln!("✗ {what} : {count} erreur(s), affichées aussi dans le navigateur");
            Some(text)
        }
        Err(BuildError::Other(e)) => {
            printed.clear();
            crate::cli::report::report_error(&e);
            eprintln!("✗ {what} : la construction a échoué, erreur affichée dans le navigateur");
            Some(crate::cli::report::error_text(&e))
        }
    };
    *live.errors.write().expect("not poisoned") = errors;
}

/// `GET /__classmates/reload`: one `reload` event after each rebuild that changed something.
pub(super) async fn reload_events(
    State(live): State<Arc<Live>>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let events = (live.reload.subscribe(), live.stopping.clone());
    let stream = futures_util::stream::unfold(events, |(mut reload, mut stopping)| async move {
        if *stopping.borrow() {
            return None;
        }
        tokio::select! {
            received = reload.recv() => match received {
                Ok(()) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    Some((Ok(Event::default().data("reload")), (reload, stopping)))
                }
                Err(broadcast::error::RecvError::Closed) => None,
            },
            _ = stopping.changed() => None,
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// For a site under a path: `/` leads to it, a request under it is served from the built site
/// with the path taken off, and anything else is the site's 404 page (as online, where the
/// host's root is not the site's).
pub(super) async fn under_prefix(
    State(prefix): State<Arc<str>>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if path == "/" {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::FOUND;
        if let Ok(location) = HeaderValue::from_str(&format!("{prefix}/")) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        return response;
    }
    let inside = path
        .strip_prefix(&*prefix)
        .filter(|rest| rest.is_empty() || rest.starts_with('/'));
    let served = match inside {
        Some("") => "/".to_string(),
        Some(rest) => rest.to_string(),
        // No built file lives there: ServeDir answers with the 404 page.
        None => "/__classmates/hors-du-site/".to_string(),
    };
    let uri = match request.uri().query() {
        Some(query) => format!("{served}?{query}"),
        None => served,
    };
    if let Ok(uri) = uri.parse() {
        *request.uri_mut() = uri;
    }
    next.run(request).await
}

/// The script `serve` adds to every HTML page it serves (never to built files).
pub(super) const RELOAD_SCRIPT: &str = "<script>/* classmates serve */(()=>{const s=new EventSource(\"/__classmates/reload\");s.onmessage=()=>location.reload();})();</script>";

/// Adds the reload script to the HTML pages, and the problems of the site over them while it
/// has errors. Conditional and range requests are served whole: a cached page would miss
/// the script or show stale problems.
pub(super) async fn inject(
    State(live): State<Arc<Live>>,
    mut request: Request,
    next: Next,
) -> Response {
    for name in [
        header::IF_MODIFIED_SINCE,
        header::IF_NONE_MATCH,
        header::IF_RANGE,
        header::RANGE,
    ] {
        request.headers_mut().remove(name);
    }
    wait_if_deferred(&live, request.uri().path()).await;
    let response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let missing = response.status() == StatusCode::NOT_FOUND && !is_html;
    if !is_html && !missing {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let html = if missing {
        // No page, not even `404.html`: the site was never built.
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Page introuvable</title></head><body><p>Page introuvable.</p></body></html>".to_string()
    } else {
        match body.collect().await {
            Ok(collected) => String::from_utf8_lossy(&collected.to_bytes()).into_owned(),
            Err(_) => return Response::from_parts(parts, Body::empty()),
        }
    };
    let errors = live.errors.read().expect("not poisoned").clone();
    let html = with_live_reload(&html, errors.as_deref());
    for name in [header::CONTENT_LENGTH, header::ETAG, header::LAST_MODIFIED] {
        parts.headers.remove(name);
    }
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    parts
        .headers
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Response::from_parts(parts, Body::from(html))
}

/// `html` with the reload script, and with `errors` (as the terminal shows them) over the page,
/// before `</body>`.
pub fn with_live_reload(html: &str, errors: Option<&str>) -> String {
    let mut added = String::new();
    if let Some(errors) = errors {
        added.push_str(concat!(
            "<div id=\"classmates-errors\" role=\"alert\" style=\"position:fixed;inset:0;z-index:2147483647;",
            "overflow:auto;margin:0;padding:1.5rem;background:rgba(24,24,27,.96);color:#f4f4f5;",
            "font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace\">",
            "<p style=\"margin:0 0 1rem;font-weight:bold;color:#fca5a5\">La construction du site a échoué : ",
            "corrigez le fichier, la page se rechargera d'elle-même. ",
            "<button type=\"button\" onclick=\"this.closest('div').remove()\">Masquer</button></p>",
            "<pre style=\"margin:0;white-space:pre-wrap\">",
        ));
        added.push_str(&crate::text::escape_html(errors));
        added.push_str("</pre></div>");
    }
    added.push_str(RELOAD_SCRIPT);
    let at = html
        .to_ascii_lowercase()
        .rfind("</body>")
        .unwrap_or(html.len());
    format!("{}{added}{}", &html[..at], &html[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(deferred: &[&str]) -> Arc<Live> {
        Arc::new(Live {
            errors: RwLock::new(None),
            reload: broadcast::channel(1).0,
            stopping: watch::channel(false).1,
            deferred: Mutex::new(Deferred {
                paths: deferred.iter().map(|p| p.to_string()).collect(),
                wanted: Vec::new(),
            }),
            deferred_written: watch::channel(()).0,
        })
    }

    #[tokio::test]
    async fn a_request_for_a_file_left_for_later_asks_for_it_and_waits_until_it_is_written() {
        let page = "articles/%C3%A9t%C3%A9/page/2/index.html";
        let file = "articles/été/page/2/index.html";
        let live = live(&[file, "recherche/index.json"]);
        let waiting = tokio::spawn({
            let live = live.clone();
            async move { wait_if_deferred(&live, "/articles/%C3%A9t%C3%A9/page/2/").await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "{page} is not written yet");
        assert_eq!(live.deferred.lock().unwrap().wanted, [file]);
        // Other files are written first: it still waits.
        live.deferred
            .lock()
            .unwrap()
            .paths
            .remove("recherche/index.json");
        live.deferred_written.send_replace(());
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished());
        live.deferred.lock().unwrap().paths.remove(file);
        live.deferred_written.send_replace(());
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("served once written")
            .unwrap();
    }

    #[tokio::test]
    async fn a_request_for_any_other_file_does_not_wait() {
        let live = live(&["articles/page/2/index.html"]);
        let quick = tokio::time::timeout(Duration::from_secs(1), async {
            wait_if_deferred(&live, "/articles/").await;
            wait_if_deferred(&live, "/articles/page/3/").await;
            wait_if_deferred(&live, "/style.css").await;
        });
        quick.await.expect("no wait");
        assert!(live.deferred.lock().unwrap().wanted.is_empty());
    }
}
