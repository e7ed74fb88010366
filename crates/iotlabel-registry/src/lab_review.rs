//! The test lab's review of an application: per-provision verdicts (pass, fail, inconclusive,
//! not applicable) with a note. Only the lab the application is assigned to records them, and
//! only during lab review (checked here and again in the store's query); the application's
//! manufacturer, the assessors and registrars read them with the application's own row scope.
//! The lab's reports themselves are uploaded as evidence ([`Registry::upload_evidence`]).
//! Verdicts are the lab's review record: the engine keeps reading lab results from the
//! dossier's `lab-report` evidence.

use std::collections::BTreeSet;

use iotlabel_core::ids::ProvisionId;

use crate::roles::Permission;
use crate::service::{Actor, Registry, RegistryError};
use crate::store::{
    LabReviewVerdict, LabVerdictRecord, NewEvent, NewLabVerdict, PortalStore, Store,
};
use crate::vulnerability_reports::require;
use crate::workflow::State;

/// The most verdicts one call records (a standard has under 100 provisions; a form posts all).
pub const MAX_VERDICTS_PER_CALL: usize = 500;
/// The longest note on a verdict, in characters.
pub const MAX_VERDICT_NOTE_CHARS: usize = 2_000;
/// How many verdicts the audit-trail entry lists by name before summarising.
const EVENT_LISTED: usize = 20;

impl<S: Store + PortalStore> Registry<S> {
    /// Records the assigned lab's verdicts (replacing its earlier verdict on the same
    /// provisions) and returns all verdicts on the application. Provisions are V3.1.3 ids of
    /// the catalog's standard; a fail or inconclusive verdict needs a note saying why.
    pub async fn record_lab_verdicts(
        &self,
        actor: &Actor,
        application_id: i64,
        verdicts: &[NewLabVerdict],
    ) -> Result<Vec<LabVerdictRecord>, RegistryError> {
        require(actor, Permission::ReviewAsLab)?;
        let lab = actor
            .user
            .as_ref()
            .and_then(|user| user.organisation_id)
            .ok_or_else(|| RegistryError::Forbidden("you belong to no test lab".into()))?;
        // Another lab's application is not found, as for every application read.
        let record = self.get_application(actor, application_id).await?;
        if record.content.lab_organisation_id != Some(lab) {
            return Err(RegistryError::NotFound);
        }
        if record.state != State::LabReview {
            return Err(RegistryError::Forbidden(format!(
                "verdicts are recorded during lab review; the application is {}",
                record.state.as_str()
            )));
        }
        let verdicts = self.checked_verdicts(verdicts)?;
        let listed: Vec<String> = verdicts
            .iter()
            .take(EVENT_LISTED)
            .map(|verdict| format!("{} {}", verdict.provision, verdict.verdict.as_str()))
            .collect();
        let more = verdicts.len().saturating_sub(EVENT_LISTED);
        let reason = if more > 0 {
            format!("{} and {more} more", listed.join(", "))
        } else {
            listed.join(", ")
        };
        let event = NewEvent {
            action: "record-lab-verdicts".into(),
            actor_user_id: actor.user.as_ref().map(|user| user.id),
            at: self.clock().now(),
            reason: Some(reason),
        };
        self.store()
            .record_lab_verdicts(application_id, lab, &verdicts, event)
            .await?;
        self.lab_verdicts_of(actor, application_id).await
    }

    /// The verdicts on an application in provision order; scoped like
    /// [`Registry::get_application`].
    pub async fn lab_verdicts_of(
        &self,
        actor: &Actor,
        application_id: i64,
    ) -> Result<Vec<LabVerdictRecord>, RegistryError> {
        self.get_application(actor, application_id).await?;
        let mut verdicts = self
            .store()
            .lab_verdicts(application_id, actor.row_scope())
            .await?;
        verdicts.sort_by_cached_key(|verdict| verdict.provision.parse::<ProvisionId>().ok());
        Ok(verdicts)
    }

    /// Normalised verdicts, or the first problem with the field to fix.
    fn checked_verdicts(
        &self,
        verdicts: &[NewLabVerdict],
    ) -> Result<Vec<NewLabVerdict>, RegistryError> {
        if verdicts.is_empty() {
            return Err(RegistryError::Invalid(
                "no verdicts: give at least one provision and its verdict".into(),
            ));
        }
        if verdicts.len() > MAX_VERDICTS_PER_CALL {
            return Err(RegistryError::Invalid(format!(
                "{} verdicts in one request; at most {MAX_VERDICTS_PER_CALL}: send them in parts",
                verdicts.len()
            )));
        }
        let standard = self.catalog().canonical_standard().ok_or_else(|| {
            RegistryError::Invalid("the catalog has no canonical standard".into())
        })?;
        let mut seen = BTreeSet::new();
        let mut checked = Vec::with_capacity(verdicts.len());
        for verdict in verdicts {
            let id: ProvisionId = verdict.provision.trim().parse().map_err(
                |error: iotlabel_core::ids::ProvisionIdError| {
                    RegistryError::Invalid(error.to_string())
                },
            )?;
            if standard.provision(&id).is_none() {
                return Err(RegistryError::Invalid(format!(
                    "provision {id} is not in {}: use a V3.1.3 provision id",
                    standard.id
                )));
            }
            if !seen.insert(id.clone()) {
                return Err(RegistryError::Invalid(format!(
                    "provision {id} has two verdicts: keep one"
                )));
            }
            let note = verdict
                .note
                .as_deref()
                .map(str::trim)
                .filter(|note| !note.is_empty());
            if let Some(note) = note {
                let length = note.chars().count();
                if length > MAX_VERDICT_NOTE_CHARS {
                    return Err(RegistryError::Invalid(format!(
                        "the note on {id} is {length} characters; at most \
                         {MAX_VERDICT_NOTE_CHARS}: shorten it or upload a report as evidence"
                    )));
                }
                if note
                    .chars()
                    .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
                {
                    return Err(RegistryError::Invalid(format!(
                        "the note on {id} contains a control character: remove it"
                    )));
                }
            } else if matches!(
                verdict.verdict,
                LabReviewVerdict::Fail | LabReviewVerdict::Inconclusive
            ) {
                return Err(RegistryError::Invalid(format!(
                    "the {} verdict on {id} needs a note saying why",
                    verdict.verdict.as_str()
                )));
            }
            checked.push(NewLabVerdict {
                provision: id.to_string(),
                verdict: verdict.verdict,
                note: note.map(str::to_owned),
            });
        }
        Ok(checked)
    }
}
