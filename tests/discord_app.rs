//! The Discord app as a maintainer sets it up: `classmates serve` with the app's public key
//! answers signed interactions on `/api/discord/interactions`; a message proposed from Discord
//! (« Proposer au site ») becomes a draft resource through `classmates import discord
//! --from-api`, which `check` accepts; a second import writes nothing.

mod common;
/// The fake Discord REST API of the function's tests.
#[path = "../functions/tests/common/discord.rs"]
#[allow(dead_code)]
mod fake_discord;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Site;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{Value, json};

const ADMIN_TOKEN: &str = "serve-tests-admin-token";
const WAIT: Duration = Duration::from_secs(20);

struct Server {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn request(port: u16, head: &str, body: &[u8]) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response.get(9..12)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

impl Server {
    fn start(site: &Site, store: &Path, public_key: &str) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = store.join("serve.log");
        let child = common::serve_command(site.root(), port, store)
            .env("DISCORD_PUBLIC_KEY", public_key)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("classmates serve starts");
        let server = Server { child, port, log };
        let started = Instant::now();
        while request(
            port,
            "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            b"",
        )
        .is_none()
        {
            assert!(
                started.elapsed() < WAIT,
                "serve never answered:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A signed `POST /api/discord/interactions`.
    fn interact(&self, key: &SigningKey, interaction: &Value) -> (u16, Value) {
        let body = interaction.to_string();
        let timestamp = chrono::Utc::now().timestamp().to_string();
        let signature = hex::encode(key.sign(format!("{timestamp}{body}").as_bytes()).to_bytes());
        let head = format!(
            "POST /api/discord/interactions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\
             X-Signature-Ed25519: {signature}\r\nX-Signature-Timestamp: {timestamp}\r\n\r\n",
            body.len()
        );
        let (status, text) = request(self.port, &head, body.as_bytes())
            .unwrap_or_else(|| panic!("no answer:\n{}", self.log()));
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

/// A message command on a member's message, as Discord documents it.
fn proposal(message_id: &str, content: &str) -> Value {
    json!({
        "application_id": "1300000000000000001",
        "channel": { "id": "1300000000000000003", "name": "liens", "type": 0, "guild_id": "1300000000000000002" },
        "channel_id": "1300000000000000003",
        "data": {
            "id": "1320000000000000002",
            "name": "Proposer au site",
            "type": 3,
            "target_id": message_id,
            "resolved": { "messages": { message_id: {
                "id": message_id,
                "channel_id": "1300000000000000003",
                "author": { "id": "1300000000000000099", "username": "grace", "global_name": "Grace H", "discriminator": "0" },
                "content": content,
                "timestamp": "2026-10-28T18:30:00.000000+00:00",
                "edited_timestamp": null,
                "embeds": [],
                "attachments": [],
                "mentions": [],
                "mention_roles": [],
                "mention_everyone": false,
                "pinned": false,
                "tts": false,
                "type": 0,
                "flags": 0
            } } }
        },
        "guild_id": "1300000000000000002",
        "id": "1310000000000000007",
        "member": {
            "user": { "id": "1300000000000000004", "username": "ada", "global_name": "Ada L.", "discriminator": "0" },
            "nick": null, "roles": [], "joined_at": "2025-03-01T18:00:00.000000+00:00",
            "deaf": false, "mute": false, "permissions": "2248473465835073"
        },
        "token": "aW50ZXJhY3Rpb24tdG9rZW4",
        "type": 2,
        "version": 1
    })
}

fn classmates(root: &Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_classmates"))
        .arg("--root")
        .arg(root)
        .args(args)
        .env("ADMIN_TOKEN", ADMIN_TOKEN)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

fn resources(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join("content/resources"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_message_proposed_from_discord_becomes_a_draft_resource() {
    let site = Site::fixture("realistic");
    let store = tempfile::tempdir().unwrap();
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).unwrap();
    let key = SigningKey::from_bytes(&seed);
    let server = Server::start(
        &site,
        store.path(),
        &hex::encode(key.verifying_key().to_bytes()),
    );

    // Discord checks the endpoint with a PING, and with a bad signature.
    let (status, pong) = server.interact(
        &key,
        &json!({ "type": 1, "id": "1", "application_id": "2", "token": "t", "version": 1 }),
    );
    assert_eq!(
        (status, pong),
        (200, json!({ "type": 1 })),
        "{}",
        server.log()
    );
    let impostor = SigningKey::from_bytes(&[7; 32]);
    assert_eq!(server.interact(&impostor, &json!({ "type": 1 })).0, 401);

    let (status, answer) = server.interact(
        &key,
        &proposal(
            "1330000000000000001",
            "Très bon guide sur #pytest : https://docs.pytest.org/en/stable/how-to/fixtures.html?utm_source=discord \
             (et le tuto DRF déjà sur le site https://www.django-rest-framework.org/tutorial/quickstart)",
        ),
    );
    assert_eq!(status, 200, "{answer}\n{}", server.log());
    let content = answer["data"]["content"].as_str().unwrap();
    assert!(
        content.contains("✅ <https://docs.pytest.org/en/stable/how-to/fixtures.html> : proposé."),
        "{content}"
    );
    // Served locally, the site's pages are on the local server.
    assert!(
        content.contains(&format!(
            "déjà sur le site : http://127.0.0.1:{}/ressources/tutoriel-django-rest/",
            server.port
        )),
        "{content}"
    );

    let before = resources(site.root());
    let api = format!("http://127.0.0.1:{}/api", server.port);
    let (ok, out) = classmates(site.root(), &["import", "discord", "--from-api", &api]);
    assert!(ok, "{out}");
    let after = resources(site.root());
    let new: Vec<&String> = after.iter().filter(|f| !before.contains(f)).collect();
    assert_eq!(new.len(), 1, "{out}");
    let draft =
        std::fs::read_to_string(site.root().join("content/resources").join(new[0])).unwrap();
    assert!(
        draft.contains("url: https://docs.pytest.org/en/stable/how-to/fixtures.html\n"),
        "{draft}"
    );
    assert!(draft.contains("draft: true\n"), "{draft}");
    assert!(draft.contains("source: \"Discord, @Grace H\"\n"), "{draft}");
    assert!(draft.contains("tags: [pytest]\n"), "{draft}");
    assert!(
        draft.contains("Partagé sur Discord par @Grace H dans #liens"),
        "{draft}"
    );
    assert!(
        out.contains("1 proposition(s) marquée(s) reprise(s)"),
        "{out}"
    );

    let (ok, out) = classmates(site.root(), &["check"]);
    assert!(ok, "{out}");

    // A second run writes nothing: the suggestion was taken.
    let (ok, out) = classmates(site.root(), &["import", "discord", "--from-api", &api]);
    assert!(ok, "{out}");
    assert!(out.contains("Aucune nouvelle ressource."), "{out}");
    assert_eq!(resources(site.root()), after);

    // Without the token, a clear error.
    let output = Command::new(env!("CARGO_BIN_EXE_classmates"))
        .arg("--root")
        .arg(site.root())
        .args(["import", "discord", "--from-api", &api])
        .env_remove("ADMIN_TOKEN")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("ADMIN_TOKEN"));
}

#[test]
fn discord_commands_declares_both_commands_idempotently() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let discord = runtime.block_on(fake_discord::FakeDiscord::start());
    let run = |token: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_classmates"))
            .args(["discord", "commands"])
            .env("DISCORD_BOT_TOKEN", token)
            .env("DISCORD_APPLICATION_ID", fake_discord::APPLICATION_ID)
            .env("DISCORD_GUILD_ID", fake_discord::GUILD_ID)
            .env("DISCORD_API_BASE", &discord.api_base)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .output()
            .unwrap();
        (
            output.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        )
    };
    let (ok, out) = run(fake_discord::BOT_TOKEN);
    assert!(ok, "{out}");
    assert!(out.contains("evenements, Proposer au site"), "{out}");
    let first = discord.commands();
    assert_eq!(first.len(), 2);
    let (ok, out) = run(fake_discord::BOT_TOKEN);
    assert!(ok, "{out}");
    assert_eq!(discord.commands(), first);
    // A wrong token: a clear error that does not repeat it.
    let (ok, out) = run("wrong-secret-token");
    assert!(!ok);
    assert!(
        out.contains("401") && !out.contains("wrong-secret-token"),
        "{out}"
    );
    // A missing variable is named.
    let output = Command::new(env!("CARGO_BIN_EXE_classmates"))
        .args(["discord", "commands"])
        .env_remove("DISCORD_BOT_TOKEN")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("DISCORD_BOT_TOKEN"));
}
