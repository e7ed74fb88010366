//! What the public product page (the page a label's QR code opens) shows: the public label
//! plus the product facts a shopper needs that the label row does not carry (support period
//! end, where to report a vulnerability, hardware and firmware versions), and the
//! recognitions in words.

use serde::Serialize;

use crate::roles::Scope;
use crate::service::{PublicLabel, Registry, RegistryError, normalise_label_id};
use crate::store::{ApplicationRecord, LabelRecord, RowScope, Store};

/// One recognition granted with a label, ready to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecognitionLine {
    pub arrangement: String,
    /// The partner's name (e.g. "United Kingdom PSTI regime"), or the arrangement id when the
    /// catalog no longer knows it.
    pub partner: String,
    /// What the arrangement grants, from the catalog (e.g. "deemed compliant with UK PSTI").
    pub grants: String,
    /// inbound (how the label was obtained) or outbound (what the label gives elsewhere).
    pub direction: String,
}

/// The product page's facts.
#[derive(Debug, Clone, Serialize)]
pub struct ProductPage {
    pub label: PublicLabel,
    /// The scheme's full and short names.
    pub scheme_name: String,
    pub scheme_short_name: String,
    pub category_name: String,
    pub hardware_version: Option<String>,
    pub firmware_version: Option<String>,
    pub support_period_end: Option<String>,
    pub vulnerability_disclosure_url: Option<String>,
    pub recognitions: Vec<RecognitionLine>,
    /// The file name of the SBOM published with the label, if any (see
    /// [`Registry::label_sbom`]).
    pub sbom_file: Option<String>,
}

impl<S: Store> Registry<S> {
    /// A label by registration id or its URL form, and the application it was issued on
    /// (read with the registry's own scope: these are internal reads for public pages).
    async fn label_and_application(
        &self,
        id: &str,
    ) -> Result<(LabelRecord, Option<ApplicationRecord>), RegistryError> {
        let registration_id = normalise_label_id(id)?;
        let label = self
            .store()
            .get_label(&registration_id)
            .await?
            .ok_or(RegistryError::NotFound)?;
        let everything = RowScope {
            scope: Scope::All,
            organisation_id: None,
        };
        let application = self
            .store()
            .get_application(label.application_id, everything)
            .await?;
        Ok((label, application))
    }

    /// The product page of a label by registration id or its URL form. Public: it shows only
    /// what the manufacturer published with the label.
    pub async fn product_page(&self, id: &str) -> Result<ProductPage, RegistryError> {
        // The application row holds the product facts the dossier declared.
        let (label, application) = self.label_and_application(id).await?;
        let sbom_file = match &application {
            Some(application) => self
                .published_sbom(application)
                .await?
                .map(|(name, _)| name),
            None => None,
        };
        let product = application.map(|application| application.content.product);
        let public = self.public_label(&label);
        let catalog = self.catalog();
        let (scheme_name, scheme_short_name) = catalog.scheme(&label.scheme).map_or_else(
            || (label.scheme.clone(), label.scheme.clone()),
            |scheme| (scheme.name.clone(), scheme.short_name.clone()),
        );
        let category_name = catalog
            .category(&label.category)
            .map_or_else(|| label.category.clone(), |category| category.name.clone());
        let recognitions = recognition_lines(self, &public);
        Ok(ProductPage {
            scheme_name,
            scheme_short_name,
            category_name,
            hardware_version: product.as_ref().and_then(|p| p.hardware_version.clone()),
            firmware_version: product.as_ref().and_then(|p| p.firmware_version.clone()),
            support_period_end: product.as_ref().and_then(|p| p.support_period_end.clone()),
            vulnerability_disclosure_url: product
                .as_ref()
                .and_then(|p| p.vulnerability_disclosure_url.clone()),
            recognitions,
            sbom_file,
            label: public,
        })
    }
}

fn recognition_lines<S: Store>(
    registry: &Registry<S>,
    label: &PublicLabel,
) -> Vec<RecognitionLine> {
    let Some(granted) = label.recognitions.as_array() else {
        return Vec::new();
    };
    granted
        .iter()
        .filter_map(|entry| {
            let arrangement = entry.get("arrangement")?.as_str()?.to_owned();
            let direction = entry
                .get("direction")
                .and_then(|value| value.as_str())
                .unwrap_or("outbound")
                .to_owned();
            let known = registry.catalog().arrangement(&arrangement);
            let partner = known
                .and_then(|arrangement| registry.catalog().partner(&arrangement.partner))
                .map_or_else(|| arrangement.clone(), |partner| partner.name.clone());
            let grants = entry
                .get("grants")
                .and_then(|value| value.as_str())
                .map(str::to_owned)
                .or_else(|| known.map(|arrangement| arrangement.grants.clone()))
                .unwrap_or_default();
            Some(RecognitionLine {
                arrangement,
                partner,
                grants,
                direction,
            })
        })
        .collect()
}

impl<S: Store> Registry<S> {
    /// The engine's assessment the label was issued on (published with the label as OSCAL
    /// assessment results), and when the label was issued (unix seconds).
    pub async fn label_assessment(
        &self,
        id: &str,
    ) -> Result<(iotlabel_core::Assessment, i64), RegistryError> {
        let (label, application) = self.label_and_application(id).await?;
        let application = application.ok_or(RegistryError::NotFound)?;
        let json = application
            .content
            .assessment_json
            .ok_or(RegistryError::NotFound)?;
        let assessment = serde_json::from_str(&json).map_err(|error| {
            RegistryError::Store(crate::store::StoreError::Corrupt(error.to_string()))
        })?;
        Ok((assessment, label.issued_at))
    }
}

impl<S: Store> Registry<S> {
    /// The SBOM published with a label: the manufacturer publishes one by naming an uploaded
    /// file as `kind = "sbom"` evidence in the dossier the label was issued on. Returns the
    /// file name and its bytes; `NotFound` when the label has none.
    pub async fn label_sbom(&self, id: &str) -> Result<(String, Vec<u8>), RegistryError> {
        let (_, application) = self.label_and_application(id).await?;
        let application = application.ok_or(RegistryError::NotFound)?;
        self.published_sbom(&application)
            .await?
            .ok_or(RegistryError::NotFound)
    }

    async fn published_sbom(
        &self,
        application: &ApplicationRecord,
    ) -> Result<Option<(String, Vec<u8>)>, RegistryError> {
        let Ok(dossier) =
            serde_json::from_str::<iotlabel_core::Dossier>(&application.content.dossier_json)
        else {
            return Ok(None);
        };
        let uploads = self.store().list_evidence(application.id).await?;
        for item in &dossier.evidence {
            if item.kind != iotlabel_core::dossier::EvidenceKind::Sbom {
                continue;
            }
            let Some(file) = &item.file else { continue };
            let Some(upload) = uploads.iter().find(|upload| &upload.file_name == file) else {
                continue;
            };
            if let Some(bytes) = self.store().evidence_bytes(&upload.sha256).await? {
                return Ok(Some((upload.file_name.clone(), bytes)));
            }
        }
        Ok(None)
    }
}
