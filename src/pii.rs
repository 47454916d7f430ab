//! Personal data at rest: the mini-program admin's ID number and phone are encrypted with
//! ChaCha20-Poly1305, and a keyed hash (HMAC-SHA256) of each lets the database count
//! "mini-programs per person" without ever holding the clear value.
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;
use std::path::Path;

pub struct PiiCipher {
    cipher: ChaCha20Poly1305,
    index_key: [u8; 32],
}

impl PiiCipher {
    pub fn new(key: [u8; 32]) -> PiiCipher {
        // A separate key for the hashes, derived so that one secret is all there is to keep.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("HMAC takes any key length");
        mac.update(b"verifund pii index v1");
        let index_key: [u8; 32] = mac.finalize().into_bytes().into();
        PiiCipher { cipher: ChaCha20Poly1305::new(&Key::from(key)), index_key }
    }

    /// base64(nonce ‖ ciphertext), a fresh random nonce each time.
    pub fn encrypt(&self, plain: &str) -> String {
        use base64::Engine;
        let mut nonce = [0u8; 12];
        rand::rng().fill(&mut nonce);
        let ct = self.cipher.encrypt(&Nonce::from(nonce), plain.as_bytes()).unwrap_or_default();
        base64::engine::general_purpose::STANDARD.encode([nonce.as_slice(), &ct].concat())
    }

    pub fn decrypt(&self, stored: &str) -> Option<String> {
        use base64::Engine;
        let raw = base64::engine::general_purpose::STANDARD.decode(stored).ok()?;
        if raw.len() < 12 {
            return None;
        }
        let (nonce, ct) = raw.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().ok()?;
        String::from_utf8(self.cipher.decrypt(&Nonce::from(nonce), ct).ok()?).ok()
    }

    /// Equal inputs give equal hashes; the hash reveals nothing without the key.
    pub fn index(&self, normalized: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key).expect("HMAC takes any key length");
        mac.update(normalized.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// The key from `VERIFUND_PII_KEY` (64 hex digits), or else from `DATA_DIR/pii.key`, created
/// with a random key on first use. Kept out of the database so a copy of the database alone
/// does not reveal the data.
pub fn load_key(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<[u8; 32]> {
    let parse = |s: &str| -> anyhow::Result<[u8; 32]> {
        let bytes = hex::decode(s.trim()).map_err(|_| anyhow::anyhow!("the PII key must be 64 hex digits"))?;
        bytes.try_into().map_err(|_| anyhow::anyhow!("the PII key must be 64 hex digits (32 bytes)"))
    };
    if let Some(k) = configured {
        return parse(k);
    }
    let path = data_dir.join("pii.key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return parse(&existing);
    }
    std::fs::create_dir_all(data_dir)?;
    let mut key = [0u8; 32];
    rand::rng().fill(&mut key);
    write_private(&path, &hex::encode(key))?;
    Ok(key)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encryption_round_trips_and_hides_the_value() {
        let c = PiiCipher::new([7u8; 32]);
        let a = c.encrypt("11010519491231002X");
        let b = c.encrypt("11010519491231002X");
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!a.contains("1101051949"));
        assert_eq!(c.decrypt(&a).as_deref(), Some("11010519491231002X"));
        assert_eq!(c.index("13812345678"), c.index("13812345678"));
        assert_ne!(c.index("13812345678"), c.index("13812345679"));
        assert_eq!(PiiCipher::new([8u8; 32]).decrypt(&a), None, "another key cannot read it");
    }
}
