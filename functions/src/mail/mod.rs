//! E-mail to the people who register: what is sent ([`compose`]), how it leaves ([`Mailer`]:
//! SMTP, or `.eml` files under `classmates serve`), and the outbox that makes every message leave
//! once ([`outbox`]), and what the sync records in it for the people of an event ([`fanout`]:
//! reminders, join links, change notices).
//!
//! Privacy: addresses and message bodies are never logged; delivery errors are reduced to their
//! SMTP code or kind before they are stored or logged (a server's answer may quote the address).

pub mod compose;
pub mod fanout;
pub mod outbox;

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{ConfigError, MailConfig, MailTransport};

pub use crate::config::LOCAL_FROM;
/// Longest wait for the SMTP server at each step of a delivery.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// How messages leave.
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

/// Sends composed messages. Cheap to clone? No: share it behind the app's `Arc`.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    reply_to: Option<Mailbox>,
}

/// A delivery that did not happen. The text holds no personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct MailError {
    /// Worth trying again later (a 4xx answer, a timeout, no connection); false for a 5xx
    /// answer, which will not change.
    pub transient: bool,
    pub reason: String,
}

impl MailError {
    fn from_smtp(err: &lettre::transport::smtp::Error) -> MailError {
        let reason = match err.status() {
            Some(code) => format!("SMTP {code}"),
            None if err.is_timeout() => "SMTP: timeout".to_owned(),
            None if err.is_tls() => "SMTP: TLS failure".to_owned(),
            None => "SMTP: connection failed".to_owned(),
        };
        MailError {
            transient: !err.is_permanent(),
            reason,
        }
    }

    fn io(err: &std::io::Error) -> MailError {
        MailError {
            transient: true,
            reason: format!("writing the .eml file: {}", err.kind()),
        }
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): no vacation auto-reply to these messages.
#[derive(Debug, Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

impl Mailer {
    /// The mailer of these settings, `None` when e-mail is off.
    pub fn new(config: &MailConfig) -> Result<Option<Mailer>, ConfigError> {
        let Some((from, reply_to)) = config.addresses()? else {
            return Ok(None);
        };
        let transport = match &config.transport {
            MailTransport::Smtp(url) => Transport::Smtp(
                crate::config::smtp_builder(url)?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build(),
            ),
            MailTransport::Files(dir) => Transport::Files(dir.clone()),
            MailTransport::Off => return Ok(None),
        };
        Ok(Some(Mailer {
            transport,
            from,
            reply_to,
        }))
    }

    /// The folder of the `.eml` files, when messages are written rather than sent.
    pub fn files_dir(&self) -> Option<&Path> {
        match &self.transport {
            Transport::Files(dir) => Some(dir),
            Transport::Smtp(_) => None,
        }
    }

    /// A message from `MAIL_FROM` (with `MAIL_REPLY_TO`) to `to`, with a new `Message-ID`, the
    /// current `Date` and `Auto-Submitted: auto-generated`.
    fn builder(&self, to: Mailbox) -> lettre::message::MessageBuilder {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .message_id(None)
            .date_now()
            .header(AutoSubmitted);
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        builder
    }

    /// Delivers `message`; `name` is the file name stem when messages are written as files.
    pub async fn send(&self, message: &Message, name: &str) -> Result<(), MailError> {
        match &self.transport {
            Transport::Smtp(smtp) => smtp
                .send(message.clone())
                .await
                .map(|_| ())
                .map_err(|err| MailError::from_smtp(&err)),
            Transport::Files(dir) => {
                let bytes = message.formatted();
                let path = dir.join(format!("{name}.eml"));
                let written = path.clone();
                tokio::task::spawn_blocking(move || write_file(&written, &bytes))
                    .await
                    .map_err(|join| MailError::io(&std::io::Error::other(join)))?
                    .map_err(|err| MailError::io(&err))?;
                // The local transport tells the maintainer where to look (never the address).
                eprintln!("E-mail écrit dans {}", path.display());
                Ok(())
            }
        }
    }
}

/// Writes `bytes` to `path` whole: a temporary file renamed into place, so a mail client never
/// opens half a message.
fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let partial = path.with_extension("eml.part");
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, path)
}
