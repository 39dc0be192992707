//! Answer links: `{invitation}.{nonce}.{signature}`, an HMAC-SHA256 over the invitation and
//! a nonce stored with it. The link opens that one invitation without logging in; a changed
//! digit breaks the signature, a new nonce (a resend after the deadline moved) retires old
//! links, and the deadline and "answered once" are checked against the stored invitation.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of the signature kept in a link (128 bits: short enough for an SMS).
const SIGNATURE_BYTES: usize = 16;

/// Why a link does not open an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// Not of the link's shape, or its signature does not match.
    Invalid,
}

fn mac(key: &[u8], invitation: i64, nonce: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(format!("invitation:{invitation}:{nonce}").as_bytes());
    mac
}

/// The link token of an invitation.
pub fn sign(key: &[u8], invitation: i64, nonce: &str) -> String {
    let tag = mac(key, invitation, nonce).finalize().into_bytes();
    format!(
        "{invitation}.{nonce}.{}",
        hex::encode(&tag[..SIGNATURE_BYTES])
    )
}

/// The invitation and nonce a token names, if its signature is right (compared in constant
/// time).
pub fn verify(key: &[u8], token: &str) -> Result<(i64, String), LinkError> {
    let mut parts = token.trim().splitn(3, '.');
    let (Some(id), Some(nonce), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(LinkError::Invalid);
    };
    let invitation: i64 = id.parse().map_err(|_| LinkError::Invalid)?;
    let sig = hex::decode(sig).map_err(|_| LinkError::Invalid)?;
    if nonce.is_empty() || nonce.len() > 64 || sig.len() != SIGNATURE_BYTES {
        return Err(LinkError::Invalid);
    }
    mac(key, invitation, nonce)
        .verify_truncated_left(&sig)
        .map_err(|_| LinkError::Invalid)?;
    Ok((invitation, nonce.to_string()))
}

/// A fresh random nonce.
pub fn nonce() -> String {
    use rand::RngExt;
    let bytes: [u8; 8] = rand::rng().random();
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_link_opens_its_invitation_and_nothing_else() {
        let key = b"key";
        let token = sign(key, 42, "0a1b2c3d4e5f6071");
        assert_eq!(verify(key, &token), Ok((42, "0a1b2c3d4e5f6071".into())));
        // Another invitation, another nonce, another key, a changed digit: refused.
        let forged = token.replacen("42.", "43.", 1);
        assert_eq!(verify(key, &forged), Err(LinkError::Invalid));
        assert_eq!(verify(b"other", &token), Err(LinkError::Invalid));
        let mut chars: Vec<char> = token.chars().collect();
        let last = chars.len() - 1;
        chars[last] = if chars[last] == '0' { '1' } else { '0' };
        let flipped: String = chars.into_iter().collect();
        assert_eq!(verify(key, &flipped), Err(LinkError::Invalid));
        for junk in ["", "42", "42.x", "x.y.z", "42.n.zz"] {
            assert_eq!(verify(key, junk), Err(LinkError::Invalid), "{junk}");
        }
        assert_ne!(nonce(), nonce());
    }
}
