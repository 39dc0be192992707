//! A real SMTP server and an SMS gateway on 127.0.0.1 for the notification tests: they speak
//! the protocols (SMTP's dialogue, HTTP/1.1) and record what arrives.

use base64::Engine;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One e-mail as the server received it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    /// The decoded text.
    pub text: String,
}

impl Mail {
    /// The first answer link in the text.
    pub fn link(&self) -> String {
        let start = self.text.find("/a/").expect("an answer link");
        let begin = self.text[..start].rfind("http").expect("an absolute link");
        let end = self.text[start..]
            .find(|c: char| c.is_whitespace())
            .map(|e| start + e)
            .unwrap_or(self.text.len());
        self.text[begin..end].to_string()
    }
}

/// An SMTP server that accepts every message.
pub struct SmtpServer {
    pub port: u16,
    pub mails: Arc<Mutex<Vec<Mail>>>,
    task: JoinHandle<()>,
}

fn decode(raw: &str) -> Mail {
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    let header = |name: &str| {
        head.lines()
            .find(|l| l.to_ascii_lowercase().starts_with(&format!("{name}:")))
            .map(|l| l[name.len() + 1..].trim().to_string())
            .unwrap_or_default()
    };
    let text = if header("content-transfer-encoding").eq_ignore_ascii_case("base64") {
        let joined: String = body.split_whitespace().collect();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(joined)
                .expect("base64 body"),
        )
        .expect("utf-8 body")
    } else {
        body.to_string()
    };
    Mail {
        to: Vec::new(),
        subject: decode_words(&header("subject")),
        text,
    }
}

/// A header's RFC 2047 encoded words (`=?utf-8?b?…?=`) as text.
fn decode_words(raw: &str) -> String {
    raw.split_whitespace()
        .map(|word| {
            let lower = word.to_ascii_lowercase();
            match lower
                .strip_prefix("=?utf-8?b?")
                .and_then(|rest| rest.strip_suffix("?="))
            {
                Some(_) => {
                    let payload = &word[10..word.len() - 2];
                    String::from_utf8(
                        base64::engine::general_purpose::STANDARD
                            .decode(payload)
                            .unwrap_or_default(),
                    )
                    .unwrap_or_default()
                }
                None => word.to_string(),
            }
        })
        .collect()
}

impl SmtpServer {
    /// The invitations received (not the pool decisions that came before them).
    pub fn invitations(&self) -> Vec<Mail> {
        self.received()
            .into_iter()
            .filter(|m| m.subject.starts_with("评审邀请"))
            .collect()
    }
}

impl SmtpServer {
    /// Listens on a free port.
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    /// Listens on `port` (0: any free one).
    pub async fn start_on(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
        let port = listener.local_addr().unwrap().port();
        let mails: Arc<Mutex<Vec<Mail>>> = Arc::default();
        let store = mails.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                let store = store.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read);
                    let _ = write.write_all(b"220 localhost ESMTP test\r\n").await;
                    let mut to = Vec::new();
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") {
                            b"250-localhost\r\n250 8BITMIME\r\n"
                        } else if upper.starts_with("RCPT TO:") {
                            let addr = line[8..].trim().trim_matches(['<', '>']).to_string();
                            to.push(addr);
                            b"250 OK\r\n"
                        } else if upper.starts_with("DATA") {
                            let _ = write.write_all(b"354 end with .\r\n").await;
                            let mut raw = String::new();
                            loop {
                                line.clear();
                                if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                                    return;
                                }
                                if line == ".\r\n" {
                                    break;
                                }
                                raw.push_str(line.strip_prefix('.').unwrap_or(&line));
                            }
                            let mut mail = decode(&raw);
                            mail.to = std::mem::take(&mut to);
                            store.lock().unwrap().push(mail);
                            b"250 queued\r\n"
                        } else if upper.starts_with("QUIT") {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            b"250 OK\r\n"
                        };
                        if write.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        SmtpServer { port, mails, task }
    }

    /// Stops listening: connections are refused until a server starts on the port again.
    pub fn stop(&self) {
        self.task.abort();
    }

    /// The mails received so far.
    pub fn received(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

/// One request to the SMS gateway.
#[derive(Debug, Clone)]
pub struct Sms {
    pub authorization: String,
    pub body: serde_json::Value,
}

/// An HTTP server that records each POST and answers 200.
pub struct SmsGateway {
    pub port: u16,
    pub received: Arc<Mutex<Vec<Sms>>>,
}

impl SmsGateway {
    pub async fn start() -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
        let port = listener.local_addr().unwrap().port();
        let received: Arc<Mutex<Vec<Sms>>> = Arc::default();
        let store = received.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut reader = BufReader::new(read);
                    loop {
                        let mut length = 0usize;
                        let mut authorization = String::new();
                        let mut line = String::new();
                        // Request line and headers.
                        loop {
                            line.clear();
                            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if line == "\r\n" {
                                break;
                            }
                            let lower = line.to_ascii_lowercase();
                            if let Some(v) = lower.strip_prefix("content-length:") {
                                length = v.trim().parse().unwrap_or(0);
                            }
                            if lower.starts_with("authorization:") {
                                authorization = line[14..].trim().to_string();
                            }
                        }
                        let mut body = vec![0u8; length];
                        if reader.read_exact(&mut body).await.is_err() {
                            return;
                        }
                        store.lock().unwrap().push(Sms {
                            authorization,
                            body: serde_json::from_slice(&body).unwrap_or_default(),
                        });
                        if write
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                });
            }
        });
        SmsGateway { port, received }
    }
}
