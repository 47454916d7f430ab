//! The organisation import (DESIGN §2.5): a checked plan from `domain::people` applied in one
//! transaction — departments by path, new users (managers first), changes to existing users,
//! and last the people who left, disabled through the same path as an admin's disable (their
//! open steps are rerouted). A preview runs the same transaction and rolls it back, so its
//! counts are exactly what a commit would do.
use crate::domain::audit::AuditAction;
use crate::domain::people::{self, Known, Person, RowError};
use crate::domain::roles::RoleSet;
use crate::error::ApiError;
use crate::store::apply::Ctx;
use crate::store::audit::{self, AuditCursor, NewEvent};
use crate::store::users::{Operator, UserChanges, audit_summary, update_in};
use entity::{department, user};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseTransaction, EntityTrait};
use std::collections::HashMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub disabled: u32,
    pub errors: Vec<RowError>,
}

/// Imports the rows of an org-chart file. `importer` is the admin's username (the CLI has none).
pub async fn import(
    ctx: Ctx<'_>,
    by: &Operator,
    importer: Option<&str>,
    rows: &[crate::domain::statement::Row],
    commit: bool,
) -> Result<ImportReport, ApiError> {
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    let everyone = user::Entity::find().all(&tx).await?;
    let username_of: HashMap<i32, String> = everyone.iter().map(|u| (u.id, u.username.clone())).collect();
    let known: Known = everyone.iter().map(|u| (u.username.clone(), u.manager_id.and_then(|m| username_of.get(&m).cloned()))).collect();
    let plan = match people::plan(rows, &known, importer) {
        Ok(p) => p,
        Err(errors) => return Ok(ImportReport { errors, ..Default::default() }),
    };
    let mut report = ImportReport::default();
    let mut by_name: HashMap<String, user::Model> = everyone.into_iter().map(|u| (u.username.to_ascii_lowercase(), u)).collect();
    let mut departments = Departments::load(&tx).await?;

    // New people first, each after their manager.
    let mut created_now = std::collections::HashSet::new();
    for p in people::managers_first(&plan) {
        if by_name.contains_key(&p.username.to_ascii_lowercase()) {
            continue;
        }
        let department_id = departments.ensure(&tx, &mut cursor, by, &p.department, ctx.now).await?;
        let manager_id = manager_id(p, &by_name);
        let created = user::ActiveModel {
            username: Set(p.username.clone()),
            display_name: Set(p.display_name.clone()),
            email: Set(p.email.clone().flatten()),
            phone: Set(p.phone.clone().flatten()),
            // Nobody knows this password: they sign in through SSO or an admin sets one.
            password_hash: Set(format!("!import:{}", crate::db::random_token(16))),
            roles: Set(p.roles.to_db()),
            department_id: Set(department_id),
            manager_id: Set(manager_id),
            disabled: Set(p.left == Some(true)),
            token_version: Set(0),
            must_change_password: Set(true),
            created_at: Set(ctx.now),
            updated_at: Set(ctx.now),
            ..Default::default()
        }
        .insert(&tx)
        .await?;
        append(&mut cursor, &tx, by, AuditAction::UserCreate, None, Some(audit_summary(&created)), ctx.now).await?;
        report.created += 1;
        created_now.insert(p.username.to_ascii_lowercase());
        by_name.insert(p.username.to_ascii_lowercase(), created);
    }

    // Changes to people already here; leaving is applied last, once every manager is set.
    let mut leaving = Vec::new();
    for p in &plan {
        let key = p.username.to_ascii_lowercase();
        if created_now.contains(&key) {
            continue;
        }
        let current = by_name[&key].clone();
        let department_id = departments.ensure(&tx, &mut cursor, by, &p.department, ctx.now).await?;
        let manager_id = manager_id(p, &by_name);
        let roles = p.roles;
        let changes = UserChanges {
            display_name: Some(p.display_name.clone()).filter(|n| *n != current.display_name),
            email: p.email.clone().filter(|e| *e != current.email),
            phone: p.phone.clone().filter(|ph| *ph != current.phone),
            roles: Some(roles).filter(|r| r.to_db() != RoleSet::from_db(&current.roles).to_db()),
            department_id,
            manager_id,
            disabled: (p.left == Some(false) && current.disabled).then_some(false),
            password_hash: None,
        };
        let changed = changes.display_name.is_some()
            || changes.email.is_some()
            || changes.phone.is_some()
            || changes.roles.is_some()
            || changes.disabled.is_some()
            || department_id != current.department_id
            || manager_id != current.manager_id;
        if p.left == Some(true) && !current.disabled {
            leaving.push((current.clone(), changed.then_some(changes)));
            continue;
        }
        if changed {
            let updated = update_in(ctx, &tx, &mut cursor, by, &current, changes).await?;
            by_name.insert(p.username.to_ascii_lowercase(), updated);
            report.updated += 1;
        } else {
            report.unchanged += 1;
        }
    }
    for (current, changes) in leaving {
        let current = match changes {
            Some(c) => update_in(ctx, &tx, &mut cursor, by, &current, c).await?,
            None => current,
        };
        let disable = UserChanges {
            display_name: None,
            email: None,
            phone: None,
            roles: None,
            department_id: current.department_id,
            manager_id: current.manager_id,
            disabled: Some(true),
            password_hash: None,
        };
        update_in(ctx, &tx, &mut cursor, by, &current, disable).await?;
        report.disabled += 1;
    }
    if commit {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok(report)
}

fn manager_id(p: &Person, by_name: &HashMap<String, user::Model>) -> Option<i32> {
    p.manager.as_deref().and_then(|m| by_name.get(&m.to_ascii_lowercase())).map(|m| m.id)
}

async fn append(
    cursor: &mut AuditCursor,
    tx: &DatabaseTransaction,
    by: &Operator,
    action: AuditAction,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
    cursor.append(tx, NewEvent { actor_id: by.id, actor_name: by.name.clone(), action, before, after, ..Default::default() }, now).await?;
    Ok(())
}

/// Departments by name, created level by level as paths ask for them.
struct Departments(HashMap<String, i32>);

impl Departments {
    async fn load(tx: &DatabaseTransaction) -> Result<Departments, ApiError> {
        Ok(Departments(department::Entity::find().all(tx).await?.into_iter().map(|d| (d.name, d.id)).collect()))
    }

    async fn ensure(
        &mut self,
        tx: &DatabaseTransaction,
        cursor: &mut AuditCursor,
        by: &Operator,
        path: &[String],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<i32>, ApiError> {
        let mut parent = None;
        for name in people::department_levels(path) {
            let id = match self.0.get(&name) {
                Some(id) => *id,
                None => {
                    let d = department::ActiveModel {
                        name: Set(name.clone()),
                        head_id: Set(None),
                        parent_id: Set(parent),
                        created_at: Set(now),
                        ..Default::default()
                    }
                    .insert(tx)
                    .await?;
                    let after = serde_json::json!({"id": d.id, "name": d.name, "head_id": d.head_id, "parent_id": d.parent_id});
                    append(cursor, tx, by, AuditAction::DepartmentCreate, None, Some(after), now).await?;
                    self.0.insert(name, d.id);
                    d.id
                }
            };
            parent = Some(id);
        }
        Ok(parent)
    }
}
