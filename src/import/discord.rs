//! `classmates import discord`: turns the links members shared in a Discord channel (exported
//! with DiscordChatExporter as JSON, or proposed from Discord with « Proposer au site » and read
//! from the registrations function with `--from-api`) into DRAFT resources, skipping the ones
//! the site already has and the duplicates, so a maintainer only has to review and publish them.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::Deserialize;
use url::Url;

use super::{Contents, Note, Plan, Report, urls, yaml_list, yaml_scalar};
use crate::config::Config;
use crate::content::Kind;
use crate::content::load::CONTENT_DIR;

/// What to import and how.
#[derive(Debug, Clone)]
pub struct DiscordOptions {
    /// The JSON export.
    pub export: PathBuf,
    /// Fetch each page for its title and description.
    pub fetch_titles: bool,
    pub dry_run: bool,
}

/// Where `--from-api` reads the suggestions: the function's base URL and its admin token.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// `https://…/api` (the function's base, as `PUBLIC_API_URL`).
    pub url: String,
    /// `ADMIN_TOKEN`.
    pub token: String,
    pub fetch_titles: bool,
    pub dry_run: bool,
}

/// Longest wait for the function.
const API_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

#[derive(Deserialize)]
struct SuggestionList {
    suggestions: Vec<classmates_api::store::Suggestion>,
}

/// The suggestion as the message it came from, for the same drafting as an export's messages.
fn suggestion_message(s: &classmates_api::store::Suggestion) -> Message {
    let embeds = if s.embed_title.is_some() || s.embed_description.is_some() {
        vec![Embed {
            title: s.embed_title.clone(),
            url: Some(s.url.clone()),
            description: s.embed_description.clone(),
        }]
    } else {
        Vec::new()
    };
    Message {
        id: s.message_id.clone(),
        timestamp: s.message_at.clone(),
        content: Some(s.content.clone()),
        author: Author {
            name: s.author.clone(),
            nickname: None,
            is_bot: false,
        },
        embeds,
    }
}

/// `import discord --from-api URL`: reads the pending suggestions from the function, drafts
/// them exactly as the export's links, then (unless `dry_run`) marks them taken, so that a
/// second run writes nothing.
pub fn import_from_api(root: &Path, options: &ApiOptions) -> Result<Report> {
    let base = options.url.trim().trim_end_matches('/').to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = reqwest::Client::builder()
        .timeout(API_TIMEOUT)
        .user_agent(concat!(
            "classmates/",
            env!("CARGO_PKG_VERSION"),
            " (import discord)"
        ))
        .build()?;
    let auth = format!("Bearer {}", options.token.trim());
    let list: SuggestionList = runtime.block_on(async {
        let response = client
            .get(format!("{base}/suggestions"))
            .header(reqwest::header::AUTHORIZATION, &auth)
            .send()
            .await
            .with_context(|| format!("{base}/suggestions injoignable"))?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED {
            anyhow::bail!("{base}/suggestions refuse le jeton : vérifiez ADMIN_TOKEN");
        }
        if !status.is_success() {
            anyhow::bail!("{base}/suggestions a répondu {status}");
        }
        let body = response.bytes().await?;
        serde_json::from_slice::<SuggestionList>(&body)
            .with_context(|| format!("{base}/suggestions n'a pas renvoyé la liste attendue"))
    })?;
    let messages: Vec<Message> = list.suggestions.iter().map(suggestion_message).collect();
    let shared: Vec<Shared> = list
        .suggestions
        .iter()
        .zip(&messages)
        .map(|(s, message)| Shared {
            message,
            links: vec![s.url.clone()],
            line: 0,
            channel: s.channel_name.as_deref().unwrap_or("discord"),
        })
        .collect();
    let mut report = Report {
        title: format!(
            "Import Discord : {} proposition(s) de {base}/suggestions",
            list.suggestions.len()
        ),
        dry_run: options.dry_run,
        ..Report::default()
    };
    let shown = format!("{base}/suggestions");
    drafts(
        root,
        &shared,
        &shown,
        options.fetch_titles,
        options.dry_run,
        &mut report,
    )?;
    if !options.dry_run && !list.suggestions.is_empty() {
        let keys: Vec<&str> = list.suggestions.iter().map(|s| s.key.as_str()).collect();
        let mut taken = 0u64;
        for chunk in keys.chunks(classmates_api::suggestions::MAX_KEYS) {
            taken += runtime.block_on(async {
                let response = client
                    .post(format!("{base}/suggestions/taken"))
                    .header(reqwest::header::AUTHORIZATION, &auth)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(serde_json::json!({ "keys": chunk }).to_string())
                    .send()
                    .await
                    .with_context(|| format!("{base}/suggestions/taken injoignable"))?;
                let status = response.status();
                if !status.is_success() {
                    anyhow::bail!(
                        "{base}/suggestions/taken a répondu {status} : les brouillons sont écrits, \
                         les propositions restent en attente (un nouvel import les reconnaîtra \
                         comme déjà sur le site)"
                    );
                }
                let body: serde_json::Value = serde_json::from_slice(&response.bytes().await?)?;
                Ok(body["taken"].as_u64().unwrap_or(0))
            })?;
        }
        report.footer.push(format!(
            "{taken} proposition(s) marquée(s) reprise(s) : un nouvel import ne les écrira plus."
        ));
    }
    Ok(report)
}

// DiscordChatExporter's JSON: only the fields used here; everything else is ignored.

#[derive(Debug, Deserialize)]
struct Export {
    #[serde(default)]
    guild: Option<Named>,
    #[serde(default)]
    channel: Option<Named>,
    messages: Vec<Message>,
}

#[derive(Debug, Deserialize)]
struct Named {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Message {
    id: String,
    timestamp: String,
    #[serde(default)]
    content: Option<String>,
    author: Author,
    #[serde(default)]
    embeds: Vec<Embed>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Author {
    name: String,
    #[serde(default)]
    nickname: Option<String>,
    #[serde(default)]
    is_bot: bool,
}

impl Author {
    fn display(&self) -> &str {
        self.nickname
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or(&self.name)
    }
}

#[derive(Debug, Deserialize)]
struct Embed {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

/// A link to turn into a resource.
struct Candidate<'a> {
    url: Url,
    message: &'a Message,
    line: usize,
    embed: Option<&'a Embed>,
    channel: &'a str,
}

/// A message whose links may become resources, wherever it was read.
struct Shared<'a> {
    message: &'a Message,
    /// The links to judge, in order, each page once.
    links: Vec<String>,
    /// Line in the file read (0 when not from a file).
    line: usize,
    channel: &'a str,
}

/// Reads the export and plans the draft resources; writes them unless `dry_run`.
pub fn import(root: &Path, options: &DiscordOptions) -> Result<Report> {
    let text = std::fs::read_to_string(&options.export)
        .with_context(|| format!("lecture de {}", options.export.display()))?;
    let export: Export = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} n'est pas un export JSON de DiscordChatExporter",
            options.export.display()
        )
    })?;
    let shown = options.export.display().to_string();
    let channel = export
        .channel
        .as_ref()
        .and_then(|c| c.name.clone())
        .unwrap_or_else(|| "salon".into());
    let guild = export.guild.as_ref().and_then(|g| g.name.clone());
    let mut report = Report {
        title: format!(
            "Import Discord : #{channel}{} ({} messages, {shown})",
            guild.map(|g| format!(" sur {g}")).unwrap_or_default(),
            export.messages.len()
        ),
        dry_run: options.dry_run,
        ..Report::default()
    };
    let mut message_lines = MessageLines::new(&text);
    let shared: Vec<Shared> = export
        .messages
        .iter()
        .map(|message| Shared {
            line: message_lines.line(&message.id),
            links: urls::message_links(
                message.content.as_deref().unwrap_or_default(),
                message.embeds.iter().filter_map(|e| e.url.as_deref()),
            ),
            message,
            channel: &channel,
        })
        .collect();
    drafts(
        root,
        &shared,
        &shown,
        options.fetch_titles,
        options.dry_run,
        &mut report,
    )?;
    Ok(report)
}

/// Judges the links of `shared` (first share first) and plans a draft resource for each new
/// one, into `report`; writes them unless `dry_run`.
fn drafts(
    root: &Path,
    shared: &[Shared],
    shown: &str,
    fetch_titles: bool,
    dry_run: bool,
    report: &mut Report,
) -> Result<()> {
    let config = super::site_config(root, &super::read_config_text(root)?)?;
    // What the site already has; its own pages are not resources.
    let existing = super::scan_front_matter(root, &Kind::ALL);
    let mut sieve = urls::Sieve::new(&config.base_url);
    for fm in existing.iter().filter(|f| f.kind == Kind::Resource) {
        if let Some(url) = fm.str("url") {
            sieve.add_known(url, fm.path.clone());
        }
    }
    let site_tags = site_tags(&existing);
    let mut taken_slugs: HashSet<String> = existing
        .iter()
        .filter(|f| f.kind == Kind::Resource)
        .map(|f| f.slug.clone())
        .collect();

    let mut candidates = Vec::new();
    for item in shared {
        let message = item.message;
        let at = Note::new(shown, item.line, "");
        if item.links.is_empty() {
            continue;
        }
        if message.author.is_bot {
            report.skipped.push(Note {
                message: format!(
                    "message {} de {} (robot) : ses liens ne sont pas repris",
                    message.id,
                    message.author.display()
                ),
                ..at.clone()
            });
            continue;
        }
        for link in &item.links {
            let Some(verdict) = sieve.judge(link, &message.id) else {
                continue;
            };
            let skip = |why: String| Note {
                message: format!("{link} : {why}"),
                ..at.clone()
            };
            match verdict {
                urls::Verdict::Ignored => report
                    .skipped
                    .push(skip("lien Discord ou GIF ignoré".into())),
                urls::Verdict::OwnSite => report
                    .skipped
                    .push(skip("lien vers le site lui-même".into())),
                urls::Verdict::OnSite(path) => report
                    .skipped
                    .push(skip(format!("déjà sur le site ({path})"))),
                urls::Verdict::SharedBefore(first) => report
                    .skipped
                    .push(skip(format!("déjà partagé plus haut (message {first})"))),
                urls::Verdict::New { key, url } => {
                    let embed = message.embeds.iter().find(|e| {
                        e.url.as_deref().and_then(urls::normalize).as_ref() == Some(&key)
                    });
                    candidates.push(Candidate {
                        url,
                        message,
                        line: item.line,
                        embed,
                        channel: item.channel,
                    });
                }
            }
        }
    }

    let fetched: Vec<Option<Result<super::fetch::PageInfo, String>>> = if fetch_titles {
        let user_agent = format!(
            "classmates/{} (import de liens pour {}; +{})",
            env!("CARGO_PKG_VERSION"),
            config.title,
            config.base_url
        );
        let list: Vec<String> = candidates.iter().map(|c| c.url.to_string()).collect();
        super::fetch::fetch_all(&list, &user_agent)
            .into_iter()
            .map(Some)
            .collect()
    } else {
        candidates.iter().map(|_| None).collect()
    };

    let mut plan = Plan::default();
    for (candidate, fetched) in candidates.iter().zip(fetched) {
        let info = match fetched {
            Some(Ok(info)) => Some(info),
            Some(Err(why)) => {
                report.notices.push(Note::new(
                    shown,
                    candidate.line,
                    format!(
                        "{} : page non récupérée ({why}), titre tiré du message",
                        candidate.url
                    ),
                ));
                None
            }
            None => None,
        };
        let resource = draft_resource(candidate, info.as_ref(), &site_tags, &config);
        let mut slug = super::shorten_slug(&crate::text::slugify(&resource.title), 60);
        if slug.is_empty() {
            slug = "lien".into();
        }
        let base = slug.clone();
        let mut n = 1;
        while taken_slugs.contains(&slug)
            || super::content_exists(root, Kind::Resource, &slug).is_some()
        {
            n += 1;
            slug = format!("{base}-{n}");
        }
        taken_slugs.insert(slug.clone());
        let rel = format!("{CONTENT_DIR}/resources/{slug}.md");
        report.converted.push(format!(
            "{rel} : « {} » ({}, {}) {}",
            resource.title,
            kind_name(resource.kind),
            resource.source,
            candidate.url
        ));
        plan.files.push((rel, Contents::Text(resource.render())));
    }
    if !dry_run {
        plan.write(root)?;
    }
    report.footer.push(if plan.files.is_empty() {
        "Aucune nouvelle ressource.".to_string()
    } else {
        "Ces ressources sont des brouillons (`draft: true`) : relisez-les (titre, résumé, \
         type, étiquettes), voyez-les avec `classmates serve --drafts`, puis retirez \
         `draft: true` pour les publier."
            .to_string()
    });
    Ok(())
}

/// A draft resource, before it is written.
struct DraftResource {
    title: String,
    url: String,
    kind: crate::content::meta::ResourceKind,
    date: String,
    source: String,
    summary: Option<String>,
    tags: Vec<String>,
    body: String,
}

impl DraftResource {
    fn render(&self) -> String {
        let mut out = String::from("---\n");
        out.push_str(&format!("title: {}\n", yaml_scalar(&self.title)));
        out.push_str(&format!("url: {}\n", yaml_scalar(&self.url)));
        out.push_str(&format!("kind: {}\n", kind_name(self.kind)));
        out.push_str(&format!("date: {}\n", self.date));
        out.push_str(&format!("source: {}\n", yaml_scalar(&self.source)));
        if let Some(summary) = &self.summary {
            out.push_str(&format!("summary: {}\n", yaml_scalar(summary)));
        }
        if !self.tags.is_empty() {
            out.push_str(&format!("tags: {}\n", yaml_list(&self.tags)));
        }
        out.push_str("draft: true\n---\n\n");
        out.push_str(&self.body);
        out
    }
}

fn kind_name(kind: crate::content::meta::ResourceKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "other".into())
}

fn draft_resource(
    candidate: &Candidate,
    info: Option<&super::fetch::PageInfo>,
    site_tags: &BTreeMap<String, String>,
    config: &Config,
) -> DraftResource {
    let channel = candidate.channel;
    let message = candidate.message;
    let content = message.content.as_deref().unwrap_or_default();
    let words = text_without_links(content);
    let embed_title = candidate
        .embed
        .and_then(|e| e.title.as_deref())
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let embed_description = candidate
        .embed
        .and_then(|e| e.description.as_deref())
        .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|d| !d.is_empty());
    let fallback_title = || {
        let host = candidate.url.host_str().unwrap_or_default();
        let host = host.strip_prefix("www.").unwrap_or(host);
        format!("{host}{}", candidate.url.path().trim_end_matches('/'))
    };
    let title = info
        .and_then(|i| i.best_title())
        .or(embed_title)
        .map(str::to_owned)
        .or_else(|| {
            let text = words.trim_end_matches([' ', ':', ';', ',', '-', '–', '—', '(']);
            (!text.is_empty()).then(|| crate::text::truncate_words(text, 90))
        })
        .unwrap_or_else(fallback_title);
    let summary = info
        .and_then(|i| i.best_description())
        .map(str::to_owned)
        .or(embed_description)
        .or_else(|| (!words.is_empty() && words != title).then(|| words.clone()))
        .map(|s| crate::text::truncate_words(&s, 300));
    let date = chrono::DateTime::parse_from_rfc3339(&message.timestamp)
        .map(|d| {
            d.with_timezone(&config.timezone)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| message.timestamp.clone());
    let day = chrono::DateTime::parse_from_rfc3339(&message.timestamp)
        .map(|d| crate::dates::french_short_date(&d.with_timezone(&config.timezone)))
        .unwrap_or_default();
    let author = message.author.display();
    let mut body = format!("Partagé sur Discord par @{author} dans #{channel}");
    if !day.is_empty() {
        body.push_str(&format!(", le {day}"));
    }
    body.push_str(".\n");
    if !words.is_empty() {
        body.push('\n');
        for line in content_lines(content) {
            body.push_str(&format!("> {}\n", escape_markdown(&line)));
        }
    }
    DraftResource {
        title,
        url: candidate.url.to_string(),
        kind: urls::guess_kind(&candidate.url),
        date,
        source: format!("Discord, @{author}"),
        summary,
        tags: guess_tags(content, site_tags),
        body,
    }
}

/// The message's lines without its links, for the quote under the resource.
fn content_lines(content: &str) -> Vec<String> {
    content
        .lines()
        .map(text_without_links)
        .filter(|l| !l.is_empty())
        .collect()
}

/// The text of a message without its links (masked links keep their text), on one line.
fn text_without_links(content: &str) -> String {
    let mut text = content.to_string();
    for link in urls::find_links(content) {
        text = text.replace(&format!("<{link}>"), " ");
        text = text.replace(&format!("]({link})"), "] ");
        text = text.replace(&link, " ");
    }
    let text = text.replace(['[', ']'], "");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Escapes what Markdown would read as syntax in a quoted chat message.
fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Tags of the site, by slug, each with its most used spelling.
fn site_tags(existing: &[super::FrontMatter]) -> BTreeMap<String, String> {
    let mut spellings: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for fm in existing {
        for tag in fm.strings("tags") {
            let slug = crate::text::slugify(&tag);
            if !slug.is_empty() {
                *spellings
                    .entry(slug)
                    .or_default()
                    .entry(tag.trim().to_string())
                    .or_default() += 1;
            }
        }
    }
    spellings
        .into_iter()
        .filter_map(|(slug, names)| {
            names
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
                .map(|(name, _)| (slug, name))
        })
        .collect()
}

/// `#hashtags` of the message, then the site's tags its words mention (case and accents
/// ignored, multi-word tags included), in the order they appear, each once.
fn guess_tags(content: &str, site_tags: &BTreeMap<String, String>) -> Vec<String> {
    let words = text_without_links(content);
    let mut tags: Vec<(usize, String)> = Vec::new();
    let mut seen = HashSet::new();
    for (i, _) in words.match_indices('#') {
        let before = words[..i].chars().last();
        if before.is_some_and(|c| !c.is_whitespace() && c != '(') {
            continue;
        }
        let tag: String = words[i + 1..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-'))
            .collect();
        let tag = tag.trim_end_matches(['-', '_']).to_string();
        let slug = crate::text::slugify(&tag);
        if slug.is_empty() || slug.chars().all(|c| c.is_ascii_digit()) || !seen.insert(slug.clone())
        {
            continue;
        }
        tags.push((0, site_tags.get(&slug).cloned().unwrap_or(tag)));
    }
    let padded = format!("-{}-", crate::text::slugify(&words.replace('#', " ")));
    let mut mentioned: Vec<(usize, String)> = site_tags
        .iter()
        .filter_map(|(slug, name)| {
            padded
                .find(&format!("-{slug}-"))
                .map(|at| (at + 1, slug, name))
        })
        .filter(|(_, slug, _)| seen.insert((*slug).clone()))
        .map(|(at, _, name)| (at, name.clone()))
        .collect();
    mentioned.sort();
    tags.extend(mentioned);
    tags.into_iter().map(|(_, t)| t).collect()
}

/// Finds the line of each message in the export, scanning forward (messages come in order).
struct MessageLines<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
}

impl<'a> MessageLines<'a> {
    fn new(text: &'a str) -> Self {
        MessageLines {
            text,
            offset: 0,
            line: 1,
        }
    }

    /// Line of `"id": "<id>"` after the previous message, or 0 when not found.
    fn line(&mut self, id: &str) -> usize {
        let needle = format!("\"{id}\"");
        let Some(found) = self.text[self.offset..].find(&needle) else {
            return 0;
        };
        let at = self.offset + found;
        self.line += self.text[self.offset..at].matches('\n').count();
        self.offset = at;
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags() -> BTreeMap<String, String> {
        [
            ("django", "Django"),
            ("django-rest", "Django REST"),
            ("ecriture", "Écriture"),
            ("pytest", "pytest"),
            ("sql", "SQL"),
        ]
        .into_iter()
        .map(|(s, n)| (s.to_string(), n.to_string()))
        .collect()
    }

    #[test]
    fn tags_come_from_hashtags_and_known_words() {
        assert_eq!(
            guess_tags(
                "Super tuto #débutants sur DJANGO rest et l'écriture de tests avec Pytest https://sql.example.org/",
                &tags()
            ),
            ["débutants", "Django", "Django REST", "Écriture", "pytest"]
        );
        assert_eq!(guess_tags("#pytest #1 et c#", &tags()), ["pytest"]);
    }

    #[test]
    fn message_text_loses_its_links() {
        assert_eq!(
            text_without_links("Lisez [ce guide](https://a.example/g) et <https://b.example/> !"),
            "Lisez ce guide et !"
        );
    }

    #[test]
    fn messages_are_located_in_the_export() {
        let text = "{\n \"messages\": [\n  {\"id\": \"1\"},\n\n  {\"id\": \"2\"}\n ]\n}";
        let mut lines = MessageLines::new(text);
        assert_eq!(lines.line("1"), 3);
        assert_eq!(lines.line("2"), 5);
        assert_eq!(lines.line("3"), 0);
    }
}
