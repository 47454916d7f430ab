//! The append-only audit log (DESIGN §1.6). Every event carries the SHA-256 of its content
//! and of the previous event's hash, so any edit, deletion or insertion breaks the chain;
//! the database additionally refuses UPDATE and DELETE with triggers.
use crate::clock::to_micros;
use crate::db::stmt;
use chrono::{DateTime, SecondsFormat, Utc};
use entity::audit_event;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use sha2::{Digest, Sha256};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub use crate::domain::audit::AuditAction;

#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    pub actor_id: Option<i32>,
    pub actor_name: String,
    pub on_behalf_of_id: Option<i32>,
    pub action: AuditAction,
    pub request_id: Option<i32>,
    pub comment: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    /// The write changes a draft and nothing else (its row and what only it holds): it moves
    /// the data version but not the shared one (`store::cache::Versions`), so lists that can
    /// never show a draft stay as rendered. Off unless the writer says so.
    pub drafts_only: bool,
}

impl NewEvent {
    /// An event by a signed-in person; the rest is filled in with struct-update syntax.
    pub fn by(me: &crate::auth::AuthUser, action: AuditAction) -> NewEvent {
        NewEvent { actor_id: Some(me.id), actor_name: me.display_name.clone(), action, ..Default::default() }
    }
}

/// The tip of the chain, held for the duration of one transaction.
pub struct AuditCursor {
    last_seq: i64,
    last_hash: String,
    /// SQLite only: this process's writer turn, released with the cursor (after the commit).
    _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// SQLite has one writer at a time, and a writer that finds the lock taken waits in SQLite's
/// busy handler, which sleeps in growing steps (up to 100 ms). Queueing the writers of this
/// process here instead hands the lock over at once; other processes still meet the busy
/// handler.
static SQLITE_WRITER: std::sync::LazyLock<std::sync::Arc<tokio::sync::Mutex<()>>> =
    std::sync::LazyLock::new(|| std::sync::Arc::new(tokio::sync::Mutex::new(())));

/// Begins a transaction whose first statement takes the audit lock: a write on the single
/// `audit_head` row. On SQLite that acquires the database write lock before anything is
/// read (so the transaction can never fail to upgrade); on PostgreSQL it is a row lock that
/// orders all audited transactions, so the chain never forks.
pub async fn begin(db: &DatabaseConnection) -> Result<(DatabaseTransaction, AuditCursor), DbErr> {
    let writer = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Sqlite => Some(SQLITE_WRITER.clone().lock_owned().await),
        _ => None,
    };
    let tx = db.begin().await?;
    let backend = tx.get_database_backend();
    let row = tx
        .query_one_raw(stmt(backend, "UPDATE audit_head SET last_seq = last_seq WHERE id = 1 RETURNING last_seq, last_hash", vec![]))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("audit_head".into()))?;
    let last_seq: i64 = row.try_get("", "last_seq")?;
    let last_hash: String = row.try_get("", "last_hash")?;
    Ok((tx, AuditCursor { last_seq, last_hash, _writer: writer }))
}

impl AuditCursor {
    pub async fn append(&mut self, tx: &DatabaseTransaction, ev: NewEvent, at: DateTime<Utc>) -> Result<audit_event::Model, DbErr> {
        let seq = self.last_seq + 1;
        let occurred_at = to_micros(at);
        let before = ev.before.map(|v| v.to_string());
        let after = ev.after.map(|v| v.to_string());
        let model = audit_event::Model {
            seq,
            occurred_at,
            actor_id: ev.actor_id,
            actor_name: ev.actor_name,
            on_behalf_of_id: ev.on_behalf_of_id,
            action: ev.action.as_str().to_owned(),
            request_id: ev.request_id,
            comment: ev.comment,
            before_state: before,
            after_state: after,
            prev_hash: self.last_hash.clone(),
            hash: String::new(),
        };
        let hash = event_hash(&model);
        let model = audit_event::Model { hash, ..model };
        audit_event::Entity::insert(audit_event::ActiveModel {
            seq: Set(model.seq),
            occurred_at: Set(model.occurred_at),
            actor_id: Set(model.actor_id),
            actor_name: Set(model.actor_name.clone()),
            on_behalf_of_id: Set(model.on_behalf_of_id),
            action: Set(model.action.clone()),
            request_id: Set(model.request_id),
            comment: Set(model.comment.clone()),
            before_state: Set(model.before_state.clone()),
            after_state: Set(model.after_state.clone()),
            prev_hash: Set(model.prev_hash.clone()),
            hash: Set(model.hash.clone()),
        })
        .exec_without_returning(tx)
        .await?;
        let backend = tx.get_database_backend();
        // A draft's own write leaves `shared_seq` as it is (`$3` is NULL).
        let shared = if ev.drafts_only { None } else { Some(seq) };
        tx.execute_raw(stmt(
            backend,
            "UPDATE audit_head SET last_seq = $1, last_hash = $2, shared_seq = COALESCE($3, shared_seq) WHERE id = 1",
            vec![seq.into(), model.hash.clone().into(), shared.into()],
        ))
        .await?;
        self.last_seq = seq;
        self.last_hash = model.hash.clone();
        Ok(model)
    }
}

impl AuditCursor {
    /// Appends many events at once (the bulk demo seed): each is hashed and chained exactly
    /// as `append` does, inserted in multi-row statements, and the head moves once.
    pub async fn append_many(&mut self, tx: &DatabaseTransaction, events: Vec<(NewEvent, DateTime<Utc>)>) -> Result<(), DbErr> {
        use sea_orm::sea_query::{Alias, Query};
        if events.is_empty() {
            return Ok(());
        }
        let backend = tx.get_database_backend();
        let columns = [
            "seq",
            "occurred_at",
            "actor_id",
            "actor_name",
            "on_behalf_of_id",
            "action",
            "request_id",
            "comment",
            "before_state",
            "after_state",
            "prev_hash",
            "hash",
        ]
        .map(Alias::new);
        let mut iter = events.into_iter().peekable();
        while iter.peek().is_some() {
            let mut insert = Query::insert();
            insert.into_table(Alias::new("audit_events")).columns(columns.clone());
            for (ev, at) in iter.by_ref().take(500) {
                let seq = self.last_seq + 1;
                let mut model = audit_event::Model {
                    seq,
                    occurred_at: to_micros(at),
                    actor_id: ev.actor_id,
                    actor_name: ev.actor_name,
                    on_behalf_of_id: ev.on_behalf_of_id,
                    action: ev.action.as_str().to_owned(),
                    request_id: ev.request_id,
                    comment: ev.comment,
                    before_state: ev.before.map(|v| v.to_string()),
                    after_state: ev.after.map(|v| v.to_string()),
                    prev_hash: std::mem::take(&mut self.last_hash),
                    hash: String::new(),
                };
                model.hash = event_hash(&model);
                self.last_seq = seq;
                self.last_hash = model.hash.clone();
                insert.values_panic([
                    model.seq.into(),
                    model.occurred_at.into(),
                    model.actor_id.into(),
                    model.actor_name.into(),
                    model.on_behalf_of_id.into(),
                    model.action.into(),
                    model.request_id.into(),
                    model.comment.into(),
                    model.before_state.into(),
                    model.after_state.into(),
                    model.prev_hash.into(),
                    model.hash.into(),
                ]);
            }
            tx.execute(&insert).await?;
        }
        tx.execute_raw(stmt(
            backend,
            "UPDATE audit_head SET last_seq = $1, last_hash = $2, shared_seq = $3 WHERE id = 1",
            vec![self.last_seq.into(), self.last_hash.clone().into(), self.last_seq.into()],
        ))
        .await?;
        Ok(())
    }
}

/// SHA-256 over a JSON array of every field but the hash itself, so that no two different
/// events can serialise to the same input.
pub fn event_hash(e: &audit_event::Model) -> String {
    let canonical = serde_json::json!([
        e.seq,
        e.occurred_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        e.actor_id,
        e.actor_name,
        e.on_behalf_of_id,
        e.action,
        e.request_id,
        e.comment,
        e.before_state,
        e.after_state,
        e.prev_hash,
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChainReport {
    pub events: u64,
    /// The first event that does not fit the chain, and why.
    pub first_broken: Option<(i64, String)>,
}

/// Walks the whole chain in pages, recomputing every hash.
pub async fn verify_chain(db: &impl ConnectionTrait) -> Result<ChainReport, DbErr> {
    const PAGE: u64 = 1000;
    let mut expected_prev = GENESIS_HASH.to_owned();
    let mut expected_seq = 1i64;
    let mut events = 0u64;
    loop {
        let page = audit_event::Entity::find()
            .filter(audit_event::Column::Seq.gte(expected_seq))
            .order_by_asc(audit_event::Column::Seq)
            .limit(PAGE)
            .all(db)
            .await?;
        if page.is_empty() {
            break;
        }
        for e in &page {
            events += 1;
            let problem = if e.seq != expected_seq {
                Some(format!("expected event #{expected_seq}, found #{} (an event is missing)", e.seq))
            } else if e.prev_hash != expected_prev {
                Some("prev_hash does not match the previous event's hash".to_owned())
            } else if event_hash(e) != e.hash {
                Some("hash does not match the event's content".to_owned())
            } else {
                None
            };
            if let Some(why) = problem {
                return Ok(ChainReport { events, first_broken: Some((e.seq, why)) });
            }
            expected_prev = e.hash.clone();
            expected_seq += 1;
        }
    }
    Ok(ChainReport { events, first_broken: None })
}
