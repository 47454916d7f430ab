//! Stored files (request attachments, payout/refund receipts, registry materials) behind one
//! `FileStore`, so that several instances see the same files:
//! - `Database`: the files live in `file_chunks`, written chunk by chunk in one transaction and
//!   streamed out chunk by chunk, never the whole file in memory. The default on PostgreSQL
//!   when `VERIFUND_FILES_DIR` is unset.
//! - `Directory`: one file per storage key in `VERIFUND_FILES_DIR` (every instance mounts the
//!   same directory), or `DATA_DIR/attachments` as before (the default on SQLite).
//!
//! Files written before the database store existed stay readable: a key not found in the
//! configured store is looked up in `DATA_DIR/attachments`.
use crate::config::Config;
use crate::db::stmt;
use crate::error::{ApiError, ApiResult};
use axum::body::{Body, Bytes};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};
use std::path::PathBuf;

/// The size of one stored chunk.
pub const CHUNK: usize = 512 * 1024;

#[derive(Debug, Clone)]
pub enum FileStore {
    Database { legacy: PathBuf },
    Directory { dir: PathBuf, legacy: PathBuf },
}

impl FileStore {
    pub fn from_config(config: &Config) -> FileStore {
        let legacy = config.attachments_dir();
        match &config.files_dir {
            Some(dir) => FileStore::Directory { dir: dir.clone(), legacy },
            None if config.effective_database_url().starts_with("postgres") => FileStore::Database { legacy },
            None => FileStore::Directory { dir: legacy.clone(), legacy },
        }
    }

    pub fn describe(&self) -> String {
        match self {
            FileStore::Database { .. } => "the database (file_chunks)".into(),
            FileStore::Directory { dir, .. } => dir.display().to_string(),
        }
    }

    fn legacy(&self) -> &PathBuf {
        match self {
            FileStore::Database { legacy } | FileStore::Directory { legacy, .. } => legacy,
        }
    }

    /// Stores the bytes under a new server-generated key.
    pub async fn put(&self, db: &DatabaseConnection, data: &[u8]) -> ApiResult<String> {
        let key = uuid::Uuid::new_v4().simple().to_string();
        self.put_as(db, &key, data).await?;
        Ok(key)
    }

    /// Stores the bytes under a given key (restoring a backup keeps the keys).
    pub async fn put_as(&self, db: &DatabaseConnection, key: &str, data: &[u8]) -> ApiResult<()> {
        match self {
            FileStore::Database { .. } => {
                let tx = db.begin().await?;
                write_chunks(&tx, key, data).await?;
                tx.commit().await?;
            }
            FileStore::Directory { dir, .. } => {
                tokio::fs::create_dir_all(dir).await.map_err(ApiError::internal)?;
                tokio::fs::write(dir.join(key), data).await.map_err(ApiError::internal)?;
            }
        }
        Ok(())
    }

    /// The file as a response body streamed piece by piece; `None` when there is no such file.
    pub async fn open(&self, db: &DatabaseConnection, key: &str) -> ApiResult<Option<Body>> {
        if let FileStore::Database { .. } = self
            && has_chunks(db, key).await?
        {
            let db = db.clone();
            let key = key.to_owned();
            let stream = futures_util::stream::unfold(0i32, move |seq| {
                let db = db.clone();
                let key = key.clone();
                async move {
                    match chunk(&db, &key, seq).await {
                        Ok(Some(bytes)) => Some((Ok::<Bytes, DbErr>(Bytes::from(bytes)), seq + 1)),
                        Ok(None) => None,
                        Err(e) => Some((Err(e), i32::MAX)),
                    }
                }
            });
            return Ok(Some(Body::from_stream(stream)));
        }
        let path = match self {
            FileStore::Directory { dir, .. } if dir.join(key).is_file() => dir.join(key),
            _ => self.legacy().join(key),
        };
        match tokio::fs::File::open(&path).await {
            Ok(f) => Ok(Some(Body::from_stream(tokio_util::io::ReaderStream::new(f)))),
            Err(_) => Ok(None),
        }
    }

    /// The whole file (backups), read on the given connection so a snapshot sees its own files.
    pub async fn read(&self, db: &impl ConnectionTrait, key: &str) -> ApiResult<Option<Vec<u8>>> {
        if let FileStore::Database { .. } = self {
            let mut out = Vec::new();
            let mut seq = 0;
            while let Some(c) = chunk(db, key, seq).await? {
                out.extend_from_slice(&c);
                seq += 1;
            }
            if seq > 0 {
                return Ok(Some(out));
            }
        }
        let path = match self {
            FileStore::Directory { dir, .. } if dir.join(key).is_file() => dir.join(key),
            _ => self.legacy().join(key),
        };
        Ok(tokio::fs::read(path).await.ok())
    }

    /// Removes a file; a file already gone is no error.
    pub async fn delete(&self, db: &DatabaseConnection, key: &str) {
        if let FileStore::Database { .. } = self {
            let _ =
                db.execute_raw(stmt(db.get_database_backend(), "DELETE FROM file_chunks WHERE storage_key = $1", vec![key.into()])).await;
        }
        if let FileStore::Directory { dir, .. } = self {
            let _ = tokio::fs::remove_file(dir.join(key)).await;
        }
        let _ = tokio::fs::remove_file(self.legacy().join(key)).await;
    }
}

async fn write_chunks(db: &impl ConnectionTrait, key: &str, data: &[u8]) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    for (seq, piece) in data.chunks(CHUNK).enumerate() {
        db.execute_raw(stmt(
            backend,
            "INSERT INTO file_chunks (storage_key, seq, data) VALUES ($1, $2, $3)",
            vec![key.into(), (seq as i32).into(), piece.to_vec().into()],
        ))
        .await?;
    }
    Ok(())
}

async fn has_chunks(db: &impl ConnectionTrait, key: &str) -> Result<bool, DbErr> {
    let sql = "SELECT 1 AS x FROM file_chunks WHERE storage_key = $1 AND seq = 0";
    Ok(db.query_one_raw(stmt(db.get_database_backend(), sql, vec![key.into()])).await?.is_some())
}

async fn chunk(db: &impl ConnectionTrait, key: &str, seq: i32) -> Result<Option<Vec<u8>>, DbErr> {
    let sql = "SELECT data FROM file_chunks WHERE storage_key = $1 AND seq = $2";
    match db.query_one_raw(stmt(db.get_database_backend(), sql, vec![key.into(), seq.into()])).await? {
        Some(row) => Ok(Some(row.try_get::<Vec<u8>>("", "data")?)),
        None => Ok(None),
    }
}
