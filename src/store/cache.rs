//! Totals of list queries and display names, remembered until the next audited write.
//!
//! Every change to requests (and to who may see them) writes an audit event in the same
//! transaction, so `audit_head.last_seq` names the state of the data. A total counted after
//! reading sequence `s` is reused only while the sequence is still `s`: any commit in between
//! moves it on and the next caller counts again. Reading the sequence is one primary-key
//! lookup; counting a large filtered list is the most expensive query of a list call.
use sea_orm::{ConnectionTrait, DbErr};
use std::collections::HashMap;
use std::sync::Mutex;

/// Entries kept at most; the cache is simply emptied when full (the keys are few in practice:
/// one per filter combination and viewer).
const CAPACITY: usize = 4096;

/// A map of at most `CAPACITY` entries, simply emptied when full.
struct Bounded<V>(Mutex<HashMap<String, V>>);

impl<V> Default for Bounded<V> {
    fn default() -> Self {
        Bounded(Mutex::default())
    }
}

impl<V: Clone> Bounded<V> {
    fn get(&self, key: &str) -> Option<V> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get(key).cloned()
    }

    fn put(&self, key: String, value: V) {
        let mut entries = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key, value);
    }
}

#[derive(Default)]
pub struct CountCache {
    /// Per key: the data version, the total, and whether the total is known to hold exactly the
    /// data at that version (and so may grow from it, `store::list::total_after_creations`).
    entries: Bounded<(i64, u64, bool)>,
}

impl CountCache {
    pub fn get(&self, key: &str, seq: i64) -> Option<u64> {
        self.entries.get(key).filter(|(s, _, _)| *s == seq).map(|(_, n, _)| n)
    }

    /// The total last kept for `key` that holds exactly the data at its version, and that
    /// version.
    pub fn latest_exact(&self, key: &str) -> Option<(i64, u64)> {
        self.entries.get(key).filter(|(_, _, exact)| *exact).map(|(s, n, _)| (s, n))
    }

    /// Keeps `total` for `key` at data version `seq`. A total counted after reading `seq` may
    /// already hold later writes: `exact` says it is known not to (counted in one snapshot
    /// with the version, or grown from such a total).
    pub fn put(&self, key: String, seq: i64, total: u64, exact: bool) {
        self.entries.put(key, (seq, total, exact));
    }
}

/// Pages of newest-first lists as they were: per list, page size and offset, the data version
/// and the page's ids then (`store::list::anchored_page`).
#[derive(Default)]
pub struct PageAnchors {
    entries: Bounded<(i64, std::sync::Arc<[i32]>)>,
}

impl PageAnchors {
    pub fn get(&self, key: &str) -> Option<(i64, std::sync::Arc<[i32]>)> {
        self.entries.get(key)
    }

    /// Keeps `ids` as the page `key` at data version `seq`: they must hold exactly the data at
    /// that version, as a page read in one snapshot with the version does. An empty page is
    /// not kept (nothing to find it again from).
    pub fn put(&self, key: String, seq: i64, ids: &[i32]) {
        if !ids.is_empty() {
            self.entries.put(key, (seq, ids.into()));
        }
    }
}

/// Display names of users, departments and companies for list and detail views. Filled on
/// demand and emptied whenever the data version moves, so a renamed user shows at once.
#[derive(Default)]
pub struct NameCache {
    inner: Mutex<NameMaps>,
}

#[derive(Default)]
struct NameMaps {
    version: i64,
    users: HashMap<i32, String>,
    departments: HashMap<i32, String>,
    companies: HashMap<i32, String>,
}

/// Names for the ids asked for (ids that do not exist are simply absent).
#[derive(Default)]
pub struct NameSet {
    pub users: HashMap<i32, String>,
    pub departments: HashMap<i32, String>,
    pub companies: HashMap<i32, String>,
}

impl NameCache {
    pub async fn names(
        &self,
        db: &impl ConnectionTrait,
        version: i64,
        users: &[i32],
        departments: &[i32],
        companies: &[i32],
    ) -> Result<NameSet, DbErr> {
        use entity::{company, department, user};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let (mut out, missing) = {
            let mut m = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            if m.version != version || m.users.len() + m.departments.len() + m.companies.len() > 50_000 {
                *m = NameMaps { version, ..NameMaps::default() };
            }
            let mut out = NameSet::default();
            let mut missing = (Vec::new(), Vec::new(), Vec::new());
            for (ids, map, found, miss) in [
                (users, &m.users, &mut out.users, &mut missing.0),
                (departments, &m.departments, &mut out.departments, &mut missing.1),
                (companies, &m.companies, &mut out.companies, &mut missing.2),
            ] {
                for id in ids {
                    match map.get(id) {
                        Some(name) => {
                            found.insert(*id, name.clone());
                        }
                        None => miss.push(*id),
                    }
                }
            }
            (out, missing)
        };
        let fetched_users: Vec<(i32, String)> = if missing.0.is_empty() {
            Vec::new()
        } else {
            user::Entity::find()
                .filter(user::Column::Id.is_in(missing.0))
                .all(db)
                .await?
                .into_iter()
                .map(|u| (u.id, u.display_name))
                .collect()
        };
        let fetched_departments: Vec<(i32, String)> = if missing.1.is_empty() {
            Vec::new()
        } else {
            department::Entity::find()
                .filter(department::Column::Id.is_in(missing.1))
                .all(db)
                .await?
                .into_iter()
                .map(|d| (d.id, d.name))
                .collect()
        };
        let fetched_companies: Vec<(i32, String)> = if missing.2.is_empty() {
            Vec::new()
        } else {
            company::Entity::find()
                .filter(company::Column::Id.is_in(missing.2))
                .all(db)
                .await?
                .into_iter()
                .map(|c| (c.id, c.name))
                .collect()
        };
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let current = guard.version == version;
        let m = &mut *guard;
        for (fetched, map, found) in [
            (fetched_users, &mut m.users, &mut out.users),
            (fetched_departments, &mut m.departments, &mut out.departments),
            (fetched_companies, &mut m.companies, &mut out.companies),
        ] {
            for (id, name) in fetched {
                if current {
                    map.insert(id, name.clone());
                }
                found.insert(id, name);
            }
        }
        Ok(out)
    }
}

/// Rendered list responses (`GET /requests`, `GET /tasks`), each for one caller and one exact
/// query, kept only while nothing was written and the China date is the same.
///
/// A list response is a function of the data (every write of a request, a user, a department,
/// a company or a delegation is audited, so `data_version` names the data), of who asks, of
/// the query and of today (flags, effective status); the key holds the caller and the query,
/// and everything held is dropped as soon as a caller reads a newer version or another day.
/// A finance office opening the same list again and again is served from memory; after a
/// write, the first caller renders it afresh while callers asking the same meanwhile wait for
/// that rendering instead of each running the same queries. Bounded by `RESPONSE_BYTES`
/// (emptied when full).
#[derive(Default)]
pub struct ResponseCache {
    inner: Mutex<Responses>,
}

type Slot = std::sync::Arc<tokio::sync::OnceCell<bytes::Bytes>>;

#[derive(Default)]
struct Responses {
    version: i64,
    today: Option<chrono::NaiveDate>,
    bytes: usize,
    entries: HashMap<String, Slot>,
}

/// The rendered responses held at most, in bytes.
pub const RESPONSE_BYTES: usize = 32 << 20;

impl ResponseCache {
    /// The response for `key` at `version` on `today`: the one held, the one another caller is
    /// rendering right now, or `render()`'s. A caller that read an older version than the
    /// cache holds renders for itself and keeps nothing.
    pub async fn get_or_render<E, F>(&self, key: String, version: i64, today: chrono::NaiveDate, render: F) -> Result<bytes::Bytes, E>
    where
        F: AsyncFnOnce() -> Result<bytes::Bytes, E>,
    {
        let slot = {
            let mut r = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            // Versions only grow and days only pass: what a caller read is older than what is
            // held, the same, or newer (then everything held is out of date).
            let held = (r.version, r.today.unwrap_or(chrono::NaiveDate::MIN));
            match (version, today).cmp(&held) {
                std::cmp::Ordering::Less => None,
                ordering => {
                    if ordering == std::cmp::Ordering::Greater {
                        *r = Responses { version, today: Some(today), ..Responses::default() };
                    }
                    Some(r.entries.entry(key.clone()).or_default().clone())
                }
            }
        };
        let Some(slot) = slot else { return render().await };
        let mut rendered = false;
        let body = match slot
            .get_or_try_init(async || {
                rendered = true;
                render().await
            })
            .await
        {
            Ok(body) => body.clone(),
            Err(e) => {
                // Nothing is kept for a query that fails (a bad filter, a lost database): its
                // empty slot would otherwise stay until the next write, uncounted in `bytes`.
                let mut r = self.inner.lock().unwrap_or_else(|e| e.into_inner());
                if r.entries.get(&key).is_some_and(|s| std::sync::Arc::ptr_eq(s, &slot) && s.get().is_none()) {
                    r.entries.remove(&key);
                }
                return Err(e);
            }
        };
        if rendered {
            let mut r = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            if r.version == version && r.today == Some(today) {
                r.bytes += body.len() + key.len();
                if r.bytes > RESPONSE_BYTES {
                    r.entries.clear();
                    r.bytes = 0;
                }
            }
        }
        Ok(body)
    }
}

/// The data versions a list is kept for: the sequence number of the latest audited write
/// (`all`), and of the latest one that changed anything but a draft (`shared`; a draft is
/// created, edited and deleted by its requester alone, `NewEvent::drafts_only`). A list that
/// can never show a draft (the to-do list, a list of another status) depends on `shared`
/// only; so do display names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Versions {
    pub all: i64,
    pub shared: i64,
}

/// The SQL that reads both data versions (one primary-key lookup), as `data_version` and
/// `shared_version`.
const VERSIONS_SQL: &str = "SELECT last_seq AS data_version, shared_seq AS shared_version FROM audit_head WHERE id = 1";

/// The data versions now.
pub async fn data_versions(db: &impl ConnectionTrait) -> Result<Versions, DbErr> {
    let row = db
        .query_one_raw(crate::db::stmt(db.get_database_backend(), VERSIONS_SQL, vec![]))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("audit_head".into()))?;
    Ok(Versions { all: row.try_get("", "data_version")?, shared: row.try_get("", "shared_version")? })
}

/// `read` in one read snapshot (`db::read_snapshot`), with the full data version that snapshot
/// sees: what it answers holds exactly the data at that version, as a total or an anchor to
/// be brought forward from it must.
pub async fn at_data_version<T>(
    db: &sea_orm::DatabaseConnection,
    read: impl AsyncFnOnce(&sea_orm::DatabaseTransaction) -> Result<T, DbErr>,
) -> Result<(i64, T), DbErr> {
    let snapshot = crate::db::read_snapshot(db).await?;
    let at = data_versions(&snapshot).await?.all;
    let answer = read(&snapshot).await?;
    snapshot.commit().await?;
    Ok((at, answer))
}

#[cfg(test)]
mod tests {
    use super::{CountCache, ResponseCache};

    #[test]
    fn a_total_is_reused_only_at_the_same_data_version() {
        let c = CountCache::default();
        c.put("k".into(), 7, 42, false);
        assert_eq!(c.get("k", 7), Some(42));
        assert_eq!(c.get("k", 8), None, "a write happened since");
        assert_eq!(c.get("other", 7), None);
        // Only a total known to hold exactly its version's data is one to grow from.
        assert_eq!(c.latest_exact("k"), None);
        c.put("k".into(), 9, 43, true);
        assert_eq!(c.latest_exact("k"), Some((9, 43)));
    }

    #[tokio::test]
    async fn a_response_is_served_only_for_the_same_data_version_and_day() {
        let c = ResponseCache::default();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default();
        let body = |b: &'static [u8]| async move || Ok::<_, ()>(bytes::Bytes::from_static(b));
        let get = async |key: &str, version: i64, day: chrono::NaiveDate, fresh: &'static [u8]| {
            c.get_or_render(key.to_owned(), version, day, body(fresh)).await.unwrap_or_default()
        };
        assert_eq!(&get("u1|/requests", 7, day, b"[7]").await[..], b"[7]");
        assert_eq!(&get("u1|/requests", 7, day, b"x").await[..], b"[7]", "held");
        assert_eq!(&get("u2|/requests", 7, day, b"[u2]").await[..], b"[u2]", "another caller");
        assert_eq!(&get("u1|/requests", 8, day, b"[8]").await[..], b"[8]", "a write happened since");
        let next = day.succ_opt().unwrap_or(day);
        assert_eq!(&get("u1|/requests", 8, next, b"[8+1]").await[..], b"[8+1]", "another day: flags move");
        // A slow caller that read version 6 renders for itself and brings no old data back.
        assert_eq!(&get("u1|/requests", 6, next, b"[6]").await[..], b"[6]");
        assert_eq!(&get("u1|/requests", 8, next, b"x").await[..], b"[8+1]");
        // A failed rendering is not kept.
        let failed = c.get_or_render("u3|/tasks".into(), 8, next, async || Err::<bytes::Bytes, ()>(())).await;
        assert_eq!(failed, Err(()));
        assert!(!c.inner.lock().unwrap_or_else(|e| e.into_inner()).entries.contains_key("u3|/tasks"), "no empty slot is left");
        assert_eq!(&get("u3|/tasks", 8, next, b"[ok]").await[..], b"[ok]");
    }

    #[tokio::test]
    async fn callers_asking_together_share_one_rendering() {
        let c = std::sync::Arc::new(ResponseCache::default());
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default();
        let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (c, runs) = (c.clone(), runs.clone());
            tasks.push(tokio::spawn(async move {
                c.get_or_render("k".into(), 1, day, async || {
                    runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    Ok::<_, ()>(bytes::Bytes::from_static(b"[1]"))
                })
                .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.ok().and_then(Result::ok).as_deref(), Some(&b"[1]"[..]));
        }
        assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
