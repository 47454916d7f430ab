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

/// Where the settings table keeps the key check value.
pub const KCV_SETTING: &str = "pii_key_check";

/// A key check value: an HMAC of a fixed label under the key. Equal keys give equal values;
/// the value says nothing about the key.
pub fn key_check_value(key: &[u8; 32]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"verifund pii key check v1");
    hex::encode(&mac.finalize().into_bytes()[..16])
}

pub fn parse_key(s: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = hex::decode(s.trim()).map_err(|_| anyhow::anyhow!("the PII key must be 64 hex digits"))?;
    bytes.try_into().map_err(|_| anyhow::anyhow!("the PII key must be 64 hex digits (32 bytes)"))
}

/// The key from `VERIFUND_PII_KEY` (64 hex digits), or else from `DATA_DIR/pii.key`; `None`
/// when neither is there.
pub fn existing_key(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<Option<[u8; 32]>> {
    if let Some(k) = configured {
        return parse_key(k).map(Some).map_err(|e| anyhow::anyhow!("VERIFUND_PII_KEY: {e}"));
    }
    match std::fs::read_to_string(key_file(data_dir)) {
        Ok(existing) => parse_key(&existing).map(Some).map_err(|e| anyhow::anyhow!("{}: {e}", key_file(data_dir).display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", key_file(data_dir).display())),
    }
}

pub fn key_file(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("pii.key")
}

/// The key from `VERIFUND_PII_KEY` (64 hex digits), or else from `DATA_DIR/pii.key`, created
/// with a random key on first use. Kept out of the database so a copy of the database alone
/// does not reveal the data.
pub fn load_key(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<[u8; 32]> {
    if let Some(k) = existing_key(configured, data_dir)? {
        return Ok(k);
    }
    std::fs::create_dir_all(data_dir)?;
    let mut key = [0u8; 32];
    rand::rng().fill(&mut key);
    write_private(&key_file(data_dir), &hex::encode(key))?;
    Ok(key)
}

/// The key check value the database holds, if any; reads only (the settings table may not
/// exist yet on a new database).
pub async fn stored_check_value(db: &impl sea_orm::ConnectionTrait) -> anyhow::Result<Option<String>> {
    if !crate::db::table_exists(db, "settings").await? {
        return Ok(None);
    }
    Ok(crate::db::get_setting(db, KCV_SETTING).await?)
}

const MISMATCH: &str = "VERIFUND_PII_KEY does not match the key this database's personal data is encrypted with \
                        (the key check value in the settings table differs); start every instance with the same \
                        VERIFUND_PII_KEY. Refusing to start; nothing was written";

/// The key this instance must use, checked against the database before anything is written:
/// with a key check value stored, a configured key that differs, or no key at all (a new key
/// would be generated), is refused with a message naming `VERIFUND_PII_KEY`. Without one
/// (a new database, or an installation from before the check), the key is loaded or created
/// as always.
pub async fn checked_key(db: &impl sea_orm::ConnectionTrait, configured: Option<&str>, data_dir: &Path) -> anyhow::Result<[u8; 32]> {
    let stored = stored_check_value(db).await?;
    let key = match (existing_key(configured, data_dir)?, &stored) {
        (Some(k), _) => k,
        (None, None) => load_key(None, data_dir)?,
        (None, Some(_)) => anyhow::bail!(
            "VERIFUND_PII_KEY is not set and {} does not exist, but this database holds personal data encrypted with a key \
             (a key check value is stored); set VERIFUND_PII_KEY to the key the other instances use. Refusing to start \
             instead of generating a new key; nothing was written",
            key_file(data_dir).display()
        ),
    };
    if stored.is_some_and(|kcv| kcv != key_check_value(&key)) {
        anyhow::bail!(MISMATCH);
    }
    Ok(key)
}

/// Stores the key check value on first start (or after an upgrade from before the check).
/// An existing installation's data must decrypt with the key it is recorded for; two
/// instances starting at once with different keys: the first insert wins, the other stops.
pub async fn record_check_value(db: &impl sea_orm::ConnectionTrait, key: &[u8; 32]) -> anyhow::Result<()> {
    let mine = key_check_value(key);
    if crate::db::get_setting(db, KCV_SETTING).await?.is_none() {
        let cipher = PiiCipher::new(*key);
        let sample = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT admin_id_number_enc FROM mini_programs ORDER BY id LIMIT 1",
            ))
            .await?;
        if let Some(row) = sample {
            let enc: String = row.try_get("", "admin_id_number_enc")?;
            if cipher.decrypt(&enc).is_none() {
                anyhow::bail!(
                    "VERIFUND_PII_KEY (or the data directory's pii.key) cannot decrypt the personal data already in this \
                     database; start with the key it was written with"
                );
            }
        }
    }
    let stored = crate::db::get_or_init_setting(db, KCV_SETTING, || mine.clone()).await?;
    if stored != mine {
        anyhow::bail!(MISMATCH);
    }
    Ok(())
}

/// What `verifund pii rotate` re-encrypted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rotated {
    pub mini_programs: usize,
    pub requests: usize,
}

/// Re-encrypts every encrypted field (the registry's admin ID numbers and phones with their
/// hashes, and the sealed fields of requests' mini-program part) from `old` to `new`, and
/// the key check value, in one transaction: all of it or, on any value `old` cannot read,
/// nothing.
pub async fn rotate(db: &sea_orm::DatabaseConnection, old: [u8; 32], new: [u8; 32]) -> anyhow::Result<Rotated> {
    use entity::{mini_program, request};
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
    let (old, new_cipher) = (PiiCipher::new(old), PiiCipher::new(new));
    let tx = db.begin().await?;
    let mut done = Rotated::default();
    for m in mini_program::Entity::find().all(&tx).await? {
        let (Some(id), Some(phone)) = (old.decrypt(&m.admin_id_number_enc), old.decrypt(&m.admin_phone_enc)) else {
            anyhow::bail!("mini-program {}: its personal data does not decrypt with the current key; nothing changed", m.id);
        };
        mini_program::Entity::update_many()
            .col_expr(mini_program::Column::AdminIdNumberEnc, Expr::value(new_cipher.encrypt(&id)))
            .col_expr(mini_program::Column::AdminIdIndex, Expr::value(new_cipher.index(&id)))
            .col_expr(mini_program::Column::AdminPhoneEnc, Expr::value(new_cipher.encrypt(&phone)))
            .col_expr(mini_program::Column::AdminPhoneIndex, Expr::value(new_cipher.index(&phone)))
            .filter(mini_program::Column::Id.eq(m.id))
            .exec(&tx)
            .await?;
        done.mini_programs += 1;
    }
    for r in request::Entity::find().filter(request::Column::MiniProgram.is_not_null()).all(&tx).await? {
        let Some(mut mp) = r.mini_program.clone() else { continue };
        let mut changed = false;
        for field in ["admin_id_number", "admin_phone"] {
            if let Some(sealed) = mp.get(field).and_then(|v| v.as_str()).and_then(|s| s.strip_prefix("enc:")) {
                let Some(plain) = old.decrypt(sealed) else {
                    anyhow::bail!("request {}: its {field} does not decrypt with the current key; nothing changed", r.id);
                };
                mp[field] = serde_json::Value::String(format!("enc:{}", new_cipher.encrypt(&plain)));
                changed = true;
            }
        }
        if changed {
            request::Entity::update_many()
                .col_expr(request::Column::MiniProgram, Expr::value(mp))
                .filter(request::Column::Id.eq(r.id))
                .exec(&tx)
                .await?;
            done.requests += 1;
        }
    }
    entity::setting::Entity::update_many()
        .col_expr(entity::setting::Column::Value, Expr::value(key_check_value(&new)))
        .filter(entity::setting::Column::Key.eq(KCV_SETTING))
        .exec(&tx)
        .await?;
    tx.commit().await?;
    Ok(done)
}

#[cfg(unix)]
pub fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
pub fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
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
