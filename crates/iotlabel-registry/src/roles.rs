//! Roles and what each may see and do. Handlers check [`Role::may`] and queries filter rows by
//! [`Scope`], so an authorisation rule lives in one place.

use serde::{Deserialize, Serialize};

/// Who is acting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A manufacturer's staff: its own organisation's products and applications.
    Manufacturer,
    /// An approved test lab: applications assigned to it.
    TestLab,
    /// The scheme's assessors: every submitted application; decisions.
    Assessor,
    /// Registrar / administrator: accounts, labs, label actions, everything an assessor can.
    Registrar,
    /// Anyone, unauthenticated: published labels only.
    Public,
}

/// Something a role may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Permission {
    CreateApplication,
    EditDraft,
    UploadEvidence,
    ReviewAsLab,
    AssessApplications,
    DecideApplications,
    SuspendLabels,
    RevokeLabels,
    ManageAccounts,
    ReadPublishedLabels,
    /// Read vulnerability reports and set their status (a manufacturer: its own labels').
    HandleVulnerabilityReports,
}

/// Which rows a role may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Rows of this organisation only.
    OwnOrganisation,
    /// Applications assigned to this lab only.
    AssignedToLab,
    /// Everything that has left draft.
    AllSubmitted,
    /// Everything.
    All,
    /// Published data only.
    PublishedOnly,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Manufacturer,
        Role::TestLab,
        Role::Assessor,
        Role::Registrar,
        Role::Public,
    ];

    pub fn may(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Manufacturer => matches!(
                permission,
                CreateApplication
                    | EditDraft
                    | UploadEvidence
                    | ReadPublishedLabels
                    | HandleVulnerabilityReports
            ),
            Role::TestLab => matches!(
                permission,
                ReviewAsLab | UploadEvidence | ReadPublishedLabels
            ),
            Role::Assessor => matches!(
                permission,
                AssessApplications
                    | DecideApplications
                    | SuspendLabels
                    | ReadPublishedLabels
                    | HandleVulnerabilityReports
            ),
            Role::Registrar => {
                permission != CreateApplication
                    && permission != EditDraft
                    && permission != ReviewAsLab
            }
            Role::Public => permission == ReadPublishedLabels,
        }
    }

    /// The applications this role may read.
    pub fn application_scope(self) -> Scope {
        match self {
            Role::Manufacturer => Scope::OwnOrganisation,
            Role::TestLab => Scope::AssignedToLab,
            Role::Assessor => Scope::AllSubmitted,
            Role::Registrar => Scope::All,
            Role::Public => Scope::PublishedOnly,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Manufacturer => "manufacturer",
            Role::TestLab => "test-lab",
            Role::Assessor => "assessor",
            Role::Registrar => "registrar",
            Role::Public => "public",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_role_matrix() {
        use Permission::*;
        // A lab cannot decide; a manufacturer cannot assess; the public only reads labels.
        assert!(!Role::TestLab.may(DecideApplications));
        assert!(!Role::Manufacturer.may(AssessApplications));
        assert!(!Role::Manufacturer.may(SuspendLabels));
        assert!(Role::Assessor.may(DecideApplications));
        assert!(
            !Role::Assessor.may(RevokeLabels),
            "revocation is a registrar's act"
        );
        assert!(Role::Registrar.may(RevokeLabels));
        assert!(
            !Role::Registrar.may(CreateApplication),
            "registrars do not apply for manufacturers"
        );
        for permission in [
            CreateApplication,
            EditDraft,
            UploadEvidence,
            ReviewAsLab,
            AssessApplications,
            DecideApplications,
            SuspendLabels,
            RevokeLabels,
            ManageAccounts,
            HandleVulnerabilityReports,
        ] {
            assert!(!Role::Public.may(permission), "{permission:?}");
        }
        // Vulnerability reports go to manufacturers and the scheme, never to labs.
        assert!(Role::Manufacturer.may(HandleVulnerabilityReports));
        assert!(Role::Assessor.may(HandleVulnerabilityReports));
        assert!(Role::Registrar.may(HandleVulnerabilityReports));
        assert!(!Role::TestLab.may(HandleVulnerabilityReports));
        assert!(Role::ALL.iter().all(|role| role.may(ReadPublishedLabels)));
    }
}
