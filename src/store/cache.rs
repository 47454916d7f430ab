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

#[derive(Default)]
pub struct CountCache {
    entries: Mutex<HashMap<String, (i64, u64)>>,
}

impl CountCache {
    pub fn get(&self, key: &str, seq: i64) -> Option<u64> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(key).filter(|(s, _)| *s == seq).map(|(_, n)| *n)
    }

    pub fn put(&self, key: String, seq: i64, total: u64) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key, (seq, total));
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

/// The sequence number of the latest audited write.
pub async fn data_version(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(crate::db::stmt(db.get_database_backend(), "SELECT last_seq FROM audit_head WHERE id = 1", vec![]))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("audit_head".into()))?;
    row.try_get("", "last_seq")
}

#[cfg(test)]
mod tests {
    use super::CountCache;

    #[test]
    fn a_total_is_reused_only_at_the_same_data_version() {
        let c = CountCache::default();
        c.put("k".into(), 7, 42);
        assert_eq!(c.get("k", 7), Some(42));
        assert_eq!(c.get("k", 8), None, "a write happened since");
        assert_eq!(c.get("other", 7), None);
    }
}
