//! The five roles of DESIGN §1.3. A user may hold several.
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Requester,
    Manager,
    Finance,
    Admin,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Requester, Role::Manager, Role::Finance, Role::Admin, Role::Auditor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Requester => "requester",
            Role::Manager => "manager",
            Role::Finance => "finance",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of roles, stored in the database as a comma-separated list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RoleSet(u8);

impl RoleSet {
    pub fn has(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    pub fn insert(&mut self, role: Role) {
        self.0 |= role.bit();
    }

    pub fn to_vec(self) -> Vec<Role> {
        Role::ALL.into_iter().filter(|r| self.has(*r)).collect()
    }

    /// Sees every request (DESIGN §1.3: finance, admin and auditor all).
    pub fn sees_all_requests(self) -> bool {
        self.has(Role::Finance) || self.has(Role::Admin) || self.has(Role::Auditor)
    }

    /// Parses the stored form; unknown names are ignored so that an old row never locks a user out.
    pub fn from_db(s: &str) -> RoleSet {
        s.split(',').filter_map(Role::parse).collect()
    }

    pub fn to_db(self) -> String {
        self.to_vec().iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
    }
}

impl FromIterator<Role> for RoleSet {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        let mut set = RoleSet::default();
        for r in iter {
            set.insert(r);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_the_database_form() {
        let set: RoleSet = [Role::Finance, Role::Requester].into_iter().collect();
        assert_eq!(set.to_db(), "requester,finance");
        assert_eq!(RoleSet::from_db("requester,finance"), set);
        assert_eq!(RoleSet::from_db("requester,,bogus"), [Role::Requester].into_iter().collect());
    }

    #[test]
    fn only_finance_admin_and_auditor_see_every_request() {
        for role in Role::ALL {
            let set: RoleSet = [role].into_iter().collect();
            assert_eq!(set.sees_all_requests(), matches!(role, Role::Finance | Role::Admin | Role::Auditor));
        }
    }
}
