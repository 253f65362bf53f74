//! The real SMTP server of the e-mail tests (aiosmtpd, started by `functions/scripts/smtp.sh`
//! from `scripts/test`): each test sends from its own envelope address and reads the messages
//! the server spooled for it, or makes the server answer 451 for it (an outage).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use classmates_api::{Config, MailTransport};

/// One test's mailbox on the shared server.
pub struct Mailbox {
    /// The envelope sender and `From` of this test's messages.
    pub from: String,
    pub smtp_url: String,
    dir: PathBuf,
}

impl Mailbox {
    /// This test's mailbox, or `None` (after a visible SKIPPED line) without the server.
    pub fn open(test: &str) -> Option<Mailbox> {
        let (Ok(port), Ok(spool)) = (
            std::env::var("SMTP_TEST_PORT"),
            std::env::var("SMTP_TEST_SPOOL"),
        ) else {
            static ONCE: std::sync::Once = std::sync::Once::new();
            ONCE.call_once(|| {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED: e-mail tests need SMTP_TEST_PORT and SMTP_TEST_SPOOL (scripts/test sets them; \
                     or eval the export lines of functions/scripts/smtp.sh start PORT); first skipped: {test}"
                );
            });
            return None;
        };
        let mut random = [0u8; 6];
        getrandom::fill(&mut random).unwrap();
        let local = format!(
            "t{}",
            random
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        Some(Mailbox {
            from: format!("{local}@classmates.test"),
            smtp_url: format!("smtp://127.0.0.1:{port}"),
            dir: PathBuf::from(spool).join(local),
        })
    }

    /// Sends this test's messages through the server, from this mailbox, with a Reply-To.
    pub fn configure(&self, config: &mut Config) {
        config.mail.transport = MailTransport::Smtp(self.smtp_url.clone());
        config.mail.from = Some(format!("PythonClassmates <{}>", self.from));
        config.mail.reply_to = Some("Organisation <orga@classmates.test>".to_owned());
    }

    /// Whether the server refuses this test's messages (451) from now on.
    pub fn set_down(&self, down: bool) {
        std::fs::create_dir_all(&self.dir).unwrap();
        let flag = self.dir.join("down");
        if down {
            std::fs::write(flag, b"").unwrap();
        } else {
            let _ = std::fs::remove_file(flag);
        }
    }

    /// Every message received so far, in arrival order.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        paths.sort();
        paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
    }

    /// The messages once there are at least `count`, waiting up to `timeout`.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Vec<u8>> {
        let started = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= count || started.elapsed() > timeout {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
