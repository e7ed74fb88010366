//! Firmware uploads and their scans: a manufacturer (or the lab) uploads a firmware image to
//! an application; it is stored as evidence and a `scan-firmware` job runs `iotlabel scan`
//! over it in the background, recording its progress on the job. The scan report is
//! attached as JSON evidence and named in the dossier as a scan report, so the engine maps
//! its findings to provisions on the next assessment.

use serde::{Deserialize, Serialize};

use iotlabel_core::dossier::{EvidenceItem, EvidenceKind};

use crate::evidence;
use crate::roles::Permission;
use crate::service::{Actor, Registry, RegistryError, parse_stored_dossier};
use crate::store::{EvidenceRecord, JobRecord, PortalStore, Store, StoreError};

/// The job kind that scans an uploaded firmware image.
pub const SCAN_FIRMWARE: &str = "scan-firmware";
/// The largest firmware image accepted (the scan's own limits then bound what it unpacks).
pub const MAX_FIRMWARE_BYTES: usize = 64 * 1024 * 1024;
/// How many times a scan is tried before the job is failed (a scan never fails on a bad
/// image; a retry only helps when the worker died).
pub const SCAN_ATTEMPTS: i64 = 3;
/// The media type firmware images are stored with.
pub const FIRMWARE_MEDIA_TYPE: &str = "application/octet-stream";

/// What a `scan-firmware` job is given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanJob {
    pub application_id: i64,
    pub file_name: String,
    pub sha256: String,
    /// The user who uploaded the image: the report is attached in their name.
    pub user_id: i64,
}

/// A firmware image accepted for scanning.
#[derive(Debug, Clone, Serialize)]
pub struct FirmwareUpload {
    pub evidence: EvidenceRecord,
    pub job_id: i64,
}

/// The evidence file name of the scan report of `firmware_file`.
pub fn report_file_name(firmware_file: &str) -> String {
    format!("{firmware_file}.scan.json")
}

impl<S: Store + PortalStore> Registry<S> {
    /// Stores a firmware image as evidence of application `id` and queues its scan.
    pub async fn upload_firmware(
        &self,
        actor: &Actor,
        id: i64,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<FirmwareUpload, RegistryError> {
        self.require_permission(actor, Permission::UploadEvidence)?;
        evidence::check_file_name(file_name)?;
        if bytes.is_empty() {
            return Err(evidence::EvidenceError::Empty.into());
        }
        if bytes.len() > MAX_FIRMWARE_BYTES {
            return Err(evidence::EvidenceError::TooLarge {
                size: bytes.len(),
                limit: MAX_FIRMWARE_BYTES,
            }
            .into());
        }
        let (_, record) = self
            .attach_file(actor, id, file_name, bytes, FIRMWARE_MEDIA_TYPE, None)
            .await?;
        let payload = ScanJob {
            application_id: id,
            file_name: record.file_name.clone(),
            sha256: record.sha256.clone(),
            user_id: actor.user.as_ref().map_or(0, |user| user.id),
        };
        let payload = serde_json::to_string(&payload)
            .map_err(|error| RegistryError::Invalid(error.to_string()))?;
        let job_id = self
            .store()
            .enqueue_job(SCAN_FIRMWARE, &payload, SCAN_ATTEMPTS, self.clock().now())
            .await?;
        Ok(FirmwareUpload {
            evidence: record,
            job_id,
        })
    }

    /// The firmware scans of application `id`, newest first, for anyone who may read it.
    pub async fn firmware_scans(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<Vec<(JobRecord, ScanJob)>, RegistryError> {
        self.get_application(actor, id).await?;
        // The payload is written by `upload_firmware` with `application_id` first.
        let prefix = format!("{{\"application_id\":{id},");
        let jobs = self
            .store()
            .jobs_with_payload_prefix(SCAN_FIRMWARE, &prefix)
            .await?;
        Ok(jobs
            .into_iter()
            .filter_map(|job| {
                let payload = serde_json::from_str::<ScanJob>(&job.payload_json).ok()?;
                (payload.application_id == id).then_some((job, payload))
            })
            .collect())
    }

    /// Runs one `scan-firmware` job for `worker`: scans the image on a blocking thread,
    /// reporting progress on the job, then attaches the report and re-assesses.
    pub(crate) async fn run_firmware_scan(
        &self,
        job: &JobRecord,
        worker: &str,
    ) -> Result<String, RegistryError> {
        let payload: ScanJob = serde_json::from_str(&job.payload_json).map_err(|error| {
            RegistryError::Invalid(format!("the scan job's payload is not valid: {error}"))
        })?;
        let bytes = self
            .store()
            .evidence_bytes(&payload.sha256)
            .await?
            .ok_or(RegistryError::Store(StoreError::NotFound))?;
        let user = self
            .store()
            .get_user(payload.user_id)
            .await?
            .ok_or_else(|| RegistryError::Invalid("the uploader's account is gone".into()))?;
        let actor = Actor::from_user(user);

        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<String>();
        let name = payload.file_name.clone();
        let scan = tokio::task::spawn_blocking(move || {
            let options = iotlabel_firmware::scan::ScanOptions::default();
            iotlabel_firmware::scan::scan(&name, &bytes, &options, &mut |event| {
                let _ = sender.send(progress_words(&event));
            })
        });
        // Progress goes to the job row as it comes (the last message of each burst).
        tokio::pin!(scan);
        let report = loop {
            tokio::select! {
                finished = &mut scan => {
                    break finished.map_err(|error| {
                        RegistryError::Invalid(format!("the scan stopped: {error}"))
                    })?;
                }
                Some(mut message) = receiver.recv() => {
                    while let Ok(newer) = receiver.try_recv() {
                        message = newer;
                    }
                    self.store()
                        .set_job_progress(job.id, worker, &message, self.clock().now())
                        .await?;
                }
            }
        };
        let findings = report.findings.len();
        let json = serde_json::to_vec_pretty(&report)
            .map_err(|error| RegistryError::Invalid(error.to_string()))?;

        // Name the report in the dossier as scan evidence, then attach it (one transaction).
        let record = self.get_application(&actor, payload.application_id).await?;
        let mut dossier = parse_stored_dossier(&record)?;
        let report_file = report_file_name(&payload.file_name);
        if !dossier
            .evidence
            .iter()
            .any(|item| item.file.as_deref() == Some(report_file.as_str()))
        {
            dossier.evidence.push(EvidenceItem {
                id: evidence::dossier_evidence_id("firmware-scan", &payload.file_name),
                kind: EvidenceKind::ScanReport,
                file: Some(report_file.clone()),
                title: Some(format!("Firmware scan of {}", payload.file_name)),
                lab: None,
                report: None,
                verdict: None,
                issued_on: None,
                provisions: Default::default(),
                scheme: None,
                level: None,
                label_id: None,
                valid_until: None,
                status: None,
            });
        }
        self.attach_file(
            &actor,
            payload.application_id,
            &report_file,
            &json,
            "application/json",
            Some(&dossier),
        )
        .await?;
        let message = format!(
            "scanned {}: {findings} findings, attached as {report_file}",
            payload.file_name
        );
        self.store()
            .set_job_progress(job.id, worker, &message, self.clock().now())
            .await?;
        Ok(message)
    }

    fn require_permission(
        &self,
        actor: &Actor,
        permission: Permission,
    ) -> Result<(), RegistryError> {
        if actor.may(permission) {
            Ok(())
        } else if actor.user.is_none() {
            Err(RegistryError::Unauthenticated)
        } else {
            Err(RegistryError::Forbidden(format!(
                "a {} may not upload evidence",
                actor.role.as_str()
            )))
        }
    }
}

/// A progress event in words for the job row.
fn progress_words(event: &iotlabel_firmware::scan::ScanProgress) -> String {
    use iotlabel_firmware::extract::Progress;
    use iotlabel_firmware::scan::ScanProgress;
    match event {
        ScanProgress::Extracting(Progress::Started { total }) => {
            format!("extracting: 0 of {total} bytes")
        }
        ScanProgress::Extracting(Progress::Container {
            processed,
            total,
            name,
        }) => format!("extracting: {processed} of {total} bytes ({name})"),
        ScanProgress::Extracting(Progress::Finished { total }) => {
            format!("extracted {total} bytes")
        }
        ScanProgress::Checking { files } => format!("checking {files} files"),
    }
}
