//! Fetching the pages behind shared links (`import discord --fetch-titles`) to read their
//! `<title>`, `og:title` and `og:description`: a few at a time, with a timeout, a bounded body
//! and a user agent that says who is asking.

use std::sync::Arc;
use std::time::Duration;

use scraper::{Html, Selector};

/// Pages fetched at the same time.
pub const CONCURRENCY: usize = 4;
/// Time allowed for one page, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Bytes of a page read at most: titles are in `<head>`.
pub const MAX_BYTES: usize = 1024 * 1024;

/// What a page says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageInfo {
    pub title: Option<String>,
    pub og_title: Option<String>,
    pub og_description: Option<String>,
    pub description: Option<String>,
}

impl PageInfo {
    /// `og:title`, else `<title>`.
    pub fn best_title(&self) -> Option<&str> {
        self.og_title.as_deref().or(self.title.as_deref())
    }

    /// `og:description`, else `<meta name="description">`.
    pub fn best_description(&self) -> Option<&str> {
        self.og_description
            .as_deref()
            .or(self.description.as_deref())
    }
}

/// Fetches every URL (in parallel, at most [`CONCURRENCY`] at once) and returns, in the same
/// order, what each page says or why it could not be read (in French).
pub fn fetch_all(urls: &[String], user_agent: &str) -> Vec<Result<PageInfo, String>> {
    if urls.is_empty() {
        return Vec::new();
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return urls.iter().map(|_| Err(format!("{e}"))).collect(),
    };
    runtime.block_on(async {
        let client = match reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
        {
            Ok(c) => c,
            Err(e) => return urls.iter().map(|_| Err(format!("{e}"))).collect(),
        };
        let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
        let mut tasks = tokio::task::JoinSet::new();
        for (i, url) in urls.iter().enumerate() {
            let (client, permits, url) = (client.clone(), permits.clone(), url.clone());
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                (i, fetch_one(&client, &url).await)
            });
        }
        let mut results: Vec<Result<PageInfo, String>> =
            urls.iter().map(|_| Err("non récupérée".into())).collect();
        while let Some(done) = tasks.join_next().await {
            if let Ok((i, result)) = done {
                results[i] = result;
            }
        }
        results
    })
}

async fn fetch_one(client: &reqwest::Client, url: &str) -> Result<PageInfo, String> {
    let mut response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "text/html,application/xhtml+xml")
        .send()
        .await
        .map_err(|e| describe(&e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("réponse HTTP {status}"));
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("text/html")
        .to_ascii_lowercase();
    if !(content_type.contains("html") || content_type.is_empty()) {
        return Err(format!("ce n'est pas une page HTML ({content_type})"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| describe(&e))? {
        let room = MAX_BYTES - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_BYTES {
            break;
        }
    }
    let latin1 = content_type.contains("iso-8859-1")
        || content_type.contains("latin1")
        || content_type.contains("windows-1252");
    let text = if latin1 {
        body.iter().map(|&b| char::from(b)).collect()
    } else {
        String::from_utf8_lossy(&body).into_owned()
    };
    Ok(page_info(&text))
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        format!("délai dépassé ({} s)", TIMEOUT.as_secs())
    } else if error.is_connect() {
        "connexion impossible".into()
    } else if error.is_redirect() {
        "trop de redirections".into()
    } else {
        let mut text = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(s) = source {
            text.push_str(&format!(" : {s}"));
            source = s.source();
        }
        text
    }
}

/// Reads the title and descriptions of an HTML page.
pub fn page_info(html: &str) -> PageInfo {
    let document = Html::parse_document(html);
    let first = |css: &str, attr: Option<&str>| -> Option<String> {
        let selector = Selector::parse(css).expect("valid selector");
        document.select(&selector).find_map(|element| {
            let text = match attr {
                Some(a) => element.value().attr(a)?.to_string(),
                None => element.text().collect::<String>(),
            };
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            (!text.is_empty()).then_some(text)
        })
    };
    PageInfo {
        title: first("title", None),
        og_title: first(r#"meta[property="og:title"]"#, Some("content")),
        og_description: first(r#"meta[property="og:description"]"#, Some("content")),
        description: first(r#"meta[name="description"]"#, Some("content")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_descriptions_are_read() {
        let info = page_info(
            r#"<!doctype html><html><head><title>  Le   titre &amp; la suite </title>
            <meta property="og:title" content="Titre OG">
            <meta property="og:description" content="Description OG">
            <meta name="description" content="Description simple">
            </head><body><h1>x</h1></body></html>"#,
        );
        assert_eq!(info.title.as_deref(), Some("Le titre & la suite"));
        assert_eq!(info.best_title(), Some("Titre OG"));
        assert_eq!(info.best_description(), Some("Description OG"));
        let bare = page_info("<title>Seul</title>");
        assert_eq!(bare.best_title(), Some("Seul"));
        assert_eq!(bare.best_description(), None);
    }
}
