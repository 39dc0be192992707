//! Recruiting (征集): a stranger's registration, an application to a call as a state machine,
//! and the documents it carries, checked by what they contain. Pure: the service decides when
//! and the store keeps it.

use super::call::DocumentKind;
use super::expert::Email;
use super::validation::required_text;
use super::ValidationError;
use serde::{Deserialize, Serialize};

text_enum!(
    /// Where an application to a call stands.
    ApplicationState, "state" {
        /// Being filled in by the applicant.
        Draft = "draft",
        /// Submitted, waiting for staff review.
        Submitted = "submitted",
        /// Sent back by staff with a comment; the applicant changes it and submits again.
        Returned = "returned",
        /// Passed by staff to the administrator's approval (a membership application exists).
        Passed = "passed",
        /// Refused by staff with a reason (final).
        Refused = "refused",
        /// Withdrawn by the applicant (final).
        Withdrawn = "withdrawn"
    }
);

impl ApplicationState {
    /// Whether the applicant may still change the profile and documents.
    pub fn editable(self) -> bool {
        matches!(self, ApplicationState::Draft | ApplicationState::Returned)
    }
}

/// What someone does to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationAction {
    /// The applicant submits (or resubmits after a return).
    Submit,
    /// Staff send it back for changes.
    Return,
    /// Staff refuse it.
    Refuse,
    /// Staff pass it to the administrator's approval.
    Pass,
    /// The applicant takes it back.
    Withdraw,
}

impl ApplicationAction {
    /// The stored name of the step.
    pub fn name(self) -> &'static str {
        match self {
            ApplicationAction::Submit => "submit",
            ApplicationAction::Return => "return",
            ApplicationAction::Refuse => "refuse",
            ApplicationAction::Pass => "pass",
            ApplicationAction::Withdraw => "withdraw",
        }
    }
}

/// An action the application's state does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} an application that is {from}")]
pub struct IllegalStep {
    /// The state.
    pub from: ApplicationState,
    /// The action.
    pub action: &'static str,
}

/// The state an action leads to, or why it cannot happen.
pub fn next_state(
    from: ApplicationState,
    action: ApplicationAction,
) -> Result<ApplicationState, IllegalStep> {
    use ApplicationAction as A;
    use ApplicationState::*;
    match (from, action) {
        (Draft | Returned, A::Submit) => Ok(Submitted),
        (Submitted, A::Return) => Ok(Returned),
        (Submitted, A::Refuse) => Ok(Refused),
        (Submitted, A::Pass) => Ok(Passed),
        (Draft | Submitted | Returned, A::Withdraw) => Ok(Withdrawn),
        _ => Err(IllegalStep {
            from,
            action: action.name(),
        }),
    }
}

/// A Chinese mobile number: 11 digits starting with 1, written with or without `+86`, spaces
/// or dashes; stored as the bare 11 digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mobile(String);

impl Mobile {
    /// Parses a typed number.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let digits: String = raw
            .trim()
            .trim_start_matches("+86")
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '　'))
            .collect();
        let bytes = digits.as_bytes();
        if bytes.len() == 11
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1])
            && bytes.iter().all(u8::is_ascii_digit)
        {
            Ok(Mobile(digits))
        } else {
            Err(ValidationError::new(
                "mobile",
                format!("'{}' is not a mobile number (11 digits)", raw.trim()),
            ))
        }
    }

    /// The 11 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A registration as typed on a call's page.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RegistrationInput {
    /// Full name.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// Mobile number.
    pub mobile: String,
}

/// A registration, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// Full name.
    pub name: String,
    /// E-mail address (lower case).
    pub email: Email,
    /// Mobile number.
    pub mobile: Mobile,
}

impl RegistrationInput {
    /// The registration, or the first field that is wrong.
    pub fn parse(&self) -> Result<Registration, ValidationError> {
        Ok(Registration {
            name: required_text("name", &self.name, 50)?,
            email: Email::parse(&self.email)?,
            mobile: Mobile::parse(&self.mobile)?,
        })
    }
}

impl Registration {
    /// The e-mail's domain (what the per-domain limit counts).
    pub fn domain(&self) -> &str {
        self.email
            .as_str()
            .rsplit_once('@')
            .map_or("", |(_, domain)| domain)
    }
}

/// How many registrations an hour one address, one e-mail domain and one e-mail address may
/// start. An office or a university's network shares one address, and a university's
/// experts share one domain, so these are generous for people and tight for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrationLimits {
    /// Per client address.
    pub per_address: i64,
    /// Per e-mail domain.
    pub per_domain: i64,
    /// Per e-mail address (each one sends a message to it).
    pub per_email: i64,
    /// Per mobile number (each one may send it an SMS code).
    pub per_mobile: i64,
}

impl Default for RegistrationLimits {
    fn default() -> Self {
        RegistrationLimits {
            per_address: 10,
            per_domain: 60,
            per_email: 3,
            per_mobile: 3,
        }
    }
}

/// Registrations already started in the last hour.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecentRegistrations {
    /// From the same address.
    pub address: i64,
    /// To the same domain.
    pub domain: i64,
    /// To the same address.
    pub email: i64,
    /// With the same mobile number.
    pub mobile: i64,
}

impl RegistrationLimits {
    /// Which limit a new registration would pass, if any (the field it is about).
    pub fn exceeded(&self, recent: RecentRegistrations) -> Option<&'static str> {
        if recent.address >= self.per_address {
            Some("address")
        } else if recent.domain >= self.per_domain {
            Some("email_domain")
        } else if recent.email >= self.per_email {
            Some("email")
        } else if recent.mobile >= self.per_mobile {
            Some("mobile")
        } else {
            None
        }
    }
}

/// The address a client is counted under: an IPv4 address as it is, an IPv6 address by its
/// /64 network (one subscriber's line holds a whole /64, so counting single addresses would
/// let anyone escape the limit).
pub fn throttle_address(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        _ => ip.to_string(),
    }
}

/// What a document's bytes are, by their first bytes: never by its name or the browser's
/// claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FileType {
    /// `%PDF-`.
    Pdf,
    /// `FF D8 FF`.
    Jpeg,
    /// The PNG signature.
    Png,
}

impl FileType {
    /// Recognizes the content.
    pub fn sniff(bytes: &[u8]) -> Option<FileType> {
        if bytes.starts_with(b"%PDF-") {
            Some(FileType::Pdf)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileType::Jpeg)
        } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(FileType::Png)
        } else {
            None
        }
    }

    /// The MIME type it is served as.
    pub fn content_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
        }
    }

    /// The extension a download gets.
    pub fn extension(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Jpeg => "jpg",
            FileType::Png => "png",
        }
    }
}

/// A document as uploaded, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// What it is.
    pub kind: DocumentKind,
    /// A safe name to offer on download (no path, no control characters, the right
    /// extension).
    pub file_name: String,
    /// What the bytes are.
    pub file_type: FileType,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl Document {
    /// Checks an upload: a known kind, not empty, at most `max_bytes`, and a PDF, JPEG or PNG
    /// by content.
    pub fn check(
        kind: &str,
        file_name: &str,
        bytes: Vec<u8>,
        max_bytes: usize,
    ) -> Result<Document, ValidationError> {
        let kind =
            DocumentKind::parse(kind).map_err(|e| ValidationError::new("kind", e.message))?;
        if bytes.is_empty() {
            return Err(ValidationError::new("document", "choose a file to upload"));
        }
        if bytes.len() > max_bytes {
            return Err(ValidationError::new(
                "document",
                format!(
                    "the file is {} MB; at most {} MB are accepted",
                    megabytes(bytes.len()),
                    megabytes(max_bytes)
                ),
            ));
        }
        let file_type = FileType::sniff(&bytes).ok_or_else(|| {
            ValidationError::new(
                "document",
                "the file is not a PDF, JPEG or PNG (its content was checked, not its name)",
            )
        })?;
        Ok(Document {
            kind,
            file_name: safe_file_name(file_name, file_type),
            file_type,
            bytes,
        })
    }
}

fn megabytes(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

/// The last path component, without control or quoting characters, at most 80 characters,
/// ending in the extension of what the content is.
pub fn safe_file_name(raw: &str, file_type: FileType) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let stem = base.rsplit_once('.').map_or(base, |(stem, _)| stem);
    let mut clean: String = stem
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\'' | ';' | '<' | '>' | '&' | '%'))
        .take(80)
        .collect();
    clean = clean.trim().to_string();
    if clean.is_empty() {
        clean = "document".into();
    }
    format!("{clean}.{}", file_type.extension())
}

/// What still stops a submission, in the order a form shows it: the pledge, then each
/// required document not yet uploaded.
pub fn missing_for_submit(
    pledge: bool,
    required: &[DocumentKind],
    uploaded: &[DocumentKind],
) -> Vec<String> {
    let mut missing = Vec::new();
    if !pledge {
        missing.push("pledge".to_string());
    }
    for kind in required {
        if !uploaded.contains(kind) {
            missing.push(kind.as_str().to_string());
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationAction as A;
    use ApplicationState as S;

    #[test]
    fn returned_applications_come_back_and_final_states_stay() {
        assert_eq!(next_state(S::Draft, A::Submit), Ok(S::Submitted));
        assert_eq!(next_state(S::Submitted, A::Return), Ok(S::Returned));
        assert_eq!(next_state(S::Returned, A::Submit), Ok(S::Submitted));
        assert_eq!(next_state(S::Submitted, A::Pass), Ok(S::Passed));
        assert!(
            next_state(S::Draft, A::Pass).is_err(),
            "staff review what was submitted"
        );
        assert!(next_state(S::Returned, A::Refuse).is_err());
        for done in [S::Passed, S::Refused, S::Withdrawn] {
            for a in [A::Submit, A::Return, A::Refuse, A::Pass, A::Withdraw] {
                assert!(next_state(done, a).is_err(), "{done} {a:?}");
            }
            assert!(!done.editable());
        }
        assert!(S::Returned.editable() && S::Draft.editable() && !S::Submitted.editable());
    }

    #[test]
    fn mobiles_are_eleven_digits_however_written() {
        for typed in ["13800138000", "+86 138-0013-8000", " 138 0013 8000 "] {
            assert_eq!(Mobile::parse(typed).unwrap().as_str(), "13800138000");
        }
        for wrong in [
            "1380013800",
            "23800138000",
            "1380013800a",
            "12800138000",
            "",
        ] {
            assert_eq!(Mobile::parse(wrong).unwrap_err().field, "mobile", "{wrong}");
        }
    }

    #[test]
    fn registrations_name_the_wrong_field_and_know_their_domain() {
        let input = RegistrationInput {
            name: "李 华".into(),
            email: " Li.Hua@ZJU.edu.cn ".into(),
            mobile: "13800138000".into(),
        };
        let r = input.parse().unwrap();
        assert_eq!(r.email.as_str(), "li.hua@zju.edu.cn");
        assert_eq!(r.domain(), "zju.edu.cn");
        let no_name = RegistrationInput {
            name: " ".into(),
            ..input.clone()
        };
        assert_eq!(no_name.parse().unwrap_err().field, "name");
        let bad_mail = RegistrationInput {
            email: "li.hua".into(),
            ..input
        };
        assert_eq!(bad_mail.parse().unwrap_err().field, "email");
    }

    #[test]
    fn limits_count_address_domain_mail_and_mobile() {
        let limits = RegistrationLimits::default();
        let recent = |address, domain, email, mobile| RecentRegistrations {
            address,
            domain,
            email,
            mobile,
        };
        assert_eq!(limits.exceeded(recent(0, 0, 0, 0)), None);
        assert_eq!(limits.exceeded(recent(9, 59, 2, 2)), None);
        assert_eq!(limits.exceeded(recent(10, 0, 0, 0)), Some("address"));
        assert_eq!(limits.exceeded(recent(0, 60, 0, 0)), Some("email_domain"));
        assert_eq!(limits.exceeded(recent(0, 0, 3, 0)), Some("email"));
        assert_eq!(limits.exceeded(recent(0, 0, 0, 3)), Some("mobile"));
    }

    #[test]
    fn ipv6_clients_count_by_their_network() {
        assert_eq!(
            throttle_address("2001:db8:1:2:aaaa::1"),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            throttle_address("2001:db8:1:2:ffff::9"),
            throttle_address("2001:db8:1:2::7")
        );
        assert_eq!(throttle_address("10.1.2.3"), "10.1.2.3");
    }

    #[test]
    fn documents_are_judged_by_content_not_name() {
        let pdf = b"%PDF-1.7\n...".to_vec();
        let d =
            Document::check("title_certificate", "C:\\证书\\职称.pdf", pdf.clone(), 100).unwrap();
        assert_eq!(d.file_type, FileType::Pdf);
        assert_eq!(d.file_name, "职称.pdf");
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0].to_vec();
        let d = Document::check("other", "../../etc/passwd", png, 100).unwrap();
        assert_eq!(d.file_name, "passwd.png");
        let fake = b"<html><script>alert(1)</script>".to_vec();
        let e = Document::check("title_certificate", "证书.pdf", fake, 100).unwrap_err();
        assert_eq!(e.field, "document");
        let e = Document::check("title_certificate", "a.pdf", pdf.clone(), 5).unwrap_err();
        assert!(e.message.contains("at most"), "{}", e.message);
        assert_eq!(
            Document::check("title_certificate", "a.pdf", Vec::new(), 5)
                .unwrap_err()
                .field,
            "document"
        );
        assert_eq!(
            Document::check("passport", "a.pdf", pdf, 100)
                .unwrap_err()
                .field,
            "kind"
        );
        assert_eq!(
            safe_file_name("\"quoted\";.jpeg", FileType::Jpeg),
            "quoted.jpg"
        );
    }

    #[test]
    fn a_submission_needs_the_pledge_and_every_required_document() {
        use DocumentKind as D;
        let required = [D::TitleCertificate, D::Recommendation];
        assert_eq!(
            missing_for_submit(false, &required, &[D::Recommendation]),
            vec!["pledge", "title_certificate"]
        );
        assert!(
            missing_for_submit(true, &required, &[D::Recommendation, D::TitleCertificate])
                .is_empty()
        );
    }
}
