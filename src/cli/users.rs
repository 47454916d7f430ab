//! `verifund user add`: people and departments from the command line.
use anyhow::bail;
use verifund::domain::roles::{Role, RoleSet};

pub fn parse_roles(names: &[String]) -> anyhow::Result<RoleSet> {
    let mut set = RoleSet::default();
    for n in names {
        match Role::parse(n) {
            Some(r) => set.insert(r),
            None => bail!("unknown role {n:?}; use requester, manager, finance, admin or auditor"),
        }
    }
    Ok(set)
}
