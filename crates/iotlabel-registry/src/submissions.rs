//! Submissions of an application to the assessors and what changed between them. The store
//! snapshots the dossier, the assessment and the uploaded files in the same transaction as
//! every move into `submitted` (the lab's hand-off, the manufacturer's re-submission after a
//! change request), numbered 1, 2, ...; here they are read with the application's own row
//! scope and compared with [`crate::dossier_diff`].

use serde::Serialize;

use iotlabel_core::Dossier;

use crate::dossier_diff::{self, DossierDiff};
use crate::service::{Actor, Registry, RegistryError};
use crate::store::{PortalStore, Store, StoreError, SubmissionRecord, SubmittedFile};

/// A change to the uploaded files between two submissions, by file name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum FileChange {
    Added {
        file_name: String,
        sha256: String,
    },
    Removed {
        file_name: String,
        sha256: String,
    },
    /// Uploaded again with other content.
    Replaced {
        file_name: String,
        before: String,
        after: String,
    },
}

/// What changed from submission `from` to submission `to`.
#[derive(Debug, Clone, Serialize)]
pub struct SubmissionDiff {
    pub application_id: i64,
    pub from: i64,
    pub to: i64,
    pub dossier: DossierDiff,
    pub files: Vec<FileChange>,
}

/// The file changes from `before` to `after`, by file name. Pure.
pub fn file_changes(before: &[SubmittedFile], after: &[SubmittedFile]) -> Vec<FileChange> {
    use std::collections::BTreeMap;
    let index = |files: &[SubmittedFile]| -> BTreeMap<String, String> {
        files
            .iter()
            .map(|file| (file.file_name.clone(), file.sha256.clone()))
            .collect()
    };
    let (old, new) = (index(before), index(after));
    let mut names: Vec<&String> = old.keys().chain(new.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| match (old.get(name), new.get(name)) {
            (Some(sha256), None) => Some(FileChange::Removed {
                file_name: name.clone(),
                sha256: sha256.clone(),
            }),
            (None, Some(sha256)) => Some(FileChange::Added {
                file_name: name.clone(),
                sha256: sha256.clone(),
            }),
            (Some(a), Some(b)) if a != b => Some(FileChange::Replaced {
                file_name: name.clone(),
                before: a.clone(),
                after: b.clone(),
            }),
            _ => None,
        })
        .collect()
}

fn parse_dossier(submission: &SubmissionRecord) -> Result<Dossier, RegistryError> {
    serde_json::from_str(&submission.dossier_json).map_err(|error| {
        RegistryError::Store(StoreError::Corrupt(format!(
            "submission {} dossier: {error}",
            submission.number
        )))
    })
}

impl<S: Store + PortalStore> Registry<S> {
    /// The submissions of an application, by number; scoped like
    /// [`Registry::get_application`] (outside the actor's scope: not found).
    pub async fn submissions_of(
        &self,
        actor: &Actor,
        application_id: i64,
    ) -> Result<Vec<SubmissionRecord>, RegistryError> {
        // The method's check (401/404 exactly as for the application) and the query's scope.
        self.get_application(actor, application_id).await?;
        Ok(self
            .store()
            .submissions(application_id, actor.row_scope())
            .await?)
    }

    /// What changed from submission number `from` to number `to` (either order; the same
    /// number gives an empty diff). An unknown number is an error naming the ones there are.
    pub async fn submission_diff(
        &self,
        actor: &Actor,
        application_id: i64,
        from: i64,
        to: i64,
    ) -> Result<SubmissionDiff, RegistryError> {
        let submissions = self.submissions_of(actor, application_id).await?;
        let find = |number: i64| {
            submissions
                .iter()
                .find(|submission| submission.number == number)
                .ok_or_else(|| {
                    RegistryError::Invalid(if submissions.is_empty() {
                        format!("application {application_id} has not been submitted yet")
                    } else {
                        format!(
                            "application {application_id} has no submission {number}: it has \
                             1 to {}",
                            submissions.len()
                        )
                    })
                })
        };
        let (before, after) = (find(from)?, find(to)?);
        Ok(SubmissionDiff {
            application_id,
            from,
            to,
            dossier: dossier_diff::diff(&parse_dossier(before)?, &parse_dossier(after)?),
            files: file_changes(&before.evidence, &after.evidence),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, sha256: &str) -> SubmittedFile {
        SubmittedFile {
            file_name: name.into(),
            sha256: sha256.into(),
        }
    }

    #[test]
    fn file_changes_by_name() {
        let before = [
            file("a.json", "11"),
            file("b.pdf", "22"),
            file("c.md", "33"),
        ];
        let after = [
            file("c.md", "33"),
            file("b.pdf", "44"),
            file("d.json", "55"),
        ];
        assert_eq!(
            file_changes(&before, &after),
            [
                FileChange::Removed {
                    file_name: "a.json".into(),
                    sha256: "11".into()
                },
                FileChange::Replaced {
                    file_name: "b.pdf".into(),
                    before: "22".into(),
                    after: "44".into()
                },
                FileChange::Added {
                    file_name: "d.json".into(),
                    sha256: "55".into()
                },
            ]
        );
        assert!(file_changes(&before, &before).is_empty());
    }
}
